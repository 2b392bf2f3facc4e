"""hybridsolve.spectral against independent dense computations (explicit DFT matrices, explicit sine
bases, the explicit Jacobi iteration matrix)."""
import itertools

import numpy as np
import pytest

import hybridsolve as hs
from hybridsolve import spectral
from hybridsolve.operators import matrix


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


def test_find_peaks_properties():
    assert spectral.find_peaks([0, 3, 1, 2, 0.5]) == [1, 3]
    assert spectral.find_peaks([1, 0, 0]) == [0]
    assert spectral.find_peaks(np.zeros(5)) == []
    # a rounding-level tail wiggle is not a peak
    a = np.array([0.0, 1.0, 0.1, 1e-9, 2e-9, 1e-9])
    assert spectral.find_peaks(a) == [1]
    assert spectral.find_peaks([0, 5, 0, 4, 0, 0, 0, 3, 1], max_peaks=2) == [1, 7]
    with pytest.raises(ValueError, match="1-D"):
        spectral.find_peaks(np.ones((2, 2)))


def test_auto_peaks_of_paper_targets():
    """paper_1d at n = 1000, DFT over all 1001 points: the two strict local maxima are k = 1 (sin x and
    sin 4x share the first bin) and k = 8 (sin 24x, 24/π ≈ 7.6); sin 8x is a shoulder at k = 3. The
    sine spectrum of the odd u_ref lives on even k only, and the peaks skip those exact zeros."""
    p = hs.problems.paper_1d(n=1000)
    amp = np.abs(spectral.dft(p.u_exact))
    assert spectral.find_peaks(amp) == [1, 8]
    s = np.abs(spectral.dst(p.u_exact[1:-1]))
    assert spectral.find_peaks(np.concatenate(([0.0], s))) == [2, 16]
    x = np.linspace(-3.14, 3.14, 201)
    assert spectral.find_peaks(np.abs(spectral.dft(np.sin(x) + np.sin(3 * x) + np.sin(5 * x)))) == [1, 3, 5]


def test_jacobi_amplification_is_the_eigenvalue_of_the_iteration_matrix():
    grid = hs.Grid([(0, 1), (0, 2)], (6, 5))
    omega = 0.8
    A = matrix(grid).toarray()
    D = np.diag(A)
    R = np.eye(len(D)) - omega * A / D[:, None]
    lam = spectral.jacobi_amplification(grid, omega)
    for k1, k2 in itertools.product(range(1, 6), range(1, 5)):
        i1, i2 = np.meshgrid(np.arange(1, 6), np.arange(1, 5), indexing="ij")
        v = (np.sin(i1 * k1 * np.pi / 6) * np.sin(i2 * k2 * np.pi / 5)).ravel()
        assert np.allclose(R @ v, lam[k1 - 1, k2 - 1] * v)
    g1 = hs.Grid([(-1, 1)], 1000)
    assert np.allclose(spectral.jacobi_amplification(g1), np.cos(np.arange(1, 1000) * np.pi / 1000))


@pytest.mark.parametrize("n", [2, 5, 8, 12, 30, 31])
def test_mode_sup_norms_brute_force(n):
    S = np.abs(_sine_matrix(n))
    assert np.allclose(spectral.mode_sup_norms(hs.Grid([(0, 1)], n)), S.max(axis=0))
    s2 = spectral.mode_sup_norms(hs.Grid([(0, 1), (0, 1)], (n, 6)))
    assert np.allclose(s2, np.outer(S.max(axis=0), np.abs(_sine_matrix(6)).max(axis=0)))


def test_cost_model_bounds_the_true_jacobi_error():
    """Σ |λ_k|^N |ê_k| ‖v_k‖∞ ≥ ‖e_N‖∞ for a real Jacobi run, and sweeps_to_reach is the first N meeting tol."""
    grid = hs.Grid([(0, 1)], 32)
    rng = np.random.default_rng(3)
    e = rng.standard_normal(31)
    lam = spectral.jacobi_amplification(grid, 2 / 3)
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
