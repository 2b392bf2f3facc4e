"""Command line: ``hybridsolve [-v|-q] run CASE [--out DIR] [--smoke] [--set KEY=VALUE ...] [--resume | --force]``,
``list``, ``describe [CASE] [--out DIR]``, ``compare DIR... --out FIG`` (runs overlaid, summary table
printed and written as CSV beside the figure) and ``export DIR --csv FILE / --tensorboard LOGDIR``.

``CASE`` is a case file's path or the name of a bundled case (``hybridsolve list`` shows them), so
``hybridsolve run paper_fig4 --smoke`` works from any directory. ``--set params.n=2048 --set
smoke.steps=10`` changes the case's ``[params]`` / ``[smoke]`` values for this run (typed and
validated like the file; recorded in ``config.toml``). A bad value is refused before anything is
written: exit code 2 and one line naming the file, the key, the value and what is allowed.

Results go to ``--out`` (default ``results/<case name>``); a directory that holds a run is refused
unless ``--force`` (clear it) or ``--resume`` (continue an interrupted or killed run); ``.lock`` keeps
a second run out. SIGINT/SIGTERM save what the run recorded and a checkpoint, mark it "interrupted"
and exit with 128 + the signal number; ``describe --out DIR`` reports a directory's run (a stale
"running" as "killed").

A command's result goes to stdout; progress messages are log records on stderr: INFO by default,
DEBUG with ``-v``, warnings only with ``-q`` (which also turns the progress bars off; they show only
on a terminal anyway). The speed benchmarks are not part of the installed package: run them from a
checkout with ``python -m benchmarks TOPIC``.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from pathlib import Path

from . import cases, rundir
from ._logging import cli_logging, level_from_flags

__all__ = ["main"]

_log = logging.getLogger(__name__)


def _cmd_run(args) -> int:
    quiet = getattr(args, "quiet", False)
    try:
        summary = cases.run_case(args.case, out=args.out, smoke=args.smoke, resume=args.resume, force=args.force,
                                 progress=False if (args.no_progress or quiet) else None, overrides=args.set or ())
    except cases.RunInterrupted as exc:
        return _interrupted(args, exc.signal, exc.signum)
    except KeyboardInterrupt:
        return _interrupted(args, "SIGINT", 2)
    out = args.out or cases.default_out(cases.load_case(cases.resolve_case_path(args.case), smoke=args.smoke,
                                                        overrides=args.set or ()))
    headline = {k: v for k, v in summary.items() if k not in ("files", "markdown")}
    print(json.dumps(headline, indent=2, default=str))
    _log.info("results in %s: %s", out, ", ".join(summary.get("files", [])))
    return 0


def _interrupted(args, name: str, signum: int) -> int:
    """The one-line report of an interrupted run (stderr); exit code 128 + the signal's number."""
    out = args.out
    if out is None:
        try:
            out = cases.default_out(cases.load_case(cases.resolve_case_path(args.case), smoke=args.smoke,
                                                    overrides=args.set or ()))
        except cases.CaseError:
            out = Path("results")
    try:
        summary = json.loads((Path(out) / "summary.json").read_text())
    except (OSError, ValueError):
        summary = {}
    kept = [f for f in summary.get("files", []) if f not in ("summary.json", "config.toml")]
    how = summary.get("resume_with")
    print(f"interrupted by {name}: {out} keeps {', '.join(kept) if kept else 'config.toml only'} "
          f"(summary status {summary.get('status', '?')!r})"
          + (f"; continue with: {how}" if how else "; this kind cannot resume"), file=sys.stderr)
    return 128 + int(signum)


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it (``cases/x.toml``), else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _cmd_list(args) -> int:
    where = args.dir if args.dir is not None else cases.bundled_cases_dir()
    if args.dir is not None and not Path(args.dir).is_dir():
        raise cases.CaseError(f"list --dir {args.dir}: {'not a directory' if Path(args.dir).exists() else 'no such directory'}")
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
            print(f"{_shown(p)}  INVALID: {exc}")
        except Exception as exc:  # one broken file must not hide the others
            print(f"{_shown(p)}  INVALID: {type(exc).__name__}: {exc}")
    if args.kinds:
        print("\nkinds:")
        for name, k in sorted(cases.kinds().items()):
            print(f"  {name}  ({k.module}{'; resumable' if k.resumable else ''})")
    return 0


