"""Figures 2, 3 and 5 of Xu et al. (2020), each drawn from a :class:`~hybridsolve.History`.

* :func:`plot_projection` (Fig. 2): |ŷ_k| along the projection direction with the selected peaks
  (black squares), and Δ_F(k) against epochs for those peaks. Reads ``meta["freqs"]``,
  ``meta["amplitude"]``, ``meta["peaks"]`` and the ``delta_F`` entries of the epoch records.
* :func:`plot_filtering` (Fig. 3): e_low and e_high against epochs for every δ as heat maps
  (red = small error, as in the paper). Reads the ``e_low`` / ``e_high`` entries.
* :func:`plot_generalisation` (Fig. 5): |ŷ_k| of the training data (red dots), of all data (green
  line) and of the trained network's output on all data (blue dashed). Reads the ``spectrum``
  records (``freqs``, ``amp_train``, ``amp_all``, ``amp_dnn`` arrays).

>>> from hybridsolve.history import History, Record
>>> h = History([Record("epoch", e, 0.1 * e, {"e_low": {3.0: 1 / (e + 1)}, "e_high": {3.0: 1 - e / 10}})
...              for e in range(3)], meta={"dataset": "toy"})
>>> fig = plot_filtering(h); len(fig.axes) >= 2
True
"""
from __future__ import annotations

import numpy as np

from .style import new_figure, peak_colors

__all__ = ["plot_projection", "plot_filtering", "plot_generalisation"]


def plot_projection(history, *, title: str | None = None):
    """Fig. 2: (a) |ŷ_k| with the selected frequencies, (b) Δ_F(k) against training epochs."""
    meta = history.meta
    fig, (ax_a, ax_b) = new_figure(ncols=2)
    freqs = np.asarray(meta.get("freqs", []), float)
    amp = np.asarray(meta.get("amplitude", []), float)
    peaks = history.keys("delta_F")
    colors = peak_colors(len(peaks))
    if len(freqs):
        ax_a.semilogy(freqs, amp, color="0.3", lw=1.2)
        pk = np.asarray(meta.get("peaks", peaks), float)
        pa = np.interp(pk, freqs, amp)
        ax_a.semilogy(pk, pa, "ks", ms=6, mfc="none", mew=1.5, label="selected")
        ax_a.legend(fontsize=8)
    ax_a.set_xlabel("frequency k")
    ax_a.set_ylabel("|ŷ_k|")
    ax_a.set_title(f"(a) {meta.get('dataset', '')}: labels, output {meta.get('output', 0)}, along PC1", fontsize=9)
    ep = history.steps()
    for k, c in zip(peaks, colors):
        ax_b.semilogy(ep, history.series("delta_F", k), "o-", ms=3, color=c, label=f"k={k:.3g}")
    ax_b.set_xlabel("epoch")
    ax_b.set_ylabel("Δ_F(k)")
    ax_b.set_title("(b) relative error at the selected frequencies", fontsize=9)
    ax_b.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def plot_filtering(history, *, title: str | None = None, vmax: float | None = None):
    """Fig. 3: heat maps of e_low (left) and e_high (right), rows = δ, columns = recorded epochs."""
    deltas = sorted(set(history.keys("e_low")) | set(history.keys("e_high")))
    ep = history.steps()
    low = np.array([history.series("e_low", d) for d in deltas]).reshape(len(deltas), len(ep))
    high = np.array([history.series("e_high", d) for d in deltas]).reshape(len(deltas), len(ep))
    top = vmax if vmax is not None else float(np.nanmax(np.r_[low.ravel(), high.ravel(), [1.0]]))
    fig, axes = new_figure(ncols=2, width=4.0, height=max(2.2, 0.45 * len(deltas) + 1.4))
    edges = _edges(ep)
    for ax, M, name in zip(axes, (low, high), ("e_low", "e_high")):
        im = ax.pcolormesh(edges, np.arange(len(deltas) + 1), M, cmap="RdBu", vmin=0.0, vmax=top, shading="flat")
        ax.set_yticks(np.arange(len(deltas)) + 0.5, [f"δ={d:g}" for d in deltas])
        ax.set_xlabel("epoch")
        ax.set_title(name, fontsize=10)
    fig.colorbar(im, ax=list(axes), label="relative error")
    fig.suptitle(title or f"{history.meta.get('dataset', '')}: filtering method "
                 f"({history.meta.get('model', '')}, {history.meta.get('loss', '')})", fontsize=10)
    return fig


def _edges(x):
    x = np.asarray(x, float)
    if len(x) == 1:
        return np.array([x[0] - 0.5, x[0] + 0.5])
    mid = (x[1:] + x[:-1]) / 2
    return np.r_[x[0] - (mid[0] - x[0]), mid, x[-1] + (x[-1] - mid[-1])]


def plot_generalisation(histories: dict, *, title: str | None = None):
    """Fig. 5: one panel per history (``{label: History}``), each from its ``spectrum`` record."""
    fig, axes = new_figure(ncols=len(histories))
    axes = np.atleast_1d(axes)
    for ax, (label, h) in zip(axes, histories.items()):
        rec = h.phase("spectrum").last
        if rec is None:
            raise ValueError(f"history {label!r} has no 'spectrum' record")
        f = np.asarray(rec["freqs"])
        ax.plot(f, rec["amp_train"], "o", color="tab:red", ms=3, label="train data")
        ax.plot(f, rec["amp_all"], "-", color="tab:green", lw=1.5, label="all data")
        ax.plot(f, rec["amp_dnn"], "--", color="tab:blue", lw=1.5, label="DNN output (all inputs)")
        ax.set_xlabel("frequency k")
        ax.set_ylabel("|f̂_k|")
        extra = ", ".join(f"{k}={rec[k]:.3g}" for k in ("train_acc", "test_acc") if k in rec.data)
        ax.set_title(f"{label}" + (f" ({extra})" if extra else ""), fontsize=9)
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
