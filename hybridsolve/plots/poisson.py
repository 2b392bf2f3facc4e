"""Figures 1 and 4(a–c) of Xu et al. (2020), error against wall time and Δ_F heat maps — each drawn
from a :class:`~hybridsolve.History` written by a :class:`~hybridsolve.SpectralMonitor` (its
``meta["monitor"]`` carries the frequency axis ``k``, the reference amplitude, the peaks and, for
small grids, ``x`` and ``u_ref``); nothing is recomputed.

>>> import hybridsolve as hs
>>> prob = hs.problems.paper_1d(n=200)
>>> mon = hs.SpectralMonitor(prob, peaks=[1, 3, 8])
>>> res = hs.solve(prob, "jacobi", maxiter=400, monitor=mon, observe_every=100)
>>> fig = plot_delta_f(mon.history, phase="jacobi")
>>> len(fig.axes[0].lines) >= 3
True
"""
from __future__ import annotations

import numpy as np

from .style import METHOD_COLORS, new_figure, peak_colors

__all__ = ["monitor_meta", "plot_reference", "plot_delta_f", "plot_delta_f_heatmap", "plot_error_vs_time",
           "plot_figure4abc", "plot_figure1"]


def monitor_meta(history) -> dict:
    """The monitor's metadata of a history, arrays as NumPy arrays (ValueError if absent)."""
    meta = history.meta.get("monitor")
    if not isinstance(meta, dict):
        raise ValueError("this history has no meta['monitor']: it was not written by a SpectralMonitor")
    out = dict(meta)
    for key in ("k", "ref_amplitude", "x", "u_ref"):
        if out.get(key) is not None:
            out[key] = np.asarray(out[key], dtype=float)
    return out


def _axes(ax, **kw):
    if ax is None:
        fig, ax = new_figure(**kw)
        return fig, ax
    return ax.figure, ax


def _phase(history, phase):
    if phase is None:
        return history
    h = history.phase(phase)
    if len(h) == 0:
        raise ValueError(f"history has no records of phase {phase!r}; its phases: {history.phases}")
    return h


def _spectrum_inset(ax, meta, kmax=None, label="|û_ref(k)|", bounds=(0.1, 0.56, 0.36, 0.38)):
    k, amp, peaks = meta["k"], meta["ref_amplitude"], list(meta.get("peaks", []))
    if kmax is None:
        kmax = int(min(k[-1], max(20, 3 * max(peaks)) if peaks else 40))
    sel = k <= kmax
    ins = ax.inset_axes(list(bounds)) if bounds is not None else ax
    ins.plot(k[sel], amp[sel], "-", color="tab:red", lw=1.0, marker=".", ms=3)
    if peaks:
        ins.plot(peaks, amp[np.asarray(peaks, dtype=int)], "o", color="k", ms=5, zorder=3)
        for p in peaks:
            ins.annotate(str(p), (p, amp[p]), textcoords="offset points", xytext=(3, 4), fontsize=7)
    ins.set_xlabel("frequency index k", fontsize=7)
    ins.set_ylabel(label, fontsize=7)
    ins.tick_params(labelsize=7)
    return ins


def plot_reference(history, ax=None, *, kmax=None, label: str = "u_ref"):
    """Figure 4(a): ``u_ref`` on the grid (1-D) with the inset ``|û_ref(k)|`` and its peaks as black dots.

    In 2-D / 3-D (no curve to draw) the panel shows the shell amplitude profile itself."""
    meta = monitor_meta(history)
    fig, ax = _axes(ax)
    if meta.get("x") is not None and meta.get("u_ref") is not None and meta.get("dim", 1) == 1:
        ax.plot(meta["x"], meta["u_ref"], color="k", lw=1.2)
        ax.set_xlabel("x")
        ax.set_ylabel(label)
        _spectrum_inset(ax, meta, kmax)
    else:
        k, amp, peaks = meta["k"], meta["ref_amplitude"], list(meta.get("peaks", []))
        ax.semilogy(k, np.maximum(amp, 1e-300), color="tab:red", lw=1.0)
        if peaks:
            ax.semilogy(peaks, amp[np.asarray(peaks, dtype=int)], "o", color="k")
        ax.set_xlabel("|k| shell")
        ax.set_ylabel("|û_ref| (root-sum-square per shell)")
    ax.set_title(f"{meta.get('problem', '')}: reference ({meta.get('basis')}, {meta.get('reference')})", fontsize=9)
    return fig


def plot_delta_f(history, phase=None, ax=None, *, xlabel=None, threshold: float | None = 0.1, log: bool = False,
                 title=None):
    """Figures 4(b)/(c) and 1(b): ``Δ_F(k)`` against step for each recorded peak (low k dark, high k bright)."""
    h = _phase(history, phase)
    fig, ax = _axes(ax)
    ks, M = h.matrix("delta_F")
    steps = h.steps()
    for k, row, c in zip(ks, M, peak_colors(len(ks))):
        ax.plot(steps, row, color=c, lw=1.4, label=f"k = {k}")
    if threshold is not None:
        ax.axhline(threshold, color="0.5", ls=":", lw=1.0)
    if log:
        ax.set_yscale("log")
    ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
    ax.set_xlabel(xlabel or ("sweeps" if phase in ("jacobi", "gauss_seidel") else "steps" if phase else "step"))
    ax.set_ylabel("Δ_F(k)")
    if ks:
        ax.legend(fontsize=8)
    ax.set_title(title or (f"{phase}" if phase else ""), fontsize=9)
    return fig


