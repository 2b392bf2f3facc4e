"""What every example shares: its size and where it writes its figures.

``HYBRIDSOLVE_EXAMPLE_SIZE``: ``normal`` (default) or ``test`` (seconds, as ``tests/integration/test_examples.py``
runs them). Output: ``--out DIR`` on the command line, else ``HYBRIDSOLVE_EXAMPLE_OUT``, else
``examples/output/`` (git-ignored).
"""
import os
import sys
from pathlib import Path

SIZE = os.environ.get("HYBRIDSOLVE_EXAMPLE_SIZE", "normal")
if SIZE not in ("normal", "test"):
    raise SystemExit(f"HYBRIDSOLVE_EXAMPLE_SIZE={SIZE!r}: valid values are 'normal' (default) and 'test'")
HERE = Path(__file__).resolve().parent
OUT = Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv[1:-1] else \
    Path(os.environ.get("HYBRIDSOLVE_EXAMPLE_OUT") or HERE / "output")
OUT.mkdir(parents=True, exist_ok=True)
