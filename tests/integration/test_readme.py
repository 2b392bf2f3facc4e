"""The README's two commands stay true: CI runs the test command verbatim, the main job's case exists."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _commands():
    return re.findall(r"```bash\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)


def test_ci_runs_the_readme_test_command():
    test_cmd = [c for c in _commands() if "pytest" in c]
    assert len(test_cmd) == 1
    ci_lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_cmd[0].strip() in ci_lines


def test_main_job_case_exists():
    main = [c for c in _commands() if "hybridsolve run" in c]
    assert len(main) == 1
    case = re.search(r"hybridsolve run (\S+)", main[0]).group(1)
    assert (ROOT / case).exists()
