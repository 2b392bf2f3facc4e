"""hybridsolve.spectral against independent dense computations (explicit DFT matrices, explicit sine
bases, the explicit Jacobi and Gauss–Seidel iteration matrices, SciPy's sparse LU, brute-force maxima,
a plain bisection search)."""
import ast
import itertools
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse.linalg as spla

import hybridsolve as hs
from hybridsolve import operators, spectral
from hybridsolve.operators import matrix

SPECTRAL_DIR = Path(spectral.__file__).parent


def _dft_matrix(N):
    i = np.arange(N)
    return np.exp(-2j * np.pi * np.outer(i, i) / N) / N


def _sine_matrix(n):
    i = np.arange(1, n)
    return np.sin(np.outer(i, i) * np.pi / n)  # rows: points i, columns: modes k


def test_dft_matches_dense_matrix_1d_2d():
    rng = np.random.default_rng(0)
    u = rng.standard_normal(13)
    dense = _dft_matrix(13) @ u
    assert np.allclose(spectral.dft(u), dense[: 13 // 2 + 1])
    u2 = rng.standard_normal((7, 9))
    dense2 = _dft_matrix(7) @ u2 @ _dft_matrix(9).T
    assert np.allclose(spectral.dft(u2), dense2[:, : 9 // 2 + 1])


@pytest.mark.parametrize("shape", [(11,), (5, 7), (4, 5, 3)])
def test_dst_is_the_sine_expansion(shape):
    """v = Σ_k ĉ_k v_k with v_k,i = Π sin(i_d k_d π / n_d): compare with the explicit basis."""
    rng = np.random.default_rng(1)
    c = rng.standard_normal(shape)
    v = c
    for d, m in enumerate(shape):  # apply the explicit sine matrix along each axis
        v = np.moveaxis(np.tensordot(_sine_matrix(m + 1), v, axes=([1], [d])), 0, d)
    assert np.allclose(spectral.dst(v), c)
    assert np.allclose(spectral.idst(c), v)


def test_dft_frequencies_and_radial_bins_match_explicit_loop():
    shape = (6, 7)
    fr = spectral.dft_frequencies(shape)
    assert fr[0].tolist() == [0, 1, 2, -3, -2, -1]
    assert fr[1].tolist() == [0, 1, 2, 3]
    bins = spectral.RadialBins(fr, one_sided_last=7)
    rng = np.random.default_rng(2)
    full = np.fft.fftn(rng.standard_normal(shape))
    half = full[:, :4]
    # explicit: sum |c|² over the full two-sided spectrum, shell = round(|k|)
    expect = np.zeros(bins.nbins)
    for i, j in itertools.product(range(6), range(7)):
        ki = i if i <= 3 else i - 6
        kj = j if j <= 3 else j - 7
        expect[int(round(np.hypot(ki, kj)))] += abs(full[i, j]) ** 2
    assert np.allclose(bins.sums(np.abs(half) ** 2), expect)


def test_spectral_peaks_properties():
    assert spectral.spectral_peaks([0, 3, 1, 2, 0.5]) == [1, 3]
    assert spectral.spectral_peaks([1, 0, 0]) == [0]
    assert spectral.spectral_peaks(np.zeros(5)) == []
    # a rounding-level tail wiggle is not a peak
    a = np.array([0.0, 1.0, 0.1, 1e-9, 2e-9, 1e-9])
    assert spectral.spectral_peaks(a) == [1]
    assert spectral.spectral_peaks([0, 5, 0, 4, 0, 0, 0, 3, 1], max_peaks=2) == [1, 7]
    with pytest.raises(ValueError, match="1-D"):
        spectral.spectral_peaks(np.ones((2, 2)))


def test_auto_peaks_of_paper_targets():
    """paper_1d at n = 1000, DFT over all 1001 points: the two strict local maxima are k = 1 (sin x and
    sin 4x share the first bin) and k = 8 (sin 24x, 24/π ≈ 7.6); sin 8x is a shoulder at k = 3. The
    sine spectrum of the odd u_ref lives on even k only, and the peaks skip those exact zeros."""
    p = hs.problems.paper_1d(n=1000)
    amp = np.abs(spectral.dft(p.u_exact))
    assert spectral.spectral_peaks(amp) == [1, 8]
    s = np.abs(spectral.dst(p.u_exact[1:-1]))
    assert spectral.spectral_peaks(np.concatenate(([0.0], s))) == [2, 16]
    x = np.linspace(-3.14, 3.14, 201)
    assert spectral.spectral_peaks(np.abs(spectral.dft(np.sin(x) + np.sin(3 * x) + np.sin(5 * x)))) == [1, 3, 5]


def test_jacobi_factors_are_the_eigenvalues_of_the_iteration_matrix():
    grid = hs.Grid([(0, 1), (0, 2)], (6, 5))
    omega = 0.8
    A = matrix(grid).toarray()
    D = np.diag(A)
    R = np.eye(len(D)) - omega * A / D[:, None]
    lam = spectral.jacobi_factors(grid, omega)
    for k1, k2 in itertools.product(range(1, 6), range(1, 5)):
        i1, i2 = np.meshgrid(np.arange(1, 6), np.arange(1, 5), indexing="ij")
        v = (np.sin(i1 * k1 * np.pi / 6) * np.sin(i2 * k2 * np.pi / 5)).ravel()
        assert np.allclose(R @ v, lam[k1 - 1, k2 - 1] * v)
    g1 = hs.Grid([(-1, 1)], 1000)
    assert np.allclose(spectral.jacobi_factors(g1), np.cos(np.arange(1, 1000) * np.pi / 1000))


def _brute_sup(n):
    i = np.arange(1, n)
    return np.abs(np.sin(np.outer(i, i) * np.pi / n)).max(axis=0)   # max over points i, per mode k


def test_mode_sup_norms_exact_against_brute_force_every_n_up_to_300():
    for n in range(2, 301):
        np.testing.assert_allclose(spectral.mode_sup_norms(hs.Grid([(0, 1)], n)), _brute_sup(n), rtol=0, atol=1e-13)


@pytest.mark.parametrize("n", [(2, 6), (5, 6), (8, 6), (12, 6), (30, 6), (31, 6), (12, 7), (30, 31), (5, 8, 9)])
def test_mode_sup_norms_are_products_over_axes(n):
    g = hs.Grid([(0, 1)] * len(n), n)
    expect = _brute_sup(n[0])
    for nd in n[1:]:
        expect = np.multiply.outer(expect, _brute_sup(nd))
    np.testing.assert_allclose(spectral.mode_sup_norms(g), expect, atol=1e-13)
    # the sup norm of the explicit 2-D / 3-D mode on the grid points, for a few modes
    for k in [(1,) * len(n), tuple(nd - 1 for nd in n), tuple(max(1, nd // 3) for nd in n)]:
        pts = np.meshgrid(*[np.arange(1, nd) for nd in n], indexing="ij")
        v = np.prod([np.sin(i * kd * np.pi / nd) for i, kd, nd in zip(pts, k, n)], axis=0)
        assert spectral.mode_sup_norms(g)[tuple(kd - 1 for kd in k)] == pytest.approx(np.abs(v).max(), abs=1e-13)


def test_cost_model_bounds_the_true_jacobi_error():
    """Σ |λ_k|^N |ê_k| ‖v_k‖∞ ≥ ‖e_N‖∞ for a real Jacobi run, and sweeps_to_reach is the first N meeting tol."""
    grid = hs.Grid([(0, 1)], 32)
    rng = np.random.default_rng(3)
    e = rng.standard_normal(31)
    lam = spectral.jacobi_factors(grid, 2 / 3)
    sup = spectral.mode_sup_norms(grid)
    e_hat = spectral.dst(e)
    A = matrix(grid).toarray()
    R = np.eye(31) - (2 / 3) * A / np.diag(A)[:, None]
    cur = e.copy()
    for N in range(0, 60):
        bound = spectral.jacobi_error_bound(e_hat, lam, N, sup)
        assert np.max(np.abs(cur)) <= bound * (1 + 1e-12)
        cur = R @ cur
    tol = 0.1 * spectral.jacobi_error_bound(e_hat, lam, 0)
    N = spectral.sweeps_to_reach(e_hat, lam, tol, sup_norms=sup)
    assert spectral.jacobi_error_bound(e_hat, lam, N, sup) <= tol < spectral.jacobi_error_bound(e_hat, lam, N - 1, sup)
    with pytest.raises(ValueError, match="tol"):
        spectral.sweeps_to_reach(e_hat, lam, 0.0)


# -- the predicted sweep count ----------------------------------------------------------------------
def _bisection_sweeps(w, rho, tol):
    """Independent reference: the smallest N with Σ w |ρ|^N ≤ tol, by doubling and bisection."""
    def S(N):
        return sum(wk * abs(rk) ** N for wk, rk in zip(w, rho))

    if S(0) <= tol:
        return 0
    hi = 1
    while S(hi) > tol:
        hi *= 2
    lo = hi // 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if S(mid) <= tol else (mid, hi)
    return hi


@pytest.mark.parametrize("seed", range(4))
def test_predict_sweeps_against_a_bisection_reference(seed):
    rng = np.random.default_rng(seed)
    w = rng.random(300) ** 4
    w[rng.random(300) < 0.1] = 0.0
    rho = rng.uniform(-0.999, 0.999, 300)
    rho[:3] = [0.0, 1e-17, -0.9995]
    for tol in (1e-1, 1e-3, 1e-6):
        ref = _bisection_sweeps(w, rho, tol)
        assert spectral.predict_sweeps(w, rho, tol, lump=0.0) == ref          # exact with nothing lumped
        ours = spectral.predict_sweeps(w, rho, tol)
        # lumping the tiniest weights as a constant keeps a bound, at the price of a few sweeps
        assert ref <= ours <= ref + 2 + 0.01 * ref
        assert spectral.jacobi_error_bound(w, rho, ours) <= tol
        assert spectral.sweeps_to_reach(w, rho, tol) == ref


def test_predict_sweeps_edge_cases():
    w = np.array([1.0, 0.5])
    assert spectral.predict_sweeps(w, np.array([0.5, 0.5]), 2.0) == 0               # already below tol
    assert spectral.predict_sweeps(w, np.array([1.0, 0.5]), 0.9) == math.inf         # a mode that never decays
    assert spectral.predict_sweeps(w, np.array([0.5, 0.5]), 0.0) == math.inf
    assert spectral.predict_sweeps(np.array([np.nan]), np.array([0.5]), 0.1) == math.inf
    assert spectral.predict_sweeps(w, np.array([0.0, 0.0]), 0.1) == 1                # exact solver in one sweep
    assert spectral.sweeps_to_reach(w, np.array([1.0 - 1e-12, 0.5]), 1e-3, max_sweeps=1000) is None
    with pytest.raises(ValueError, match="tol"):
        spectral.sweeps_to_reach(w, np.array([0.5, 0.5]), -1.0)


def test_gauss_seidel_model_is_exact_in_1d_for_the_low_modes():
    """Red–black Gauss–Seidel (the solver's ordering; A is consistently ordered): its non-zero eigenvalues
    are λ_J² for the Jacobi pairs ±λ_J, i.e. cos²(kπ/n) for k < n/2 — the model's values."""
    n = 16
    A = matrix(hs.Grid([(0, 1)], n)).toarray()
    i = np.arange(1, n)
    rb = np.r_[np.flatnonzero(i % 2 == 1), np.flatnonzero(i % 2 == 0)]   # red points first, then black
    A = A[np.ix_(rb, rb)]
    M = np.linalg.solve(np.tril(A), -np.triu(A, 1))
    ev = np.sort(np.abs(np.linalg.eigvals(M)))
    ev = ev[ev > 1e-10]
    model = spectral.gauss_seidel_factors(hs.Grid([(0, 1)], n))
    np.testing.assert_allclose(ev, np.sort(model[: n // 2 - 1]), rtol=1e-8)
    np.testing.assert_allclose(model, model[::-1])                            # high modes folded onto low ones
    g2 = hs.Grid([(0, 1), (0, 1)], (8, 6))
    assert spectral.sweep_factors(g2, "gauss_seidel").shape == g2.interior_shape
    np.testing.assert_array_equal(spectral.sweep_factors(g2, "jacobi", 0.7), spectral.jacobi_factors(g2, 0.7))
    with pytest.raises(ValueError, match="no per-mode sweep factors"):
        spectral.sweep_factors(g2, "multigrid")


def test_jacobi_factors_equal_relaxation_amplification():
    """The values the relaxation solver's ``amplification(problem, ω)`` gives (it may delegate here)."""
    from hybridsolve.solvers.relaxation import amplification

    for name, n in [("paper_1d", 64), ("smooth_2d", (12, 9)), ("smooth_3d", 6)]:
        p = hs.problems.get(name, n=n)
        for omega in (1.0, 2 / 3, 1.5):
            np.testing.assert_allclose(spectral.jacobi_factors(p.grid, omega), amplification(p, omega), rtol=0, atol=1e-15)
            np.testing.assert_array_equal(spectral.jacobi_factors(p, omega), spectral.jacobi_factors(p.grid, omega))


# -- the Laplacian: eigenvalues and the DST solve ------------------------------------------------------
@pytest.mark.parametrize("n", [7, (6, 9), (4, 5, 6)])
def test_solve_interior_matches_sparse_lu(rng, n):
    dims = 1 if np.ndim(n) == 0 else len(n)
    g = hs.Grid([(0.0, 1.0 + d) for d in range(dims)], n)
    b = rng.standard_normal(g.interior_shape)
    ref = spla.spsolve(matrix(g).tocsc(), b.ravel()).reshape(g.interior_shape)
    np.testing.assert_allclose(spectral.solve_interior(b, g), ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(spectral.solve_interior(b, g, mu=spectral.eigenvalues(g)), ref, rtol=1e-10, atol=1e-12)
    mu = np.sort(spectral.eigenvalues(g).ravel())
    np.testing.assert_allclose(mu, np.sort(np.linalg.eigvalsh(matrix(g).toarray())), rtol=1e-12)


@pytest.mark.parametrize("name,n", [("paper_1d", 50), ("smooth_2d", (10, 7)), ("smooth_3d", 5)])
def test_dst_solve_matches_spsolve_on_the_full_grid(name, n):
    p = hs.problems.get(name, n=n)
    u = spectral.dst_solve(p)
    ref = p.boundary_values.copy()
    ref[p.grid.interior] = spla.spsolve(matrix(p.grid).tocsc(), p.rhs().ravel()).reshape(p.grid.interior_shape)
    np.testing.assert_allclose(u, ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(p.discrete_solution(), u)      # the problem's u* is this solve


# -- the error spectrum -------------------------------------------------------------------------------
@pytest.mark.parametrize("name,n", [("smooth_1d", 24), ("multiscale_2d", 16), ("smooth_3d", (6, 5, 4))])
def test_error_spectrum_is_the_sine_transform_of_u_minus_u_star(rng, name, n):
    p = hs.problems.get(name, n=n)
    u = p.apply_boundary(rng.standard_normal(p.grid.shape))
    e = (u - p.discrete_solution())[p.grid.interior]
    expect = spectral.dst(e)
    e_hat = spectral.error_spectrum(p, u)
    np.testing.assert_allclose(e_hat, expect, atol=1e-10 * np.abs(expect).max())
    # explicit synthesis e = Σ_k ê_k v_k with the dense sine basis per axis
    synth = e_hat
    for d, nd in enumerate(p.grid.n):
        i = np.arange(1, nd)
        synth = np.moveaxis(np.tensordot(np.sin(np.outer(i, i) * np.pi / nd), synth, axes=([1], [d])), 0, d)
    np.testing.assert_allclose(synth, e, atol=1e-10 * np.abs(e).max())
    # wrong boundary values in u do not enter: ê is the interior error against u*
    v = u.copy()
    v[p.grid.boundary_mask()] += rng.standard_normal(int(p.grid.boundary_mask().sum()))
    np.testing.assert_allclose(spectral.error_spectrum(p, v), e_hat, atol=1e-10 * np.abs(expect).max())
    # the monitor and the switch's cost model use this very function
    mon = hs.SpectralMonitor(p, reference=None, basis="dst", peaks=None)
    np.testing.assert_array_equal(mon.error_spectrum(v), spectral.error_spectrum(p, v))
    r = operators.residual(p, u)
    np.testing.assert_allclose(spectral.error_from_residual(r, spectral.eigenvalues(p.grid)), e_hat, rtol=1e-12,
                               atol=1e-14 * np.abs(e_hat).max())


@pytest.mark.parametrize("name", ["smooth_1d", "smooth_2d", "smooth_3d"])
def test_residual_with_the_problems_boundary_values(rng, name):
    """``boundary="problem"``: r = rhs(problem) − A u_interior whatever u holds on the boundary."""
    p = hs.problems.get(name, n=7)
    u = rng.standard_normal(p.grid.shape)
    expect = p.rhs() - (matrix(p.grid) @ u[p.grid.interior].ravel()).reshape(p.grid.interior_shape)
    np.testing.assert_allclose(operators.residual(p, u, boundary="problem"), expect, rtol=1e-12, atol=1e-9)
    w = p.apply_boundary(u)
    np.testing.assert_allclose(operators.residual(p, w), expect, rtol=1e-12, atol=1e-9)   # same when u carries them
    with pytest.raises(ValueError, match="boundary="):
        operators.residual(p, u, boundary="exact")


# -- exact Jacobi trajectories ------------------------------------------------------------------------
@pytest.mark.parametrize("omega", [1.0, 0.8])
def test_exact_jacobi_sweeps_match_real_sweeps(omega):
    """The exact spectral trajectory (used to price runs of hours) against real Numba sweeps."""
    from hybridsolve.solvers.relaxation import Relaxation

    p = hs.problems.paper_1d(n=128)
    tau = 5e-3
    n_exact = spectral.exact_jacobi_sweeps(p, p.initial_guess(), tau, omega=omega)
    res = hs.solve(p, "jacobi", omega=omega, target_error=tau, check_every=1, maxiter=10**7)
    assert res.iterations == n_exact
    u = p.initial_guess()
    relax = Relaxation(p, "jacobi", omega)
    relax.sweep(u, 777)
    curve = spectral.jacobi_error_curve(p, p.initial_guess(), [0, 777], omega=omega)
    assert curve[0] == pytest.approx(np.max(np.abs(p.initial_guess() - p.u_exact)))
    assert curve[1] == pytest.approx(np.max(np.abs(u - p.u_exact)), rel=1e-9)


def test_jacobi_error_curve_matches_the_dense_iteration_in_2d(rng):
    p = hs.problems.multiscale_2d(n=(8, 6))
    u0 = p.apply_boundary(rng.standard_normal(p.grid.shape))
    A = matrix(p.grid).toarray()
    omega = 0.9
    R = np.eye(len(A)) - omega * A / np.diag(A)[:, None]
    ustar = p.discrete_solution()
    e = (u0 - ustar)[p.grid.interior].ravel()
    curve = spectral.jacobi_error_curve(p, u0, [0, 5, 40], omega=omega, reference="discrete")
    for N, c in zip([0, 5, 40], curve):
        assert c == pytest.approx(np.abs(np.linalg.matrix_power(R, N) @ e).max(), rel=1e-9, abs=1e-13)


# -- names and layering -------------------------------------------------------------------------------
OLD_ALL = ["dft", "dst", "idst", "dft_frequencies", "dst_frequencies", "RadialBins", "find_peaks",
           "jacobi_amplification", "mode_sup_norms", "jacobi_error_bound", "sweeps_to_reach"]


def test_earlier_names_stay_importable_and_are_defined_once():
    for name in OLD_ALL + list(spectral.__all__):
        assert hasattr(spectral, name), name
    assert spectral.find_peaks is spectral.spectral_peaks
    assert spectral.jacobi_amplification is spectral.jacobi_factors
    assert hs.spectral is spectral
    from hybridsolve import switch
    from hybridsolve.solvers import direct

    for name in ("eigenvalues", "solve_interior", "dst_solve"):
        assert getattr(direct, name) is getattr(spectral, name)
    assert switch.error_coefficients is spectral.error_spectrum
    for name in ("mode_sup_norms", "sweep_factors", "predict_sweeps", "jacobi_error_curve", "exact_jacobi_sweeps"):
        assert getattr(switch, name) is getattr(spectral, name)


def test_spectral_imports_nothing_above_it():
    """grid/problem → operators/spectral → kernels → solvers → monitor → switch/hybrid: spectral/ may use
    operators (b, the residual), never solvers, kernels, the monitor, the switch policies or the hybrid."""
    above = ("solvers", "kernels", "monitor", "switch", "hybrid", "stopping", "nn", "probes", "plots", "experiments")
    for path in SPECTRAL_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                mods = [node.module or ""]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            else:
                continue
            for mod in mods:
                parts = mod.replace("hybridsolve.", "").split(".")
                assert parts[0] not in above, f"{path.name} imports {mod}"
    code = ("import sys, hybridsolve, hybridsolve.spectral; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numba') "
            "or m.startswith(('hybridsolve.solvers.', 'hybridsolve.monitor', 'hybridsolve.switch', 'hybridsolve.hybrid'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
