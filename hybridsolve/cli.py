"""Command line: ``hybridsolve [-v|-q] run CASE [--out DIR] [--smoke] [--set KEY=VALUE ...]``, ``list``,
``describe CASE``, ``compare DIR... --out FIG`` (runs overlaid, summary table printed and written as
CSV beside the figure) and ``export DIR --csv FILE / --tensorboard LOGDIR``.

``CASE`` is a case file's path or the name of a bundled case (``hybridsolve list`` shows them), so
``hybridsolve run paper_fig4 --smoke`` works from any directory. ``--set params.n=2048 --set
smoke.steps=10`` changes the case's ``[params]`` / ``[smoke]`` values for this run (typed and
validated like the file; recorded in ``config.toml``). A command's result goes to stdout; progress
messages are log records on stderr: INFO by default, DEBUG with ``-v``, warnings only with ``-q``
(which also turns the progress bars off; they show only on a terminal anyway). The speed benchmarks
are not part of the installed package: run them from a checkout with ``python -m benchmarks TOPIC``.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

from . import cases
from ._logging import cli_logging, level_from_flags

__all__ = ["main"]

_log = logging.getLogger(__name__)


def _cmd_run(args) -> int:
    quiet = getattr(args, "quiet", False)
    summary = cases.run_case(args.case, out=args.out, smoke=args.smoke, resume=args.resume,
                             progress=False if (args.no_progress or quiet) else None, overrides=args.set or ())
    out = args.out or (Path("results") / (cases.load_case(cases.resolve_case_path(args.case)).name + ("-smoke" if args.smoke else "")))
    headline = {k: v for k, v in summary.items() if k not in ("files", "markdown")}
    print(json.dumps(headline, indent=2, default=str))
    _log.info("results in %s: %s", out, ", ".join(summary.get("files", [])))
    return 0


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (``cases/x.toml``), else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _cmd_list(args) -> int:
    where = args.dir if args.dir is not None else cases.bundled_cases_dir()
    paths = cases.find_cases(where) if where is not None else []
    if not paths:
        print(f"no case files in {where}" if where is not None else "no bundled case files found")
    elif args.dir is None:
        print(f"bundled cases in {_shown(where)} (run one by name: hybridsolve run NAME [--smoke]):")
    for p in paths:
        try:
            c = cases.load_case(p)
            print(f"{_shown(p)}  [{c.kind}]  {c.description}")
        except cases.CaseError as exc:
            print(f"{p}  INVALID: {exc}")
    if args.kinds:
        print("\nkinds:")
        for name, k in sorted(cases.kinds().items()):
            print(f"  {name}  ({k.module})")
    return 0


def _cmd_describe(args) -> int:
    c = cases.load_case(cases.resolve_case_path(args.case), smoke=args.smoke, overrides=args.set or ())
    print(f"{c.name}: kind {c.kind!r} — {c.description}")
    kind = cases.kinds()[c.kind]
    doc = (kind.runner.__doc__ or "").strip()
    if doc:
        print(doc)
    how = [w for w, on in (("smoke", args.smoke), (" ".join("--set " + s for s in args.set or ()), bool(args.set))) if on]
    print("\nparams (resolved{}):".format("".join(", " + w for w in how)))
    for f in dataclasses.fields(c.params):
        print(f"  {f.name} = {getattr(c.params, f.name)!r}")
    return 0


def _add_set(parser) -> None:
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", default=None,
                        help="change a value of the case for this run: params.NAME=VALUE or smoke.NAME=VALUE "
                             "(repeatable; typed as the case's schema says: 2048, 1e-3, true, [0,100,200], text)")


def _add_log_flags(parser, default) -> None:
    g = parser.add_mutually_exclusive_group()
    g.add_argument("-v", "--verbose", action="count", default=default,
                   help="more messages on stderr (debug records, one per solve)")
    g.add_argument("-q", "--quiet", action="store_true", default=default,
                   help="only warnings and errors on stderr; no progress bars")


class _UsageError(ValueError):
    """Bad command-line input found after parsing (printed as ``error: ...``, exit status 2)."""


def _cmd_compare(args) -> int:
    from .plots.compare import compare

    out = Path(args.out)
    if out.suffix.lower() not in ("", ".png"):
        raise _UsageError(f"--out {out}: the figure is written as PNG, so FIG must end in .png (or have no suffix)")
    try:
        cmp = compare([str(d) for d in args.dirs], target_error=args.target_error,
                      delta_f=False if args.no_delta_f else "auto", delta_f_against=args.delta_f_against,
                      history=args.history, title=args.title)
    except (FileNotFoundError, ValueError) as exc:
        raise _UsageError(str(exc)) from exc
    png, csv_path = cmp.save(out)
    print(cmp.table())
    extra = f"; Δ_F at k = {', '.join(map(str, cmp.delta_f_peaks))}" if cmp.delta_f_peaks else ""
    print(f"figure: {png}{extra}\ntable: {csv_path}")
    return 0


def _cmd_export(args) -> int:
    from . import export

    if args.csv is None and args.tensorboard is None:
        raise _UsageError("export needs --csv FILE and/or --tensorboard LOGDIR")
    if args.tensorboard is not None and not export.tensorboard_available():
        # before writing anything, so that a half-done export does not look like a finished one
        raise _UsageError(f"--tensorboard needs the tensorboard package, which is not installed: "
                          f"{export.INSTALL_HINT} (hybridsolve does not require it; --csv FILE needs nothing)")
    from .history import History, find_history

    try:
        h = History.load(find_history(args.dir, args.history))
    except FileNotFoundError as exc:
        raise _UsageError(str(exc)) from exc
    if args.csv is not None:
        p = h.to_csv(args.csv)
        print(f"csv: {p} ({len(h)} records, {len(h.table()[0])} columns)")
    if args.tensorboard is not None:
        try:
            runs = export.to_tensorboard(h, args.tensorboard)
        except FileExistsError as exc:
            raise _UsageError(str(exc)) from exc
        print(f"tensorboard: {args.tensorboard} (runs: {', '.join(r.name for r in runs)}); view with "
              f"`tensorboard --logdir {args.tensorboard}`")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hybridsolve", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a case file into a results directory")
    r.add_argument("case", help="path to a case TOML, or a case name (./cases first, then the bundled cases)")
    r.add_argument("--out", type=Path, default=None, help="results directory (default results/<case>)")
    r.add_argument("--smoke", action="store_true", help="apply the case's [smoke] overrides (CI size)")
    r.add_argument("--resume", action="store_true", help="continue from what an interrupted run recorded")
    r.add_argument("--no-progress", action="store_true", help="no progress bars")
    _add_set(r)
    r.set_defaults(func=_cmd_run)
    l_ = sub.add_parser("list", help="list the bundled case files (runnable by name)")
    l_.add_argument("--dir", default=None, help="list the case files in this directory instead")
    l_.add_argument("--kinds", action="store_true", help="also list the registered experiment kinds")
    l_.set_defaults(func=_cmd_list)
    d = sub.add_parser("describe", help="show a case's resolved parameters")
    d.add_argument("case")
    d.add_argument("--smoke", action="store_true")
    _add_set(d)
    d.set_defaults(func=_cmd_describe)
    c = sub.add_parser("compare", help="overlay the convergence of several results directories (figure + table)")
    c.add_argument("dirs", nargs="+", metavar="DIR", help="results directories (or history files)")
    c.add_argument("--out", default="compare.png", metavar="FIG",
                   help="figure (PNG); the summary table goes beside it as FIG with suffix .csv (default compare.png)")
    c.add_argument("--history", default="history", metavar="NAME",
                   help="which history of each directory: NAME.json (default history)")
    c.add_argument("--target-error", type=float, default=None, metavar="TAU",
                   help="target on ||u - u_ref||_inf for 'time to target' (default: each run's own)")
    c.add_argument("--no-delta-f", action="store_true",
                   help="leave out the Δ_F panels (needed to compare histories of different problems that carry Δ_F)")
    c.add_argument("--delta-f-against", choices=("time", "step"), default="time",
                   help="x axis of the Δ_F panels (default time)")
    c.add_argument("--title", default=None)
    c.set_defaults(func=_cmd_compare)
    e = sub.add_parser("export", help="write a results directory's history as CSV and/or TensorBoard scalars")
    e.add_argument("dir", metavar="DIR", help="results directory (or a history file)")
    e.add_argument("--csv", default=None, metavar="FILE", help="one row per record (delta_F[k] columns for mappings)")
    e.add_argument("--tensorboard", default=None, metavar="LOGDIR",
                   help="scalars per record, step = record step, one run per phase (needs: pip install tensorboard)")
    e.add_argument("--history", default="history", metavar="NAME", help="which history: NAME.json (default history)")
    e.set_defaults(func=_cmd_export)
    # -v/-q before the command (global) or after it: on the main parser and on every subcommand
    _add_log_flags(ap, None)
    for p in sub.choices.values():
        _add_log_flags(p, argparse.SUPPRESS)
    return ap


def main(argv=None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    try:
        level = level_from_flags(args.verbose or 0, bool(args.quiet))
    except ValueError as exc:
        ap.error(str(exc))
    with cli_logging(level):
        try:
            return args.func(args)
        except (cases.CaseError, _UsageError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
