"""SpectralMonitor against independent dense computations, its bad-input errors, its history, and the
science: Jacobi converges high frequencies first, a DNN low frequencies first (the F-Principle)."""
import itertools
import math
import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse.linalg

import hybridsolve as hs
from hybridsolve.history import History, Record
from hybridsolve.monitor import SpectralMonitor, first_below
from hybridsolve.operators import matrix, rhs


def _dense_dft(u):
    """Complex DFT over all points by explicit matrices (no FFT)."""
    out = np.asarray(u, dtype=complex)
    for d, N in enumerate(u.shape):
        i = np.arange(N)
        F = np.exp(-2j * np.pi * np.outer(i, i) / N) / N
        out = np.moveaxis(np.tensordot(F, out, axes=([1], [d])), 0, d)
    return out


def _dense_sine_coeffs(v, n):
    """Coefficients c with v = Σ_k c_k Π sin(i_d k_d π / n_d), by solving with the explicit basis."""
    out = np.asarray(v, dtype=float)
    for d, nd in enumerate(n):
        i = np.arange(1, nd)
        S = np.sin(np.outer(i, i) * np.pi / nd)
        out = np.moveaxis(np.tensordot(np.linalg.inv(S), out, axes=([1], [d])), 0, d)
    return out


def _dense_u_star(prob):
    """u* by a dense solve of A u = b (independent of the DST solver)."""
    u = prob.boundary_values.copy()
    x = scipy.linalg.solve(matrix(prob.grid).toarray(), rhs(prob).ravel(), assume_a="pos")
    u[prob.grid.interior] = x.reshape(prob.grid.interior_shape)
    return u


