"""The projection probe (Xu et al. 2020, Sec. 3): a 1-D non-uniform DFT of labels and outputs
along one direction of input space, and the relative error Δ_F(k) at the peaks of |ŷ_k|.

With p a unit vector (by default the first principal component of the inputs) and
x_{p,i} = p·x_i, the coefficients on a frequency grid k_1 … k_K are

    ŷ_k = (1/n) Σ_i y_i exp(−i 2π k x_{p,i}),      Δ_F(k) = |ĥ_k − ŷ_k| / |ŷ_k|

(complex coefficients, so phase errors count). The n×K matrix of exponentials is built once, so
each evaluation is one complex mat-vec (60 000 × 200 takes a few hundredths of a second).

Frequency grid: by default ``n_freqs`` = 200 points evenly spaced in [0, k_max] with
k_max = 3 / std(x_p) — with pixel values in [0, 1] the label spectrum along the first principal
component has decayed by two to three orders of magnitude there (docs/probes.md).

>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(500, 5)); X[:, 0] *= 4
>>> Y = np.sin(2 * np.pi * 0.1 * X[:, 0])
>>> pp = ProjectionProbe(X, Y, direction="pc1", peaks=[0.1])   # snapped to the nearest grid frequency
>>> bool(abs(abs(pp.direction[0]) - 1) < 0.05), max(pp(Y).values()) < 1e-12
(True, True)
"""
from __future__ import annotations

import numpy as np

__all__ = ["ProjectionProbe", "nudft", "principal_direction", "projection_peaks"]


def nudft(x, values, freqs) -> np.ndarray:
    """Direct 1-D non-uniform DFT ``(1/n) Σ_i values_i exp(−i2π k x_i)`` for each k in ``freqs``.

    The dense reference (builds the n×K matrix each call).

    >>> np.abs(nudft([0.0, 0.5], [1.0, 1.0], [0.0, 1.0])).round(12).tolist()
    [1.0, 0.0]
    """
    x = np.asarray(x, float)
    v = np.asarray(values)
    return np.exp(-2j * np.pi * np.outer(np.asarray(freqs, float), x)) @ v / len(x)


def principal_direction(X, k: int = 1) -> np.ndarray:
    """Unit vector along the k-th principal component of the rows of X (sign: largest entry positive)."""
    X = np.asarray(X, float)
    Xc = X - X.mean(axis=0)
    cov = Xc.T @ Xc
    w, V = np.linalg.eigh(cov)
    if not 1 <= k <= len(w):
        raise ValueError(f"direction='pc{k}': the inputs have {len(w)} dimensions, so k must be in 1..{len(w)}")
    p = V[:, -k]
    if p[np.argmax(np.abs(p))] < 0:
        p = -p
    return p / np.linalg.norm(p)


def projection_peaks(amplitude, *, max_peaks: int = 5, min_rel: float = 0.02) -> np.ndarray:
    """Indices of local maxima of ``amplitude`` (the first point counts if it exceeds its neighbour),
    at least ``min_rel`` × the largest value; the ``max_peaks`` largest, in increasing index order.
    (The Poisson monitor's rule, which also looks past exact zeros, is
    :func:`hybridsolve.spectral.spectral_peaks`.)

    >>> projection_peaks(np.array([3.0, 1.0, 2.0, 0.5, 0.6, 0.1]), min_rel=0.1).tolist()
    [0, 2, 4]
    """
    a = np.asarray(amplitude, float)
    if len(a) < 2:
        return np.arange(len(a))
    left = np.r_[-np.inf, a[:-1]]
    right = np.r_[a[1:], -np.inf]
    idx = np.flatnonzero((a > left) & (a >= right) & (a >= min_rel * a.max()))
    idx = idx[np.argsort(a[idx])[::-1][:max_peaks]]
    return np.sort(idx)


def _as_2d(name: str, A, n: int | None = None) -> np.ndarray:
    try:
        A = np.asarray(A)
    except Exception:  # noqa: BLE001 - ragged lists and the like
        raise ValueError(f"{name} must be an array with one row per sample; got {type(A).__name__}") from None
    if A.ndim == 0 or A.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be a real array with one row per sample; got {type(A).__name__} of shape "
                         f"{A.shape} and dtype {A.dtype}")
    A = A.astype(float)
    if A.ndim == 1:
        A = A[:, None]
    elif A.ndim != 2:
        A = A.reshape(len(A), -1)
    if n is not None and len(A) != n:
        raise ValueError(f"{name} has {len(A)} rows but X has {n}: one row per input sample is needed")
    if not np.isfinite(A).all():
        raise ValueError(f"{name} contains non-finite values (NaN or inf)")
    return A


