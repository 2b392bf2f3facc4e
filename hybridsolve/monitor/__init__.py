"""The shared spectral-error monitor: every solver's iterates, measured frequency by frequency.

:class:`SpectralMonitor` observes full-grid iterates ``u`` (boundary included) and appends one
:class:`~hybridsolve.history.Record` per observation to ``monitor.history`` with

* ``error_inf`` = ‖u − u_ref‖∞ and ``error_l2`` = (Π h_d · Σ (u − u_ref)²)^½ over all grid points,
* ``residual`` = ‖b − A u‖₂ over the unknowns (the iterate's interior with the problem's
  boundary values, SciPy's convention, as in :mod:`hybridsolve.stopping`),
* ``delta_F`` = {k: Δ_F(k)} with Δ_F(k) = |ĥ_k − û_k| / |û_k| from complex coefficients (phase
  errors count) at the selected peaks of |û_ref| (in 2-D / 3-D: the ratio of root-sum-squares
  over the shell round(|k|) = k),
* ``band_low`` / ``band_high`` = ‖(ĥ − û) over shells |k| < k_c‖₂ / ‖û‖₂ (resp. |k| ≥ k_c), so
  ``band_low² + band_high²`` is the squared relative spectral error,
* ``finite`` (False for an iterate with NaN/inf: recorded with NaN metrics and a RuntimeWarning,
  never dropped), and with ``spectrum=True`` ``error_spectrum`` = the root-sum-square amplitude
  of ĥ − û per shell (``|ĥ_k − û_k|`` in 1-D; shell ``round(|k|) = k`` in 2-D / 3-D).

References: ``"exact"`` (the analytic u_ref), ``"discrete"`` (u* from the DST direct solver), a
full-grid array, or ``None``: then errors are measured against u* *through the residual*,
``ê_k = −r̂_k / μ_k`` (``r = b − A u = A(u* − u)``), so no reference array is ever formed per
observation; only the spectrum of u* (for the Δ_F denominators) is computed once.

Bases: ``"dft"`` (the paper's Figure 4: complex DFT over all n+1 points per axis) and ``"dst"``
(the type-I sine basis, eigenbasis of A and of Jacobi). See :mod:`hybridsolve.spectral` for the
normalisations.

>>> import numpy as np, hybridsolve as hs
>>> prob = hs.problems.paper_1d(n=1000)
>>> mon = hs.SpectralMonitor(prob, reference="exact", basis="dft", peaks="auto")
>>> mon.peaks
[1, 8]
>>> rec = mon.observe(prob.initial_guess(), phase="jacobi", step=0, time=0.0)
>>> [round(rec["delta_F"][k], 6) for k in mon.peaks]     # u = 0: every frequency 100 % wrong
[1.0, 1.0]
>>> e = mon.error_spectrum(prob.discrete_solution())      # residual-based: zero at u*
>>> bool(np.max(np.abs(e)) < 1e-10)
True
"""
from __future__ import annotations

import math
import time as _time
import warnings

import numpy as np

from .. import operators
from .._util import require_int, require_positive
from ..history import History, Record
from ..spectral import eigenvalues, error_from_residual, error_spectrum, idst
from .bands import band_cutoff
from .basis import BASES, SpectralBasis
from .peaks import select_peaks
from .reference import resolve_reference
from .checks import ErrorSpectrum  # noqa: F401  (the check-time annotator, hybridsolve.monitor.checks)

__all__ = ["SpectralMonitor", "first_below"]

