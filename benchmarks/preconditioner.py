"""CG iterations and seconds with multigrid preconditioners: ours (Galerkin and re-discretised) against
PyAMG's Ruge–Stüben and smoothed aggregation, at rtol 1e-8.

Run from the repository root: ``python -m benchmarks.preconditioner [--smoke]``. It prints a markdown
table (iterations, CG seconds, set-up seconds, operator complexity) that docs/solving.md quotes; the
iteration counts are exact, the seconds are this machine's, measured in the same run.
"""
from __future__ import annotations

import argparse
import time


def _cg(A, b, M, rtol):
    import scipy.sparse.linalg as spla

    its = []
    t0 = time.perf_counter()
    x, info = spla.cg(A, b, M=M, rtol=rtol, atol=0.0, maxiter=5000, callback=lambda xk: its.append(1))
    return len(its), time.perf_counter() - t0, info


def rows(cases, rtol=1e-8):
    """One row per (problem, preconditioner): name, n, preconditioner, iterations, CG s, set-up s, complexity."""
    import pyamg

    import hybridsolve as hs
    from hybridsolve.solvers.galerkin import GalerkinPreconditioner
    from hybridsolve.solvers.multigrid import Multigrid

    sgs2 = ("gauss_seidel", {"sweep": "symmetric", "iterations": 2})
    builders = [
        ("ours, Galerkin, V, 2 sym. GS sweeps (default)", lambda p, A: GalerkinPreconditioner(p.grid, nu=2)),
        ("ours, Galerkin, V, 1 sym. GS sweep", lambda p, A: GalerkinPreconditioner(p.grid, nu=1)),
        ("ours, re-discretised, V(2,2) red-black", lambda p, A: Multigrid(p).aspreconditioner(coarse="rediscretized")),
        ("PyAMG RS, V (default: 1 sym. GS sweep)", lambda p, A: pyamg.ruge_stuben_solver(A)),
        ("PyAMG RS, V, 2 sym. GS sweeps", lambda p, A: pyamg.ruge_stuben_solver(A, presmoother=sgs2, postsmoother=sgs2)),
        ("PyAMG SA, V (default)", lambda p, A: pyamg.smoothed_aggregation_solver(A)),
        ("none (plain CG)", None),
    ]
    out = []
    for name, n in cases:
        p = hs.problems.get(name, n=n)
        A, b = hs.operators.matrix(p.grid).tocsr(), hs.operators.rhs(p).ravel()
        for label, build in builders:
            if build is None:
                its, secs, info = _cg(A, b, None, rtol)
                out.append((name, n, label, its, secs, 0.0, 1.0, info))
                continue
            t0 = time.perf_counter()
            ml = build(p, A)
            setup = time.perf_counter() - t0
            if hasattr(ml, "aspreconditioner"):
                M, oc = ml.aspreconditioner(cycle="V"), ml.operator_complexity()
            else:
                M, oc = ml, getattr(ml, "operator_complexity", float("nan"))
            _cg(A, b, M, rtol)  # compile / warm caches
            its, secs, info = _cg(A, b, M, rtol)
            out.append((name, n, label, its, secs, setup, oc, info))
    return out


def table(rs) -> str:
    lines = ["| problem | n | preconditioner | CG iterations | CG s | set-up s | operator complexity |",
             "|---|---|---|---|---|---|---|"]
    for name, n, label, its, secs, setup, oc, info in rs:
        flag = "" if info == 0 else f" (info {info})"
        lines.append(f"| {name} | {n} | {label} | {its}{flag} | {secs:.3f} | {setup:.3f} | {oc:.2f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.preconditioner", description=__doc__)
    ap.add_argument("--smoke", action="store_true", help="small grids only")
    args = ap.parse_args(argv)
    import os
    import platform

    cases = [("smooth_2d", 32)] if args.smoke else [("smooth_2d", 256), ("smooth_2d", 1024), ("multiscale_2d", 256),
                                                     ("smooth_3d", 64)]
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; 1-minute load {os.getloadavg()[0]:.1f}")
    print(table(rows(cases)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
