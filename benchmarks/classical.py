"""Case kind ``bench_classical``: the classical solvers against the machine and against their peers.

In one run: (a) a STREAM-like triad (Numba ``prange``) at the same array sizes as the Jacobi
grids, (b) Jacobi sweep time and bandwidth (24 bytes per point: read u and f, write the new u),
(c) multigrid vs PyAMG Ruge–Stüben (setup + solve) vs SciPy ``spsolve`` vs the DST solver to
``rtol``, (d) V(2,2) convergence factors, (e) the full-multigrid error after one pass against the
discretisation error, (f) the DST solver at 2-D n = 1024. Every timing is the best of ``repeats``.
The markdown table (targets marked met / NOT met with the measured number) goes to
``summary["markdown"]``; ``python -m benchmarks classical --update-docs`` writes it into docs/benchmarks.md.
"""
from __future__ import annotations

import functools
import math
import platform
import time
from dataclasses import dataclass

import numpy as np

from hybridsolve.cases import RunContext, register_kind

__all__ = ["BenchClassicalParams", "run_bench_classical", "triad_kernel"]


@dataclass
class BenchClassicalParams:
    jacobi_n_2d: int = 2048       # intervals: 2049² points
    jacobi_n_3d: int = 256        # 257³ points
    sweeps: int = 10              # sweeps per timed Jacobi call
    repeats: int = 10             # timings are the best of this many
    mg_n_2d: int = 1024           # 1023² interior points
    mg_n_3d: int = 128            # 127³ interior points
    rtol: float = 1e-8
    pyamg_3d: bool = True
    spsolve_2d: bool = True
    spsolve_3d: bool = False      # SuperLU on 127³ needs many GiB of fill and hours; off by default
    solver_repeats: int = 3       # repeats for the solver comparison (spsolve and PyAMG: 1)
    dst_n: int = 1024

    def __post_init__(self):
        for name in ("jacobi_n_2d", "jacobi_n_3d", "mg_n_2d", "mg_n_3d", "dst_n"):
            v = getattr(self, name)
            if v < 4 or v % 2:
                raise ValueError(f"{name}={v} must be an even number of intervals >= 4")
        if self.sweeps < 1 or self.repeats < 1 or self.solver_repeats < 1:
            raise ValueError("sweeps, repeats and solver_repeats must be >= 1")
        if not 0 < self.rtol < 1:
            raise ValueError(f"rtol={self.rtol} must be in (0, 1)")


@functools.lru_cache(maxsize=None)
def triad_kernel():
    """The STREAM triad ``k(a, b, c, s)``: ``a[i] = b[i] + s·c[i]`` on flat float64 arrays (24 bytes of
    traffic per element), threaded: the machine's memory bandwidth that a Jacobi sweep is measured against.

    >>> import numpy as np
    >>> a, b = np.empty(4), np.arange(4.0)
    >>> triad_kernel()(a, b, b, 2.0)
    >>> a.tolist()
    [0.0, 3.0, 6.0, 9.0]
    """
    from numba import njit, prange

    from hybridsolve._numba import configure

    configure()

    @njit(cache=True, parallel=True)
    def triad(a, b, c, s):
        for i in prange(a.shape[0]):
            a[i] = b[i] + s * c[i]

    return triad


def _best(fn, repeats):
    best = math.inf
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _mark(ok):
    return "**met**" if ok else "**NOT met**"