class SpectralMonitor:
    """Observe iterates of a :class:`~hybridsolve.PoissonProblem`; see the module docstring.

    Parameters (keyword-only after ``problem``)
    ----------
    reference : ``"exact"`` (default), ``"discrete"``, a full-grid array, or ``None`` (errors against
        u* from the residual).
    basis : ``"dft"`` (default) or ``"dst"``.
    peaks : ``"auto"`` (local maxima of |û_ref| per shell above ``peak_threshold`` × max, see
        :func:`hybridsolve.spectral.spectral_peaks`), a list of integer frequencies (shells in 2-D/3-D),
        or ``None`` / ``[]`` for none.
    bands : cutoff k_c between the low and the high band (default ``round(sqrt(k_max))``).
    spectrum : also record the error spectrum per shell in every record.
    residual : record ‖b − A u‖₂ (always computed with ``reference=None``).
    peak_threshold, max_peaks : passed to ``spectral_peaks`` for ``peaks="auto"``.

    Attributes: ``history`` (a :class:`~hybridsolve.History`; its ``meta["monitor"]`` carries the
    settings and, as arrays, the frequency axis ``k``, the reference amplitude ``ref_amplitude`` and,
    for grids up to 200 000 points, ``x`` (1-D) and ``u_ref``), ``peaks``, ``band_cutoff``,
    ``overhead``
    (seconds spent observing), ``nonfinite`` (steps of non-finite iterates).
    """

    def __init__(self, problem, *, reference="exact", basis: str = "dft", peaks="auto", bands=None,
                 spectrum: bool = False, residual: bool = True, peak_threshold: float = 0.02,
                 max_peaks: int | None = None, **unknown):
        if unknown:
            valid = ("reference", "basis", "peaks", "bands", "spectrum", "residual", "peak_threshold", "max_peaks")
            raise ValueError(f"unknown option(s) {', '.join(map(repr, sorted(unknown)))} for SpectralMonitor; "
                             f"valid options: {', '.join(valid)}")
        from ..problem import require_problem

        require_problem(problem)
        peak_threshold = require_positive("peak_threshold", peak_threshold, allow_zero=True)
        max_peaks = require_int("max_peaks", max_peaks, minimum=1, allow_none=True)
        if not (isinstance(basis, str) and basis in BASES):
            SpectralBasis(problem.grid, basis, None)   # raises the basis error before any work

        self.problem = problem
        grid = problem.grid
        self.grid = grid
        self.spectrum = bool(spectrum)
        self.overhead = 0.0
        self.nonfinite: list = []
        self._t0 = None
        self.reference_kind, self._ref = resolve_reference(problem, reference)
        self.compute_residual = bool(residual) or self._ref is None
        self._mu = eigenvalues(grid)
        self._cell = float(np.prod(grid.h))
        ref_for_spectrum = self._ref if self._ref is not None else problem.discrete_solution()
        self._u_star = None if self._ref is not None else ref_for_spectrum
        self._basis = SpectralBasis(grid, basis, ref_for_spectrum)
        self.basis = basis
        self.bins = self._basis.bins
        self.ref_hat = self._basis.ref_hat
        self.ref_amplitude = self._basis.amplitude
        self.k_min, self.k_max = self._basis.k_min, self._basis.k_max
        self.peaks = select_peaks(peaks, self._basis, threshold=peak_threshold, max_peaks=max_peaks)
        self._peak_idx = np.array(self.peaks, dtype=np.intp)
        self._peak_den = np.sqrt(self._basis.ref_shell[self._peak_idx]) if self.peaks else np.zeros(0)
        kc = self.band_cutoff = band_cutoff(bands, self._basis)
        self._band_den = math.sqrt(self._basis.ref_norm2) if self._basis.ref_norm2 > 0 else 1.0

        # history with what figures need ------------------------------------------------------
        meta = {
            "problem": problem.name, "dim": grid.dim, "n": list(grid.n), "bounds": [list(b) for b in grid.bounds],
            "basis": basis, "reference": self.reference_kind, "peaks": list(self.peaks),
            "band_cutoff": kc, "peak_threshold": float(peak_threshold),
            "k": np.arange(self.bins.nbins), "ref_amplitude": self.ref_amplitude.copy(),
        }
        if grid.size <= 200_000:
            if grid.dim == 1:
                meta["x"] = grid.coords[0].copy()
            meta["u_ref"] = np.array(ref_for_spectrum, dtype=float)
        self.history = History(meta={"monitor": meta})

    # -- core numerics ---------------------------------------------------------------------------
    def error_spectrum(self, u: np.ndarray) -> np.ndarray:
        """Exact sine coefficients ``ê`` of ``u − u*`` on the interior, from the residual alone:
        ``ê_k = −r̂_k / μ_k`` (``r = b − A u``), normalised so that ``(u − u*)_interior = Σ_k ê_k v_k``
        with ``v_k,i = Π_d sin(i_d k_d π / n_d)`` (``|v_k| ≤ 1``). Shape ``grid.interior_shape``.
        Needs no reference (:func:`hybridsolve.spectral.error_spectrum` with the monitor's cached ``μ``);
        the adaptive switch policy combines it with Jacobi's ``λ_k``.

        >>> import numpy as np, hybridsolve as hs
        >>> p = hs.problems.sine(1, 16, 1)
        >>> mon = hs.SpectralMonitor(p, reference=None, basis="dst")
        >>> u = p.discrete_solution(); u[1:-1] += 0.1 * np.sin(3 * np.pi * p.grid.coords[0][1:-1])
        >>> np.round(mon.error_spectrum(u)[:4], 12).tolist()
        [0.0, 0.0, 0.1, 0.0]
        """
        return error_spectrum(self.problem, self._check(u), mu=self._mu)

    def _check(self, u) -> np.ndarray:
        u = np.asarray(u)
        if u.shape != self.grid.shape:
            extra = ""
            if u.shape == self.grid.interior_shape:
                extra = " — this looks like interior values only; pass the full grid with boundary values in place"
            raise ValueError(f"iterate u has shape {u.shape}; the monitor expects the full grid {self.grid.shape} "
                             f"(n+1 points per axis, boundary included){extra}")
        if u.dtype != np.float64:
            u = u.astype(np.float64)
        return u

    # -- observation -----------------------------------------------------------------------------
    def observe(self, u, *, phase: str, step: int, time: float | None = None) -> Record:
        """Measure one iterate and append the record to ``history`` (also returned).

        ``time`` is the solver's time on its run's timeline (recorded as given); ``None`` means wall time
        since the first observation minus the monitor's own overhead.
        """
        t_enter = _time.perf_counter()
        if self._t0 is None:
            self._t0 = t_enter
        u = self._check(u)
        if time is None:
            time = t_enter - self._t0 - self.overhead
        data: dict = {}
        if not bool(np.isfinite(u).all()):
            bad = int(np.count_nonzero(~np.isfinite(u)))
            self.nonfinite.append((phase, int(step)))
            warnings.warn(f"SpectralMonitor: iterate at phase={phase!r} step={step} has {bad} non-finite value(s); "
                          "recorded with finite=False and NaN metrics", RuntimeWarning, stacklevel=2)
            nan = math.nan
            data = {"finite": False, "nonfinite": bad, "error_inf": nan, "error_l2": nan,
                    "delta_F": {k: nan for k in self.peaks}, "band_low": nan, "band_high": nan}
            if self.compute_residual:
                data["residual"] = nan
            if self.spectrum:
                data["error_spectrum"] = np.full(self.bins.nbins, nan)
        else:
            data["finite"] = True
            # the problem's boundary values in the stencil: ê is then the interior error against u*
            r = operators.residual(self.problem, u, boundary="problem") if self.compute_residual else None
            if r is not None:
                data["residual"] = math.sqrt(_sumsq(r))
            e_hat = None
            if self._ref is not None:
                e = u - self._ref
            else:
                e_hat = error_from_residual(r, self._mu)
                e = u - self._u_star  # boundary part: iterate vs the problem's boundary values
                e[self.grid.interior] = idst(e_hat)
            data["error_inf"] = float(np.max(np.abs(e)))
            data["error_l2"] = math.sqrt(self._cell * _sumsq(e))
            shells = self._basis.shell_power(e, e_hat)
            if self.peaks:
                vals = np.sqrt(shells[self._peak_idx]) / self._peak_den
                data["delta_F"] = dict(zip(self.peaks, vals.tolist()))
            else:
                data["delta_F"] = {}
            kc = self.band_cutoff
            data["band_low"] = math.sqrt(float(shells[:kc].sum())) / self._band_den
            data["band_high"] = math.sqrt(float(shells[kc:].sum())) / self._band_den
            if self.spectrum:
                data["error_spectrum"] = np.sqrt(shells)
        rec = Record(str(phase), int(step), float(time), data)
        self.history.append(rec)
        self.overhead += _time.perf_counter() - t_enter
        return rec

    def __repr__(self) -> str:
        return (f"SpectralMonitor(problem={self.problem.name!r}, basis={self.basis!r}, reference={self.reference_kind!r}, "
                f"peaks={self.peaks}, records={len(self.history)})")


