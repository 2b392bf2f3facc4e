"""The DST fast Poisson solver against SciPy's sparse LU and dense eigenvalues."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import hybridsolve as hs
from hybridsolve.operators import matrix
from hybridsolve.solvers.direct import dst_solve, eigenvalues


@pytest.mark.parametrize("dim,n", [(1, 7), (2, (6, 9)), (3, (4, 5, 6))])
def test_eigenvalues_match_dense(dim, n):
    bounds = [(0.0, 1.0 + d) for d in range(dim)]
    grid = hs.Grid(bounds, n)
    dense = np.sort(scipy.linalg.eigvalsh(matrix(grid).toarray()))
    np.testing.assert_allclose(np.sort(eigenvalues(grid).ravel()), dense, rtol=1e-12)


@pytest.mark.parametrize("name,n", [("smooth_1d", 33), ("smooth_2d", (24, 17)), ("smooth_3d", (8, 10, 6)),
                                    ("paper_1d", 100)])
def test_dst_matches_spsolve_with_boundary_values(name, n):
    p = hs.problems.get(name, n=8).with_n(n)
    a, b = hs.solve(p, "direct"), hs.solve(p, "spsolve")
    assert a.converged and b.converged and a.reason == "direct"
    np.testing.assert_allclose(a.u, b.u, atol=1e-11 * np.max(np.abs(b.u)))
    mask = p.grid.boundary_mask()
    assert np.array_equal(a.u[mask], p.boundary_values[mask])
    assert a.residual_norm <= 1e-9 * np.linalg.norm(p.rhs())


def test_anisotropic_domain_with_array_source(rng):
    grid = hs.Grid([(0, 1), (0, 3)], (8, 12))
    f = rng.standard_normal(grid.shape)
    g = rng.standard_normal(grid.shape)
    p = hs.PoissonProblem([(0, 1), (0, 3)], (8, 12), source=f, boundary=g)
    np.testing.assert_allclose(dst_solve(p), hs.solve(p, "spsolve").u, atol=1e-10)


def test_direct_error_against_exact_and_reference_option():
    p = hs.problems.sine(2, 32, (1, 2))
    res = hs.solve(p, "direct")
    assert res.error_inf == pytest.approx(p.discretisation_error())
    res_d = hs.solve(p, "direct", reference="discrete")
    assert res_d.error_inf < 1e-12


def test_bad_options():
    p = hs.problems.smooth_1d(n=8)
    with pytest.raises(ValueError, match="valid options"):
        hs.solve(p, "direct", rtol=1e-8)
    with pytest.raises(ValueError, match="unknown method"):
        hs.solve(p, "dst")
