"""Numba kernels against their NumPy references (rtol 1e-12), in 1-D, 2-D and 3-D."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from hybridsolve import kernels as K
from hybridsolve.operators import apply_laplacian

# unequal spacings per axis catch coefficient mix-ups; odd/even point counts catch red-black parity errors
SHAPES = {1: [(17,), (10,)], 2: [(9, 13), (12, 7)], 3: [(9, 7, 11), (5, 37, 6)]}
CASES = [(d, s) for d in (1, 2, 3) for s in SHAPES[d]]


def _spacing(shape):
    return tuple((1.0 + 0.3 * d) / (m - 1) for d, m in enumerate(shape))


def _close(a, b):
    scale = max(1.0, float(np.max(np.abs(b))))
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * scale)


@pytest.mark.parametrize("dim,shape", CASES)
@pytest.mark.parametrize("count", [1, 2, 5])
@pytest.mark.parametrize("parallel", [True, False])
def test_jacobi_matches_reference(rng, dim, shape, count, parallel):
    h = _spacing(shape)
    u0, f = rng.standard_normal(shape), rng.standard_normal(shape)
    for omega in (1.0, 0.7):
        u = u0.copy()
        v = np.full(shape, np.nan)  # scratch content must not matter
        K.jacobi(dim, parallel)(u, v, f, count, *K.coefficients(h, omega))
        _close(u, K.ref_jacobi(u0, f, h, omega, count))
        mask = np.ones(shape, bool)
        mask[tuple(slice(1, -1) for _ in shape)] = False
        assert np.array_equal(u[mask], u0[mask])  # boundary untouched


@pytest.mark.parametrize("dim,shape", CASES + [(2, (40, 13)), (2, (3, 6)), (3, (21, 5, 6)), (3, (3, 4, 5))])
@pytest.mark.parametrize("count", [1, 3])
@pytest.mark.parametrize("parallel", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
def test_red_black_matches_reference(rng, dim, shape, count, parallel, reverse):
    h = _spacing(shape)
    u0, f = rng.standard_normal(shape), rng.standard_normal(shape)
    for omega in (1.0, 1.5):
        u = u0.copy()
        K.red_black(dim, parallel, reverse)(u, f, count, *K.coefficients(h, omega))
        _close(u, K.ref_red_black(u0, f, h, omega, count, reverse=reverse))
    if dim > 1:
        # the row blocking must give the same iterate for any number of blocks (threads)
        core = K.red_black(dim, parallel, reverse).core
        for nthreads in (1, 3, 7):
            u = u0.copy()
            core(u, f, count, *K.coefficients(h, 1.0), nthreads)
            _close(u, K.ref_red_black(u0, f, h, 1.0, count, reverse=reverse))


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_reverse_red_black_is_the_adjoint_sweep(rng, dim):
    """The error propagator of a black-first sweep is the A-adjoint of the red-first one's: with
    S = I − M⁻¹A (red first) and S' (black first), A S' = Sᵀ A. Checked on random vectors, with
    the operator applied on zero boundary values and f = 0 (the error equation)."""
    from hybridsolve.operators import apply_laplacian

    shape = {1: (12,), 2: (9, 8), 3: (6, 7, 5)}[dim]
    h = _spacing(shape)
    inner = tuple(slice(1, -1) for _ in shape)

    def sweep(e, reverse):
        u = np.zeros(shape)
        u[inner] = e
        K.red_black(dim, False, reverse)(u, np.zeros(shape), 1, *K.coefficients(h, 1.3))
        return u[inner]

    def A(e):
        u = np.zeros(shape)
        u[inner] = e
        return apply_laplacian(u, h)

    x, y = rng.standard_normal(tuple(m - 2 for m in shape)), rng.standard_normal(tuple(m - 2 for m in shape))
    lhs = float(np.sum(A(sweep(x, True)) * y))     # <A S' x, y>
    rhs = float(np.sum(A(x) * sweep(y, False)))    # <A x, S y> = <Sᵀ A x, y>
    assert abs(lhs - rhs) <= 1e-12 * max(abs(lhs), abs(rhs), 1.0) * 10


def test_red_black_differs_from_jacobi(rng):
    # guards against a "Gauss–Seidel" that is secretly Jacobi: the orderings must give different iterates
    shape = (9, 9)
    h = _spacing(shape)
    u0, f = rng.standard_normal(shape), rng.standard_normal(shape)
    a, b = u0.copy(), u0.copy()
    K.red_black(2)(a, f, 1, *K.coefficients(h, 1.0))
    K.jacobi(2)(b, np.empty_like(b), f, 1, *K.coefficients(h, 1.0))
    assert np.max(np.abs(a - b)) > 1e-3


@pytest.mark.parametrize("dim,shape", CASES)
@pytest.mark.parametrize("parallel", [True, False])
def test_residual_matches_operators(rng, dim, shape, parallel):
    h = _spacing(shape)
    u, f = rng.standard_normal(shape), rng.standard_normal(shape)
    inner = tuple(slice(1, -1) for _ in shape)
    ref = f[inner] - apply_laplacian(u, h)
    r = np.zeros(shape)
    ih = tuple(1 / hd**2 for hd in h)
    K.residual(dim, parallel)(u, f, r, *ih)
    _close(r[inner], ref)
    boundary = np.ones(shape, bool)
    boundary[inner] = False
    assert np.all(r[boundary] == 0)  # the kernel writes interior points only
    np.testing.assert_allclose(K.residual_sumsq(dim, parallel)(u, f, *ih), np.sum(ref**2), rtol=1e-12)


@pytest.mark.parametrize("dim,m", [(1, 8), (2, 6), (3, 4), (2, 5)])
@pytest.mark.parametrize("parallel", [True, False])
def test_restrict_matches_reference(rng, dim, m, parallel):
    fine = rng.standard_normal((2 * m + 1,) * dim)
    coarse = np.zeros((m + 1,) * dim)
    K.restrict(dim, parallel)(fine, coarse)
    _close(coarse, K.ref_restrict(fine))


@pytest.mark.parametrize("dim,m", [(1, 8), (2, 6), (3, 4), (2, 5)])
@pytest.mark.parametrize("parallel", [True, False])
def test_prolong_add_matches_reference(rng, dim, m, parallel):
    coarse = rng.standard_normal((m + 1,) * dim)
    fine0 = rng.standard_normal((2 * m + 1,) * dim)
    fine = fine0.copy()
    K.prolong_add(dim, parallel)(coarse, fine)
    _close(fine, K.ref_prolong_add(coarse, fine0))


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_transfer_operators_exact_on_linear_functions(dim):
    # independent check of the references: linear interpolation reproduces linear functions, and full
    # weighting is (up to the factor 2^dim) the transpose of interpolation
    m = 4
    xc = np.meshgrid(*[np.linspace(0, 1, m + 1)] * dim, indexing="ij")
    xf = np.meshgrid(*[np.linspace(0, 1, 2 * m + 1)] * dim, indexing="ij")
    lin = lambda x: 1.0 + sum((d + 1) * xd for d, xd in enumerate(x))  # noqa: E731
    fine = np.zeros((2 * m + 1,) * dim)
    K.prolong_add(dim)(lin(xc), fine)
    inner = tuple(slice(1, -1) for _ in range(dim))
    _close(fine[inner], lin(xf)[inner])
    rng = np.random.default_rng(1)
    c = np.zeros((m + 1,) * dim)
    c[inner] = rng.standard_normal(c[inner].shape)
    f = np.zeros((2 * m + 1,) * dim)
    f[inner] = rng.standard_normal(f[inner].shape)
    Pc = np.zeros_like(f)
    K.prolong_add(dim)(c, Pc)
    Rf = np.zeros_like(c)
    K.restrict(dim)(f, Rf)
    np.testing.assert_allclose(np.sum(Pc * f), 2**dim * np.sum(c * Rf), rtol=1e-12)


def test_diff_norms(rng):
    a, b = rng.standard_normal(200_001), rng.standard_normal(200_001)
    mx, ss = K.diff_norms(a, b)
    np.testing.assert_allclose(mx, np.max(np.abs(a - b)), rtol=1e-12)
    np.testing.assert_allclose(ss, np.sum((a - b) ** 2), rtol=1e-12)
    a[5] = np.nan
    assert K.diff_norms(a, b)[0] == np.inf


def test_bad_dimension():
    with pytest.raises(ValueError, match="dim"):
        K.jacobi(4)


@pytest.mark.parametrize("shape", [(9,), (5, 7), (4, 5, 6), (3, 6)])
def test_interpolate_cubic(rng, shape):
    c = rng.standard_normal(shape)
    _close(K.interpolate_cubic(c), K.ref_interpolate_cubic(c))
    # exact for cubic polynomials (independent of the reference), on axes with >= 4 points
    if min(shape) >= 4:
        xs_c = np.meshgrid(*[np.linspace(0, 1, m) for m in shape], indexing="ij")
        xs_f = np.meshgrid(*[np.linspace(0, 1, 2 * m - 1) for m in shape], indexing="ij")
        poly = lambda x: sum((d + 1) * xd**3 - xd**2 for d, xd in enumerate(x)) + np.prod(x, axis=0)  # noqa: E731
        _close(K.interpolate_cubic(poly(xs_c)), poly(xs_f))


def _closure_values(kernel):
    dispatcher = getattr(kernel, "core", kernel)   # red_black wraps its dispatcher to pass the thread count
    return [c.cell_contents for c in (dispatcher.py_func.__closure__ or ())]


@pytest.mark.parametrize("factory", ["jacobi", "red_black", "residual", "residual_sumsq", "restrict", "prolong_add"])
@pytest.mark.parametrize("dim", [2, 3])
def test_serial_and_parallel_builds_have_distinct_cache_keys(factory, dim):
    """Numba's on-disk cache key ignores ``parallel=`` but includes closure values: a serial build
    without ``parallel`` in its closure loads the threaded one from the cache (this made every
    small-grid error check 130 µs instead of 2 µs)."""
    from hybridsolve import kernels

    make = getattr(kernels, factory)
    assert False in _closure_values(make(dim, False)) and True in _closure_values(make(dim, True))


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_forward_and_reverse_red_black_have_distinct_cache_keys(dim):
    from hybridsolve import kernels

    fwd, rev = _closure_values(kernels.red_black(dim, False)), _closure_values(kernels.red_black(dim, False, True))
    assert (0, 1) in fwd and (1, 0) in rev


def test_diff_norms_serial_and_parallel_builds_have_distinct_cache_keys():
    from hybridsolve.kernels import _diff_norms_kernel

    assert False in _closure_values(_diff_norms_kernel(False))
    assert True in _closure_values(_diff_norms_kernel(True))


# -- the threading choice (hybridsolve._numba) ---------------------------------------------------------------
def _python(code: str, **env_extra) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter without NUMBA_THREADING_LAYER (unless given)."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
    env.update(env_extra)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc


_RUN_JACOBI = """
    import numpy as np
    from hybridsolve import kernels
    u = np.zeros((300, 300))
    kernels.jacobi(2, True)(u, np.empty_like(u), np.ones_like(u), 1, *kernels.coefficients((0.1, 0.1)))
