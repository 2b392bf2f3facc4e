"""Grid, problem, operators and direct solvers: the ground truth everything else is tested against."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg as spla

import hybridsolve as hs
from hybridsolve import operators
from hybridsolve.spectral import dst_solve, eigenvalues


def test_import_is_light():
    import subprocess
    import sys

    code = ("import sys, hybridsolve; print('torch' in sys.modules, 'numba' in sys.modules, "
            "'scipy.sparse' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "False", "False"]


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_grid_geometry(dim):
    g = hs.Grid([(0.0, 2.0)] * dim, 4)
    assert g.shape == (5,) * dim and g.interior_shape == (3,) * dim
    assert g.h == (0.5,) * dim
    assert g.points().shape == (5**dim, dim)
    assert g.boundary_mask().sum() == 5**dim - 3**dim


@pytest.mark.parametrize("bad", [1, 0, -3, 2.5, (4, 1)])
def test_grid_rejects_bad_n(bad):
    with pytest.raises(ValueError, match="n"):
        hs.Grid([(0, 1), (0, 1)], bad)


def test_grid_rejects_bad_domain():
    with pytest.raises(ValueError, match="low < high"):
        hs.Grid([(1, 0)], 4)
    with pytest.raises(ValueError, match="1, 2 or 3"):
        hs.Grid([(0, 1)] * 4, 4)


def test_problem_bad_input():
    with pytest.raises(ValueError, match="source"):
        hs.PoissonProblem(domain=[(0, 1)], n=4, source=np.zeros(7))
    with pytest.raises(ValueError, match="non-finite"):
        hs.PoissonProblem(domain=[(0, 1)], n=4, source=lambda x: 1 / (x - x))
    with pytest.raises(ValueError, match="boundary"):
        hs.PoissonProblem(domain=[(0, 1)], n=4, source=0.0, boundary=np.inf)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_matrix_matches_stencil_and_linear_operator(dim, rng):
    g = hs.Grid([(0, 1), (0, 2), (-1, 1)][:dim], (6, 8, 4)[:dim])
    u = np.zeros(g.shape)
    u[g.interior] = rng.standard_normal(g.interior_shape)
    a = operators.apply_laplacian(u, g.h).ravel()
    A = operators.matrix(g)
    np.testing.assert_allclose(A @ u[g.interior].ravel(), a, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(operators.linear_operator(g) @ u[g.interior].ravel(), a, rtol=1e-12, atol=1e-9)
    assert abs(A - A.T).max() == 0
    assert np.allclose(A.diagonal(), operators.diagonal(g))


@pytest.mark.parametrize("name", ["smooth_1d", "smooth_2d", "smooth_3d"])
def test_boundary_lifting_matches_full_residual(name):
    """b − A u_int computed with the lifted rhs equals the full-grid residual f + Δ_h u."""
    p = hs.problems.get(name, n=8)
    u = p.u_exact
    r_full = operators.residual(p, u)
    r_lift = p.rhs() - (operators.matrix(p.grid) @ u[p.grid.interior].ravel()).reshape(p.grid.interior_shape)
    np.testing.assert_allclose(r_lift, r_full, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_dst_eigenvalues_are_eigenvalues(dim):
    g = hs.Grid([(0, 1)] * dim, (6, 5, 4)[:dim])
    mu = np.sort(eigenvalues(g).ravel())
    dense = np.sort(np.linalg.eigvalsh(operators.matrix(g).toarray()))
    np.testing.assert_allclose(mu, dense, rtol=1e-12)


@pytest.mark.parametrize("name", ["paper_1d", "smooth_1d", "smooth_2d", "multiscale_2d", "smooth_3d"])
def test_dst_solver_matches_sparse_direct(name):
    p = hs.problems.get(name, n=16)
    ref = spla.spsolve(operators.matrix(p.grid).tocsc(), p.rhs().ravel()).reshape(p.grid.interior_shape)
    u = dst_solve(p)
    np.testing.assert_allclose(u[p.grid.interior], ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(u[p.grid.boundary_mask()], p.boundary_values[p.grid.boundary_mask()])


def test_unknown_method_and_option():
    p = hs.problems.paper_1d(n=16)
    with pytest.raises(ValueError, match="valid methods: jacobi"):
        hs.solve(p, "conjugate_gradient")
    with pytest.raises(ValueError, match="unknown option.*'tol'.*valid options: reference"):
        hs.solve(p, "direct", tol=1e-3)


def test_stopping_rule_rejects_unreachable_target():
    from hybridsolve.stopping import StoppingRule

    p = hs.problems.paper_1d(n=100)
    eps = p.discretisation_error()
    with pytest.raises(ValueError, match="unreachable"):
        StoppingRule.from_options(p, target_error=eps / 2)
    rule = StoppingRule.from_options(p, target_error=eps * 2, maxiter=5)
    m = rule.measure(p.discrete_solution())
    assert rule.reason(m, iteration=1) == "target_error"
    m0 = rule.measure(p.initial_guess())
    assert rule.reason(m0, iteration=1) is None and rule.reason(m0, iteration=5) == "maxiter"
    assert rule.reason({"residual": np.nan}, iteration=1) == "diverged"
    with pytest.raises(ValueError, match="rtol"):
        StoppingRule.from_options(p, rtol=-1)


def test_target_error_needs_a_reference():
    from hybridsolve.stopping import StoppingRule

    p = hs.PoissonProblem(domain=[(0, 1)], n=16, source=1.0)
    with pytest.raises(ValueError, match="reference='discrete'"):
        StoppingRule.from_options(p, target_error=1e-3)
    assert StoppingRule.from_options(p, target_error=1e-3, reference="discrete").reference is not None


def test_making_the_progress_bar_is_not_solver_time(monkeypatch):
    """The first progress bar of a process imports tqdm (tens of ms): that must not be charged to the
    first step of the first solve. A bar that takes 0.3 s to make stands in for a cold import."""
    import time

    import hybridsolve as hs
    from hybridsolve import iteration

    real = iteration.progress_bar

    def slow_bar(*args, **kw):
        time.sleep(0.3)
        return real(*args, **kw)

    p = hs.problems.smooth_2d(n=16)
    hs.solve(p, "multigrid", rtol=1e-8)  # compile the kernels outside the measured run
    monkeypatch.setattr(iteration, "progress_bar", slow_bar)
    res = hs.solve(p, "multigrid", rtol=1e-8)
    assert res.converged and res.wall_time < 0.3
    assert all(r.time < 0.3 for r in res.history)
