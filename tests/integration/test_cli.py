"""The command line and the results directory it writes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from hybridsolve import History, Record, cases
from hybridsolve.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_list_and_describe(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["list", "--kinds"]) == 0
    out = capsys.readouterr().out
    assert "cases/poisson_2d.toml" in out and "INVALID" not in out
    assert main(["describe", "poisson_2d", "--smoke"]) == 0
    assert "n = 32" in capsys.readouterr().out


def test_bad_case_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('kind = "poisson"\n[params]\nn = 1.5\n')
    assert main(["run", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert "key 'n' must be an integer" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing written for an invalid case


def test_main_job_smoke_writes_results(tmp_path):
    out = tmp_path / "res"
    proc = subprocess.run([sys.executable, "-m", "hybridsolve", "run", str(ROOT / "cases/poisson_2d.toml"),
                           "--out", str(out), "--smoke"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "done"
    config = tomllib.loads((out / "config.toml").read_text())
    assert config["params"]["n"] == 32 and config["smoke"] is True
    for f in ("history.json", "history.npz", "solution.png", "convergence.png"):
        assert (out / f).stat().st_size > 0
    h = History.load(out / "history.json")
    assert set(h.phases) == {"direct", "multigrid", "gauss_seidel", "jacobi"}
    rows = summary["methods"]
    assert rows["direct"]["converged"] and rows["multigrid"]["converged"]
    # Jacobi at 2000 sweeps on n=32 cannot reach rtol 1e-8: it must say so
    assert rows["jacobi"]["converged"] is False and rows["jacobi"]["reason"] == "maxiter"
    assert summary["fastest_converged"] in rows


@dataclass
class _Params:
    records: int = 3


@cases.register_kind("_test_interrupted", _Params)
def _interrupted(p, ctx):
    h = History()
    for i in range(p.records):
        h.append(Record("demo", i, float(i), {"x": float(i)}))
        ctx.save_history(h)
    raise KeyboardInterrupt


def test_interrupted_run_keeps_records(tmp_path):
    case = tmp_path / "c.toml"
    case.write_text('kind = "_test_interrupted"\n[params]\nrecords = 4\n')
    with pytest.raises(KeyboardInterrupt):
        cases.run_case(case, out=tmp_path / "o", verbose=False)
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["signal"] == "SIGINT" and "error" not in summary
    assert summary["resume_with"] is None  # this kind cannot resume, and the summary says so
    assert len(History.load(tmp_path / "o" / "history")) == 4
    assert not (tmp_path / "o" / ".lock").exists()  # the lock goes with the run


def test_bundled_cases_run_by_name_from_any_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no ./cases here
    bundled = sorted(p.name for p in (ROOT / "cases").glob("*.toml"))
    assert bundled and [p.name for p in cases.find_cases()] == bundled
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in bundled) and "INVALID" not in out
    assert cases.resolve_case_path("paper_fig4").samefile(ROOT / "cases" / "paper_fig4.toml")
    assert cases.resolve_case_path("paper_fig4.toml").samefile(ROOT / "cases" / "paper_fig4.toml")
    assert main(["describe", "paper_fig4", "--smoke"]) == 0
    assert "n = 200" in capsys.readouterr().out
    with pytest.raises(cases.CaseError, match="no case file 'no_such_case'"):
        cases.resolve_case_path("no_such_case")


def test_built_package_carries_the_bundled_cases(tmp_path):
    """The wheel maps the top-level cases/ to hybridsolve/_cases/, and an installed copy finds them
    by name from another directory (the benchmarks stay out)."""
    import shutil
    import zipfile

    setuptools = pytest.importorskip("setuptools")
    if tuple(int(x) for x in setuptools.__version__.split(".")[:2]) < (70, 1):
        pytest.importorskip("wheel")
    src = tmp_path / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc")
    for d in ("hybridsolve", "cases"):
        shutil.copytree(ROOT / d, src / d, ignore=ignore)
    for f in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / f, src / f)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
                   check=True, capture_output=True, cwd=tmp_path)
    (whl,) = (tmp_path / "dist").glob("hybridsolve-*.whl")
    names = zipfile.ZipFile(whl).namelist()
    bundled = sorted(p.name for p in (ROOT / "cases").glob("*.toml"))
    assert sorted(n.split("/")[-1] for n in names if n.startswith("hybridsolve/_cases/")) == bundled
    assert not [n for n in names if n.startswith("benchmarks/") or "bench_" in n]
    site = tmp_path / "site"
    subprocess.run(pip + ["install", "--no-deps", "--no-index", "--target", str(site), str(whl)],
                   check=True, capture_output=True, cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    code = ("import hybridsolve, sys; from hybridsolve.cli import main; print(hybridsolve.__file__); "
            "sys.exit(main(sys.argv[1:]))")
    proc = subprocess.run([sys.executable, "-c", code, "list"], capture_output=True, text=True, cwd=elsewhere, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith(str(site))  # the installed copy, not the checkout
    assert all(str(site / "hybridsolve" / "_cases" / name) in proc.stdout for name in bundled)
    proc = subprocess.run([sys.executable, "-c", code, "describe", "paper_fig4", "--smoke"], capture_output=True,
                          text=True, cwd=elsewhere, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "n = 200" in proc.stdout


def test_output_into_a_closed_pipe_stops_quietly():
    """`hybridsolve list | head -1`: the reader has left; no BrokenPipeError traceback, exit 141."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the command writes: every write fails with EPIPE
    try:
        proc = subprocess.run([sys.executable, "-m", "hybridsolve", "list", "--kinds"], cwd=ROOT,
                              stdout=write_end, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write_end)
    err = proc.stderr.decode()
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert proc.returncode == 141, (proc.returncode, err)
