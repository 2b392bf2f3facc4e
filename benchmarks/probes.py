"""Benchmark kind ``bench_probes``: FilteringProbe and ProjectionProbe on Fashion-MNIST train (60 000 × 784).

Measures, in one run: the FilteringProbe build time, one evaluation for the listed δ, the process
peak memory (``ru_maxrss``) after the build, the approximation error against the exact blocked
computation over all rows (and that computation's time), the ProjectionProbe per-evaluation time
for 60 000 samples × 200 frequencies, and the machine's float32 GEMM rate for context.

The outputs H the probes are evaluated on: a ridge least-squares linear classifier fitted to the
one-hot labels (a smooth, partly fitted output, like a network early in training) and the blend
½(H + Y) (a later stage).
"""
from __future__ import annotations

import resource
import time
from dataclasses import dataclass, field

import numpy as np

from hybridsolve.cases import RunContext, register_kind

__all__ = ["BenchProbesParams"]


@dataclass
class BenchProbesParams:
    data_dir: str = ""
    n_train: int = 60000
    deltas: list[float] = field(default_factory=lambda: [3.0, 7.0, 10.0])
    method: str = "auto"
    rows: int = 3000
    neighbours: int = 100
    pca_dims: int = 64
    n_freqs: int = 200
    repeats: int = 3
    exact_check: bool = True
    seed: int = 0


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9  # Linux: KiB


def _gemm_gflops() -> float:
    a = np.random.default_rng(0).random((2048, 2048), dtype=np.float32)
    a @ a
    t = time.perf_counter()
    a @ a
    return 2 * 2048 ** 3 / (time.perf_counter() - t) / 1e9


def _exact_many(X, Y, Hs, deltas, block, progress):
    """One exact blocked sweep giving e_low / e_high for several H at once."""
    from hybridsolve.probes.filtering import _check_xy, _errors, low_pass_blocked

    Xc, Y = _check_xy(X, Y)
    m = Y.shape[1]
    low = low_pass_blocked(Xc, np.concatenate([Y, *Hs], axis=1), deltas, block=block, progress=progress)
    out = []
    for j, H in enumerate(Hs):
        res = {"e_low": {}, "e_high": {}}
        for d in deltas:
            ylow, hlow = low[d][:, :m], low[d][:, m * (j + 1):m * (j + 2)]
            res["e_low"][d], res["e_high"][d] = _errors(ylow - hlow, Y - H, ylow, Y - ylow)
        out.append(res)
    return out


