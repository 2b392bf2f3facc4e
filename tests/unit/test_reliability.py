"""Honest outcomes, safe loaders and the memory guard (the bad-argument cases are in test_bad_inputs_api.py)."""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest

import hybridsolve as hs
from hybridsolve import _memory
from hybridsolve._memory import InsufficientMemory
from hybridsolve.iteration import iterate
from hybridsolve.stopping import DIVERGENCE_FACTOR, StoppingRule


# -- honest outcomes -------------------------------------------------------------------------------------
def _grew(res):
    r = res.history.column("residual")
    return (not np.all(np.isfinite(r))) or r[-1] > DIVERGENCE_FACTOR * max(r[0], 1e-300)


@pytest.mark.parametrize("method, opts", [
    ("multigrid", dict(smoother="jacobi", omega=1.9, maxiter=100)),
    ("jacobi", dict(omega=1.9, maxiter=20_000, check_every=50)),
])
def test_a_growing_residual_is_diverged_not_maxiter(method, opts):
    p = hs.problems.smooth_2d(n=64)
    res = hs.solve(p, method, **opts)
    assert res.reason == "diverged" and not res.converged
    assert res.iterations < opts["maxiter"] and _grew(res)


def test_divergence_is_the_stopping_rules_for_any_stepper():
    p = hs.problems.paper_1d(n=32)
    ustar = p.discrete_solution()

    class Amplify:            # the error doubles per step: any solver that blows up
        phase = "toy"

        def __init__(self):
            self.u = p.initial_guess()

        def advance(self, count):
            for _ in range(count):
                self.u = ustar + 2.0 * (self.u - ustar)

        def iterate(self):
            return self.u

    rule = StoppingRule.from_options(p, rtol=1e-10, maxiter=1000)
    out = iterate(Amplify(), rule, history=hs.History())
    assert out.reason == "diverged" and not out.converged
    assert 20 < out.steps < 40            # 2^27 ≈ 1.3e8: stopped at the factor, long before maxiter or overflow


@pytest.mark.parametrize("method", ["direct", "spsolve"])
def test_an_overflowing_direct_solve_is_diverged(method):
    res = hs.solve(hs.PoissonProblem(domain=[(0, 1)], n=64, source=1e308), method)
    assert res.reason == "diverged" and res.converged is False and not np.isfinite(res.residual_norm)
    assert "overflows" in res.info["error"]
    ok = hs.solve(hs.PoissonProblem(domain=[(0, 1)], n=64, source=1e300), method)  # large but representable
    assert ok.converged and ok.reason == "direct" and np.all(np.isfinite(ok.u))


def test_no_nonfinite_result_is_ever_converged():
    outs = [hs.solve(hs.problems.smooth_2d(n=64), "multigrid", smoother="jacobi", omega=1.9, maxiter=100),
            hs.solve(hs.PoissonProblem(domain=[(0, 1)], n=64, source=1e308), "direct"),
            hs.solve(hs.PoissonProblem(domain=[(0, 1)], n=64, source=1e308), "jacobi")]
    for res in outs:
        finite = bool(np.all(np.isfinite(res.u))) and np.isfinite(res.residual_norm)
        assert finite or not res.converged


@pytest.mark.parametrize("method", ["jacobi", "gauss_seidel", "multigrid", "hybrid"])
def test_no_op_stopping_rules_are_refused_but_real_ones_run(method):
    p = hs.problems.paper_1d(n=64)
    extra = dict(switch=0, dnn=dict(widths=(1, 8, 1))) if method == "hybrid" else {}
    bnorm = float(np.linalg.norm(p.rhs()))
    start_error = float(np.max(np.abs(p.initial_guess() - p.u_exact)))
    for opts, word in ((dict(rtol=1.0), "rtol"), (dict(rtol=5.0), "rtol"), (dict(atol=bnorm), "atol"),
                       (dict(target_error=start_error), "target_error")):
        with pytest.raises(ValueError, match=f"{word}=.*stops nothing"):
            hs.solve(p, method, **opts, **extra)
    res = hs.solve(p, method, rtol=0.5, **extra)         # a loose but real criterion does work
    assert res.converged and res.iterations >= 1