# -- against dense computations ----------------------------------------------------------------------
def test_dft_delta_f_errors_and_residual_match_dense_1d():
    prob = hs.problems.paper_1d(n=40)
    rng = np.random.default_rng(0)
    u = prob.u_exact + 0.05 * rng.standard_normal(prob.grid.shape)
    mon = SpectralMonitor(prob, reference="exact", basis="dft", peaks=[1, 3, 5], spectrum=True)
    rec = mon.observe(u, phase="x", step=7, time=1.5)
    H, U = _dense_dft(u), _dense_dft(prob.u_exact)
    for k in (1, 3, 5):
        assert math.isclose(rec["delta_F"][k], abs(H[k] - U[k]) / abs(U[k]), rel_tol=1e-10)
    e = u - prob.u_exact
    assert math.isclose(rec["error_inf"], np.max(np.abs(e)), rel_tol=1e-12)
    assert math.isclose(rec["error_l2"], np.sqrt(0.05 * np.sum(e * e)), rel_tol=1e-12)
    r = rhs(prob).ravel() - matrix(prob.grid) @ u[1:-1]
    assert math.isclose(rec["residual"], np.linalg.norm(r), rel_tol=1e-10)
    assert np.allclose(rec["error_spectrum"], np.abs(H - U)[: 41 // 2 + 1])
    kc = mon.band_cutoff
    ref_norm = np.sqrt(np.sum(np.abs(U[: 41 // 2 + 1]) ** 2))
    assert math.isclose(rec["band_low"], np.sqrt(np.sum(np.abs(H - U)[:kc] ** 2)) / ref_norm, rel_tol=1e-10)
    assert math.isclose(rec["band_high"], np.sqrt(np.sum(np.abs(H - U)[kc: 41 // 2 + 1] ** 2)) / ref_norm, rel_tol=1e-10)
    assert rec.phase == "x" and rec.step == 7 and rec.time == 1.5 and rec["finite"] is True


def test_dst_delta_f_matches_explicit_sine_basis_2d_shells():
    prob = hs.problems.multiscale_2d(n=16)
    rng = np.random.default_rng(1)
    u = prob.u_exact + 0.01 * rng.standard_normal(prob.grid.shape)
    mon = SpectralMonitor(prob, reference="exact", basis="dst", peaks="auto")
    assert mon.peaks == [1, 5, 16]  # the three sine modes (1,1), (4,3), (12,10): |k| = 1.4, 5, 15.6
    rec = mon.observe(u, phase="x", step=0, time=0.0)
    c_u = _dense_sine_coeffs(u[1:-1, 1:-1], (16, 16))
    c_r = _dense_sine_coeffs(prob.u_exact[1:-1, 1:-1], (16, 16))
    num = np.zeros(40)
    den = np.zeros(40)
    for a, b in itertools.product(range(15), range(15)):
        s = int(round(math.hypot(a + 1, b + 1)))
        num[s] += (c_u[a, b] - c_r[a, b]) ** 2
        den[s] += c_r[a, b] ** 2
    for k in mon.peaks:
        assert math.isclose(rec["delta_F"][k], math.sqrt(num[k] / den[k]), rel_tol=1e-9)


@pytest.mark.parametrize("name,n", [("smooth_1d", 24), ("smooth_2d", (10, 8)), ("smooth_3d", 6)])
def test_residual_error_spectrum_is_the_true_error_spectrum(name, n):
    """ê_k = −r̂_k/μ_k equals the sine coefficients of u − u*, u* from a dense solve (non-zero boundary)."""
    prob = hs.problems.get(name, n=n)
    rng = np.random.default_rng(2)
    u = prob.initial_guess() + rng.standard_normal(prob.grid.shape)
    u_star = _dense_u_star(prob)
    mon = SpectralMonitor(prob, reference=None, basis="dst", peaks=None)
    e_hat = mon.error_spectrum(u)
    expect = _dense_sine_coeffs((u - u_star)[prob.grid.interior], prob.grid.n)
    assert np.allclose(e_hat, expect, atol=1e-9 * np.abs(expect).max())
    # reference=None gives the same numbers as an explicit u* reference (boundary mismatch included)
    u[(0,) * prob.dim] += 0.5
    rec_none = mon.observe(u, phase="x", step=0, time=0.0)
    mon_arr = SpectralMonitor(prob, reference=u_star, basis="dst", peaks=None)
    rec_arr = mon_arr.observe(u, phase="x", step=0, time=0.0)
    for key in ("error_inf", "error_l2", "band_low", "band_high", "residual"):
        assert math.isclose(rec_none[key], rec_arr[key], rel_tol=1e-8), key


def test_reference_none_dft_matches_discrete_reference():
    prob = hs.problems.paper_1d(n=200)
    rng = np.random.default_rng(3)
    u = prob.discrete_solution() + 0.01 * rng.standard_normal(prob.grid.shape)
    a = SpectralMonitor(prob, reference=None, basis="dft", peaks=[1, 3, 8]).observe(u, phase="x", step=0, time=0.0)
    b = SpectralMonitor(prob, reference="discrete", basis="dft", peaks=[1, 3, 8]).observe(u, phase="x", step=0, time=0.0)
    for k in (1, 3, 8):
        assert math.isclose(a["delta_F"][k], b["delta_F"][k], rel_tol=1e-8)
    assert math.isclose(a["error_inf"], b["error_inf"], rel_tol=1e-10)


def test_dft_shells_2d_and_3d_and_auto_peaks():
    prob = hs.problems.multiscale_3d(n=8)
    mon = SpectralMonitor(prob, reference="exact", basis="dft", peaks="auto", spectrum=True)
    assert mon.peaks and all(mon.k_min <= k <= mon.k_max for k in mon.peaks)
    rec = mon.observe(prob.initial_guess(), phase="x", step=0, time=0.0)
    # from zero, ĥ − û = −û: every Δ_F is exactly 1, band_low² + band_high² = 1
    assert all(math.isclose(v, 1.0, rel_tol=1e-12) for v in rec["delta_F"].values())
    assert math.isclose(rec["band_low"] ** 2 + rec["band_high"] ** 2, 1.0, rel_tol=1e-12)
    assert rec["error_spectrum"].shape == (mon.bins.nbins,)


# -- bad input -------------------------------------------------------------------------------------------
def test_bad_input_raises_clear_value_errors():
    prob = hs.problems.paper_1d(n=100)
    mon = SpectralMonitor(prob)
    with pytest.raises(ValueError, match=r"shape \(50,\).*full grid \(101,\)"):
        mon.observe(np.zeros(50), phase="x", step=0)
    with pytest.raises(ValueError, match="interior values only"):
        mon.observe(np.zeros(99), phase="x", step=0)
    with pytest.raises(ValueError, match="peak k=70 is out of range"):
        SpectralMonitor(prob, peaks=[1, 70])
    with pytest.raises(ValueError, match="peak k=0 is out of range"):
        SpectralMonitor(prob, basis="dst", peaks=[0])
    with pytest.raises(ValueError, match=r"\|û_k\| = 0"):
        SpectralMonitor(prob, basis="dst", peaks=[3])  # odd u_ref: odd sine modes vanish
    with pytest.raises(ValueError, match="integer"):
        SpectralMonitor(prob, peaks=[1.5])
    no_exact = hs.PoissonProblem(domain=[(0, 1)], n=16, source=1.0)
    with pytest.raises(ValueError, match="reference='exact' needs an analytic solution"):
        SpectralMonitor(no_exact, reference="exact")
    SpectralMonitor(no_exact, reference=None)  # fine: errors against u* from the residual
    with pytest.raises(ValueError, match="basis='fft'"):
        SpectralMonitor(prob, basis="fft")
    with pytest.raises(ValueError, match="reference='analytic'"):
        SpectralMonitor(prob, reference="analytic")
    with pytest.raises(ValueError, match="reference array has shape"):
        SpectralMonitor(prob, reference=np.zeros(7))
    with pytest.raises(ValueError, match="bands cutoff"):
        SpectralMonitor(prob, bands=1000)
    with pytest.raises(ValueError, match="peaks='top'"):
        SpectralMonitor(prob, peaks="top")
    with pytest.raises(TypeError):
        SpectralMonitor(prob, "exact")  # options are keyword-only
    with pytest.raises(ValueError, match="unknown option.*'peak'.*valid options: reference"):
        SpectralMonitor(prob, peak=[1])
    with pytest.raises(ValueError, match="peak_threshold"):
        SpectralMonitor(prob, peak_threshold=-1)


def test_nonfinite_iterate_is_recorded_flagged_and_reported():
    prob = hs.problems.paper_1d(n=100)
    mon = SpectralMonitor(prob, spectrum=True)
    u = prob.initial_guess()
    mon.observe(u, phase="jacobi", step=0, time=0.0)
    u[10] = np.nan
    u[11] = np.inf
    with pytest.warns(RuntimeWarning, match="2 non-finite"):
        rec = mon.observe(u, phase="jacobi", step=5, time=0.1)
    assert len(mon.history) == 2 and mon.history.last is rec
    assert rec["finite"] is False and rec["nonfinite"] == 2
    assert math.isnan(rec["error_inf"]) and all(math.isnan(v) for v in rec["delta_F"].values())
    assert np.all(np.isnan(rec["error_spectrum"]))
    assert mon.nonfinite == [("jacobi", 5)]


def test_given_time_recorded_as_is_overhead_and_default_time():
    prob = hs.problems.paper_1d(n=64)
    mon = SpectralMonitor(prob)
    assert not hasattr(mon, "time_offset")   # timelines belong to the solver's clock, never to the monitor
    rec = mon.observe(prob.initial_guess(), phase="jacobi", step=3, time=12.0)
    assert rec.time == 12.0
    rec2 = mon.observe(prob.initial_guess(), phase="jacobi", step=4)
    assert rec2.time >= 0.0
    assert mon.overhead > 0


def test_history_round_trip_with_arrays(tmp_path):
    prob = hs.problems.paper_1d(n=64)
    mon = SpectralMonitor(prob, spectrum=True, peaks=[1, 3, 8])
    u = prob.initial_guess()
    for s in range(3):
        mon.observe(u, phase="jacobi", step=s, time=0.1 * s)
        u[1:-1] = 0.5 * (u[:-2] + u[2:] + prob.grid.h[0] ** 2 * prob.f[1:-1])
    mon.history.save(tmp_path / "h")
    h = History.load(tmp_path / "h.json")
    assert len(h) == 3 and h.phases == ["jacobi"]
    meta = h.meta["monitor"]
    assert isinstance(meta["u_ref"], np.ndarray) and np.array_equal(meta["u_ref"], prob.u_exact)
    assert np.array_equal(meta["x"], prob.grid.coords[0]) and np.array_equal(meta["k"], mon.history.meta["monitor"]["k"])
    assert meta["peaks"] == [1, 3, 8] and meta["basis"] == "dft"
    for a, b in zip(h, mon.history):
        assert a.delta_F == b.delta_F and a.time == b.time and a.step == b.step
        assert np.array_equal(a["error_spectrum"], b["error_spectrum"])
    ks, M = h.matrix("delta_F")
    assert ks == [1, 3, 8] and M.shape == (3, 3)


def test_first_below_transient_and_phase():
    h = History([Record("dnn", 0, 0.0, {"delta_F": {1: 1.0}}), Record("dnn", 5, 0.0, {"delta_F": {1: 0.05}}),
                 Record("jacobi", 0, 0.0, {"delta_F": {1: 0.01}})])
    assert first_below(h, 0.1, phase="dnn") == {1: 5}
    assert first_below(h, 0.01, phase="dnn") == {1: None}


# -- the science ---------------------------------------------------------------------------------------
def test_jacobi_converges_high_frequencies_first_numpy_reference():
    """An independent NumPy Jacobi loop (ω = 1, from zero) on paper_1d, n = 1000: the highest peak reaches
    Δ_F < 0.1 first and the lowest last — and the packaged solver records the same numbers."""
    prob = hs.problems.paper_1d(n=1000)
    mon = SpectralMonitor(prob, peaks=[1, 3, 8])
    assert SpectralMonitor(prob).peaks == [1, 8]
    u = prob.initial_guess()
    b = rhs(prob)
    h2 = prob.grid.h[0] ** 2
    for s in range(0, 130_001):
        if s % 1000 == 0:
            mon.observe(u, phase="jacobi", step=s, time=0.0)
        u[1:-1] = 0.5 * (u[:-2] + u[2:] + h2 * b)
    first = first_below(mon.history, 0.1)
    assert first[8] is not None and first[3] is not None and first[1] is not None
    assert first[8] < first[3] < first[1]
    # DFT frequency k (k cycles over the domain) is the Jacobi sine mode 2k, damped by cos(2kπ/n) per sweep
    for k in (1, 3, 8):
        predicted = math.log(0.1) / math.log(math.cos(2 * k * math.pi / 1000))
        assert abs(first[k] - predicted) <= 0.1 * predicted + 1000, (k, first[k], predicted)
    # the packaged solver records the same numbers as the NumPy loop
    mon2 = SpectralMonitor(prob, peaks=[1, 3, 8])
    hs.solve(prob, "jacobi", maxiter=5000, rtol=1e-15, monitor=mon2, observe_every=1000)
    for s in (1000, 5000):
        a = [r for r in mon.history if r.step == s][0]
        c = [r for r in mon2.history if r.step == s][0]
        for k in (1, 3, 8):
            assert math.isclose(a["delta_F"][k], c["delta_F"][k], rel_tol=1e-8)


def test_dnn_converges_low_frequencies_first():
    """A real DNN (Deep Ritz, the paper's Ritz loss and β = 10, tanh) trained on paper_1d: the lowest
    peak reaches Δ_F < 0.1 before the highest (F-Principle). Smaller than the paper's network and grid
    (1-64-64-1, n = 200, lr 1e-2, init N(0, 0.3²)) so that it runs in seconds; the peaks are the same
    frequencies k = 1 and 8 (DFT over all n+1 points)."""
    torch = pytest.importorskip("torch")
    from hybridsolve.solvers.deep_ritz import DeepRitz

    torch.manual_seed(0)
    prob = hs.problems.paper_1d(n=200)
    mon = SpectralMonitor(prob, reference="exact", basis="dft", peaks="auto", residual=False)
    assert mon.peaks == [1, 8]
    dr = DeepRitz(prob, widths=(1, 64, 64, 1), init_std=0.3, lr=1e-2, loss="ritz", beta=10.0, seed=0)

    def done(_xk):
        f = first_below(mon.history, 0.1)
        return f[8] is not None and f[1] is not None

    dr.run(6000, monitor=mon, observe_every=20, callback=done)
    first = first_below(mon.history, 0.1)
    assert first[1] is not None, first
    assert first[8] is not None, f"highest peak never reached Δ_F < 0.1 in {dr.steps_done} steps: {first}"
    assert first[1] < first[8], first
    stay = first_below(mon.history, 0.1, sustained=True)
    assert stay[1] < stay[8], stay