class ProjectionProbe:
    """Δ_F(k) at selected frequencies along one direction of input space.

    Parameters: ``X`` (n, d) inputs (extra axes are flattened), ``Y`` (n,) or (n, m) targets;
    keyword-only ``output`` (which column of Y/H), ``direction`` (``"pc1"``, ``"pc<k>"`` or a
    vector), ``peaks`` (``"auto"`` or a list of frequencies; each is snapped to the grid),
    ``freqs`` (an explicit grid) or ``n_freqs``/``kmax``, ``max_peaks``, ``min_rel``,
    ``dtype`` (complex128 or complex64 for the stored exponentials).

    ``probe(H)`` returns ``{k: Δ_F(k)}`` (float keys) for the selected peaks;
    ``probe.spectrum(H)`` the complex coefficients on the whole grid.
    """

    def __init__(self, X, Y, *, output: int = 0, direction="pc1", peaks="auto", freqs=None, n_freqs: int = 200,
                 kmax: float | None = None, max_peaks: int = 5, min_rel: float = 0.02, dtype=np.complex128):
        X = _as_2d("X", X)
        n, d = X.shape
        Y2 = _as_2d("Y", Y, n)
        if isinstance(output, bool) or not isinstance(output, (int, np.integer)) or not 0 <= output < Y2.shape[1]:
            raise ValueError(f"output={output!r} must be a column index of Y: a whole number in 0 … {Y2.shape[1] - 1} "
                             f"(Y has {Y2.shape[1]} column(s))")
        self.output = int(output)
        self.n = n
        if isinstance(direction, str):
            name = direction.lower()
            if not name.startswith("pc") or not name[2:].isdigit():
                raise ValueError(f"direction={direction!r}: use 'pc1', 'pc<k>' or a vector of length {d}")
            p = principal_direction(X, int(name[2:]))
        else:
            p = np.asarray(direction, float).ravel()
            if p.shape != (d,) or not np.isfinite(p).all() or np.linalg.norm(p) == 0:
                raise ValueError(f"direction must be a finite non-zero vector of length {d}; got shape {p.shape}")
            p = p / np.linalg.norm(p)
        self.direction = p
        self.x_proj = X @ p
        if freqs is None:
            if int(n_freqs) < 2:
                raise ValueError(f"n_freqs must be >= 2; got {n_freqs}")
            spread = float(np.std(self.x_proj))
            if kmax is None:
                if spread == 0:
                    raise ValueError("all inputs project to the same point along the direction: no spectrum")
                kmax = 3.0 / spread
            if not (np.isfinite(kmax) and kmax > 0):
                raise ValueError(f"kmax must be finite and > 0; got {kmax}")
            freqs = np.linspace(0.0, float(kmax), int(n_freqs))
        self.freqs = np.asarray(freqs, float).ravel()
        if not np.isfinite(self.freqs).all() or len(self.freqs) == 0:
            raise ValueError("freqs must be a non-empty array of finite frequencies")
        # n×K exponentials, built once: every evaluation is then one mat-vec
        self._E = np.exp((-2j * np.pi) * np.outer(self.x_proj, self.freqs)).astype(dtype, copy=False)
        self.y = Y2[:, self.output]
        self.y_hat = self.spectrum(self.y)
        self.amplitude = np.abs(self.y_hat)
        if isinstance(peaks, str):
            if peaks != "auto":
                raise ValueError(f"peaks={peaks!r}: use 'auto' or a list of frequencies")
            self.peak_index = projection_peaks(self.amplitude, max_peaks=max_peaks, min_rel=min_rel)
        else:
            want = np.asarray(peaks, float).ravel()
            if len(want) == 0:
                raise ValueError("peaks must name at least one frequency")
            self.peak_index = np.array([int(np.argmin(np.abs(self.freqs - k))) for k in want])
        self.peaks = self.freqs[self.peak_index]
        if np.any(self.amplitude[self.peak_index] == 0):
            raise ValueError("a selected peak has |ŷ_k| = 0, where Δ_F is undefined")

    def spectrum(self, values) -> np.ndarray:
        """Complex ``(1/n) Σ_i v_i exp(−i2π k x_{p,i})`` on the grid (``values``: (n,) or Y-shaped)."""
        v = np.asarray(values)
        if v.ndim == 2:
            v = v[:, self.output]
        if v.shape != (self.n,):
            raise ValueError(f"values must have {self.n} rows (one per input); got shape {np.shape(values)}")
        v = v.astype(self._E.real.dtype, copy=False)
        return (v @ self._E) / self.n

    def __call__(self, H) -> dict:
        """``{k: Δ_F(k)}`` at the selected peaks for network outputs ``H`` (same rows as X)."""
        H = _as_2d("H", H) if np.ndim(H) == 2 else np.asarray(H)
        if H.ndim == 0 or H.dtype.kind not in "biuf":
            raise ValueError(f"H must be the network outputs on X, a real array with {self.n} rows; got "
                             f"{type(H).__name__} of dtype {H.dtype}")
        if not np.isfinite(H).all():
            raise ValueError("H contains non-finite values (NaN or inf)")
        sel = self._E[:, self.peak_index]
        h = H[:, self.output] if H.ndim == 2 else H
        if h.shape != (self.n,):
            raise ValueError(f"H must have {self.n} rows (one per input); got shape {H.shape}")
        h_hat = (h.astype(sel.real.dtype, copy=False) @ sel) / self.n
        y_hat = self.y_hat[self.peak_index]
        rel = np.abs(h_hat - y_hat) / np.abs(y_hat)
        return {float(k): float(v) for k, v in zip(self.peaks, rel)}
