"""The results directory: strict JSON, the umask's permissions, nothing outside ``--out``, ``--force``
clears a stale run, the lock (a stale one is taken over with a warning)."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomli_w

from hybridsolve import History, cases, rundir
from hybridsolve.cli import main

POISSON = {"kind": "poisson", "params": {"problem": "multiscale_2d", "n": 16, "methods": ["direct", "multigrid"],
                                          "maxiter": 200}}
DEEP = {"kind": "deep_ritz", "params": {"problem": "paper_1d", "n": 32, "widths": [1, 8, 1], "init_std": 0.3, "lr": 1e-2,
                                         "steps": 20, "observe_every": 10, "save_every": 1}}


def _case(tmp_path, doc, name="c.toml") -> Path:
    p = tmp_path / name
    p.write_text(tomli_w.dumps(doc))
    return p


def _strict_loads(text: str):
    def refuse(token):
        raise ValueError(f"non-JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def test_summary_is_strict_json_with_reasons(tmp_path):
    doc = {"kind": "poisson", "params": {"problem": "multiscale_2d", "n": 16, "methods": ["jacobi"], "maxiter": 5000,
                                          "options": {"jacobi": {"omega": 1.9}}}}  # ω > 1: Jacobi diverges to inf
    summary = cases.run_case(_case(tmp_path, doc), out=tmp_path / "o", verbose=False)
    s = _strict_loads((tmp_path / "o" / "summary.json").read_text())
    row = s["methods"]["jacobi"]
    assert row["reason"] == "diverged" and row["error_inf"] is None and row["error_inf_nonfinite"] in ("inf", "nan")
    assert summary["methods"]["jacobi"]["error_inf"] is None  # the returned summary is the written one
    _strict_loads(rundir.dumps_strict({"a": [float("nan"), [1.0, float("-inf")]]}))


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_files_follow_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        cases.run_case(_case(tmp_path, DEEP), out=tmp_path / "o", verbose=False, progress=False)
    finally:
        os.umask(old)
    files = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "o").iterdir()}
    assert {"checkpoint.pt", "history.json", "history.npz", "deep_ritz.png", "summary.json", "config.toml"} <= set(files)
    assert all(m == 0o666 & ~mask for m in files.values()), {k: oct(v) for k, v in files.items()}


def test_nothing_outside_out(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _case(tmp_path, {**POISSON, "name": "plain"})
    assert main(["-q", "run", "c.toml", "--out", "sub/out"]) == 0
    assert sorted(os.listdir(tmp_path)) == ["c.toml", "sub"] and os.listdir(tmp_path / "sub") == ["out"]
    assert main(["-q", "run", "c.toml"]) == 0   # the default: results/<name>
    assert sorted(os.listdir(tmp_path)) == ["c.toml", "results", "sub"]
    assert os.listdir(tmp_path / "results") == ["plain"]
    assert not [p for p in (tmp_path / "results" / "plain").iterdir() if p.name.endswith(".tmp") or p.name == ".lock"]


def test_force_clears_the_earlier_run(tmp_path, caplog):
    out = tmp_path / "o"
    cases.run_case(_case(tmp_path, POISSON), out=out, verbose=False)
    (out / "stale_figure.png").write_bytes(b"old")
    with pytest.raises(cases.CaseError, match="already holds a run of case 'c' .*--force clears it first"):
        cases.run_case(_case(tmp_path, POISSON), out=out, verbose=False)
    assert (out / "stale_figure.png").exists()  # a refused run changes nothing
    one = {**POISSON, "params": {**POISSON["params"], "methods": ["direct"]}}
    with caplog.at_level(logging.WARNING, logger="hybridsolve"):
        cases.run_case(_case(tmp_path, one), out=out, verbose=False, force=True)
    assert any("--force: cleared" in r.getMessage() for r in caplog.records)
    assert not (out / "stale_figure.png").exists()
    assert History.load(out / "history.json").phases == ["direct"]
    assert json.loads((out / "summary.json").read_text())["status"] == "done"


def test_stale_lock_is_taken_over_with_a_warning(tmp_path, caplog):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "o"
    out.mkdir()
    (out / ".lock").write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename, "started": "earlier"}))
    with caplog.at_level(logging.WARNING, logger="hybridsolve"):
        cases.run_case(_case(tmp_path, POISSON), out=out, verbose=False)
    assert any(f"stale lock of pid {dead.pid}" in r.getMessage() for r in caplog.records)
    assert not (out / ".lock").exists()


def test_lock_refuses_a_live_holder_and_releases(tmp_path):
    d = tmp_path / "o"
    d.mkdir()
    with rundir.Lock(d):
        with pytest.raises(rundir.RunDirError, match=rf"in use by another run \(pid {os.getpid()},"):
            other = rundir.Lock(d)
            other.pid = os.getppid()   # another live process asking for the same directory
            other.acquire()
    assert not (d / ".lock").exists()


def test_killed_run_is_reported_by_describe(tmp_path, capsys):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "o"
    out.mkdir()
    (out / "summary.json").write_text(json.dumps({"case": "c", "kind": "poisson", "status": "running",
                                                  "pid": dead.pid, "host": os.uname().nodename}))
    assert rundir.run_state(out)["status"] == "killed"
    assert main(["describe", "--out", str(out)]) == 0
    assert f"status killed (summary.json says running, but pid {dead.pid} is not alive" in capsys.readouterr().out
    assert json.loads((out / "summary.json").read_text())["status"] == "running"  # describe only reads


def test_strict_json_marks_every_nonfinite():
    doc = rundir.strict_json({"x": float("inf"), "ys": [1.0, float("nan"), [float("-inf")]], "t": {"z": float("nan")}})
    assert doc == {"x": None, "x_nonfinite": "inf", "ys": [1.0, None, [None]], "ys_nonfinite": {"1": "nan", "2.0": "-inf"},
                   "t": {"z": None, "z_nonfinite": "nan"}}