@register_kind("bench_probes", BenchProbesParams)
def run_bench_probes(p: BenchProbesParams, ctx: RunContext) -> dict:
    from hybridsolve.probes import FilteringProbe, ProjectionProbe, data, one_hot

    ds = data.load_fashion_mnist(p.data_dir or None, n_train=p.n_train, n_test=0, seed=p.seed)
    X, Y = ds.flat(), one_hot(ds.y_train)
    n = len(X)
    Xa = np.c_[X.astype(np.float64), np.ones(n)]
    W = np.linalg.solve(Xa.T @ Xa + 10 * np.eye(Xa.shape[1]), Xa.T @ Y)
    H1 = Xa @ W
    H2 = 0.5 * (H1 + Y)
    del Xa
    gflops = _gemm_gflops()
    base_gb = _peak_gb()
    ctx.log(f"n={n}; GEMM {gflops:.0f} GFLOP/s; peak before build {base_gb:.2f} GB")

    t = time.perf_counter()
    fp = FilteringProbe(X, Y, deltas=p.deltas, method=p.method, rows=p.rows, neighbours=p.neighbours, pca_dims=p.pca_dims,
                        seed=p.seed, progress=ctx.progress)
    build_s = time.perf_counter() - t
    peak_gb = _peak_gb()
    ctx.log(f"filtering probe ({fp.method}, {len(fp.rows)} rows) built in {build_s:.1f} s; peak {peak_gb:.2f} GB")
    evals = []
    for _ in range(max(1, p.repeats)):
        t = time.perf_counter()
        approx1 = fp(H1)
        evals.append(time.perf_counter() - t)
    eval_s = float(np.median(evals))
    approx2 = fp(H2)

    errors, exact_s, exact = None, None, None
    if p.exact_check:
        t = time.perf_counter()
        exact = _exact_many(X, Y, [H1, H2], fp.deltas, 1024, ctx.progress)
        exact_s = time.perf_counter() - t
        errors = []
        for ap, ex in zip((approx1, approx2), exact):
            for key in ("e_low", "e_high"):
                for d in fp.deltas:
                    errors.append(abs(ap[key][d] / ex[key][d] - 1))
        ctx.log(f"exact blocked computation {exact_s:.1f} s; max relative error {max(errors):.4f}")

    t = time.perf_counter()
    pp = ProjectionProbe(X, Y, output=0, n_freqs=p.n_freqs)
    pp_build = time.perf_counter() - t
    pts = []
    for _ in range(10):
        t = time.perf_counter()
        pp.spectrum(H1)
        pts.append(time.perf_counter() - t)
    pp_eval = float(np.median(pts))

    def mark(ok):
        return "met" if ok else "**NOT met**"

    rows = [
        ("FilteringProbe build", f"{build_s:.1f} s", "≤ 120 s", mark(build_s <= 120)),
        (f"one evaluation, {len(fp.deltas)} δ", f"{eval_s:.2f} s", "≤ 2 s", mark(eval_s <= 2)),
        ("process peak memory after build", f"{peak_gb:.2f} GB", "≤ 8 GB", mark(peak_gb <= 8)),
    ]
    if errors is not None:
        rows.append(("max relative error of e_low, e_high vs exact", f"{100 * max(errors):.2f} %", "≤ 1 %",
                     mark(max(errors) <= 0.01)))
        rows.append(("exact blocked computation (all rows, 2 outputs H)", f"{exact_s:.1f} s", "(reference)", ""))
    rows.append((f"ProjectionProbe evaluation, {n} × {p.n_freqs}", f"{1000 * pp_eval:.1f} ms", "≤ 200 ms",
                 mark(pp_eval <= 0.2)))
    rows.append(("ProjectionProbe build (PCA + exponentials)", f"{pp_build:.2f} s", "", ""))
    md = [f"### Probes (Fashion-MNIST train, n = {n} × 784)", "",
          f"FilteringProbe method `{fp.method}`: {len(fp.rows)} exact kernel rows (class-stratified, seed {p.seed}) "
          f"+ {fp.neighbours}-nearest-neighbour proxy (near part) plus the sampled rows' far part on all rows, regression estimator; "
          f"stored {fp.nbytes / 1e9:.2f} GB. Machine float32 GEMM: {gflops:.0f} GFLOP/s (measured in this run).", "",
          "| quantity | measured | target | |", "|---|---|---|---|"]
    md += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    if exact is not None:
        md += ["", "Per δ (H = ridge classifier / blend): exact → sampled", "",
               "| δ | e_low exact | e_low sampled | e_high exact | e_high sampled |", "|---|---|---|---|---|"]
        for ex, ap, tag in ((exact[0], approx1, "ridge"), (exact[1], approx2, "blend")):
            for d in fp.deltas:
                md.append(f"| {d:g} ({tag}) | {ex['e_low'][d]:.4f} | {ap['e_low'][d]:.4f} | {ex['e_high'][d]:.4f} | "
                          f"{ap['e_high'][d]:.4f} |")
    md += ["", "Reproduce: `python -m benchmarks probes --update-docs` (case `benchmarks/cases/bench_probes.toml`)."]
    markdown = "\n".join(md)
    return {"markdown": markdown, "build_s": build_s, "eval_s": eval_s, "peak_gb": peak_gb,
            "base_gb": base_gb, "max_rel_error": max(errors) if errors else None, "exact_s": exact_s,
            "projection_eval_s": pp_eval, "gemm_gflops": gflops, "n": n, "method": fp.method}
