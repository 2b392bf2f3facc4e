"""Several runs side by side: error and residual against time and against iterations, Δ_F per peak,
and a summary table (time to target, iterations, final error) — from saved histories only.

``histories`` is a results directory (``hybridsolve run … --out DIR`` writes ``DIR/history.json`` +
``history.npz``), a history file, a :class:`~hybridsolve.History`, or a list / ``{label: …}`` dict of
these. Every phase of every history is one curve (``D1: jacobi``), coloured by phase; runs that
share a phase name are told apart by line style. The Δ_F panels need histories of one problem (the same frequencies k);
the error and residual curves do not.

>>> import hybridsolve as hs
>>> p = hs.problems.paper_1d(n=200)
>>> runs = {m: hs.solve(p, m, target_error=1e-3, maxiter=20000, check_every=200).history
...         for m in ("jacobi", "gauss_seidel")}
>>> cmp = compare(runs, target_error=1e-3)
>>> [(r["run"], r["reached"]) for r in cmp.rows]
[('jacobi', True), ('gauss_seidel', True)]
>>> cmp.rows[1]["iterations_to_target"] < cmp.rows[0]["iterations_to_target"]   # Gauss–Seidel: fewer sweeps
True
"""
from __future__ import annotations

import csv
import io
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..history import History, atomic_write_text, find_history
from .style import METHOD_COLORS, savefig

__all__ = ["compare", "Comparison", "load_histories", "summary_rows", "format_table", "COLUMNS"]

#: the summary table's columns (CSV header), in order
COLUMNS = ["run", "phase", "problem", "records", "iterations", "time_s", "final_error_inf", "final_residual",
           "target_error", "reached", "time_to_target_s", "iterations_to_target"]