def plot_delta_f_heatmap(history, phase=None, ax=None, *, xlabel=None, vmax: float = 1.0, title=None):
    """Heat map of ``Δ_F``: peaks (rows) × recorded steps (columns), colour = Δ_F (clipped at ``vmax``)."""
    h = _phase(history, phase)
    fig, ax = _axes(ax, width=5.0, height=2.6)
    ks, M = h.matrix("delta_F")
    steps = h.steps().astype(float)
    if len(steps) == 0 or not ks:
        raise ValueError("no Δ_F values to draw: the history has no delta_F records")
    if len(steps) > 1:
        edges = np.concatenate(([steps[0] - (steps[1] - steps[0]) / 2], (steps[1:] + steps[:-1]) / 2,
                                [steps[-1] + (steps[-1] - steps[-2]) / 2]))
    else:
        edges = np.array([steps[0] - 0.5, steps[0] + 0.5])
    im = ax.pcolormesh(edges, np.arange(len(ks) + 1), np.clip(M, 0, vmax), cmap="RdBu_r", vmin=0, vmax=vmax,
                       shading="flat")
    ax.set_yticks(np.arange(len(ks)) + 0.5, [str(k) for k in ks])
    ax.set_ylabel("frequency k")
    ax.set_xlabel(xlabel or ("sweeps" if phase in ("jacobi", "gauss_seidel") else "steps"))
    fig.colorbar(im, ax=ax, label="Δ_F")
    ax.set_title(title or (f"{phase}: Δ_F" if phase else "Δ_F"), fontsize=9)
    return fig


def plot_error_vs_time(history, ax=None, *, phases=None, key: str = "error_inf", title=None, logx=None):
    """‖u − u_ref‖∞ against wall time (monitoring excluded), one curve per phase. ``logx=None``: a log
    time axis when the phases' durations differ by more than 20×."""
    fig, ax = _axes(ax)
    phases = list(history.phases) if phases is None else list(phases)
    ends = []
    for p in phases:
        h = history.phase(p)
        t = h.times()
        ax.semilogy(t, h.column(key), "-", marker=".", ms=3, color=METHOD_COLORS.get(p), label=p)
        if len(t) and np.isfinite(t).any():
            ends.append(float(np.nanmax(t)))
    if logx is None:
        logx = len(ends) > 1 and min(ends) > 0 and max(ends) / min(ends) > 20
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel("wall time (s)")
    ax.set_ylabel("‖u − u_ref‖∞" if key == "error_inf" else key)
    ax.legend(fontsize=8)
    ax.set_title(title or "error against wall time", fontsize=9)
    return fig


def plot_figure4abc(history, *, dnn_phase: str = "dnn", jacobi_phase: str = "jacobi"):
    """Figure 4(a–c) in one 2×2 figure: (a) u_ref with |û_ref| and its peaks, (b) DNN Δ_F against
    steps, (c) Jacobi Δ_F against sweeps, (d) error against wall time for both."""
    fig, axes = new_figure(2, 2, width=4.6, height=3.4)
    plot_reference(history, axes[0, 0])
    axes[0, 0].set_title("(a) u_ref; inset |û_ref(k)| with peaks", fontsize=9)
    present = history.phases
    if dnn_phase in present:
        plot_delta_f(history, dnn_phase, axes[0, 1], xlabel="training steps", title="(b) DNN")
    if jacobi_phase in present:
        plot_delta_f(history, jacobi_phase, axes[1, 0], xlabel="Jacobi sweeps", title="(c) Jacobi")
    plot_error_vs_time(history, axes[1, 1], phases=[p for p in (dnn_phase, jacobi_phase) if p in present],
                       title="error against wall time")
    return fig


def plot_figure1(history, *, phase: str = "epoch"):
    """Figure 1: (a) the target f, (a') |f̂(k)| with its peaks as black dots (the paper's inset),
    (b) Δ_F against epochs, (c) the same as a heat map."""
    meta = monitor_meta(history)
    fig, axes = new_figure(2, 2, width=4.4, height=3.2)
    ax = axes[0, 0]
    ax.plot(meta["x"], meta["u_ref"], color="k", lw=1.2)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_title("(a) target f(x)", fontsize=9)
    _spectrum_inset(axes[0, 1], meta, kmax=min(20, int(meta["k"][-1])), label="|f̂(k)|", bounds=None)
    axes[0, 1].set_title("(a, inset) |f̂(k)|, peaks as black dots", fontsize=9)
    plot_delta_f(history, phase, axes[1, 0], xlabel="epochs", title="(b) Δ_F(k) against epochs")
    plot_delta_f_heatmap(history, phase, axes[1, 1], xlabel="epochs", title="(b, heat map) Δ_F")
    return fig
