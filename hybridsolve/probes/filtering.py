"""The filtering probe (Xu et al. 2020, Sec. 4, eq. 6–9): Gaussian low-pass of labels and outputs
over the dataset, and the relative errors of the low- and high-frequency parts.

For each width δ::

    G_ij = exp(−|x_i − x_j|² / (2δ)),   y_low_i = Σ_j G_ij y_j / Σ_j G_ij,   y_high = y − y_low
    e_low  = ‖y_low − h_low‖ / ‖y_low‖,   e_high = ‖y_high − h_high‖ / ‖y_high‖

(norms over samples × outputs). The filter is linear, so with E = Y − H only K E is needed,
K = D⁻¹G the row-normalised kernel. No n×n matrix is ever held:

* :func:`filter_exact` sweeps blocks of rows — distances by ‖a‖² + ‖b‖² − 2a·b (float32 GEMM on
  centred inputs), the kernel block, then the block's rows of K [Y, H] — O(n² d) per call.
* :class:`FilteringProbe` precomputes, once per dataset, exact normalised kernel rows: all n rows
  when they fit in ``memory_gb`` (``method="exact"``; each evaluation is then exact and costs one
  (n × n)·(n × outputs) product per δ); otherwise (``method="sampled"``) a class-stratified seeded
  sample S of rows plus a proxy of the smoother on all rows (exact over each point's k nearest
  neighbours, the rest of the sum estimated from S), combined by a regression estimator of the sums
  in eq. 6–7. Its error against :func:`filter_exact` is measured in
  the benchmark (full 60 000) and the tests (5 000 subset).

>>> rng = np.random.default_rng(0)
>>> X = rng.random((300, 4)); Y = np.eye(3)[rng.integers(0, 3, 300)]
>>> fp = FilteringProbe(X, Y, deltas=[0.05, 0.2])
>>> r = fp(Y)
>>> r["e_low"][0.05], r["e_high"][0.2]
(0.0, 0.0)
>>> ex = filter_exact(X, Y, 0.5 * Y, deltas=[0.05])
>>> round(ex["e_low"][0.05], 6), round(ex["e_high"][0.05], 6)
(0.5, 0.5)
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["FilteringProbe", "filter_exact", "kernel_rows", "filtering_bytes"]


def _as_matrix(A, name: str) -> np.ndarray:
    try:
        arr = np.asarray(A)
    except Exception:  # noqa: BLE001 - ragged lists and the like
        raise ValueError(f"{name} must be an array with one row per sample; got {type(A).__name__}") from None
    if arr.ndim == 0 or arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a real array with one row per sample (n, d) or (n, C, H, W); got "
                         f"{type(A).__name__} of shape {arr.shape} and dtype {arr.dtype}")
    return arr


def _check_xy(X, Y):
    X = _as_matrix(X, "X")
    X = X.reshape(len(X), -1)
    Y = _as_matrix(Y, "Y").astype(float)
    if Y.ndim == 1:
        Y = Y[:, None]
    elif Y.ndim != 2:
        Y = Y.reshape(len(Y), -1)
    if len(X) != len(Y):
        raise ValueError(f"X has {len(X)} samples but Y has {len(Y)}: one label row per input is needed")
    if len(X) < 2:
        raise ValueError("the filtering probe needs at least 2 samples in X")
    Xf = X.astype(np.float64, copy=False)
    if not np.isfinite(Xf).all():
        raise ValueError("X contains non-finite values (NaN or inf)")
    if not np.isfinite(Y).all():
        raise ValueError("Y contains non-finite values (NaN or inf)")
    # centre (distances are invariant) to keep ‖a‖² + ‖b‖² − 2a·b accurate in float32
    Xc = (Xf - Xf.mean(axis=0)).astype(np.float32)
    return Xc, Y


def _check_deltas(deltas) -> list[float]:
    try:
        ds = [float(d) for d in np.atleast_1d(np.asarray(deltas, dtype=float)).ravel()]
    except (TypeError, ValueError):
        raise ValueError(f"deltas must be a number or a list of Gaussian widths δ > 0 (e.g. [3.0, 7.0, 10.0]); "
                         f"got {deltas!r}") from None
    if not ds:
        raise ValueError("deltas must list at least one Gaussian width δ > 0")
    for d in ds:
        if not (math.isfinite(d) and d > 0):
            raise ValueError(f"deltas: every δ (the variance of the Gaussian G = exp(-|x|²/2δ)) must be finite "
                             f"and > 0; got {d}")
    return ds


def filtering_bytes(n: int, d: int, n_deltas: int, method: str = "exact", *, rows: int = 3000,
                    neighbours: int = 100, block: int = 1024, outputs: int = 10) -> int:
    """Estimated bytes a :class:`FilteringProbe` allocates on ``n`` inputs of dimension ``d``: the stored
    float32 kernel rows (all ``n`` with ``"exact"``, ``rows`` with ``"sampled"``) for each δ, the block of
    squared distances and weights being computed, the centred inputs and, for ``"sampled"``, the
    neighbour lists and the two sparse near-field matrices per δ.

    >>> filtering_bytes(60_000, 784, 3, "exact") > 3 * 60_000**2 * 4
    True
    """
    stored = n if method == "exact" else min(int(rows), n)
    nbytes = 4 * stored * n * n_deltas                 # kernel rows K_δ (float32)
    nbytes += 4 * min(int(block), stored) * n * 3      # distances and weights of one block
    nbytes += 4 * n * d * 2 + 8 * n * outputs * (2 + n_deltas)   # centred inputs, labels, y_low
    if method != "exact":
        k = min(int(neighbours), n)
        nbytes += n * k * (8 + 4 + 8) + n_deltas * n * k * 2 * (4 + 4 + 8)
    return int(nbytes)


def _sq_dists(Xc, sq, rows):
    """Squared distances of rows ``rows`` to all points, float32, clamped at 0."""
    D = Xc[rows] @ Xc.T
    D *= -2.0
    D += sq[rows, None]
    D += sq[None, :]
    np.maximum(D, 0.0, out=D)
    D[np.arange(len(rows)), rows] = 0.0   # |x_i − x_i|² is exactly 0 (float32 rounding would leave ~1e-7)
    return D


_GAUSS = None


def _gauss_kernel():
    """Numba kernel: out = exp(c·D) row by row, normalised to unit row sums (sums in float64)."""
    global _GAUSS
    if _GAUSS is None:
        from numba import njit, prange

        from .._numba import configure

        configure()

        @njit(parallel=True, fastmath=True, cache=True)
        def gauss_rows(D, c, out, sums):  # pragma: no cover - compiled
            for i in prange(D.shape[0]):
                acc = 0.0
                for j in range(D.shape[1]):
                    v = np.exp(D[i, j] * c)
                    out[i, j] = v
                    acc += v
                sums[i] = acc
                inv = np.float32(1.0 / acc)
                for j in range(D.shape[1]):
                    out[i, j] *= inv

        _GAUSS = gauss_rows
    return _GAUSS


def _gauss_rows_numpy(D, c):
    """NumPy reference of the Numba kernel: (normalised rows, row sums)."""
    W = np.exp(D.astype(np.float64) * c)
    sums = W.sum(axis=1)
    return (W / sums[:, None]).astype(np.float32), sums


def kernel_rows(Xc, sq, rows, deltas, with_sums: bool = False):
    """Yield ``(delta, K_rows)`` — exact row-normalised Gaussian kernel rows (float32) for ``rows`` —
    or ``(delta, K_rows, row_sums)`` with ``with_sums`` (C_i = Σ_j G_ij, float64)."""
    D = _sq_dists(Xc, sq, rows)
    kern = _gauss_kernel()
    for d in deltas:
        W = np.empty_like(D)
        sums = np.empty(len(D))
        kern(D, np.float32(-0.5 / d), W, sums)
        yield (d, W, sums) if with_sums else (d, W)


def _errors(E_low, E_S, Ylow, Yhigh):
    e_low = np.linalg.norm(E_low) / np.linalg.norm(Ylow)
    e_high = np.linalg.norm(E_S - E_low) / np.linalg.norm(Yhigh)
    return float(e_low), float(e_high)


def low_pass_blocked(Xc, V, deltas, *, block: int = 1024, progress=None) -> dict:
    """``{δ: K_δ V}`` for the Gaussian kernel rows of the (checked) inputs ``Xc``, exactly, computed in
    blocks of ``block`` rows (O(n² d) work, O(block·n) memory); ``V`` is (n, k), used in float32."""
    from .._util import progress_bar

    n = len(Xc)
    sq = np.einsum("ij,ij->i", Xc, Xc)
    V = np.asarray(V).astype(np.float32)
    low = {d: np.empty((n, V.shape[1])) for d in deltas}
    with progress_bar(total=n, desc="exact filtering", progress=progress) as bar:
        for start in range(0, n, block):
            rows = np.arange(start, min(start + block, n))
            for d, K in kernel_rows(Xc, sq, rows, deltas):
                low[d][rows] = K @ V
            bar.update(len(rows))
    return low


def filter_exact(X, Y, H, *, deltas, block: int = 1024, return_parts: bool = False, progress=None) -> dict:
    """e_low and e_high over all rows, exactly, in blocks of ``block`` rows (O(n² d) work, O(block·n) memory).

    With ``return_parts`` also ``y_low`` and ``h_low`` ({δ: (n, m) array}).
    """
    Xc, Y = _check_xy(X, Y)
    H = np.asarray(H, dtype=float).reshape(Y.shape) if np.size(H) == Y.size else None
    if H is None:
        raise ValueError(f"H must have the shape of Y {Y.shape}; got {np.shape(H)}")
    if not np.isfinite(H).all():
        raise ValueError("H contains non-finite values (NaN or inf)")
    ds = _check_deltas(deltas)
    block = int(block)
    if block < 1:
        raise ValueError(f"block must be >= 1; got {block}")
    low = low_pass_blocked(Xc, np.concatenate([Y, H], axis=1), ds, block=block, progress=progress)
    m = Y.shape[1]
    out = {"e_low": {}, "e_high": {}}
    for d in ds:
        ylow, hlow = low[d][:, :m], low[d][:, m:]
        out["e_low"][d], out["e_high"][d] = _errors(ylow - hlow, Y - H, ylow, Y - ylow)
    if return_parts:
        out["y_low"] = {d: low[d][:, :m] for d in ds}
        out["h_low"] = {d: low[d][:, m:] for d in ds}
    return out


class FilteringProbe:
    """e_low / e_high per δ for network outputs H on the probe's inputs X (built once per dataset).

    Keyword-only options: ``deltas`` (Gaussian variances δ, in the units of |x|² — with pixels in
    [0, 1] the paper's range), ``method`` (``"auto"``: ``"exact"`` when the n×n kernel rows of
    all δ fit in ``memory_gb``, else ``"sampled"``), ``rows`` (exact kernel rows kept by the
    sampled method, default 3000), ``norm_rows`` (rows, S included, on which the fixed label norms
    ‖y_low‖², ‖y_high‖² are estimated; their kernel rows are used once and not stored; default
    15 000), ``neighbours`` (k of the k-nearest-neighbour proxy, default 100),
    ``pca_dims`` (dimensions used to find the neighbours, default 64), ``memory_gb`` (default 4),
    ``seed``, ``block``, ``progress``.

    ``"sampled"``: the sums over i in eq. 6–7 are estimated by a survey-sampling regression
    estimator — exact values on a class-stratified seeded sample S of rows (each y_low_i exact over
    all n points), a cheap proxy on all rows (the Gaussian sum exact over each point's k nearest
    neighbours, plus the rest of the sum estimated from the stored rows S, which hold G_is for every
    i), and per quantity the least-squares line through (proxy, exact) on S, summed
    over all rows. Its error against :func:`filter_exact` is what the benchmark reports.

    ``probe(H)`` → ``{"e_low": {δ: value}, "e_high": {δ: value}}``; ``probe.exact(H)`` runs
    :func:`filter_exact` on the same data; ``probe.method`` says which method is in use.
    """

    def __init__(self, X, Y, *, deltas=(3.0, 7.0, 10.0), method: str = "auto", rows: int = 3000,
                 norm_rows: int = 15000, neighbours: int = 100, pca_dims: int = 64, memory_gb: float = 4.0,
                 seed: int = 0, block: int = 1024, progress=None):
        self._X = X
        Xc, Y = _check_xy(X, Y)
        self.deltas = _check_deltas(deltas)
        n = len(Xc)
        self.n = n
        from .. import _memory

        try:
            mem_ok = math.isfinite(float(memory_gb)) and memory_gb > 0
        except (TypeError, ValueError):
            mem_ok = False
        if not mem_ok:
            raise ValueError(f"memory_gb must be a number > 0 (GB the kernel rows may use); got {memory_gb!r}")
        if not (isinstance(method, str) and method in ("auto", "exact", "sampled")):
            raise ValueError(f"method={method!r}; valid: auto, exact, sampled")
        for name, v in (("rows", rows), ("norm_rows", norm_rows), ("neighbours", neighbours), ("pca_dims", pca_dims), ("block", block)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1; got {v!r}")
        exact_bytes = n * n * 4 * len(self.deltas)
        avail = _memory.available()[0]
        if method == "auto":
            fits = filtering_bytes(n, Xc.shape[1], len(self.deltas), "exact", block=block, outputs=Y.shape[1]) <= avail
            method = "exact" if exact_bytes <= memory_gb * 1e9 and fits else "sampled"
        if method == "exact" and exact_bytes > memory_gb * 1e9:
            raise ValueError(f"method='exact' stores {exact_bytes / 1e9:.1f} GB of kernel rows (> memory_gb="
                             f"{memory_gb}); use method='sampled' or raise memory_gb")
        if method == "sampled" and (rows >= n):
            method = "exact"
        need = filtering_bytes(n, Xc.shape[1], len(self.deltas), method, rows=rows, neighbours=neighbours,
                               block=block, outputs=Y.shape[1])
        _memory.require(need, f"the filtering probe (method={method!r}, {n:,} inputs, {len(self.deltas)} δ"
                              + (f", rows={rows}" if method == "sampled" else "") + ")",
                        fix="use method='sampled' with fewer rows, fewer deltas, or a subset of the inputs"
                        if method == "exact" else "use fewer rows or neighbours, fewer deltas, or a subset of the inputs")
        self.method = method
        labels = np.argmax(Y, axis=1) if Y.shape[1] > 1 else np.zeros(n, int)
        S = np.arange(n) if method == "exact" else _stratified(labels, int(rows), seed)
        self.rows = S
        self.Y = Y
        sq = np.einsum("ij,ij->i", Xc, Xc)
        self._K = {d: np.empty((len(S), n), np.float32) for d in self.deltas}
        C_S = {d: np.empty(len(S)) for d in self.deltas}
        from .._util import progress_bar

        with progress_bar(total=len(S), desc="filtering probe: kernel rows", progress=progress) as bar:
            for start in range(0, len(S), int(block)):
                sl = slice(start, min(start + int(block), len(S)))
                for d, K, sums in kernel_rows(Xc, sq, S[sl], self.deltas, with_sums=True):
                    self._K[d][sl] = K
                    C_S[d][sl] = sums
                bar.update(sl.stop - sl.start)
        self._proxy, self._proxy_S, self._C_near = {}, {}, {}
        self._C_S = C_S
        if method == "sampled":
            self._proxy, self._proxy_S, self._C_near = _knn_proxy(
                Xc, sq, self.deltas, int(neighbours), int(pca_dims), int(block), progress, S=S, K_S=self._K, C_S=C_S)
        self.neighbours = int(neighbours) if method == "sampled" else 0
        self._Y32 = Y.astype(np.float32)
        self._YS = Y[S]
        self._ylow = {d: (self._K[d] @ self._Y32).astype(np.float64) for d in self.deltas}
        # the label norms (denominators of eq. 6-7) are fixed: estimate them on a larger sample T ⊇ S
        # whose kernel rows are used once and not stored
        T, ylow_T = S, dict(self._ylow)
        if method == "sampled" and norm_rows > rows:
            rest = np.setdiff1d(np.arange(n), S)
            extra = rest[_stratified(labels[rest], min(int(norm_rows) - len(S), len(rest)), seed + 1)]
            parts = {d: [] for d in self.deltas}
            with progress_bar(total=len(extra), desc="filtering probe: label norms", progress=progress) as bar:
                for start in range(0, len(extra), int(block)):
                    for d, K in kernel_rows(Xc, sq, extra[start:start + int(block)], self.deltas):
                        parts[d].append((K @ self._Y32).astype(np.float64))
                    bar.update(min(int(block), len(extra) - start))
            T = np.concatenate([S, extra])
            ylow_T = {d: np.concatenate([self._ylow[d], *parts[d]]) for d in self.deltas}
        self.norm_rows = len(T)
        self._den = {}
        spread = 2.0 * float(np.sum(np.var(Xc.astype(np.float64), axis=0)))   # mean |x_i − x_j|²
        for d in self.deltas:
            yl, yh = self._sums(d, self._Y32, ylow_T[d], Y[T], T)
            if not (math.isfinite(yl) and math.isfinite(yh)):
                raise ValueError(f"deltas: δ={d} gives non-finite filtered labels; use δ of the order of the "
                                 f"squared distances between inputs (mean |x_i − x_j|² = {spread:.3g})")
            if yh <= 1e-12 * max(yl, 1e-300) or yh <= 0:
                raise ValueError(f"deltas: δ={d} is too narrow for these inputs: each point's Gaussian weights vanish "
                                 f"beyond itself, so y_low = y and y_high = 0, and e_high is undefined; use δ of the "
                                 f"order of the squared distances between inputs (mean |x_i − x_j|² = {spread:.3g})")
            if yl <= 0:
                raise ValueError(f"deltas: δ={d}: y_low is zero (the labels average out under the filter), so e_low "
                                 "is undefined")
            self._den[d] = (yl, yh)

    def _sums(self, d, E32, E_low_S, E_S, rows=None):
        """Σ_i |E_low_i|² and Σ_i |E_i − E_low_i|² over all rows (exact, or the regression estimate
        from the exact values on ``rows`` — default the stored rows S)."""
        rows = self.rows if rows is None else rows
        a = np.einsum("ij,ij->i", E_low_S, E_low_S)
        b = np.einsum("ij,ij->i", E_S - E_low_S, E_S - E_low_S)
        if self.method == "exact":
            return float(a.sum()), float(b.sum())
        El = self._proxy_low(d, E32)
        Eh = E32.astype(np.float64) - El
        pa = np.einsum("ij,ij->i", El, El)
        pb = np.einsum("ij,ij->i", Eh, Eh)
        return _regression_sum(a, pa, rows, self.n), _regression_sum(b, pb, rows, self.n)

    def _proxy_low(self, d, E32) -> np.ndarray:
        """The proxy of K E on all rows: each point's exact Gaussian sum over its k nearest neighbours plus
        the rest of the sum estimated from the stored rows S (G symmetric: G_is = C_s K_si), over C̃_i::

            (K̃E)_i = [Σ_{j∈N(i)} G_ij E_j + (n/m) Σ_{s∈S, s∉N(i)} G_is E_s] / C̃_i
        """
        S = self.rows
        far = self._K[d].T @ (self._C_S[d][:, None] * E32[S]).astype(np.float32)  # Σ_{s∈S} G_is E_s for every i
        far = far.astype(np.float64) / self._C_near[d][:, None] - self._proxy_S[d] @ E32
        return (self._proxy[d] @ E32).astype(np.float64) + (self.n / len(S)) * far

    @property
    def nbytes(self) -> int:
        """Bytes held by the stored kernel rows and the neighbour proxies."""
        proxy = sum(P.data.nbytes + P.indices.nbytes + P.indptr.nbytes
                    for Ps in (self._proxy, self._proxy_S) for P in Ps.values())
        return sum(K.nbytes for K in self._K.values()) + proxy

    def y_low(self, delta: float) -> np.ndarray:
        """The low-frequency part of the labels on the stored rows (``probe.rows``)."""
        return self._ylow[float(delta)]

    def _check_h(self, H) -> np.ndarray:
        H = np.asarray(H, dtype=float)
        if H.ndim == 1:
            H = H[:, None]
        if H.shape != self.Y.shape:
            raise ValueError(f"H must have the shape of Y {self.Y.shape} (network outputs on the probe's inputs); "
                             f"got {H.shape}")
        if not np.isfinite(H).all():
            raise ValueError("H contains non-finite values (NaN or inf)")
        return H

    def __call__(self, H) -> dict:
        H = self._check_h(H)
        E = self.Y - H
        E32 = E.astype(np.float32)
        ES = E[self.rows]
        out = {"e_low": {}, "e_high": {}}
        for d in self.deltas:
            E_low = (self._K[d] @ E32).astype(np.float64)
            el, eh = self._sums(d, E32, E_low, ES)
            yl, yh = self._den[d]
            out["e_low"][d] = float(math.sqrt(max(el, 0.0) / yl))
            out["e_high"][d] = float(math.sqrt(max(eh, 0.0) / yh))
        return out

    def exact(self, H, *, block: int = 1024, progress=None) -> dict:
        """The same quantities from :func:`filter_exact` over all n rows (slow: O(n² d))."""
        return filter_exact(self._X, self.Y, self._check_h(H), deltas=self.deltas, block=block, progress=progress)


def _regression_sum(values_S, proxy_all, S, n) -> float:
    """Regression estimator of Σ_i v_i from v on the sample S and a proxy on all rows."""
    p = proxy_all[S]
    pv = p - p.mean()
    var = float(pv @ pv)
    beta = float(pv @ (values_S - values_S.mean())) / var if var > 0 else 0.0
    est = n * (values_S.mean() + beta * (proxy_all.mean() - p.mean()))
    return est if est > 0 else n * float(values_S.mean())


def _knn_proxy(Xc, sq, deltas, k, pca_dims, block, progress, *, S, K_S, C_S) -> tuple[dict, dict, dict]:
    """Per δ, the n×n CSR near-field smoother: each point's k nearest neighbours (itself included) with
    their exact Gaussian weights, divided by an estimate of the full normaliser C_i = Σ_j G_ij —
    the neighbours' mass plus the far mass estimated from the sampled rows S (G is symmetric, so
    G_is is in the stored rows): C̃_i = Σ_{j∈N(i)} G_ij + (n/m) Σ_{s∈S, s∉N(i)} G_is.
    Returns (that CSR, its entries whose column is in S — to drop them from the far-field sum — and C̃);
    :meth:`FilteringProbe._proxy_low` adds the far field.

    Neighbours are found with distances in the top ``pca_dims`` principal components plus the
    residual norms (|z_i − z_j|² + |r_i|² + |r_j|²); the kept distances are then computed exactly.
    """
    import scipy.sparse as sp

    from .._util import progress_bar

    n, dim = Xc.shape
    k = min(k, n)
    r = min(pca_dims, dim)
    w, V = np.linalg.eigh((Xc.T @ Xc).astype(np.float64))
    V = V[:, -r:].astype(np.float32)
    Z = Xc @ V
    zq = np.einsum("ij,ij->i", Z, Z)
    rq = np.maximum(sq - zq, 0)
    idx = np.empty((n, k), np.int64)
    d2 = np.empty((n, k), np.float32)
    with progress_bar(total=n, desc="filtering probe: neighbours", progress=progress) as bar:
        for s in range(0, n, block):
            rows = np.arange(s, min(s + block, n))
            D = Z[rows] @ Z.T
            D *= -2.0
            D += (zq + rq)[None, :]
            D += (zq + rq)[rows, None]
            D[np.arange(len(rows)), rows] = -1.0  # itself first
            part = np.argpartition(D, k - 1, axis=1)[:, :k] if k < n else np.tile(np.arange(n), (len(rows), 1))
            idx[rows] = part
            for c in range(0, len(rows), 128):  # exact distances to the kept neighbours
                rr = rows[c:c + 128]
                dots = np.einsum("bd,bkd->bk", Xc[rr], Xc[part[c:c + 128]])
                d2[rr] = np.maximum(sq[rr, None] + sq[part[c:c + 128]] - 2 * dots, 0)
            bar.update(len(rows))
    indptr = np.arange(0, n * k + 1, k)
    in_S = np.zeros(n, bool)
    in_S[S] = True
    nbr_in_S = in_S[idx]
    m = len(S)
    out, out_S, norm = {}, {}, {}
    for d in deltas:
        W = np.exp(d2.astype(np.float64) * (-0.5 / d))
        near = W.sum(axis=1)
        col = C_S[d] @ K_S[d]  # Σ_{s∈S} G_is for every i (G symmetric)
        far = np.maximum(col - (W * nbr_in_S).sum(axis=1), 0.0) * (n / m)
        norm[d] = near + far
        W /= norm[d][:, None]
        out[d] = sp.csr_matrix((W.astype(np.float32).ravel(), idx.ravel(), indptr), shape=(n, n))
        out_S[d] = out[d].multiply(in_S[None, :].astype(np.float32)).tocsr()
        out_S[d].eliminate_zeros()
    return out, out_S, norm


def _stratified(labels, m: int, seed: int) -> np.ndarray:
    """``m`` row indices sampled without replacement, proportionally to each class (seeded, sorted)."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    classes, counts = np.unique(labels, return_counts=True)
    quota = np.floor(counts * m / n).astype(int)
    rest = m - quota.sum()
    if rest > 0:  # largest remainders
        frac = counts * m / n - quota
        quota[np.argsort(frac)[::-1][:rest]] += 1
    picks = [rng.choice(np.flatnonzero(labels == c), size=q, replace=False) for c, q in zip(classes, quota) if q]
    return np.sort(np.concatenate(picks))
