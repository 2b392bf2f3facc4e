"""Figure 4(d) and the hybrid comparison, each drawn from a History (never by recomputing a run).

Both take a History whose *phases* are the curves: ``"dnn"`` (the DNN alone) and ``"M=<m>"`` (the
classical phase started from the DNN output after ``m`` steps) for Figure 4(d); any labels for the
comparison. ``meta`` carries ``target_error``, ``best_M`` and reference times (``ref_times``:
``{label: seconds}``, drawn as vertical lines). :func:`sweep_history` and :func:`comparison_history`
build such histories from hybrid results.

>>> from hybridsolve import History, Record
>>> h = History([Record("dnn", 0, 0.0, {"error_inf": 1.0}), Record("dnn", 10, 1.0, {"error_inf": 0.1}),
...              Record("M=10", 0, 1.0, {"error_inf": 0.1}), Record("M=10", 50, 1.5, {"error_inf": 1e-3})],
...             meta={"target_error": 1e-3, "best_M": 10})
>>> fig = plot_figure4d(h)
>>> len(fig.axes[0].lines) >= 2
True
"""
from __future__ import annotations

import numpy as np

from ..history import History, Record
from .style import METHOD_COLORS, colormap, new_figure

__all__ = ["plot_figure4d", "plot_comparison", "sweep_history", "comparison_history"]


def _m_of(phase: str):
    try:
        return int(phase.split("=", 1)[1]) if phase.startswith("M=") else None
    except ValueError:
        return None


def sweep_history(result) -> History:
    """A History for :func:`plot_figure4d` from a ``switch=Sweep(...)`` hybrid result."""
    info = result.info
    h = History(meta={"target_error": result.history.meta.get("target_error"), "best_M": info["best_M"],
                      "sweep": info["sweep"]})
    for r in info["dnn_history"]:
        h.append(Record("dnn", r.step, r.time, {k: v for k, v in r.data.items() if not isinstance(v, np.ndarray)}))
    for M, curve in sorted(info["curves"].items()):
        for r in curve:
            h.append(Record(f"M={M}", r.step, r.time, dict(r.data)))
    return h


def comparison_history(runs: dict, *, target_error=None, ref_times: dict | None = None) -> History:
    """Merge results (``{label: SolveResult or History}``) into one History, one phase per label."""
    h = History(meta={"target_error": target_error, "ref_times": dict(ref_times or {})})
    for label, run in runs.items():
        hist = run if isinstance(run, History) else run.history
        for r in hist:
            h.append(Record(label, r.step, r.time, {k: v for k, v in r.data.items() if not isinstance(v, np.ndarray)}))
    return h


def plot_figure4d(history: History, ax=None, *, key: str = "error_inf", logx: bool = False, title=None):
    """Figure 4(d): ‖h − u_ref‖∞ against wall time — the DNN alone as stars, the classical phase
    from each switch point M as dashed lines (the best M thick, in orange), the target as a line."""
    if ax is None:
        fig, ax = new_figure(width=5.6, height=3.8)
    else:
        fig = ax.figure
    meta = history.meta
    best = meta.get("best_M")
    ms = sorted(m for m in (_m_of(p) for p in history.phases) if m is not None)
    cmap = colormap("viridis")
    for i, m in enumerate(ms):
        c = history.phase(f"M={m}")
        t, e = c.times(), c.column(key)
        is_best = m == best
        color = METHOD_COLORS["hybrid"] if is_best else cmap(0.15 + 0.7 * i / max(len(ms) - 1, 1))
        ax.plot(t, e, "--", color=color, lw=2.4 if is_best else 1.2, zorder=3 if is_best else 2,
                label=f"Jacobi from M={m}" + (" (best)" if is_best else ""))
        ax.plot(t[:1], e[:1], "o", color=color, ms=6 if is_best else 4, zorder=4)
    if "dnn" in history.phases:
        d = history.phase("dnn")
        ax.plot(d.times(), d.column(key), "*", color="tab:green", ms=7, label="DNN alone", zorder=5)
    tgt = meta.get("target_error")
    if tgt:
        ax.axhline(tgt, color="k", ls=":", lw=0.8, label=f"target {tgt:g}")
    ax.set_yscale("log")
    if logx:
        ax.set_xscale("symlog", linthresh=1e-2)
    ax.set_xlabel("wall time (s), monitoring excluded")
    ax.set_ylabel("‖h − u_ref‖∞" if key == "error_inf" else key)
    ax.set_title(title or "Figure 4(d): DNN for M steps, then Jacobi", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    return fig


def plot_comparison(history: History, ax=None, *, key: str = "error_inf", logx: bool = True, title=None):
    """Error against wall time, one curve per phase (Jacobi alone, DNN alone, hybrids …), reference
    solvers (``meta['ref_times']``: multigrid, direct) as vertical lines, the target as a line."""
    if ax is None:
        fig, ax = new_figure(width=6.0, height=4.0)
    else:
        fig = ax.figure
    styles = {"jacobi": ("-", METHOD_COLORS["jacobi"]), "dnn": ("*", "tab:green"),
              "adaptive": ("-", METHOD_COLORS["adaptive"]), "alternating": ("-", METHOD_COLORS["alternating"])}
    cmap = colormap("YlOrBr")
    hyb = [p for p in history.phases if p.startswith("M=")]
    for p in history.phases:
        h = history.phase(p)
        t = np.maximum(h.times(), 1e-4) if logx else h.times()
        y = h.column(key)
        if p in styles:
            ls, color = styles[p]
        elif p in hyb:
            ls, color = "--", cmap(0.35 + 0.6 * hyb.index(p) / max(len(hyb) - 1, 1))
        else:
            ls, color = "-", None
        if ls == "*":
            ax.plot(t, y, "*", ms=5, color=color, label=p + " alone" if p == "dnn" else p)
        else:
            lw = 2.2 if p in ("adaptive", "alternating") else 1.1
            ax.plot(t, y, ls, lw=lw, color=color, label=("hybrid " + p) if p in hyb else
                    (p + " alone" if p == "jacobi" else p))
    for i, (label, sec) in enumerate((history.meta.get("ref_times") or {}).items()):
        if sec is not None and np.isfinite(sec):
            ax.axvline(max(sec, 1e-4) if logx else sec, color=["#2ca02c", "#7f7f7f", "#bcbd22"][i % 3], ls="-.",
                       lw=1.0, label=f"{label}: {sec:.3g} s")
    tgt = history.meta.get("target_error")
    if tgt:
        ax.axhline(tgt, color="k", ls=":", lw=0.8, label=f"target {tgt:g}")
    ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel("wall time (s), monitoring excluded")
    ax.set_ylabel("‖u − u_ref‖∞" if key == "error_inf" else key)
    ax.set_title(title or "error against wall time", fontsize=9)
    ax.legend(fontsize=6.5, loc="best", ncol=2)
    return fig