def _sumsq(a: np.ndarray) -> float:
    """Σ a² without BLAS (whose spinning threads stall on a loaded machine)."""
    flat = a.reshape(-1)
    return float(np.einsum("i,i->", flat, flat))


def first_below(history: History, threshold: float = 0.1, *, phase: str | None = None, key: str = "delta_F",
                sustained: bool = False) -> dict:
    """For each frequency of ``history``'s ``delta_F``: the first recorded step where it is below
    ``threshold`` (None if never). ``sustained=True`` asks instead for the first step from which it
    stays below until the last record (a transient dip does not count). ``phase`` restricts to one phase.

    >>> h = History([Record("dnn", s, 0.0, {"delta_F": {1: d1, 8: d8}})
    ...              for s, d1, d8 in [(0, 1.0, 1.0), (10, 0.05, 0.09), (20, 0.04, 0.5), (30, 0.03, 0.08)]])
    >>> first_below(h, 0.1), first_below(h, 0.1, sustained=True)
    ({1: 10, 8: 10}, {1: 10, 8: 30})
    """
    h = history.phase(phase) if phase is not None else history
    steps = h.steps()
    out = {}
    for k in h.keys(key):
        below = h.series(key, k) < threshold
        if sustained:
            above = np.flatnonzero(~below)
            start = 0 if above.size == 0 else above[-1] + 1
            out[k] = int(steps[start]) if start < len(steps) else None
        else:
            hit = np.flatnonzero(below)
            out[k] = int(steps[hit[0]]) if hit.size else None
    return out
