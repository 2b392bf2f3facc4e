"""Speed studies of hybridsolve against its peers and the machine's limits (not part of the package).

Each topic is a module that registers a case kind (``bench_<topic>``) with
:func:`hybridsolve.cases.register_kind`, and a case file ``benchmarks/cases/bench_<topic>.toml``
with full and ``[smoke]`` sizes. Run from the repository root (a checkout; the benchmarks are not
installed with the package)::

    python -m benchmarks classical                  # full size, results in results/bench_classical
    python -m benchmarks classical --smoke          # tiny sizes: checks that the code runs
    python -m benchmarks classical --update-docs    # full size, and rewrite its section of docs/benchmarks.md

``docs/benchmarks.md`` changes only with ``--update-docs`` (refused with ``--smoke``: smoke-size
numbers are not benchmarks). Topics: :data:`TOPICS`.

>>> case_path("classical").name
'bench_classical.toml'
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path

__all__ = ["TOPICS", "CASES", "DOCS", "case_path", "load", "run", "update_doc"]

TOPICS = ("classical", "deep_ritz", "monitor", "probes", "hybrid")
CASES = Path(__file__).resolve().parent / "cases"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def _check_topic(topic: str) -> None:
    if topic not in TOPICS:
        raise ValueError(f"no benchmark {topic!r}; available: {', '.join(TOPICS)}")


def case_path(topic: str) -> Path:
    """The case file of ``topic``.

    >>> case_path("hybrid").parent.name
    'cases'
    """
    _check_topic(topic)
    return CASES / f"bench_{topic}.toml"


def load(topic: str):
    """Import the module of ``topic`` (registering its case kind) and return it.

    >>> load("monitor").__name__
    'benchmarks.monitor'
    """
    _check_topic(topic)
    return importlib.import_module(f"{__name__}.{topic}")


def run(topic: str, out=None, *, smoke: bool = False, update_docs: bool = False, docs=DOCS,
        verbose: bool = True, force: bool = False) -> dict:
    """Run the benchmark ``topic`` into ``out`` (default ``results/bench_<topic>[-smoke]``); returns
    the summary (its ``"markdown"`` is the table). With ``update_docs``, and only then, the table
    replaces the section ``topic`` of ``docs`` (default: this checkout's docs/benchmarks.md).
    A directory that holds an earlier run is refused unless ``force`` (which clears it first).

    >>> run("monitor", smoke=True, update_docs=True)
    Traceback (most recent call last):
    ...
    ValueError: --update-docs needs a full-size run: smoke-size numbers are not benchmarks
    """
    if smoke and update_docs:
        raise ValueError("--update-docs needs a full-size run: smoke-size numbers are not benchmarks")
    from hybridsolve.cases import run_case

    load(topic)
    if out is None:
        out = Path("results") / (f"bench_{topic}" + ("-smoke" if smoke else ""))
    summary = run_case(case_path(topic), out=out, smoke=smoke, verbose=verbose, force=force)
    if update_docs:
        md = summary.get("markdown")
        if not isinstance(md, str) or not md.strip():
            raise RuntimeError(f"benchmark {topic!r} returned no markdown table; docs left as they were")
        update_doc(topic, md, docs)
    return summary


def update_doc(topic: str, markdown: str, path=DOCS) -> Path:
    """Replace the section between ``<!-- bench:topic -->`` and ``<!-- /bench:topic -->`` of the
    markdown file ``path`` (appending the markers if absent) with ``markdown``; writes atomically.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     doc = pathlib.Path(d) / "b.md"
    ...     _ = update_doc("x", "| a |", doc); _ = update_doc("x", "| b |", doc)
    ...     doc.read_text().count("bench:x"), "| a |" in doc.read_text()
    (2, False)
    """
    from hybridsolve.history import atomic_write_text

    path = Path(path)
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    start, end = f"<!-- bench:{topic} -->", f"<!-- /bench:{topic} -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _m: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    atomic_write_text(path, text)
    return path
