"""Case kind ``deep_ritz``: the Deep Ritz network alone on a Poisson problem (paper: Fig. 4's network on
``paper_1d``). Writes the history (loss, residual, errors every ``observe_every`` steps; the final
output ``u`` in the last record), a figure of ``h`` against ``u_ref`` and of the error against steps,
a checkpoint (``--resume`` continues from it) and a summary with the final error, steps and time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cases import RunContext, param, register_kind
from ._common import ACTIVATIONS, DNN_LOSSES, DTYPES, DeepRitzSaver, check_grid_memory, check_problem, check_widths

__all__ = ["DeepRitzParams", "run_deep_ritz", "plot_deep_ritz"]


@dataclass
class DeepRitzParams:
    problem: str = "paper_1d"
    n: int = param(1000, ge=2, why="a grid needs at least 2 intervals")
    widths: list[int] | None = param(None, min_len=2, each=dict(ge=1))  # None: 1-4000-500-400-1 in 1-D (the paper), (d, 64, 64, 64, 1) otherwise
    activation: str = param("tanh", choices=ACTIVATIONS)
    init_std: float | None = param(None, gt=0)   # None: 0.02 in 1-D (the paper), 0.1 otherwise
    lr: float = param(5e-4, gt=0)
    loss: str = param("ritz", choices=DNN_LOSSES)
    beta: float = param(10.0, gt=0)
    steps: int = param(3000, ge=0)
    dtype: str = param("float32", choices=DTYPES)
    seed: int = param(0, ge=0)
    batch_size: int | None = param(None, ge=1)
    hard_bc: bool = False
    observe_every: int = param(100, ge=1)
    target_error: float | None = param(None, gt=0)   # stop once ‖h − u_ref‖∞ ≤ target_error
    reference: str = param("exact", choices=("exact", "discrete"))  # "exact" (u_ref) or "discrete" (u*)
    save_every: int = param(5, ge=1)                  # save history + checkpoint every this many observations

    def validate(self):
        dim = check_problem("problem", self.problem)
        check_widths("widths", self.widths, dim)
        check_grid_memory("n", self.n, dim)


@register_kind("deep_ritz", DeepRitzParams, resume=True)
def run_deep_ritz(p: DeepRitzParams, ctx: RunContext) -> dict:
    """The Deep Ritz network alone; --resume continues from the checkpoint (bit-identical on CPU)."""
    from .. import problems
    from ..solvers.deep_ritz import DeepRitz

    prob = problems.get(p.problem, n=p.n)
    dr = DeepRitz(prob, widths=p.widths, activation=p.activation, init_std=p.init_std, lr=p.lr, loss=p.loss,
                  beta=p.beta, dtype=p.dtype, seed=p.seed, batch_size=p.batch_size, hard_bc=p.hard_bc)
    ckpt = ctx.path("checkpoint.pt")
    saver = DeepRitzSaver(dr, ckpt, ctx, every=p.save_every, history_name="history")
    if saver.resume():
        ctx.log(f"resumed from {ckpt} at step {dr.steps_done}")
        ctx.note(resumed_at_step=int(dr.steps_done))
    ref = prob.reference(p.reference)
    dr.history.meta.update(problem=prob.name, n=p.n, reference=p.reference, u_ref=ref,
                           x=[c for c in prob.grid.coords] if prob.dim == 1 else None)

    ctx.log(f"{prob.name} n={p.n}, widths {'-'.join(map(str, dr.widths))}, loss {p.loss}, {p.steps} steps")
    try:
        res = dr.run(max(p.steps - dr.steps_done, 0), observe_every=p.observe_every, target_error=p.target_error,
                     reference=p.reference, progress=ctx.progress, callback=saver)
    except KeyboardInterrupt:
        at, records = int(dr.steps_done), len(dr.history)
        ctx.note(records=records, interrupted_at_step=at, checkpoint_step=saver.save_interrupted())
        raise
    dr.history.last.data["u"] = res.u
    dr.save_checkpoint(ckpt)
    ctx.save_history(dr.history)
    ctx.save_figure(plot_deep_ritz(dr.history), "deep_ritz")
    err = dr.history.column("error_inf")
    steps = dr.history.steps()
    reached = None
    if p.target_error is not None:
        hit = np.flatnonzero(err <= p.target_error)
        reached = int(steps[hit[0]]) if hit.size else None
    return {
        "problem": prob.name, "loss": p.loss, "widths": list(dr.widths), "steps": int(dr.steps_done),
        "train_time_s": dr.train_time, "ms_per_step": res.info["ms_per_step"],
        "initial_error_inf": float(err[0]), "final_error_inf": float(res.error_inf),
        "min_error_inf": float(np.nanmin(err)), "final_error_l2": res.info.get("error_l2"),
        "final_loss": res.info["loss"], "converged": res.converged, "reason": res.reason,
        "target_error": p.target_error, "steps_to_target": reached,
        "discretisation_error": prob.discretisation_error() if prob.has_exact else None,
    }


def plot_deep_ritz(history):
    """(a) the final network output against the reference, (b) ‖h − u_ref‖∞ and the loss against steps."""
    from ..plots.style import METHOD_COLORS, new_figure

    fig, (ax1, ax2) = new_figure(ncols=2, width=4.6)
    meta = history.meta
    u = history.last.get("u")
    ref = np.asarray(meta.get("u_ref")) if meta.get("u_ref") is not None else None
    if u is not None and u.ndim == 1:
        x = np.asarray(meta["x"][0]) if meta.get("x") else np.arange(u.size)
        if ref is not None:
            ax1.plot(x, ref, color="k", lw=2.2, label=r"$u_{\rm ref}$")
        ax1.plot(x, u, color=METHOD_COLORS["deep_ritz"], lw=1.0, ls="--", label=f"DNN, step {history.last.step}")
        ax1.set_xlabel("x")
        ax1.legend(fontsize=8)
    elif u is not None and ref is not None:
        mid = tuple(s // 2 for s in u.shape[:-2])
        im = ax1.imshow((u - ref)[mid].T if mid else (u - ref).T, origin="lower", cmap="RdBu_r")
        fig.colorbar(im, ax=ax1, label=r"$h - u_{\rm ref}$")
    ax1.set_title(f"(a) {meta.get('problem', '')}: {meta.get('loss', '')} loss")
    steps = history.steps()
    ax2.semilogy(steps, history.column("error_inf"), "*", color=METHOD_COLORS["deep_ritz"], ms=5,
                 label=r"$\|h-u_{\rm ref}\|_\infty$" if meta.get("reference") != "discrete" else r"$\|h-u^*\|_\infty$")
    ax2.set_xlabel("Adam step")
    ax2.set_ylabel("error")
    loss = history.column("loss")
    ax3 = ax2.twinx()
    ax3.plot(steps, loss, color="0.5", lw=0.8, label="loss")
    ax3.set_ylabel("loss", color="0.5")
    ax2.legend(fontsize=8, loc="upper right")
    ax2.set_title("(b) error and loss during training")
    return fig