def _bench_bandwidth(p, ctx):
    from hybridsolve.problem import PoissonProblem
    from hybridsolve.solvers.relaxation import Relaxation

    triad = triad_kernel()

    rows = []
    for dim, n in ((2, p.jacobi_n_2d), (3, p.jacobi_n_3d)):
        prob = PoissonProblem(domain=[(0.0, 1.0)] * dim, n=n, source=1.0, name=f"jacobi_{dim}d")
        relax = Relaxation(prob, "jacobi", omega=1.0)
        u = prob.initial_guess()
        relax.sweep(u, 1)  # compile / warm up
        N = u.size
        a, b, c = np.zeros(N), np.ones(N), np.full(N, 0.5)
        triad(a, b, c, 3.0)
        t_triad = t_jac = math.inf
        for _ in range(p.repeats):  # interleaved, so both see the same machine state
            t0 = time.perf_counter()
            triad(a, b, c, 3.0)
            t_triad = min(t_triad, time.perf_counter() - t0)
            t0 = time.perf_counter()
            relax.sweep(u, p.sweeps)
            t_jac = min(t_jac, (time.perf_counter() - t0) / p.sweeps)
        bw_triad = 24 * N / t_triad / 1e9
        bw_jac = 24 * N / t_jac / 1e9
        rows.append({"dim": dim, "points": list(u.shape), "triad_GBs": bw_triad, "jacobi_sweep_s": t_jac,
                     "jacobi_GBs": bw_jac, "fraction": bw_jac / bw_triad})
        ctx.log(f"{dim}-D {u.shape}: triad {bw_triad:.1f} GB/s, Jacobi {t_jac*1e3:.2f} ms/sweep = {bw_jac:.1f} GB/s "
                f"({100 * bw_jac / bw_triad:.0f} %)")
        del a, b, c, u, relax, prob
    # a large triad (well beyond the caches), for reference
    N = 1 << 25
    a, b, c = np.zeros(N), np.ones(N), np.full(N, 0.5)
    triad(a, b, c, 3.0)
    t, _ = _best(lambda: triad(a, b, c, 3.0), p.repeats)
    big = 24 * N / t / 1e9
    ctx.log(f"triad on 3 x {N} doubles: {big:.1f} GB/s")
    return rows, big


def _bench_solvers(p, ctx):
    import hybridsolve as hs
    from hybridsolve.operators import matrix, rhs

    out = []
    for dim, n in ((2, p.mg_n_2d), (3, p.mg_n_3d)):
        prob = hs.problems.get(f"multiscale_{dim}d", n=n)
        b = rhs(prob).ravel()
        bnorm = float(np.linalg.norm(b))
        row = {"dim": dim, "n": n, "unknowns": prob.grid.num_unknowns}
        hs.solve(hs.problems.get(f"multiscale_{dim}d", n=256 if dim == 2 else 64), "multigrid", coarsest=4)  # compile/load kernels outside the timing

        def mg(**kw):
            return hs.solve(prob, "multigrid", rtol=p.rtol, reference="none", **kw)

        for key, kw in (("multigrid_V", {}), ("multigrid_FMG_V", {"fmg": True})):
            t, res = _best(lambda: mg(**kw), p.solver_repeats)
            row[key] = {"time": t, "cycles": res.iterations, "converged": res.converged,
                        "relres": res.residual_norm / bnorm, "factor": res.info["convergence_factor"]}
            ctx.log(f"{dim}-D n={n} {key}: {t:.3f} s, {res.iterations} cycles, rel. residual {res.residual_norm / bnorm:.1e}")
        import numba

        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            t, res = _best(lambda: mg(fmg=True), p.solver_repeats)
        finally:
            numba.set_num_threads(threads)
        row["multigrid_FMG_V_1thread"] = {"time": t, "cycles": res.iterations, "converged": res.converged,
                                          "relres": res.residual_norm / bnorm}
        ctx.log(f"{dim}-D n={n} multigrid FMG+V on 1 thread: {t:.3f} s")
        t, res = _best(lambda: hs.solve(prob, "direct"), p.solver_repeats)
        row["dst"] = {"time": t, "relres": res.residual_norm / bnorm}
        ctx.log(f"{dim}-D n={n} DST: {t:.3f} s")
        if dim == 2 or p.pyamg_3d:
            try:
                import pyamg
            except ImportError:
                row["pyamg"] = None
                ctx.log("pyamg not installed: skipped")
            else:
                A = matrix(prob.grid)
                t0 = time.perf_counter()
                ml = pyamg.ruge_stuben_solver(A)
                t_setup = time.perf_counter() - t0
                resid = []
                x = ml.solve(b, x0=np.zeros_like(b), tol=p.rtol, maxiter=200, residuals=resid)
                t_total = time.perf_counter() - t0
                relres = float(np.linalg.norm(b - A @ x)) / bnorm
                row["pyamg"] = {"setup": t_setup, "time": t_total, "iterations": len(resid) - 1, "relres": relres}
                ctx.log(f"{dim}-D n={n} PyAMG RS: setup {t_setup:.2f} s, total {t_total:.2f} s, rel. residual {relres:.1e}")
                del A, ml
        else:
            row["pyamg"] = None
        if (dim == 2 and p.spsolve_2d) or (dim == 3 and p.spsolve_3d):
            t0 = time.perf_counter()
            res = hs.solve(prob, "spsolve")
            row["spsolve"] = {"time": time.perf_counter() - t0, "relres": res.residual_norm / bnorm}
            ctx.log(f"{dim}-D n={n} spsolve: {row['spsolve']['time']:.2f} s")
        else:
            row["spsolve"] = None
        out.append(row)
    return out


