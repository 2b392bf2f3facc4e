"""Case kind ``poisson``: one gallery problem, several solvers, side by side (the README's main job)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..cases import RunContext, register_kind
from ..history import History, Record

__all__ = ["PoissonParams", "run_poisson"]


@dataclass
class PoissonParams:
    problem: str = "multiscale_2d"
    n: int = 256
    methods: list[str] = field(default_factory=lambda: ["direct", "multigrid", "gauss_seidel", "jacobi"])
    rtol: float = 1e-8
    maxiter: int = 20_000
    options: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self):
        from .. import problems
        from ..solvers import methods

        if self.problem not in problems.names():
            raise ValueError(f"unknown problem {self.problem!r}; valid: {', '.join(problems.names())}")
        bad = [m for m in self.methods if m not in methods()]
        if bad:
            raise ValueError(f"unknown method {bad[0]!r}; valid: {', '.join(methods())}")
        unknown_opts = [m for m in self.options if m not in self.methods]
        if unknown_opts:
            raise ValueError(f"options given for {unknown_opts[0]!r}, which is not in methods")


_ITERATIVE = ("jacobi", "gauss_seidel", "multigrid")


@register_kind("poisson", PoissonParams)
def run_poisson(p: PoissonParams, ctx: RunContext) -> dict:
    """Solve one gallery problem with each listed method; figures of the solution and of the
    error against wall time; ``history`` holds every method's checks (one phase per method, each
    starting at t = 0)."""
    import hybridsolve as hs
    from ..plots.poisson_compare import plot_convergence, plot_solution

    prob = hs.problems.get(p.problem, n=p.n)
    eps = prob.discretisation_error() if prob.has_exact else None
    ctx.log(f"{prob!r}; discretisation error {eps:.3e}" if eps is not None else repr(prob))
    combined = History(meta={"problem": prob.name, "n": list(prob.grid.n), "discretisation_error": eps,
                             "note": "one phase per method; each phase's time starts at 0"})
    rows = {}
    best = None
    for method in p.methods:
        opts = dict(p.options.get(method, {}))
        if method in _ITERATIVE:
            opts.setdefault("rtol", p.rtol)
            opts.setdefault("maxiter", p.maxiter)
            opts.setdefault("progress", ctx.progress)
        res = hs.solve(prob, method, **opts)
        ctx.log(repr(res))
        combined.extend(History([Record(method, r.step, r.time, dict(r.data)) for r in res.history]))
        ctx.save_history(combined)  # after every method: an interrupted run keeps what it finished
        rows[method] = res.summary()
        if res.converged and (best is None or res.wall_time < rows[best]["wall_time"]):
            best = method
        if method == "direct":
            solution = res.u
    if "direct" not in p.methods:
        solution = prob.discrete_solution()
    ctx.save_figure(plot_solution(prob, solution), "solution")
    ctx.save_figure(plot_convergence(combined), "convergence")
    return {"problem": prob.name, "n": list(prob.grid.n), "discretisation_error": eps, "methods": rows,
            "fastest_converged": best}
