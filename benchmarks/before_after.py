"""Speed kept across a refactor: the same measurements on whichever checkout is on PYTHONPATH.

Run it on two checkouts in turns (interleaved, so that both see the same machine), e.g.::

    git worktree add --detach /tmp/before <commit>
    for i in 1 2 3; do
      PYTHONPATH=/tmp/before python benchmarks/before_after.py before >> ba.jsonl
      PYTHONPATH=$PWD        python benchmarks/before_after.py after  >> ba.jsonl
    done

Each run prints one JSON line: Jacobi through ``hs.solve`` against the bare kernel (1-D n=1000,
2-D 2049²; the ratio is the loop's share of the kernel's sweep rate), multigrid 2-D n=1024 to
rtol 1e-8, one SpectralMonitor observation (1-D n=1000, 2-D 1025²) and one Deep Ritz step of the
paper's network (1001 points, float32). Best of a few repeats each.
"""
import json, sys, time, numpy as np
import hybridsolve as hs
from hybridsolve.solvers.relaxation import Relaxation


def main(label: str) -> dict:
    """One run of every measurement; returns (and prints) one JSON-able dict."""
    out = {"tree": label, "file": hs.__file__}
    def best(f, r):  # noqa: E306
        b = 1e99
        for _ in range(r):
            t0 = time.perf_counter(); f(); b = min(b, time.perf_counter() - t0)
        return b
    # 1. Jacobi: loop vs bare kernel
    for name, prob, N in [("jac1d", hs.problems.paper_1d(n=1000), 400000), ("jac2d", hs.problems.smooth_2d(n=2048), 112 * 2)]:
        relax = Relaxation(prob, "jacobi", 1.0); relax.warm_up(); u = prob.initial_guess().copy()
        hs.solve(prob, "jacobi", maxiter=10, rtol=0.0)
        k = best(lambda: relax.sweep(u, N), 3) / N
        loops = []
        for _ in range(3):
            r = hs.solve(prob, "jacobi", maxiter=N, rtol=0.0); loops.append(r.wall_time / r.iterations)
        out[name + "_kernel_us"] = k * 1e6; out[name + "_solve_us"] = min(loops) * 1e6; out[name + "_ratio"] = k / min(loops)
    # 2. multigrid 2-D n=1024 to rtol 1e-8
    p = hs.problems.smooth_2d(n=1024); hs.solve(p, "multigrid", maxiter=1, rtol=0.0)
    out["mg2d_s"] = min(hs.solve(p, "multigrid", rtol=1e-8).wall_time for _ in range(3))
    # 3. monitor observation
    for name, prob in [("obs1d_us", hs.problems.paper_1d(n=1000)), ("obs2d_us", hs.problems.smooth_2d(n=1024))]:
        mon = hs.SpectralMonitor(prob, reference="exact", basis="dft", peaks="auto"); u = prob.initial_guess() + 0.01
        mon.observe(u, phase="x", step=0, time=0.0)
        R = 2000 if "1d" in name else 10
        out[name] = best(lambda: mon.observe(u, phase="x", step=0, time=0.0), R) * 1e6
    # 4. Deep Ritz step, paper net, 1001 points, float32
    from hybridsolve.solvers.deep_ritz import DeepRitz
    pp = hs.problems.paper_1d(n=1000)
    for loss in ("discrete_ritz", "ritz"):
        dr = DeepRitz(pp, widths=[1, 4000, 500, 400, 1], loss=loss, seed=0); dr.step(2)
        out[f"dr_{loss}_ms"] = best(lambda: dr.step(5), 3) / 5 * 1e3
    print(json.dumps(out))
    return out


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "this")