"""
_RUN_GAUSS = """
    import numpy as np
    from hybridsolve.probes.filtering import _gauss_kernel
    D = np.zeros((64, 64), np.float32)
    _gauss_kernel()(D, np.float32(-0.5), np.empty_like(D), np.empty(64))
"""


def test_importing_changes_no_numba_setting():
    out = _python("""
        import numba
        import hybridsolve, hybridsolve.kernels, hybridsolve.probes.filtering, hybridsolve._numba
        print(numba.config.THREADING_LAYER, hybridsolve._numba._CHOICE)
    """).stdout.split()
    assert out == ["default", "None"]


@pytest.mark.parametrize("first", ["kernels", "probes"])
def test_threading_choice_applies_whichever_numba_code_runs_first(first):
    # before hybridsolve._numba, the choice was made when hybridsolve.kernels was imported: a probe
    # kernel run first started Numba's threads on its default (spinning OpenMP) layer
    code = (_RUN_JACOBI if first == "kernels" else _RUN_GAUSS) + "\n    import numba; print(numba.threading_layer())\n"
    assert _python(code).stdout.split()[-1] == "workqueue"


def test_threading_layer_environment_variable_wins():
    code = _RUN_JACOBI + "\n    import numba, hybridsolve._numba as N; print(numba.threading_layer(), N.configure())\n"
    try:
        out = _python(code, NUMBA_THREADING_LAYER="omp").stdout.split()
    except AssertionError as exc:
        if "omp" in str(exc).lower() and "threading layer" in str(exc).lower():
            pytest.skip("Numba's OpenMP layer is not available here")
        raise
    assert out[-2:] == ["omp", "omp"]


def test_threading_choice_warns_when_too_late():
    code = """
        import warnings
        import numba
        numba.config.THREADING_LAYER = "omp"   # someone else started Numba's threads first
        try:
            numba.get_num_threads()
        except Exception:
            print("no-omp"); raise SystemExit
        from hybridsolve import kernels
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            kernels.jacobi(2, True)
            kernels.residual(2, True)   # warned once, not per factory
        print(numba.threading_layer(), len(caught), caught[0].category.__name__ if caught else "-")
        print(caught[0].message if caught else "")
    """
    lines = _python(code).stdout.splitlines()
    if lines[0] == "no-omp":
        pytest.skip("Numba's OpenMP layer is not available here")
    assert lines[0].split() == ["omp", "1", "RuntimeWarning"]
    assert "workqueue" in lines[1] and "NUMBA_THREADING_LAYER" in lines[1]


def test_configure_is_idempotent_and_warns_in_process(monkeypatch):
    from hybridsolve import _numba

    first = _numba.configure()
    assert _numba.configure() == first
    # simulate threads already started on another layer before the first choice
    monkeypatch.setattr(_numba, "_CHOICE", None)
    monkeypatch.setattr(_numba, "_active_layer", lambda: "tbb")
    monkeypatch.delenv("NUMBA_THREADING_LAYER", raising=False)
    with pytest.warns(RuntimeWarning, match="cannot apply"):
        assert _numba.configure() == "tbb"
    assert _numba.configure() == "tbb"  # made once: no second warning, same answer
