"""Bad command-line and case-file inputs: each is refused before any work, with exit code 2 and ONE line
on stderr that names the key (or the path) and says what is allowed; nothing is written.

The cases mirror the hostile sweep (tests/sweep_bad_inputs.py), run in-process through ``main()``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hybridsolve import cases
from hybridsolve.cli import main

POISSON = {"kind": "poisson", "params": {"problem": "multiscale_2d", "n": 16, "methods": ["direct", "multigrid"],
                                          "maxiter": 200}}
DEEP = {"kind": "deep_ritz", "params": {"problem": "paper_1d", "n": 64, "widths": [1, 8, 1], "init_std": 0.3, "lr": 1e-2,
                                         "steps": 20, "observe_every": 10}}
SHOW = {"kind": "hybrid_showcase", "params": {"problem": "multiscale_1d", "n": 128, "ns": [128], "widths": [1, 8, 1],
                                               "dnn_steps": 40, "snapshot_every": 20, "run_limit_s": 2.0, "repeats": 1,
                                               "run_best": 1, "alternating": False}}
FIG4 = {"kind": "paper_fig4", "params": {"n": 200, "widths": [1, 8, 1], "init_std": 0.5, "lr": 3e-3, "Ms": [0, 10],
                                          "dnn_steps": 20, "observe_every": 10, "alternating": False}}
ABC = {"kind": "paper_fig4abc", "params": {"n": 64, "widths": [1, 8, 1], "init_std": 0.3, "lr": 1e-2, "dnn_steps": 20,
                                            "dnn_observe_every": 10, "jacobi_sweeps": 200, "jacobi_observe_every": 100}}
FP1 = {"kind": "fprinciple_1d", "params": {"points": 41, "widths": [1, 16, 1], "init_std": 0.5, "lr": 5e-3, "epochs": 20,
                                            "observe_every": 10}}
PROJ = {"kind": "probe_projection", "params": {"datasets": ["fashion-mnist"], "n_train": 200, "n_test": 100,
                                                "batch_size": 100, "epochs": 1}}
FILT = {"kind": "probe_filtering", "params": {"datasets": ["fashion-mnist"], "n_train": 200, "n_test": 100,
                                               "batch_size": 100, "epochs": 1, "deltas": [3.0]}}
GEN = {"kind": "probe_generalisation", "params": {"n_train": 200, "n_test": 100, "batch_size": 100, "epochs": 1,
                                                   "parity_dim": 6, "parity_train": 20, "parity_widths": [16],
                                                   "parity_steps": 20, "n_freqs": 20}}


def _with(base: dict, **params) -> dict:
    return {**base, "params": {**base["params"], **params}}


def _toml(doc: dict) -> str:
    import tomli_w

    return tomli_w.dumps(doc)


# (id, case document, extra CLI args, what the one-line message must contain)
VALUES = [
    ("poisson-n-negative", _with(POISSON, n=-4), [], ["'n' = -4", ">= 2"]),
    ("poisson-n-zero", _with(POISSON, n=0), [], ["'n' = 0"]),
    ("poisson-maxiter", _with(POISSON, maxiter=-10), [], ["'maxiter' = -10", ">= 1"]),
    ("poisson-rtol", _with(POISSON, rtol=-1.0), [], ["'rtol' = -1.0", ">= 0"]),
    ("poisson-rtol-nan", _with(POISSON, rtol=float("nan")), [], ["'rtol' = nan", "finite"]),
    ("poisson-methods-empty", _with(POISSON, methods=[]), [], ["'methods' = []", "non-empty"]),
    ("poisson-methods-repeated", _with(POISSON, methods=["direct", "direct"]), [], ["'methods'", "without repeats"]),
    ("poisson-method-unknown", _with(POISSON, methods=["direct", "sor"]), [], ["'methods'", "unknown method 'sor'"]),
    ("poisson-option-value", _with(POISSON, options={"multigrid": {"cycle": "X"}}), [], ["options.multigrid", "cycle 'X'"]),
    ("poisson-option-name", _with(POISSON, methods=["direct", "jacobi"], options={"jacobi": {"omgea": 1.0}}), [],
     ["options.jacobi.omgea", "valid options"]),
    ("poisson-option-omega", _with(POISSON, methods=["direct", "jacobi"], options={"jacobi": {"omega": 3.0}}), [],
     ["options.jacobi", "(0, 2)"]),
    ("poisson-options-not-in-methods", _with(POISSON, options={"jacobi": {"omega": 0.8}}), [], ["options.jacobi"]),
    ("poisson-memory", _with(POISSON, n=10**6), [], ["'n' = 1000000", "GiB"]),
    ("poisson-problem", _with(POISSON, problem="nope"), [], ["'problem'", "unknown problem 'nope'"]),
    ("deep_ritz-n", _with(DEEP, n=-4), [], ["'n' = -4"]),
    ("deep_ritz-lr", _with(DEEP, lr=-1.0), [], ["'lr' = -1.0", "> 0"]),
    ("deep_ritz-lr-inf", _with(DEEP, lr=float("inf")), [], ["'lr' = inf", "finite"]),
    ("deep_ritz-activation", _with(DEEP, activation="swish"), [], ["'activation' = \"swish\"", "'tanh', 'relu', 'sin'"]),
    ("deep_ritz-widths-zero", _with(DEEP, widths=[1, 0, 1]), [], ["'widths' = [1, 0, 1]", ">= 1"]),
    ("deep_ritz-widths-dim", _with(DEEP, widths=[2, 8, 1]), [], ["'widths' = [2, 8, 1]", "dimension 1"]),
    ("deep_ritz-widths-empty", _with(DEEP, widths=[]), [], ["'widths' = []", "at least 2"]),
    ("deep_ritz-dtype", _with(DEEP, dtype="float16"), [], ["'dtype'", "'float32', 'float64'"]),
    ("deep_ritz-init_std", _with(DEEP, init_std=-1.0), [], ["'init_std' = -1.0"]),
    ("deep_ritz-beta", _with(DEEP, beta=-1.0), [], ["'beta' = -1.0"]),
    ("deep_ritz-batch_size", _with(DEEP, batch_size=0), [], ["'batch_size' = 0"]),
    ("deep_ritz-target_error", _with(DEEP, target_error=-1.0), [], ["'target_error' = -1.0"]),
    ("deep_ritz-seed", _with(DEEP, seed=-1), [], ["'seed' = -1"]),
    ("deep_ritz-steps", _with(DEEP, steps=-5), [], ["'steps' = -5"]),
    ("deep_ritz-loss", _with(DEEP, loss="l2"), [], ["'loss'", "'ritz', 'discrete_ritz', 'fit'"]),
    ("showcase-snapshot_every", _with(SHOW, snapshot_every=0), [], ["'snapshot_every' = 0"]),
    ("showcase-repeats", _with(SHOW, repeats=0), [], ["'repeats' = 0", ">= 1"]),
    ("showcase-run_best", _with(SHOW, run_best=-2), [], ["'run_best' = -2"]),
    ("showcase-ns-empty", _with(SHOW, ns=[]), [], ["'ns' = []"]),
    ("showcase-problem", _with(SHOW, problem="smooth_2d"), [], ["'problem'", "'multiscale_1d', 'paper_1d'"]),
    ("showcase-omega", _with(SHOW, omega=2.5), [], ["'omega' = 2.5", "(0, 2)"]),
    ("showcase-run_limit_s", _with(SHOW, run_limit_s=-1.0), [], ["'run_limit_s' = -1.0"]),
    ("showcase-target-unreachable", _with(SHOW, target_error=1e-9), [], ["'target_error'", "unreachable"]),
    ("fig4-Ms", _with(FIG4, Ms=[-5, 10]), [], ["'Ms' = [-5, 10]", ">= 0"]),
    ("fig4-target_error", _with(FIG4, target_error=0.0), [], ["'target_error' = 0.0"]),
    ("fig4-patience", _with(FIG4, patience=-1.0), [], ["'patience' = -1.0", "(0, 10]"]),
    ("fig4-omega", _with(FIG4, omega=0.0), [], ["'omega' = 0.0"]),
    ("fig4-loss", _with(FIG4, loss="l1"), [], ["'loss' = \"l1\""]),
    ("fig4-target-unreachable", _with(FIG4, n=64), [], ["'target_error'", "unreachable"]),
    ("fig4abc-jacobi_sweeps", _with(ABC, jacobi_sweeps=-1), [], ["'jacobi_sweeps' = -1"]),
    ("fig4abc-peaks-negative", _with(ABC, peaks=[-1]), [], ["'peaks' = [-1]"]),
    ("fig4abc-peaks-out-of-range", _with(ABC, peaks=[1, 60]), [], ["'peaks'", "out of range"]),
    ("fig4abc-peaks-word", _with(ABC, peaks="all"), [], ["'peaks' = \"all\"", "'auto'"]),
    ("fig4abc-threshold", _with(ABC, threshold=-0.1), [], ["'threshold' = -0.1"]),
    ("fig4abc-basis", _with(ABC, basis="fft"), [], ["'basis' = \"fft\""]),
    ("fprinciple-points", _with(FP1, points=2), [], ["'points' = 2", ">= 3"]),
    ("fprinciple-frequencies-empty", _with(FP1, frequencies=[]), [], ["'frequencies' = []"]),
    ("fprinciple-frequencies-aliased", _with(FP1, frequencies=[1, 30]), [], ["'frequencies'", "sampling limit"]),
    ("fprinciple-epochs", _with(FP1, epochs=-1), [], ["'epochs' = -1"]),
    ("fprinciple-widths", _with(FP1, widths=[1, 8, 2]), [], ["'widths' = [1, 8, 2]", "ends in 1"]),
    ("projection-datasets-empty", _with(PROJ, datasets=[]), [], ["'datasets' = []"]),
    ("projection-dataset-unknown", _with(PROJ, datasets=["imagenet"]), [], ["'datasets'", "'fashion-mnist'"]),
    ("projection-n_test", _with(PROJ, n_test=-1), [], ["'n_test' = -1"]),
    ("projection-model", _with(PROJ, model="resnet"), [], ["'model' = \"resnet\"", "'fc_tanh'"]),
    ("projection-max_peaks", _with(PROJ, max_peaks=0), [], ["'max_peaks' = 0"]),
    ("projection-output", _with(PROJ, output=10), [], ["'output' = 10", "10 classes"]),
    ("projection-data_dir", _with(PROJ, data_dir="/nonexistent/data"), [], ["'data_dir'", "no such directory"]),
    ("filtering-deltas-empty", _with(FILT, deltas=[]), [], ["'deltas' = []"]),
    ("filtering-deltas-negative", _with(FILT, deltas=[3.0, -1.0]), [], ["'deltas' = [3.0, -1.0]", "> 0"]),
    ("generalisation-parity_dim-zero", _with(GEN, parity_dim=0), [], ["'parity_dim' = 0"]),
    ("generalisation-parity_dim-huge", _with(GEN, parity_dim=40), [], ["'parity_dim' = 40", "2^parity_dim"]),
    ("generalisation-parity_train", _with(GEN, parity_train=100), [], ["'parity_train' = 100", "64"]),
    ("generalisation-n_freqs", _with(GEN, n_freqs=0), [], ["'n_freqs' = 0"]),
    # the same rules through --set (typed by the schema, then checked like the file)
    ("set-n", POISSON, ["--set", "params.n=-4"], ["--set params.n=-4", "'n' = -4"]),
    ("set-lr", DEEP, ["--set", "params.lr=-1"], ["--set params.lr=-1.0", "'lr' = -1.0"]),
    ("set-activation", DEEP, ["--set", "params.activation=swish"], ["'activation' = \"swish\""]),
    ("set-methods-empty", POISSON, ["--set", "params.methods=[]"], ["'methods' = []"]),
    ("set-smoke-value", {**POISSON, "smoke": {"n": 8}}, ["--smoke", "--set", "smoke.n=1"], ["with [smoke]", "'n' = 1"]),
    ("set-type", POISSON, ["--set", "params.n=big"], ["params.n expects an integer"]),
    ("smoke-table-bad", {**POISSON, "smoke": {"maxiter": 0}}, [], ["with [smoke]", "'maxiter' = 0"]),
]


def _case(tmp_path, doc) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(doc if isinstance(doc, str) else _toml(doc))
    return p


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


@pytest.mark.parametrize("doc,extra,needles", [v[1:] for v in VALUES], ids=[v[0] for v in VALUES])
def test_bad_value_refused_by_run_and_describe(tmp_path, capsys, doc, extra, needles):
    path = _case(tmp_path, doc)
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), *extra]) == 2
    err = _one_line_error(capsys)
    named = str(path) in err or err.startswith("error: --set ")   # a --set value of the wrong type: the key alone
    assert named and all(n in err for n in needles), err
    assert not out.exists()  # refused before anything was made
    describe_extra = [a for a in extra if a != "--out"]
    assert main(["describe", str(path), *describe_extra]) == 2
    err = _one_line_error(capsys)
    assert all(n in err for n in needles), err


FILES = [
    ("name-escapes", 'name = "../../escaped"\n', "'name' = \"../../escaped\""),
    ("name-absolute", 'name = "/tmp/hybridsolve_abs"\n', "'name' = \"/tmp/hybridsolve_abs\""),
    ("name-empty", 'name = ""\n', "'name' = \"\""),
    ("name-separator", 'name = "a/b"\n', "no '/'"),
    ("name-not-string", "name = 5\n", "'name' = 5"),
    ("description-not-string", "description = [1]\n", "'description'"),
    ("kind-missing", None, "'kind' is missing"),
    ("kind-number", "kind = 5\n", "'kind' = 5"),
    ("kind-unknown", 'kind = "nope"\n', "unknown kind 'nope'"),
    ("unknown-top-key", 'paramz = 1\n', "unknown top-level key 'paramz'"),
    ("params-not-table", 'kind = "poisson"\nparams = 5\n', "[params] must be a table"),
    ("invalid-toml", 'kind = "poisson"\n[params\n', "not valid TOML"),
    ("empty-file", "", "'kind' is missing"),
    ("binary", b"\x00\x80\xff" * 50, "not a UTF-8 text file"),
    ("nul-bytes", "kind = \"poisson\"\x00\n", "NUL bytes"),
]


@pytest.mark.parametrize("text,needle", [f[1:] for f in FILES], ids=[f[0] for f in FILES])
def test_bad_case_file_refused(tmp_path, capsys, monkeypatch, text, needle):
    monkeypatch.chdir(tmp_path)
    p = tmp_path / "c.toml"
    if isinstance(text, bytes):
        p.write_bytes(text)
    elif text is None:
        p.write_text(_toml(POISSON).replace('kind = "poisson"\n', ""))
    elif text.startswith(("name", "description")):
        p.write_text(text + _toml(POISSON))
    else:
        p.write_text(text)
    assert main(["run", str(p)]) == 2  # default out results/<name>
    err = _one_line_error(capsys)
    assert needle in err and "c.toml" in err, err
    assert sorted(os.listdir(tmp_path)) == ["c.toml"]  # nothing written (no results/, nothing outside)
    assert main(["describe", str(p)]) == 2 and needle in _one_line_error(capsys)


def _unwritable(tmp_path) -> Path:
    if os.geteuid() == 0:  # root writes anywhere on a normal file system; /sys refuses new entries
        return Path("/sys/hybridsolve-test-out")
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    return d / "out"


def _finished(tmp_path) -> Path:
    out = tmp_path / "done"
    out.mkdir()
    (out / "summary.json").write_text(json.dumps({"case": "c", "kind": "poisson", "status": "done"}))
    (out / "config.toml").write_text(_toml(POISSON))
    return out


def _live_lock(tmp_path) -> Path:
    out = tmp_path / "busy"
    out.mkdir()
    (out / ".lock").write_text(json.dumps({"pid": os.getppid(), "host": os.uname().nodename, "started": "then"}))
    return out


def _foreign(tmp_path) -> Path:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    return out


DIRS = [
    ("out-is-file", lambda t: (t / "afile").write_text("x") and t / "afile", [], "is a file, not a directory"),
    ("out-under-file", lambda t: (t / "afile").write_text("x") and t / "afile" / "sub", [], "is a file, so no directory"),
    ("out-unwritable", _unwritable, [], "hybridsolve-test-out" if os.geteuid() == 0 else "not writable"),
    ("out-empty", lambda t: "", [], "--out '': empty path"),
    ("rerun-finished", _finished, [], "already holds a run of case 'c' (status done)"),
    ("resume-finished", _finished, ["--resume"], "cannot resume"),  # poisson: method-level resume, but 'done'
    ("resume-nothing", lambda t: t / "new", ["--resume"], "nothing to resume"),
    ("resume-and-force", lambda t: t / "new", ["--resume", "--force"], "exclude each other"),
    ("locked-by-live-run", _live_lock, [], "is in use by another run (pid"),
    ("force-foreign-dir", _foreign, ["--force"], "--force clears only a results directory"),
    ("rerun-foreign-dir", _foreign, [], "already holds files (thesis.tex)"),
]


@pytest.mark.parametrize("make,extra,needle", [d[1:] for d in DIRS], ids=[d[0] for d in DIRS])
def test_bad_results_directory_refused(tmp_path, capsys, make, extra, needle):
    path = _case(tmp_path, POISSON)
    out = make(tmp_path)
    before = sorted(os.listdir(out)) if out and Path(out).is_dir() else None
    assert main(["run", str(path), "--out", str(out), *extra]) == 2
    err = _one_line_error(capsys)
    if needle == "cannot resume":  # finished run: poisson resumes, but there is nothing to resume
        needle = "is finished (status done); nothing to resume"
    assert needle in err, err
    if before is not None:
        assert sorted(os.listdir(out)) == before  # untouched (the foreign file survives --force)
    if needle.startswith("nothing to resume") or needle == "exclude each other":
        assert not Path(out).exists()


def test_resume_refused_for_a_kind_that_cannot_resume(tmp_path, capsys):
    path = _case(tmp_path, FIG4)
    out = tmp_path / "o"
    out.mkdir()
    (out / "summary.json").write_text(json.dumps({"case": "c", "kind": "paper_fig4", "status": "interrupted"}))
    assert main(["run", str(path), "--out", str(out), "--resume"]) == 2
    err = _one_line_error(capsys)
    assert "kind 'paper_fig4' cannot resume (its stages are hybrid solves" in err and "--force" in err


OTHER = [
    ("list-dir-missing", ["list", "--dir", "/nonexistent/cases"], "no such directory"),
    ("describe-nothing", ["describe"], "describe needs a CASE"),
    ("describe-out-missing", ["describe", "--out", "/nonexistent/results"], "no such directory"),
    ("describe-missing-case", ["describe", "no_such_case_xyz"], "no case file 'no_such_case_xyz'"),
    ("run-missing-case", ["run", "no_such_case_xyz"], "no case file 'no_such_case_xyz'"),
    ("set-without-equals", ["run", "poisson_2d", "--set", "params.n"], "expected section.key=value"),
    ("set-bad-section", ["run", "poisson_2d", "--set", "param.n=3"], "the key must be params.NAME or smoke.NAME"),
]


@pytest.mark.parametrize("argv,needle", [o[1:] for o in OTHER], ids=[o[0] for o in OTHER])
def test_other_bad_commands(tmp_path, capsys, monkeypatch, argv, needle):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert needle in _one_line_error(capsys)
    assert os.listdir(tmp_path) == []


def test_list_survives_broken_files(tmp_path, capsys):
    (tmp_path / "good.toml").write_text(_toml(POISSON))
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00\x01" * 64)
    (tmp_path / "bad_value.toml").write_text(_toml(_with(POISSON, n=-4)))
    assert main(["list", "--dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    shown = {Path(line.split()[0]).name: line for line in lines}
    assert "[poisson]" in shown["good.toml"]
    assert "INVALID" in shown["binary.toml"] and "not a UTF-8 text file" in shown["binary.toml"]
    assert "INVALID" in shown["bad_value.toml"] and "'n' = -4" in shown["bad_value.toml"]


def test_at_least_fifty_bad_inputs():
    assert len(VALUES) + len(FILES) + len(DIRS) + len(OTHER) + 1 >= 50


def test_bundled_kinds_name_the_rules():
    """Every field of every bundled kind's params that is a number or a string of fixed choices has a rule."""
    import dataclasses
    import typing

    from hybridsolve.schema import rule_of

    missing = []
    for name, kind in cases.kinds().items():
        if name.startswith(("_", "bench_")):
            continue
        hints = typing.get_type_hints(kind.params)
        for f in dataclasses.fields(kind.params):
            tp = hints[f.name]
            numeric = tp in (int, float) or tp in (int | None, float | None)
            if numeric and f.name != "hard_bc" and rule_of(kind.params, f.name) is None:
                missing.append(f"{name}.{f.name}")
    assert not missing, missing


def test_allowed_values_match_the_api():
    """The case schemas name the allowed strings without importing torch; they are the API's own lists."""
    from hybridsolve import nn
    from hybridsolve.experiments import _common, probes
    from hybridsolve.probes import models
    from hybridsolve.solvers.deep_ritz import LOSSES

    assert _common.ACTIVATIONS == nn.ACTIVATIONS and _common.DNN_LOSSES == tuple(LOSSES)
    assert set(_common.DTYPES) == set(nn._DTYPES)
    assert probes._MODELS == ("auto", *models.MODELS)