def _bench_factors(p, ctx):
    """V(2,2) factor from a random start (all frequencies present), and one-pass FMG error."""
    import hybridsolve as hs

    rng = np.random.default_rng(0)
    factors = []
    for dim, n in ((2, p.mg_n_2d), (3, p.mg_n_3d)):
        prob = hs.problems.get(f"multiscale_{dim}d", n=n)
        u0 = rng.standard_normal(prob.grid.shape)
        res = hs.solve(prob, "multigrid", u0=u0, rtol=1e-10, reference="none", maxiter=30)
        fs = res.info["factors"]
        factors.append({"dim": dim, "n": n, "mean": res.info["convergence_factor"], "worst": max(fs), "cycles": len(fs)})
        ctx.log(f"{dim}-D n={n} V(2,2) factor {res.info['convergence_factor']:.3f} (worst {max(fs):.3f})")
    fmg = []
    for name, n in (("paper_1d", 1000), ("smooth_2d", p.mg_n_2d), ("multiscale_2d", p.mg_n_2d),
                    ("smooth_3d", p.mg_n_3d), ("multiscale_3d", p.mg_n_3d)):
        prob = hs.problems.get(name, n=n)
        res = hs.solve(prob, "multigrid", fmg=True, maxiter=1, rtol=1e-300)
        eps = prob.discretisation_error()
        fmg.append({"problem": name, "n": n, "error": res.error_inf, "eps_disc": eps, "ratio": res.error_inf / eps})
        ctx.log(f"FMG {name} n={n}: error {res.error_inf:.3e} = {res.error_inf / eps:.3f} x eps_disc")
    return factors, fmg


def _bench_dst(p, ctx):
    import hybridsolve as hs
    from hybridsolve.solvers.direct import dst_solve

    prob = hs.problems.get("multiscale_2d", n=p.dst_n)
    dst_solve(prob)
    t_core, _ = _best(lambda: dst_solve(prob), p.repeats)
    t_full, _ = _best(lambda: hs.solve(prob, "direct"), p.repeats)
    ctx.log(f"DST 2-D n={p.dst_n}: {t_core:.3f} s (hs.solve 'direct' with its residual check: {t_full:.3f} s)")
    return {"n": p.dst_n, "time": t_core, "time_solve": t_full}


