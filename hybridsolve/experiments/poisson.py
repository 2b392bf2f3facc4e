"""Case kind ``poisson``: one gallery problem, several solvers, side by side (the README's main job)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..cases import RunContext, param, register_kind
from ..history import History, Record
from ..schema import ParamError
from ._common import check_grid_memory, check_problem

__all__ = ["PoissonParams", "run_poisson"]


@dataclass
class PoissonParams:
    problem: str = "multiscale_2d"
    n: int = param(256, ge=2, why="a grid needs at least 2 intervals")
    methods: list[str] = param(factory=lambda: ["direct", "multigrid", "gauss_seidel", "jacobi"], min_len=1,
                               unique=True)
    rtol: float = param(1e-8, ge=0)
    maxiter: int = param(20_000, ge=1)
    options: dict[str, dict] = field(default_factory=dict)

    def validate(self):
        from ..solvers import methods

        dim = check_problem("problem", self.problem)
        check_grid_memory("n", self.n, dim)
        valid = methods()
        bad = [m for m in self.methods if m not in valid]
        if bad:
            raise ParamError("methods", self.methods, f"a list of methods, each one of {', '.join(map(repr, valid))}",
                             message=f"key 'methods': unknown method {bad[0]!r}; valid: {', '.join(valid)}")
        for m, opts in self.options.items():
            if m not in self.methods:
                raise ParamError(f"options.{m}", opts, "", message=f"key 'options.{m}': options given for {m!r}, "
                                 f"which is not in methods ({', '.join(self.methods)})")
            _check_option_names(m, opts)


def _check_option_names(method: str, opts: dict) -> None:
    """Option names of ``method`` (its keyword-only arguments), without running it."""
    import inspect

    from ..solvers import method_function

    params = inspect.signature(method_function(method)).parameters
    valid = sorted(n for n, q in params.items() if q.kind is inspect.Parameter.KEYWORD_ONLY)
    for name, value in opts.items():
        if name not in valid:
            raise ParamError(f"options.{method}.{name}", value, "",
                             message=f"key 'options.{method}.{name}': {method} has no option {name!r}; valid options: "
                                     f"{', '.join(valid)}")


_ITERATIVE = ("jacobi", "gauss_seidel", "multigrid")


def _method_options(p: PoissonParams, method: str, progress=None) -> dict:
    opts = dict(p.options.get(method, {}))
    if method in _ITERATIVE:
        opts.setdefault("rtol", p.rtol)
        opts.setdefault("maxiter", p.maxiter)
        opts.setdefault("progress", progress)
    return opts


def preflight_poisson(p: PoissonParams) -> None:
    """Every method's options checked by the solver itself (an iterative one set up with ``maxiter=0``),
    before the first method runs: a run never stops on one method's option after others have run."""
    import hybridsolve as hs

    prob = hs.problems.get(p.problem, n=p.n)
    for method in p.methods:
        opts = _method_options(p, method, progress=False)
        if method in _ITERATIVE:
            opts["maxiter"] = 0
        elif method not in ("direct", "spsolve"):
            continue   # a neural method's options are checked when it is built (names above)
        try:
            hs.solve(prob, method, **opts)
        except ValueError as exc:
            given = {k: v for k, v in p.options.get(method, {}).items()}
            raise ParamError(f"options.{method}", given, "", message=f"key 'options.{method}' = {given}: {exc}") \
                from None


@register_kind("poisson", PoissonParams, resume=True, preflight=preflight_poisson)
def run_poisson(p: PoissonParams, ctx: RunContext) -> dict:
    """Solve one gallery problem with each listed method; figures of the solution and of the
    error against wall time; ``history`` holds every method's checks (one phase per method, each
    starting at t = 0). --resume skips the methods an interrupted run finished (an interrupted method
    runs again from the start)."""
    import inspect

    import hybridsolve as hs
    from ..plots.poisson_compare import plot_convergence, plot_solution
    from ..solvers import method_function

    prob = hs.problems.get(p.problem, n=p.n)
    eps = prob.discretisation_error() if prob.has_exact else None
    ctx.log(f"{prob!r}; discretisation error {eps:.3e}" if eps is not None else repr(prob))
    combined = History(meta={"problem": prob.name, "n": list(prob.grid.n), "discretisation_error": eps,
                             "note": "one phase per method; each phase's time starts at 0"})
    rows = {}
    state = ctx.load_state()
    if state is not None:
        saved = ctx.load_history()
        rows = {m: r for m, r in state["rows"].items() if m in p.methods}
        if saved is not None:
            combined.records[:] = [r for r in saved if r.phase in rows]
        ctx.log(f"resumed: {', '.join(rows) or 'no method'} done earlier")
        ctx.note(resumed_with=list(rows))
    solution = None
    current, partial, recorded = None, History(), False
    try:
        for method in p.methods:
            if method in rows:
                continue
            current, partial, recorded = method, History(), False
            opts = _method_options(p, method, ctx.progress)
            if "history" in inspect.signature(method_function(method)).parameters:
                opts["history"] = partial
            res = hs.solve(prob, method, **opts)
            ctx.log(repr(res))
            combined.extend(History([Record(method, r.step, r.time, dict(r.data)) for r in res.history]))
            recorded = True
            rows[method] = res.summary()
            ctx.save_history(combined)  # after every method: an interrupted run keeps what it finished
            ctx.save_state({"rows": rows})
            if method == "direct":
                solution = res.u
            current = None
    except KeyboardInterrupt:
        if current is not None and not recorded:   # the records of the method in progress, too
            combined.extend(History([Record(current, r.step, r.time, dict(r.data)) for r in partial]))
        ctx.save_history(combined)
        ctx.note(interrupted_in_method=current, records=len(combined), methods_done=list(rows))
        raise
    best = None
    for method in p.methods:
        if rows[method]["converged"] and (best is None or rows[method]["wall_time"] < rows[best]["wall_time"]):
            best = method
    if solution is None:
        solution = prob.discrete_solution()
    ctx.save_figure(plot_solution(prob, solution), "solution")
    ctx.save_figure(plot_convergence(combined), "convergence")
    return {"problem": prob.name, "n": list(prob.grid.n), "discretisation_error": eps,
            "methods": {m: rows[m] for m in p.methods}, "fastest_converged": best}