@pytest.mark.parametrize("method", ["jacobi", "gauss_seidel", "multigrid", "hybrid"])
def test_an_array_reference_with_target_error_works(method):
    p = hs.problems.paper_1d(n=64)
    ref = p.discrete_solution()
    extra = dict(switch=0, dnn=dict(widths=(1, 8, 1))) if method == "hybrid" else {}
    if method == "multigrid":
        extra["coarsest"] = 8
    res = hs.solve(p, method, target_error=1e-4, reference=ref, **extra)
    assert res.converged and res.reason == "target_error" and res.error_inf <= 1e-4
    assert np.max(np.abs(res.u - ref)) <= 1e-4


def test_an_array_reference_works_for_deep_ritz_and_direct(torch_one_thread):
    p = hs.problems.paper_1d(n=32)
    ref = p.discrete_solution()
    res = hs.solve(p, "deep_ritz", widths=(1, 8, 1), steps=4, observe_every=2, target_error=0.2, reference=ref)
    assert res.error_inf is not None and np.isclose(res.error_inf, np.max(np.abs(res.u - ref)))
    assert hs.solve(p, "direct", reference=ref).error_inf < 1e-12


# -- CIFAR-10: the restricted unpickler ---------------------------------------------------------------------
def _batch(n=4, seed=0):
    rng = np.random.default_rng(seed)
    return {b"batch_label": b"training batch 1 of 5", b"labels": rng.integers(0, 10, n).tolist(),
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), b"filenames": [b"a.png"] * n}


@pytest.mark.parametrize("protocol", [2, 4, 5, "python2"])
def test_cifar_batches_in_every_real_pickle_format_load(tmp_path, protocol):
    from hybridsolve.probes import data

    batch = _batch()
    if protocol == "python2":   # the official files: protocol 2 from Python 2, numpy.core.multiarray
        raw = pickle.dumps(batch, protocol=2).replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
        assert b"numpy.core.multiarray" in raw
    else:
        raw = pickle.dumps(batch, protocol=protocol)
    (tmp_path / "b").write_bytes(raw)
    x, y = data.read_cifar_batch(tmp_path / "b")
    np.testing.assert_array_equal(x.reshape(len(x), -1), batch[b"data"])
    assert y.tolist() == batch[b"labels"]


class _System:
    def __init__(self, cmd):
        self.cmd = cmd

    def __reduce__(self):
        return (os.system, (self.cmd,))


class _Eval:
    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return (eval, (self.code,))


@pytest.mark.parametrize("protocol", [0, 2, 4])
@pytest.mark.parametrize("make", ["system", "eval", "in_labels"])
def test_a_crafted_cifar_pickle_runs_nothing(tmp_path, protocol, make):
    from hybridsolve.probes import data

    marker = tmp_path / "PWNED"
    if make == "system":
        payload = {b"data": _System(f"touch {marker}"), b"labels": [0]}
    elif make == "eval":
        payload = {b"data": _Eval(f"open({str(marker)!r}, 'w').close()"), b"labels": [0]}
    else:
        payload = {b"data": np.zeros((1, 3072), np.uint8), b"labels": [_System(f"touch {marker}")]}
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps(payload, protocol=protocol))
    with pytest.raises(ValueError, match=r"not a CIFAR-10 python batch \(it asks to load .*(system|eval)"):
        data.read_cifar_batch(path)
    assert not marker.exists()
    # the same payload through plain pickle would have run: the test's payload is real
    pickle.loads(path.read_bytes())
    assert marker.exists()