def _markdown(p, bw, big, solvers, factors, fmg, dst, smoke, load):
    import numba

    L = []
    cmd = "python -m benchmarks classical" + (" --smoke" if smoke else " --update-docs")
    L.append(f"Command: `{cmd}` (case `benchmarks/cases/bench_classical.toml`); "
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python {platform.python_version()}, "
             f"Numba {numba.__version__} ({numba.get_num_threads()} threads), {_cpu()}; times are the best of "
             f"{p.repeats} (solvers: best of {p.solver_repeats}; PyAMG and spsolve: one run). "
             f"1-minute load average {load[0]:.1f} at the start and {load[1]:.1f} at the end of the run "
             "(a load above the core count means other jobs shared the machine and the numbers are noisy).")
    L.append("")
    L.append("| target | measured | status |")
    L.append("|---|---|---|")
    for r in bw:
        pts = "×".join(str(s) for s in r["points"][:1]) + f"^{len(r['points'])}"
        ok = r["fraction"] >= 0.8
        L.append(f"| Jacobi sweep {pts} points ≥ 80 % of triad bandwidth | {100 * r['fraction']:.1f} % "
                 f"({r['jacobi_GBs']:.1f} of {r['triad_GBs']:.1f} GB/s) | {_mark(ok)} |")
    s2 = solvers[0]
    best_mg = min(s2["multigrid_V"]["time"], s2["multigrid_FMG_V"]["time"])
    if s2.get("pyamg"):
        ratio = s2["pyamg"]["time"] / best_mg
        L.append(f"| multigrid 2-D n={s2['n']} to rtol {p.rtol:g} ≥ 10× faster than PyAMG RS setup+solve | "
                 f"{ratio:.1f}× ({best_mg:.3f} s vs {s2['pyamg']['time']:.2f} s) | {_mark(ratio >= 10)} |")
    for f in factors:
        L.append(f"| V(2,2) convergence factor {f['dim']}-D ≤ 0.15 | {f['mean']:.3f} (geometric mean of {f['cycles']} "
                 f"cycles from a random start; worst cycle {f['worst']:.3f}) | {_mark(f['mean'] <= 0.15)} |")
    worst = max(fmg, key=lambda r: r["ratio"])
    L.append(f"| full multigrid ≤ 2 ε_disc in one pass | worst {worst['ratio']:.2f} ε_disc ({worst['problem']}, n={worst['n']}) "
             f"| {_mark(worst['ratio'] <= 2)} |")
    L.append(f"| DST direct solver 2-D n={dst['n']} ≤ 0.3 s | {dst['time']:.3f} s | {_mark(dst['time'] <= 0.3)} |")
    L.append("")
    L.append("**Bandwidth** (24 bytes per point; the triad `a = b + s·c` runs on arrays of the same number of "
             f"points, interleaved with the sweeps; a triad on 3 × 2²⁵ doubles gave {big:.1f} GB/s):")
    L.append("")
    L.append("| grid | triad GB/s | Jacobi ms/sweep | Jacobi GB/s | % of triad |")
    L.append("|---|---|---|---|---|")
    for r in bw:
        L.append(f"| {'×'.join(map(str, r['points']))} | {r['triad_GBs']:.1f} | {1e3 * r['jacobi_sweep_s']:.2f} | "
                 f"{r['jacobi_GBs']:.1f} | {100 * r['fraction']:.1f} |")
    L.append("")
    L.append(f"**Solvers** on `multiscale_{{2,3}}d` to rtol {p.rtol:g} (relative residual ‖b − Au‖₂/‖b‖₂ shown; "
             "multigrid = `hs.solve(…, \"multigrid\", reference=\"none\")` end to end, V(2,2) red-black Gauss–Seidel; "
             "PyAMG = `ruge_stuben_solver(A)` + `solve(b, tol=rtol)` given the assembled matrix):")
    L.append("")
    L.append("| problem | solver | time (s) | vs multigrid (best of the two threaded rows) | iterations | rel. residual |")
    L.append("|---|---|---|---|---|---|")
    for s in solvers:
        name = f"{s['dim']}-D n={s['n']} ({s['unknowns']:,} unknowns)"
        best = min(s["multigrid_V"]["time"], s["multigrid_FMG_V"]["time"])
        entries = [("multigrid V(2,2)", s["multigrid_V"], s["multigrid_V"]["cycles"]),
                   ("multigrid FMG + V(2,2)", s["multigrid_FMG_V"], s["multigrid_FMG_V"]["cycles"]),
                   ("multigrid FMG + V(2,2), 1 thread", s["multigrid_FMG_V_1thread"],
                    s["multigrid_FMG_V_1thread"]["cycles"]),
                   ("DST (direct)", s["dst"], 1)]
        if s.get("pyamg"):
            entries.append((f"PyAMG RS (setup {s['pyamg']['setup']:.2f} s)", s["pyamg"], s["pyamg"]["iterations"]))
        else:
            entries.append(("PyAMG RS", None, None))
        if s.get("spsolve"):
            entries.append(("scipy spsolve", s["spsolve"], 1))
        else:
            entries.append(("scipy spsolve", None, None))
        for label, e, its in entries:
            if e is None:
                L.append(f"| {name} | {label} | not run | | | |")
            else:
                L.append(f"| {name} | {label} | {e['time']:.3f} | {e['time'] / best:.1f}× | {its} | {e['relres']:.1e} |")
    L.append("")
    L.append("**Full multigrid, one pass** (error ‖u − u_ref‖∞ against the discretisation error ε_disc = ‖u* − u_ref‖∞):")
    L.append("")
    L.append("| problem | n | FMG error | ε_disc | ratio |")
    L.append("|---|---|---|---|---|")
    for r in fmg:
        L.append(f"| {r['problem']} | {r['n']} | {r['error']:.3e} | {r['eps_disc']:.3e} | {r['ratio']:.3f} |")
    L.append("")
    L.append(f"DST solver alone (`dst_solve`) {dst['time']:.3f} s; through `hs.solve(…, \"direct\")` with its residual and "
             f"error report {dst['time_solve']:.3f} s.")
    return "\n".join(L) + "\n"


