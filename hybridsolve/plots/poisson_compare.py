"""Solution picture and solver comparison for the ``poisson`` case kind."""
from __future__ import annotations

import numpy as np

from .style import METHOD_COLORS, new_figure

__all__ = ["plot_solution", "plot_convergence"]


def plot_solution(problem, u):
    """The solution (a curve in 1-D, a heat map in 2-D, the mid-plane slice in 3-D)."""
    g = problem.grid
    if g.dim == 1:
        fig, ax = new_figure()
        ax.plot(g.coords[0], u, label="computed u", color=METHOD_COLORS["direct"])
        if problem.u_exact is not None:
            ax.plot(g.coords[0], problem.u_exact, "--", label="exact u", color="k", lw=0.8)
        ax.set_xlabel("x")
        ax.legend()
    else:
        fig, ax = new_figure(width=4.6, height=3.8)
        field = u if g.dim == 2 else u[:, :, u.shape[2] // 2]
        im = ax.imshow(field.T, origin="lower", aspect="auto", cmap="RdBu_r",
                       extent=[*g.bounds[0], *g.bounds[1]])
        fig.colorbar(im, ax=ax, label="u")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    title = f"{problem.name}, n={'×'.join(map(str, g.n))}" + (" (z mid-plane)" if g.dim == 3 else "")
    ax.set_title(title)
    return fig


def plot_convergence(history):
    """Error ‖u − u_ref‖∞ (or residual) against wall time and residual against iterations, per method."""
    fig, (ax_t, ax_i) = new_figure(ncols=2)
    eps = history.meta.get("discretisation_error")
    for method in history.phases:
        h = history.phase(method)
        color = METHOD_COLORS.get(method)
        t = np.maximum(h.times(), 1e-7)
        err = h.column("error_inf")
        y = err if np.isfinite(err).any() else h.column("residual")
        ax_t.loglog(t, y, "o-" if len(h) < 4 else "-", label=method, color=color, ms=4)
        ax_i.semilogy(np.maximum(h.steps(), 0), h.column("residual"), "o-" if len(h) < 4 else "-",
                      label=method, color=color, ms=4)
    if eps:
        ax_t.axhline(eps, color="k", ls=":", lw=0.8, label="discretisation error")
    ax_t.set_xlabel("wall time [s]")
    ax_t.set_ylabel("‖u − u_ref‖∞")
    ax_t.legend(fontsize=8)
    ax_i.set_xscale("symlog", linthresh=1)
    ax_i.set_xlabel("iterations (sweeps / cycles)")
    ax_i.set_ylabel("‖b − A u‖₂")
    fig.suptitle(f"{history.meta.get('problem', '')}: convergence")
    return fig