def test_a_truncated_cifar_batch_is_a_clear_error(tmp_path):
    from hybridsolve.probes import data

    raw = pickle.dumps(_batch(), protocol=2)
    (tmp_path / "b").write_bytes(raw[: len(raw) // 3])
    with pytest.raises(ValueError, match="not a CIFAR-10 python batch .truncated or corrupt"):
        data.read_cifar_batch(tmp_path / "b")


# -- the memory guard ------------------------------------------------------------------------------------
def test_memory_limit_variable_caps_what_is_available(monkeypatch):
    assert _memory.parse_bytes("2GiB") == 2**31 and _memory.parse_bytes("750MB") == 750_000_000
    monkeypatch.setenv(_memory.ENV, "123MB")
    avail, source = _memory.available()
    assert avail == 123_000_000 and _memory.ENV in source
    with pytest.raises(InsufficientMemory) as info:
        _memory.require(2e8, "this test's arrays", fix="ask for less")
    assert info.value.needed == 200_000_000 and info.value.available == 123_000_000
    assert "200 MB" in str(info.value) and "123 MB" in str(info.value) and "ask for less" in str(info.value)
    monkeypatch.setenv(_memory.ENV, "plenty")
    with pytest.raises(ValueError, match=_memory.ENV):
        _memory.available()


def _traced_peak(fn):
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("factory, n", [(hs.problems.smooth_3d, 32), (hs.problems.multiscale_2d, 256),
                                        (hs.problems.paper_1d, 50_000)])
def test_problem_estimate_is_close_to_its_allocation(factory, n):
    from hybridsolve.problem import problem_bytes

    p, peak = _traced_peak(lambda: factory(n=n))
    est = problem_bytes(p.grid)
    assert 0.6 < est / peak < 2.0, (est, peak)


@pytest.mark.parametrize("method, estimate", [
    ("jacobi", lambda g: __import__("hybridsolve.solvers.relaxation", fromlist=["x"]).relaxation_bytes(g)),
    ("multigrid", lambda g: __import__("hybridsolve.solvers.multigrid", fromlist=["x"]).hierarchy_bytes(
        __import__("hybridsolve.solvers.multigrid", fromlist=["x"]).levels_for(g.n))),
    ("direct", lambda g: __import__("hybridsolve.solvers.direct", fromlist=["x"]).dst_bytes(g)),
])
def test_solver_estimates_are_close_to_their_allocation(method, estimate):
    p = hs.problems.smooth_3d(n=48)
    hs.solve(hs.problems.smooth_3d(n=8), method, **({"maxiter": 2} if method != "direct" else {}))  # compile first
    opts = {"maxiter": 2} if method != "direct" else {}
    _, peak = _traced_peak(lambda: hs.solve(p, method, **opts))
    est = estimate(p.grid)
    assert 0.5 < est / peak < 3.0, (method, est, peak)


def test_spsolve_fill_estimate_matches_superlu():
    import scipy.sparse.linalg as spla

    from hybridsolve.operators import matrix
    from hybridsolve.solvers.direct import lu_fill

    for dim, n in ((1, 500), (2, 64), (2, 200), (3, 12), (3, 20)):
        g = hs.Grid([(0, 1)] * dim, n)
        lu = spla.splu(matrix(g).tocsc(), permc_spec="COLAMD")
        ratio = lu_fill(g) / (lu.L.nnz + lu.U.nnz)
        assert 0.8 < ratio < 1.5, (dim, n, ratio)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_spsolve_byte_estimate_against_the_process_peak():
    """The process's peak resident memory (VmHWM) rises above what it held before the solve (VmRSS) by
    what SuperLU allocates; measured in a fresh interpreter (ru_maxrss would carry the forking parent's)."""
    code = """
import numpy as np, scipy.sparse.linalg as sl, hybridsolve as hs
from hybridsolve.operators import matrix, rhs
from hybridsolve.solvers.direct import spsolve_cost
def status(key):
    return int(open("/proc/self/status").read().split(key + ":")[1].split()[0]) * 1024
p = hs.problems.smooth_3d(n=24)
A = matrix(p.grid).tocsc(); b = rhs(p).ravel()
before = status("VmRSS")
sl.spsolve(A, b)
print(status("VmHWM") - before, spsolve_cost(p.grid)[0])
"""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    measured, est = map(float, out.split())
    assert 0.7 < est / measured < 2.5, (est, measured)


def test_deep_ritz_estimate_is_close_to_its_tensors(torch_one_thread):
    from hybridsolve.solvers.deep_ritz import DeepRitz
    from hybridsolve.solvers.deep_ritz.solver import deep_ritz_bytes

    p = hs.problems.paper_1d(n=1000)
    widths = (1, 300, 200, 1)
    d = DeepRitz(p, widths=widths)
    d.step(2)
    d.loss_value()
    tensors = list(d.net.parameters()) + [q.grad for q in d.net.parameters() if q.grad is not None]
    tensors += [t for st in d.optimizer.state.values() for t in st.values() if hasattr(t, "nbytes")]
    for ws in d.net._work.values():
        tensors += [t for t in ws["acts"] + ws["grads"] if t is not None]
        tensors += [t for st in ws["stores"] for t in st.values()]
    measured = sum(t.numel() * t.element_size() for t in tensors)
    est = deep_ritz_bytes(p.grid, widths)
    assert 0.8 < est / measured < 3.0, (est, measured)


@pytest.mark.parametrize("method, n", [("exact", 1500), ("sampled", 4000)])
def test_filtering_estimate_is_close_to_its_allocation(method, n):
    from hybridsolve.probes import FilteringProbe
    from hybridsolve.probes.filtering import filtering_bytes

    rng = np.random.default_rng(0)
    X = rng.random((n, 20)).astype(np.float32)
    Y = np.eye(3)[rng.integers(0, 3, n)]
    kw = dict(deltas=[0.5, 2.0], method=method, rows=500, norm_rows=500, neighbours=20, block=256)
    FilteringProbe(X, Y, **kw)                       # compile the kernels outside the trace
    fp, peak = _traced_peak(lambda: FilteringProbe(X, Y, **kw))
    est = filtering_bytes(n, 20, 2, fp.method, rows=500, neighbours=20, block=256, outputs=3)
    assert fp.nbytes <= est and 0.5 < est / peak < 3.0, (est, peak, fp.nbytes)


@pytest.mark.parametrize("what, call", [
    ("3-D problem n=4096", lambda: hs.problems.smooth_3d(n=4096)),
    ("2-D problem n=10^6", lambda: hs.problems.smooth_2d(n=10**6)),
    ("spsolve 3-D n=128", lambda: hs.solve(hs.problems.sine(3, 128, 1), "spsolve")),
    ("Deep Ritz widths 10^9", lambda: hs.solve(hs.problems.paper_1d(n=16), "deep_ritz", widths=(1, 10**9, 1))),
    ("filtering probe n=400000 exact", lambda: __import__("hybridsolve.probes", fromlist=["x"]).FilteringProbe(
        np.zeros((400_000, 2), np.float32), np.eye(2)[np.arange(400_000) % 2], method="exact", memory_gb=10**6)),
])
def test_absurd_sizes_are_refused_quickly_without_allocating(what, call):
    t0 = time.perf_counter()
    tracemalloc.start()
    try:
        with pytest.raises(InsufficientMemory) as info:
            call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - t0 < 5.0
    assert peak < 300e6, f"{what}: {peak / 1e6:.0f} MB allocated before the refusal"
    msg = str(info.value)
    assert "would need about" in msg and "available" in msg and info.value.needed > info.value.available
    assert any(w in msg for w in ("smaller n", "direct", "narrower", "sampled"))


def test_a_solver_is_refused_when_its_own_arrays_do_not_fit(monkeypatch):
    p = hs.problems.smooth_3d(n=64)       # 275 000 points: the problem itself is built first
    monkeypatch.setenv(_memory.ENV, "5MB")
    for method, word in (("jacobi", "work arrays"), ("multigrid", "multigrid hierarchy"), ("direct", "DST solve"),
                         ("spsolve", "LU factors")):
        with pytest.raises(InsufficientMemory, match=word):
            hs.solve(p, method)


def test_spsolve_warns_when_it_will_be_expensive(monkeypatch):
    from hybridsolve.solvers.direct import spsolve_cost

    nbytes, secs = spsolve_cost(hs.problems.smooth_3d(n=64).grid)
    assert nbytes > 5e9 and secs > 200        # what the 3-D n = 64 solve really took: minutes, gigabytes
    monkeypatch.setenv(_memory.ENV, "1TB")
    small = hs.problems.smooth_2d(n=16)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hs.solve(small, "spsolve")             # cheap: no warning