def _cmd_describe(args) -> int:
    if args.case is None and args.out is None:
        raise cases.CaseError("describe needs a CASE (a case file or name) or --out DIR (a results directory)")
    if args.out is not None:
        _describe_out(Path(args.out), show_params=args.case is None)
        if args.case is None:
            return 0
        print()
    c = cases.load_case(cases.resolve_case_path(args.case), smoke=args.smoke, overrides=args.set or ())
    cases.preflight(c)
    print(f"{c.name}: kind {c.kind!r} — {c.description}")
    kind = cases.kinds()[c.kind]
    doc = (kind.runner.__doc__ or "").strip()
    if doc:
        print(doc)
    how = [w for w, on in (("smoke", args.smoke), (" ".join("--set " + s for s in args.set or ()), bool(args.set))) if on]
    print("\nparams (resolved{}):".format("".join(", " + w for w in how)))
    for f in dataclasses.fields(c.params):
        print(f"  {f.name} = {getattr(c.params, f.name)!r}")
    print(f"\nresults: {cases.default_out(c)} unless --out; --resume: "
          + ("continues an interrupted run" if kind.resumable else
             f"refused ({kind.resume if isinstance(kind.resume, str) and kind.resume else 'no checkpoints'})"))
    return 0


def _describe_out(out: Path, show_params: bool) -> None:
    """What a results directory holds: the run's case and status (a stale "running" is reported "killed")."""
    from . import rundir

    if not out.exists():
        raise cases.CaseError(f"describe --out {out}: no such directory")
    if not out.is_dir():
        raise cases.CaseError(f"describe --out {out}: not a directory")
    st = rundir.run_state(out)
    s = st["summary"]
    status = st["status"]
    line = f"{out}: "
    if status == "empty":
        line += "empty (no run yet)"
    elif status in ("foreign", "unknown", "unreadable"):
        line += {"foreign": "not a results directory", "unknown": "a results directory without summary.json",
                 "unreadable": "summary.json does not parse"}[status]
    else:
        line += f"case {s.get('case')!r} (kind {s.get('kind')}), status {status}"
        if status == "killed":
            line += (f" (summary.json says running, but pid {s.get('pid')} is not alive: the run was killed)"
                     if s.get("pid") is not None else " (summary.json says running and names no pid)")
        elif status == "running":
            line += f" (pid {s.get('pid')})"
        elif status == "interrupted":
            line += f" by {s.get('signal', '?')}"
        elif status == "failed":
            line += f": {s.get('error', '')}"
    print(line)
    if s:
        print(f"  started {s.get('started', '?')}" + (f", {len(s['resumed'])} resume(s)" if s.get("resumed") else ""))
        notes = {k: v for k, v in s.items() if k.startswith(("checkpoint", "interrupted_at", "records"))}
        for k, v in notes.items():
            print(f"  {k} = {v}")
        if s.get("resume_with") and status in ("interrupted", "killed"):
            print(f"  continue with: {s['resume_with']}")
    files = st["files"]
    if files:
        print(f"  files: {', '.join(files)}")
    lock = out / rundir.LOCK_NAME
    if lock.exists():
        info = rundir.Lock(out).holder()
        alive = rundir.pid_alive(info.get("pid"))
        print(f"  lock: pid {info.get('pid')} ({'alive' if alive else 'not alive: stale, the next run takes it over'})")
    cfg = out / "config.toml"
    if show_params and cfg.exists():
        from .cases import tomllib

        params = tomllib.loads(cfg.read_text()).get("params", {})
        print("  params (as run):")
        for k, v in params.items():
            print(f"    {k} = {v!r}")


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
    r.add_argument("--out", default=None, help="results directory (default results/<case>)")
    r.add_argument("--smoke", action="store_true", help="apply the case's [smoke] overrides (CI size)")
    r.add_argument("--resume", action="store_true",
                   help="continue the interrupted (or killed) run in --out from its checkpoint and records")
    r.add_argument("--force", action="store_true",
                   help="clear --out first when it already holds a run (refused for a directory that is not a "
                        "results directory)")
    r.add_argument("--no-progress", action="store_true", help="no progress bars")
    _add_set(r)
    r.set_defaults(func=_cmd_run)
    l_ = sub.add_parser("list", help="list the bundled case files (runnable by name)")
    l_.add_argument("--dir", default=None, help="list the case files in this directory instead")
    l_.add_argument("--kinds", action="store_true", help="also list the registered experiment kinds")
    l_.set_defaults(func=_cmd_list)
    d = sub.add_parser("describe", help="show a case's resolved parameters")
    d.add_argument("case", nargs="?", default=None, help="a case file or name (optional with --out)")
    d.add_argument("--out", type=Path, default=None,
                   help="also (or only) describe this results directory: its run's status, files, lock")
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
        except (cases.CaseError, rundir.RunDirError, _UsageError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except BrokenPipeError:
            # `hybridsolve list | head`: the reader left; stop quietly (Python's documented recipe:
            # point stdout at devnull so the interpreter's final flush does not raise again).
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 128 + 13  # the shell convention for a pipe closed by the reader (SIGPIPE)


if __name__ == "__main__":
    sys.exit(main())