_STYLES = ["-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 3))]
_EXTRA_COLORS = ["#e377c2", "#8c564b", "#bcbd22", "#9467bd", "#17becf", "#7f7f7f", "#ff7f0e", "#1f77b4",
                 "#2ca02c", "#d62728"]


# -- input ------------------------------------------------------------------------------------
def _dir_target(d: Path):
    """The target error a results directory's run used (``summary.json``, else ``config.toml``), or None."""
    try:
        t = json.loads((d / "summary.json").read_text()).get("target_error")
        if isinstance(t, (int, float)):
            return float(t)
    except (OSError, ValueError):
        pass
    try:
        t = tomllib.loads((d / "config.toml").read_text()).get("params", {}).get("target_error")
        if isinstance(t, (int, float)):
            return float(t)
    except (OSError, ValueError):
        pass
    return None


def _load_one(src, history: str) -> tuple[str, History]:
    if isinstance(src, History):
        m = src.meta
        return str(m.get("case") or m.get("method") or _problem_name(src) or "run"), src
    if not isinstance(src, (str, Path)):
        raise ValueError(f"histories: each entry must be a History, a results directory or a history file; "
                         f"got {type(src).__name__} {src!r}")
    js = find_history(src, history)
    h = History.load(js)
    if Path(src).is_dir():
        t = _dir_target(js.parent)
        if t is not None:
            h.meta.setdefault("target_error", t)
    parent = js.parent.resolve().name
    return (parent if js.stem == "history" else f"{parent}/{js.stem}"), h


def load_histories(histories, *, history: str = "history") -> dict[str, History]:
    """``{label: History}`` from a History, a results directory, a history file, or a list or
    ``{label: …}`` dict of these. A directory gives its ``<history>.json`` (labelled by the directory's
    name; its run's ``target_error`` from ``summary.json`` / ``config.toml`` goes into the history's
    meta when the history has none); repeated labels get ``#2``, ``#3``.

    >>> from hybridsolve import Record
    >>> h = History([Record("jacobi", 0, 0.0, {"error_inf": 1.0})], meta={"method": "jacobi"})
    >>> list(load_histories([h, h]))
    ['jacobi', 'jacobi#2']
    """
    if isinstance(histories, dict):
        items = [(str(k), _load_one(v, history)[1]) for k, v in histories.items()]
    else:
        seq = [histories] if isinstance(histories, (History, str, Path)) else list(histories)
        items = [_load_one(s, history) for s in seq]
    if not items:
        raise ValueError("histories is empty: give at least one History or results directory")
    out: dict[str, History] = {}
    for label, h in items:
        name, i = label, 2
        while name in out:
            name, i = f"{label}#{i}", i + 1
        out[name] = h
    return out


def _problem_name(h: History):
    mon = h.meta.get("monitor")
    if isinstance(mon, dict) and mon.get("problem"):
        return str(mon["problem"])
    for key in ("problem", "dataset"):  # a probe's history: its dataset is its problem
        if h.meta.get(key):
            return str(h.meta[key])
    return None


def _problem_label(h: History) -> str:
    name = _problem_name(h)
    if name is None:
        return ""
    mon = h.meta.get("monitor") if isinstance(h.meta.get("monitor"), dict) else {}
    n = mon.get("n", h.meta.get("n"))
    if isinstance(n, (list, tuple)) and n:
        n = "×".join(str(int(x)) for x in n)
    return f"{name} (n={n})" if n is not None else name


def _basis(h: History):
    mon = h.meta.get("monitor")
    return mon.get("basis") if isinstance(mon, dict) else None


# -- the table ---------------------------------------------------------------------------------
def _finite_last(a: np.ndarray):
    ok = np.flatnonzero(np.isfinite(a))
    return float(a[ok[-1]]) if len(ok) else None


def summary_rows(histories, *, target_error=None, history: str = "history") -> list[dict]:
    """One row per (run, phase) with the :data:`COLUMNS`: ``iterations`` and ``time_s`` of the last
    record, the last finite ``final_error_inf`` / ``final_residual``, and — with a target (the
    argument, else the history's ``meta["target_error"]``) — whether and when ‖u − u_ref‖∞ first
    fell to it: ``time_to_target_s`` / ``iterations_to_target`` of the first record at or below it
    (as fine as the records are; None when not reached or nothing to compare).

    >>> from hybridsolve import History, Record
    >>> h = History([Record("jacobi", s, 0.1 * s, {"error_inf": 0.5 ** s}) for s in range(6)])
    >>> row = summary_rows({"demo": h}, target_error=0.1)[0]
    >>> row["iterations"], row["iterations_to_target"], round(row["time_to_target_s"], 3), row["final_error_inf"]
    (5, 4, 0.4, 0.03125)
    """
    if target_error is not None and not (isinstance(target_error, (int, float)) and target_error > 0):
        raise ValueError(f"target_error must be a positive number or None; got {target_error!r}")
    rows = []
    for label, h in load_histories(histories, history=history).items():
        tau = target_error if target_error is not None else h.meta.get("target_error")
        tau = float(tau) if isinstance(tau, (int, float)) else None
        for phase in h.phases:
            ph = h.phase(phase)
            err, res = ph.column("error_inf"), ph.column("residual")
            t, steps = ph.times(), ph.steps()
            row = {"run": label, "phase": phase, "problem": _problem_label(h), "records": len(ph),
                   "iterations": int(steps[-1]), "time_s": float(t[-1]), "final_error_inf": _finite_last(err),
                   "final_residual": _finite_last(res), "target_error": tau, "reached": None,
                   "time_to_target_s": None, "iterations_to_target": None}
            if tau is not None and np.isfinite(err).any():
                hit = np.flatnonzero(err <= tau)
                row["reached"] = bool(len(hit))
                if len(hit):
                    row["time_to_target_s"] = float(t[hit[0]])
                    row["iterations_to_target"] = int(steps[hit[0]])
            rows.append(row)
    return rows


def _cell(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def format_table(rows: list[dict], columns=None) -> str:
    """The rows as an aligned text table (numbers to 3 significant digits, ``—`` for none).

    >>> print(format_table([{"run": "a", "time_s": 0.012345, "reached": True}], ["run", "time_s", "reached"]))
    run  time_s  reached
    a    0.0123  yes
    """
    columns = list(columns or COLUMNS)
    cells = [columns] + [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells)


def _csv_text(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow(["" if r.get(c) is None else r.get(c) for c in COLUMNS])
    return buf.getvalue()


# -- the figure --------------------------------------------------------------------------------
@dataclass
class Comparison:
    """What :func:`compare` returns: the ``figure``, the summary ``rows`` (:data:`COLUMNS`) and the
    ``histories`` by label. ``table()`` is the text table, ``to_csv(path)`` writes the rows,
    ``save(path)`` the PNG and the CSV beside it (same name, ``.csv``). In Jupyter it shows as the figure."""

    figure: Figure
    rows: list
    histories: dict = field(repr=False)
    delta_f_peaks: list = field(default_factory=list)

    def table(self) -> str:
        return format_table(self.rows)

    def to_csv(self, path) -> Path:
        return atomic_write_text(Path(path), _csv_text(self.rows))

    def save(self, path, dpi: int = 130) -> tuple[Path, Path]:
        """Write the figure to ``path`` (PNG) and the table to ``path`` with suffix ``.csv``."""
        path = Path(path)
        png = savefig(self.figure, path if path.suffix else path.with_suffix(".png"), dpi=dpi)
        return png, self.to_csv(png.with_suffix(".csv"))

    def _repr_png_(self):
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        return buf.getvalue()

    def __str__(self) -> str:
        return self.table()


def _check_delta_f(hs: dict[str, History]) -> None:
    probs = {label: _problem_name(h) or "an unnamed problem" for label, h in hs.items()}
    if len(set(probs.values())) > 1:
        listed = ", ".join(f"{lab} → {p}" for lab, p in probs.items())
        raise ValueError(f"Δ_F compares the same frequencies k of one problem, but these histories with Δ_F are of "
                         f"different problems: {listed}. Pass delta_f=False (CLI: --no-delta-f) to compare the "
                         f"error and residual curves only")
    bases = {label: _basis(h) for label, h in hs.items()}
    if len({b for b in bases.values() if b is not None}) > 1:
        listed = ", ".join(f"{lab} → {b}" for lab, b in bases.items())
        raise ValueError(f"Δ_F values in different bases cannot be compared: {listed}. Pass delta_f=False "
                         f"(CLI: --no-delta-f) to compare the error and residual curves only")


def _step_axis(ax) -> None:
    """Iterations from 0 to 10⁴⁺ on one axis: linear below 1, logarithmic above (no negative side)."""
    ax.set_xscale("symlog", linthresh=1, linscale=0.5)
    ax.set_xlim(left=-0.2)


def _colors(hs: dict[str, History]) -> dict[str, str]:
    phases = []
    for h in hs.values():
        phases += [p for p in h.phases if p not in phases]
    taken = {METHOD_COLORS[p] for p in phases if p in METHOD_COLORS}
    spare = iter([c for c in _EXTRA_COLORS if c not in taken] + _EXTRA_COLORS * 4)
    return {p: METHOD_COLORS.get(p) or next(spare) for p in phases}


def compare(histories, *, target_error=None, delta_f="auto", delta_f_against: str = "time", max_peaks: int = 4,
            history: str = "history", title: str | None = None) -> Comparison:
    """Overlay the convergence of several runs → :class:`Comparison` (figure + summary rows).

    ``histories``: see :func:`load_histories` (results directories, history files, Histories, a list or a
    ``{label: …}`` dict). Panels: ‖u − u_ref‖∞ and ‖b − A u‖₂ against solver time (log) and against
    iterations (each phase's own steps: sweeps, cycles, training steps), the target as a dotted line;
    with ``delta_f`` (``"auto"``: when a history has ``delta_F`` records, i.e. was written by a
    :class:`~hybridsolve.SpectralMonitor`; ``True``: required; ``False``: never) one panel per peak k
    (the ``max_peaks`` lowest) with Δ_F(k) against ``delta_f_against`` (``"time"`` or ``"step"``).
    Δ_F of different problems (or bases) is refused, naming them; the other panels take any mix.
    ``target_error``: for the table and the dotted line (default: each history's ``meta["target_error"]``).
    """
    if delta_f not in ("auto", True, False):
        raise ValueError(f"delta_f must be 'auto', True or False; got {delta_f!r}")
    if delta_f_against not in ("time", "step"):
        raise ValueError(f"delta_f_against must be 'time' or 'step'; got {delta_f_against!r}")
    if not (isinstance(max_peaks, int) and max_peaks >= 1):
        raise ValueError(f"max_peaks must be an integer >= 1; got {max_peaks!r}")
    hs = load_histories(histories, history=history)
    rows = summary_rows(hs, target_error=target_error)
    with_df = {lab: h for lab, h in hs.items() if h.keys("delta_F")}
    if delta_f is True and not with_df:
        raise ValueError(f"delta_f=True, but none of the histories ({', '.join(hs)}) has Δ_F records (they come "
                         "from a SpectralMonitor: monitor=hs.SpectralMonitor(problem))")
    peaks = []
    if delta_f and with_df:
        _check_delta_f(with_df)
        ks = sorted({k for h in with_df.values() for k in h.keys("delta_F")})
        peaks = ks[:max_peaks]

    fig = Figure(figsize=(10.5, 7.0 + (2.9 if peaks else 0.0)), layout="constrained")
    if peaks:
        top, bottom = fig.subfigures(2, 1, height_ratios=[2.3, 1.0])
    else:
        top, bottom = fig, None
    axes = top.subplots(2, 2)
    (ax_et, ax_ei), (ax_rt, ax_ri) = axes
    colors = _colors(hs)
    many = len(hs) > 1
    seen: set = set()
    shared = False  # a phase in more than one run: then runs are told apart by line style
    for h in hs.values():
        shared = shared or bool(seen & set(h.phases))
        seen |= set(h.phases)
    style = {label: (_STYLES[i % len(_STYLES)] if shared else "-") for i, label in enumerate(hs)}
    handles, labels = [], []
    have = {"error": False, "residual": False}
    for label, h in hs.items():
        ls = style[label]
        for phase in h.phases:
            ph = h.phase(phase)
            t, steps = ph.times(), ph.steps()
            name = (label if len(h.phases) == 1 else f"{label}: {phase}") if many else phase
            mk = "o" if len(ph) < 4 else None
            kw = dict(color=colors[phase], ls=ls, marker=mk, ms=4, lw=1.4)
            line = None
            for key, ax_t, ax_i in (("error_inf", ax_et, ax_ei), ("residual", ax_rt, ax_ri)):
                y = ph.column(key)
                if not np.isfinite(y).any():
                    continue
                have["error" if key == "error_inf" else "residual"] = True
                (line,) = ax_t.plot(t, y, **kw)
                ax_i.plot(np.maximum(steps, 0), y, **kw)
            if line is not None:
                handles.append(line)
                labels.append(name)
    targets = sorted({r["target_error"] for r in rows if r["target_error"] is not None})
    for tau in targets:
        for ax in (ax_et, ax_ei):
            ax.axhline(tau, color="k", ls=":", lw=0.9)
    if targets:
        ax_et.annotate(f"target {', '.join(f'{t:.3g}' for t in targets)}", (0.01, 0.02), xycoords="axes fraction",
                       fontsize=7, color="0.3")
    positive_t = any((h.times() > 0).any() for h in hs.values())
    for ax in (ax_et, ax_rt):
        if positive_t:  # else (every record at t = 0) a linear axis: a log one would have nothing to show
            ax.set_xscale("log", nonpositive="mask")
        ax.set_xlabel("solver time [s]")
    for ax in (ax_ei, ax_ri):
        _step_axis(ax)
        ax.set_xlabel("iterations (sweeps / cycles / steps)")
    for ax in axes.ravel():
        ax.set_yscale("log", nonpositive="mask")
        ax.grid(True, which="major", lw=0.3, alpha=0.5)
    ax_et.set_ylabel("‖u − u_ref‖∞")
    ax_ei.set_ylabel("‖u − u_ref‖∞")
    ax_rt.set_ylabel("‖b − A u‖₂")
    ax_ri.set_ylabel("‖b − A u‖₂")
    for ax, what in ((ax_et, "error"), (ax_ei, "error"), (ax_rt, "residual"), (ax_ri, "residual")):
        if not have[what]:
            ax.text(0.5, 0.5, f"no {'error_inf' if what == 'error' else 'residual'} recorded", ha="center",
                    va="center", transform=ax.transAxes, color="0.4")
    if handles:
        fig.legend(handles, labels, loc="outside right upper", fontsize=8, title="run (: phase)" if many else "phase",
                   title_fontsize=8)
    if peaks:
        pax = np.atleast_1d(bottom.subplots(1, len(peaks), sharey=True))
        for ax, k in zip(pax, peaks):
            for label, h in hs.items():
                if label not in with_df:
                    continue
                ls = style[label]
                for phase in h.phases:
                    ph = h.phase(phase)
                    y = ph.series("delta_F", k)
                    if not np.isfinite(y).any():
                        continue
                    x = ph.times() if delta_f_against == "time" else np.maximum(ph.steps(), 0)
                    ax.plot(x, y, color=colors[phase], ls=ls, lw=1.4, marker="o" if len(ph) < 4 else None, ms=4)
            ax.axhline(0.1, color="0.5", ls=":", lw=0.9)
            ax.set_yscale("log", nonpositive="mask")
            if delta_f_against == "time":
                if positive_t:
                    ax.set_xscale("log", nonpositive="mask")
                ax.set_xlabel("solver time [s]")
            else:
                _step_axis(ax)
                ax.set_xlabel("step (each phase's own)")
            ax.set_title(f"Δ_F(k = {k})", fontsize=9)
            ax.grid(True, which="major", lw=0.3, alpha=0.5)
        pax[0].set_ylabel("Δ_F(k)  (dotted: 0.1)")
        probs = sorted({_problem_label(h) for h in with_df.values()})
        bottom.suptitle(f"Δ_F at the peaks of |û_ref| — {', '.join(probs)}", fontsize=9)
    problems = sorted({_problem_label(h) for h in hs.values()} - {""})
    fig.suptitle(title or f"convergence: {', '.join(hs)}" + (f"  [{'; '.join(problems)}]" if problems else ""),
                 fontsize=10)
    return Comparison(figure=fig, rows=rows, histories=hs, delta_f_peaks=list(peaks))

