"""Command-line options shared by the commands: ``--set`` overrides (typed by the case schema) and
logging (-v/-q; a library stays silent)."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import hybridsolve as hs
from hybridsolve import cases
from hybridsolve.cli import main

ROOT = Path(__file__).resolve().parents[2]


# -- --set overrides -----------------------------------------------------------------------------------------
def test_run_with_overrides_records_them(tmp_path, capsys):
    out = tmp_path / "res"
    rc = main(["run", "poisson_2d", "--smoke", "--out", str(out), "-q", "--set", "smoke.n=16",
               "--set", "params.methods=[direct,multigrid]", "--set", "params.rtol=1e-6",
               "--set", "params.options.multigrid.cycle=W"])
    assert rc == 0
    config = tomllib.loads((out / "config.toml").read_text())
    p = config["params"]
    assert p["n"] == 16 and p["methods"] == ["direct", "multigrid"] and p["rtol"] == 1e-6
    assert p["options"]["multigrid"] == {"cycle": "W", "fmg": True}  # the file's fmg kept, cycle changed
    assert config["overrides"] == {"smoke.n": 16, "params.methods": ["direct", "multigrid"], "params.rtol": 1e-6,
                                   "params.options.multigrid.cycle": "W"}
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(summary["methods"]) == ["direct", "multigrid"] and summary["overrides"]["smoke.n"] == 16
    assert json.loads(capsys.readouterr().out)["status"] == "done"  # stdout: the result only
    # without --set the config has no overrides table
    assert "overrides" not in cases.load_case(cases.resolve_case_path("poisson_2d")).resolved()


def test_describe_shows_overrides(capsys):
    assert main(["describe", "poisson_2d", "--smoke", "--set", "smoke.n=24", "--set", "params.maxiter=7"]) == 0
    out = capsys.readouterr().out
    assert "n = 24" in out and "maxiter = 7" not in out  # [smoke] sets maxiter: the params value is shadowed
    assert "--set smoke.n=24 --set params.maxiter=7" in out
    assert main(["describe", "poisson_2d", "--set", "params.maxiter=7"]) == 0
    assert "maxiter = 7" in capsys.readouterr().out


def test_shadowed_params_override_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="hybridsolve"):
        case = cases.load_case(cases.resolve_case_path("poisson_2d"), smoke=True, overrides=["params.n=64"])
    assert case.params.n == 32
    assert any("params.n has no effect" in r.getMessage() and "smoke.n=" in r.getMessage() for r in caplog.records)


@dataclass
class _Schema:
    n: int = 8
    tol: float = 1e-3
    name: str = "x"
    fast: bool = False
    Ms: list[int] = field(default_factory=list)
    scales: list[float] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    widths: list[int] | None = None
    peaks: list[int] | str = "auto"
    loss: Literal["ritz", "mse"] = "ritz"
    options: dict[str, dict] = field(default_factory=dict)


@pytest.mark.parametrize("key,text,value", [
    ("params.n", "2048", 2048), ("params.n", "2_048", 2048), ("smoke.n", " 16 ", 16),
    ("params.tol", "1e-6", 1e-6), ("params.tol", "3", 3.0), ("params.tol", "inf", float("inf")),
    ("params.name", "123", "123"), ("params.name", '"quoted"', "quoted"), ("params.name", "multiscale_2d", "multiscale_2d"),
    ("params.fast", "true", True), ("params.fast", "False", False), ("params.fast", "yes", True), ("params.fast", "0", False),
    ("params.Ms", "[0,100,200]", [0, 100, 200]), ("params.Ms", "0, 100, 200", [0, 100, 200]), ("params.Ms", "[]", []),
    ("params.scales", "[0.5, 1]", [0.5, 1.0]), ("params.methods", "[direct, jacobi]", ["direct", "jacobi"]),
    ("params.methods", '["direct"]', ["direct"]), ("params.widths", "[1,64,1]", [1, 64, 1]), ("params.widths", "none", None),
    ("params.peaks", "auto", "auto"), ("params.peaks", "[1,3]", [1, 3]), ("params.loss", "mse", "mse"),
    ("params.options.multigrid.fmg", "true", True), ("params.options", "{jacobi = {omega = 0.8}}", {"jacobi": {"omega": 0.8}}),
])
def test_override_values_are_typed_by_the_schema(key, text, value):
    section, parts, typed = cases.parse_override(_Schema, key, text)
    assert (section, ".".join(parts)) == tuple(key.split(".", 1))
    assert typed == value and type(typed) is type(value)


@pytest.mark.parametrize("key,text,message", [
    ("params.n", "2.5", "--set params.n=2.5: params.n expects an integer; got '2.5'"),
    ("params.n", "abc", "--set params.n=abc: params.n expects an integer; got 'abc'"),
    ("params.tol", "fast", "--set params.tol=fast: params.tol expects a number; got 'fast'"),
    ("params.fast", "maybe", "--set params.fast=maybe: params.fast expects true or false; got 'maybe'"),
    ("params.Ms", "[1, x]", "--set params.Ms=[1, x]: params.Ms expects a list of integers (e.g. [0,100,200]); got '[1, x]'"),
    ("params.loss", "l2", "--set params.loss=l2: params.loss expects one of 'ritz', 'mse'; got 'l2'"),
    ("params.nn", "1", "--set params.nn: unknown key 'nn' in [params]; valid keys: n, tol, name, fast, Ms"),
    ("smoke.n.x", "1", "--set smoke.n.x: [smoke.n] is an integer, not a table; it has no key 'x'"),
    ("n", "1", "--set n: the key must be params.NAME or smoke.NAME"),
    ("params.", "1", "--set params.: the key must be params.NAME or smoke.NAME"),
])
def test_bad_override_is_one_line_naming_key_value_and_type(key, text, message):
    with pytest.raises(cases.CaseError) as err:
        cases.parse_override(_Schema, key, text)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_bad_override_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "out"
    for args, message in ((["--set", "params.n=big"], "params.n expects an integer; got 'big'"),
                          (["--set", "params.bogus=1"], "unknown key 'bogus' in [params]; valid keys: problem, n"),
                          (["--set", "params.n"], "--set params.n: expected section.key=value"),
                          (["--set", "params.problem=nope"], "unknown problem 'nope'"),
                          (["--set", "smoke.n=1.5"], "smoke.n expects an integer")):
        assert main(["run", "poisson_2d", "--out", str(out), *args]) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
    assert not out.exists()  # nothing written for a refused override


# -- logging ---------------------------------------------------------------------------------------------------
def test_library_calls_print_nothing(tmp_path):
    code = ("import hybridsolve as hs\n"
            "from hybridsolve import cases\n"
            "hs.solve(hs.problems.smooth_2d(n=16), 'multigrid')\n"
            f"cases.run_case('poisson_2d', out={str(tmp_path / 'o')!r}, smoke=True, overrides=['smoke.n=16'])\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    assert (tmp_path / "o" / "summary.json").exists()


def test_library_records_go_to_the_hybridsolve_logger(tmp_path, caplog, capsys):
    with caplog.at_level(logging.DEBUG, logger="hybridsolve"):
        hs.solve(hs.problems.smooth_2d(n=16), "jacobi", rtol=1e-6)
        cases.run_case("poisson_2d", out=tmp_path / "o", smoke=True, overrides=["smoke.n=16"])
    names = {r.name for r in caplog.records}
    assert "hybridsolve.solvers" in names and "hybridsolve.experiments.poisson" in names
    assert all(n.startswith("hybridsolve.") for n in names)
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert info and all(m.startswith("[poisson_2d] ") for m in info)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""  # recorded, not printed
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="hybridsolve"):
        cases.run_case("poisson_2d", out=tmp_path / "o2", smoke=True, overrides=["smoke.n=16"], verbose=False)
    assert not [r for r in caplog.records if r.name == "hybridsolve.experiments.poisson"]  # verbose=False: no lines


def test_cli_levels(tmp_path, capsys):
    args = ["run", "poisson_2d", "--smoke", "--set", "smoke.n=16", "--set", "params.methods=[multigrid,jacobi]"]
    assert main(args + ["--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "[poisson_2d]" in err and "results in" in err and "debug" not in err  # INFO by default
    assert main(["-q"] + args + ["--out", str(tmp_path / "b")]) == 0
    cap = capsys.readouterr()
    assert cap.err == "" and json.loads(cap.out)["status"] == "done"  # -q: info silenced, the result still shown
    assert main(args + ["--out", str(tmp_path / "c"), "-v"]) == 0
    assert "debug [hybridsolve.solvers]: jacobi on multiscale_2d" in capsys.readouterr().err
    # main() leaves the package logger as it found it (quiet for a library)
    assert logging.getLogger("hybridsolve").level == logging.NOTSET
    assert all(isinstance(h, logging.NullHandler) for h in logging.getLogger("hybridsolve").handlers)
    with pytest.raises(SystemExit):
        main(["-v", "run", "poisson_2d", "-q"])
    assert "exclude each other" in capsys.readouterr().err


def test_quiet_turns_progress_bars_off(monkeypatch):
    seen = {}

    def fake_run_case(path, **kw):
        seen.update(kw)
        return {"status": "done", "files": []}

    monkeypatch.setattr(cases, "run_case", fake_run_case)
    assert main(["run", "poisson_2d", "-q"]) == 0 and seen["progress"] is False
    assert main(["run", "poisson_2d"]) == 0 and seen["progress"] is None  # None: bars only on a terminal
    from hybridsolve._util import progress_enabled

    class _NotATerminal:
        def isatty(self):
            return False

    monkeypatch.setattr(sys, "stderr", _NotATerminal())
    assert progress_enabled(None) is False
