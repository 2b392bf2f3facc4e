"""``python -m benchmarks TOPIC [--out DIR] [--smoke] [--force] [--update-docs] [--docs FILE]`` (from the repository root).

Runs ``benchmarks/cases/bench_TOPIC.toml`` into a results directory and prints its markdown table.
``docs/benchmarks.md`` is rewritten (the section TOPIC only) with ``--update-docs``, and never otherwise.
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import DOCS, TOPICS, run


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("topic", choices=TOPICS, help="which benchmark")
    ap.add_argument("--out", type=Path, default=None, help="results directory (default results/bench_TOPIC[-smoke])")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (checks the code runs; never written to the docs)")
    ap.add_argument("--force", action="store_true", help="clear --out first when it holds an earlier run")
    ap.add_argument("--update-docs", action="store_true",
                    help="write the table into its section of the docs file (full-size runs only)")
    ap.add_argument("--docs", type=Path, default=DOCS, help=f"the docs file for --update-docs (default {DOCS})")
    return ap


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.smoke and args.update_docs:
        print("error: --update-docs needs a full-size run: smoke-size numbers are not benchmarks", file=sys.stderr)
        return 2
    from hybridsolve._logging import cli_logging
    from hybridsolve.cases import CaseError
    from hybridsolve.rundir import RunDirError

    try:
        # the runners' progress lines (log records of benchmarks.* and hybridsolve.*) on stderr
        with cli_logging(logging.INFO, names=("hybridsolve", "benchmarks")):
            summary = run(args.topic, args.out, smoke=args.smoke, update_docs=args.update_docs, docs=args.docs,
                          force=args.force)
    except (CaseError, RunDirError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    md = summary.get("markdown")
    if md:
        print(md)
    if args.update_docs:
        print(f"\nwrote section '{args.topic}' of {args.docs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
