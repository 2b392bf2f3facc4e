"""Benchmark kind ``bench_monitor``: the cost of one SpectralMonitor observation.

Targets (issue 4): a 2-D 1023² iterate (n = 1024) with the full DST error spectrum ≤ 0.2 s; a 1-D
n = 1000 iterate ≤ 1 ms. Each time is the median of ``repeats`` observations; beside it, in the same
run, the bare transform it cannot avoid (one ``scipy.fft.dstn`` of the interior / one ``rfft``), so
the ratio says how much the monitor adds on top. ``python -m benchmarks monitor --update-docs`` writes the
table into docs/benchmarks.md.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from hybridsolve.cases import RunContext, register_kind

__all__ = ["BenchMonitorParams", "run_bench_monitor"]


@dataclass
class BenchMonitorParams:
    n_1d: int = 1000
    n_2d: int = 1024
    repeats_1d: int = 2000
    repeats_2d: int = 10
    target_1d_ms: float = 1.0
    target_2d_s: float = 0.2


def _median_time(fn, repeats: int) -> float:
    fn()  # warm-up (allocations, FFT plans)
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


@register_kind("bench_monitor", BenchMonitorParams)
def run_bench_monitor(p: BenchMonitorParams, ctx: RunContext) -> dict:
    import scipy.fft

    import hybridsolve as hs
    from hybridsolve.monitor import SpectralMonitor
    from hybridsolve.spectral.transforms import WORKERS as _WORKERS

    rows = []
    rng = np.random.default_rng(0)

    # 1-D: paper_1d, the paper's DFT basis and the DST basis, with and without a reference array
    prob1 = hs.problems.paper_1d(n=p.n_1d)
    u1 = prob1.u_exact + 1e-3 * rng.standard_normal(prob1.grid.shape)
    bare1 = _median_time(lambda: scipy.fft.rfft(u1), p.repeats_1d)
    for basis, ref in (("dft", "exact"), ("dst", "exact"), ("dft", None), ("dst", None)):
        mon = SpectralMonitor(prob1, reference=ref, basis=basis, peaks="auto", spectrum=True)
        t = _median_time(lambda: mon.observe(u1, phase="bench", step=0, time=0.0), p.repeats_1d)
        rows.append({"case": f"1-D n={p.n_1d}, {basis}, reference={ref}, spectrum", "time_s": t,
                     "target_s": p.target_1d_ms * 1e-3, "bare_s": bare1, "bare": "rfft"})
        ctx.log(f"{rows[-1]['case']}: {t * 1e3:.3f} ms")

    # 2-D: multiscale_2d with n = 1024 (1023² unknowns), full spectrum per shell
    prob2 = hs.problems.multiscale_2d(n=p.n_2d)
    u2 = prob2.u_exact + 1e-3 * rng.standard_normal(prob2.grid.shape)
    inner = np.ascontiguousarray(u2[prob2.grid.interior])
    bare2 = _median_time(lambda: scipy.fft.dstn(inner, type=1, workers=_WORKERS), p.repeats_2d)
    for basis, ref in (("dst", "exact"), ("dst", None), ("dft", "exact")):
        mon = SpectralMonitor(prob2, reference=ref, basis=basis, peaks="auto", spectrum=True)
        t = _median_time(lambda: mon.observe(u2, phase="bench", step=0, time=0.0), p.repeats_2d)
        rows.append({"case": f"2-D {p.n_2d - 1}² interior, {basis}, reference={ref}, spectrum", "time_s": t,
                     "target_s": p.target_2d_s, "bare_s": bare2, "bare": "dstn"})
        ctx.log(f"{rows[-1]['case']}: {t:.4f} s")

    md = _markdown(rows, _WORKERS, ctx.smoke)
    return {"markdown": md, "rows": rows,
            "met": all(r["time_s"] <= r["target_s"] for r in rows)}


def _fmt(t: float) -> str:
    return f"{t * 1e3:.3f} ms" if t < 0.1 else f"{t:.3f} s"


def _markdown(rows, workers, smoke) -> str:
    lines = [
        "### SpectralMonitor: one observation",
        "",
        f"Median over repeated observations of one iterate (error norms, residual, Δ_F at the auto peaks, "
        f"low/high bands, full error spectrum per shell); scipy.fft with workers={workers}. "
        "`bare` is the single unavoidable transform timed in the same run.",
        "",
        "| observation | measured | target | met | bare transform | ratio to bare |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        met = "met" if r["time_s"] <= r["target_s"] else "NOT met"
        lines.append(f"| {r['case']} | {_fmt(r['time_s'])} | ≤ {_fmt(r['target_s'])} | {met} | "
                     f"{r['bare']} {_fmt(r['bare_s'])} | {r['time_s'] / r['bare_s']:.1f}× |")
    lines += ["", "Reproduce: `python -m benchmarks monitor --update-docs`" + (" (smoke size: not a benchmark)" if smoke else "")]
    return "\n".join(lines)
