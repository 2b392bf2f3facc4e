"""Command line: ``hybridsolve run CASE [--out DIR] [--smoke]``, ``list``, ``describe CASE``, ``bench TOPIC``."""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from . import cases

__all__ = ["main"]


def _cmd_run(args) -> int:
    summary = cases.run_case(args.case, out=args.out, smoke=args.smoke, resume=args.resume,
                             progress=None if not args.no_progress else False)
    out = args.out or (Path("results") / (cases.load_case(cases.resolve_case_path(args.case)).name + ("-smoke" if args.smoke else "")))
    headline = {k: v for k, v in summary.items() if k not in ("files", "markdown")}
    print(json.dumps(headline, indent=2, default=str))
    print(f"results in {out}: {', '.join(summary.get('files', []))}")
    return 0


def _cmd_list(args) -> int:
    paths = cases.find_cases(args.dir)
    if not paths:
        print(f"no case files in {args.dir}/")
    for p in paths:
        try:
            c = cases.load_case(p)
            print(f"{p}  [{c.kind}]  {c.description}")
        except cases.CaseError as exc:
            print(f"{p}  INVALID: {exc}")
    if args.kinds:
        print("\nkinds:")
        for name, k in sorted(cases.kinds().items()):
            print(f"  {name}  ({k.module})")
    return 0


def _cmd_describe(args) -> int:
    c = cases.load_case(cases.resolve_case_path(args.case), smoke=args.smoke)
    print(f"{c.name}: kind {c.kind!r} — {c.description}")
    kind = cases.kinds()[c.kind]
    doc = (kind.runner.__doc__ or "").strip()
    if doc:
        print(doc)
    print("\nparams (resolved{}):".format(", smoke" if args.smoke else ""))
    for f in dataclasses.fields(c.params):
        print(f"  {f.name} = {getattr(c.params, f.name)!r}")
    return 0


def _cmd_bench(args) -> int:
    path = Path(args.dir) / f"bench_{args.topic}.toml"
    if not path.exists():
        names = sorted(p.stem.removeprefix("bench_") for p in Path(args.dir).glob("bench_*.toml"))
        print(f"no benchmark {args.topic!r}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    out = args.out or Path("results") / (f"bench_{args.topic}" + ("-smoke" if args.smoke else ""))
    summary = cases.run_case(path, out=out, smoke=args.smoke)
    md = summary.get("markdown")
    if md:
        print(md)
        if not args.smoke and not args.no_docs:
            cases.update_benchmarks_doc(args.topic, md)
            print(f"\nwrote section '{args.topic}' of docs/benchmarks.md")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hybridsolve", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a case file into a results directory")
    r.add_argument("case", help="path to a case TOML, or its name in ./cases")
    r.add_argument("--out", type=Path, default=None, help="results directory (default results/<case>)")
    r.add_argument("--smoke", action="store_true", help="apply the case's [smoke] overrides (CI size)")
    r.add_argument("--resume", action="store_true", help="continue from what an interrupted run recorded")
    r.add_argument("--no-progress", action="store_true", help="no progress bars")
    r.set_defaults(func=_cmd_run)
    l_ = sub.add_parser("list", help="list case files")
    l_.add_argument("--dir", default="cases")
    l_.add_argument("--kinds", action="store_true", help="also list the registered experiment kinds")
    l_.set_defaults(func=_cmd_list)
    d = sub.add_parser("describe", help="show a case's resolved parameters")
    d.add_argument("case")
    d.add_argument("--smoke", action="store_true")
    d.set_defaults(func=_cmd_describe)
    b = sub.add_parser("bench", help="run cases/bench_TOPIC.toml and update docs/benchmarks.md")
    b.add_argument("topic", help="classical, deep_ritz, monitor, probes, hybrid")
    b.add_argument("--dir", default="cases")
    b.add_argument("--out", type=Path, default=None)
    b.add_argument("--smoke", action="store_true", help="tiny sizes; never written to the docs")
    b.add_argument("--no-docs", action="store_true", help="print the table only")
    b.set_defaults(func=_cmd_bench)
    return ap


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except cases.CaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