def _cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                import os

                return f"{line.split(':', 1)[1].strip()} × {os.cpu_count()} cores"
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


@register_kind("bench_classical", BenchClassicalParams)
def run_bench_classical(p: BenchClassicalParams, ctx: RunContext) -> dict:
    """Run the classical benchmark; returns headline numbers and the markdown table."""
    import os

    load0 = os.getloadavg()[0]
    bw, big = _bench_bandwidth(p, ctx)
    solvers = _bench_solvers(p, ctx)
    factors, fmg = _bench_factors(p, ctx)
    dst = _bench_dst(p, ctx)
    load = (load0, os.getloadavg()[0])
    md = _markdown(p, bw, big, solvers, factors, fmg, dst, ctx.smoke, load)
    raw = {"load_average": load, "bandwidth": bw, "triad_large_GBs": big, "solvers": solvers, "factors": factors, "fmg": fmg, "dst": dst}
    ctx.save_json(raw, "bench_classical")
    ctx.save_text(md, "bench_classical.md")
    s2 = solvers[0]
    best_mg = min(s2["multigrid_V"]["time"], s2["multigrid_FMG_V"]["time"])
    return {
        "markdown": md,
        "jacobi_fraction_2d": bw[0]["fraction"],
        "jacobi_fraction_3d": bw[1]["fraction"],
        "multigrid_2d_time": best_mg,
        "pyamg_2d_time": s2["pyamg"]["time"] if s2.get("pyamg") else None,
        "speedup_vs_pyamg_2d": (s2["pyamg"]["time"] / best_mg) if s2.get("pyamg") else None,
        "v22_factor_2d": factors[0]["mean"],
        "v22_factor_3d": factors[1]["mean"],
        "fmg_worst_ratio": max(r["ratio"] for r in fmg),
        "dst_2d_time": dst["time"],
    }
