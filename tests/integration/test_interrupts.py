"""Interrupts lose nothing: SIGINT/SIGTERM during a run keep the records, a checkpoint and status
"interrupted"; ``--resume`` continues to the same records as an uninterrupted run (CPU, same seed:
the recorded values are compared, not the times); a SIGKILLed run is reported "killed" and resumes.

The CLI tests run ``python -m hybridsolve run`` in a subprocess and signal it for real; the other kinds
are interrupted in-process by a real signal sent to this process once the run has saved something.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import tomli_w

from hybridsolve import History, cases
from hybridsolve.cli import main

ROOT = Path(__file__).resolve().parents[2]

DEEP = {"kind": "deep_ritz", "params": {"problem": "paper_1d", "n": 64, "widths": [1, 16, 16, 1], "init_std": 0.3,
                                         "lr": 1e-2, "steps": 800, "observe_every": 20, "save_every": 2,
                                         "dtype": "float64"}}


def _write(path: Path, doc: dict) -> Path:
    path.write_text(tomli_w.dumps(doc))
    return path


def _same_values(a: History, b: History, skip=()) -> None:
    """The same records (phase, step, every data value bit for bit, except the keys in ``skip``: seconds);
    the records' times are not compared."""
    assert [(r.phase, r.step) for r in a] == [(r.phase, r.step) for r in b]
    for ra, rb in zip(a, b):
        assert sorted(ra.data) == sorted(rb.data), (ra.step, sorted(ra.data), sorted(rb.data))
        for k in ra.data:
            if k in skip:
                continue
            va, vb = ra.data[k], rb.data[k]
            if isinstance(va, dict):
                assert va.keys() == vb.keys() and all(np.array_equal(va[q], vb[q], equal_nan=True) for q in va), k
            else:
                assert np.array_equal(np.asarray(va), np.asarray(vb), equal_nan=True), (ra.phase, ra.step, k)


@pytest.fixture(scope="module")
def deep_reference(tmp_path_factory):
    d = tmp_path_factory.mktemp("ref")
    case = _write(d / "dr.toml", DEEP)
    cases.run_case(case, out=d / "out", verbose=False, progress=False)
    return case, History.load(d / "out" / "history.json")


def _wait_for(path: Path, proc=None, timeout: float = 60.0) -> None:
    t0 = time.monotonic()
    while not path.exists():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the run ended (rc {proc.returncode}) before {path.name} was written: "
                                 f"{proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"{path} not written within {timeout} s")
        time.sleep(0.01)


def _cli(args, **kw):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "")}
    env = {k: v for k, v in env.items() if v != ""}
    return subprocess.Popen([sys.executable, "-m", "hybridsolve", "-q", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_keeps_records_and_resume_is_bit_identical(tmp_path, deep_reference, sig):
    case, reference = deep_reference
    out = tmp_path / "out"
    proc = _cli(["run", str(case), "--out", str(out)])
    _wait_for(out / "history.json", proc)   # the run has recorded (and saved) something
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    assert f"interrupted by {signal.Signals(sig).name}" in err and "--resume" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["signal"] == signal.Signals(sig).name
    kept = History.load(out / "history.json")
    assert len(kept) == summary["records"] >= 2   # the first save: after two observations
    assert 0 < summary["checkpoint_step"] <= summary["interrupted_at_step"] < DEEP["params"]["steps"]
    assert summary["checkpoint_step"] in kept.steps()[-2:]  # the checkpoint: at the last observation
    assert (out / "checkpoint.pt").exists() and not (out / ".lock").exists() and not list(out.glob("*.tmp"))
    _same_values(kept, reference[:len(kept)])            # what it recorded is what an uninterrupted run records
    # continue: the final history is the uninterrupted run's
    assert main(["-q", "run", str(case), "--out", str(out), "--resume"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "done" and summary["resumed"][0]["from_status"] == "interrupted"
    _same_values(History.load(out / "history.json"), reference)


def test_sigkill_is_reported_killed_and_resumes(tmp_path, deep_reference, capsys, caplog):
    case, reference = deep_reference
    out = tmp_path / "out"
    proc = _cli(["run", str(case), "--out", str(out)])
    _wait_for(out / "checkpoint.pt", proc)
    proc.kill()
    proc.wait(timeout=30)
    assert json.loads((out / "summary.json").read_text())["status"] == "running"  # nothing could record the end
    assert (out / ".lock").exists()
    assert main(["describe", "--out", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "status killed" in shown and f"pid {proc.pid} is not alive" in shown and "stale" in shown
    assert main(["run", str(case), "--out", str(out)]) == 2   # the next run: refused, and says what happened
    err = capsys.readouterr().err
    assert "taking over the stale lock" in err and "was killed" in err
    assert "status killed" in err and "--resume continues it" in err
    assert json.loads((out / "summary.json").read_text())["status"] == "killed"
    assert main(["-q", "run", str(case), "--out", str(out), "--resume"]) == 0
    _same_values(History.load(out / "history.json"), reference)
    assert not (out / ".lock").exists()


def test_second_run_on_a_busy_directory_is_refused(tmp_path, deep_reference, capsys):
    case, _ = deep_reference
    out = tmp_path / "out"
    proc = _cli(["run", str(case), "--out", str(out)])
    try:
        _wait_for(out / ".lock", proc)
        assert main(["run", str(case), "--out", str(out), "--force"]) == 2
        err = capsys.readouterr().err
        assert f"is in use by another run (pid {proc.pid}" in err
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)


# -- in-process: the other kinds ------------------------------------------------------------------------------
@contextlib.contextmanager
def _signal_when(path: Path, sig=signal.SIGINT, timeout: float = 120.0):
    """Send ``sig`` to this process once ``path`` exists (the run saved something). A signal that arrives
    after the run has returned is swallowed (the test then fails on the missing interrupt, not on a stray
    KeyboardInterrupt in pytest)."""
    stop = threading.Event()
    old = signal.signal(sig, lambda *a: None)

    def watch():
        t0 = time.monotonic()
        while not stop.is_set() and time.monotonic() - t0 < timeout:
            if path.exists():
                os.kill(os.getpid(), sig)
                return
            time.sleep(0.002)

    th = threading.Thread(target=watch, daemon=True)
    th.start()
    try:
        yield
    finally:
        stop.set()
        th.join()
        signal.signal(sig, old)


def _interrupt_resume_compare(tmp_path, doc, trigger: str, histories, smoke=False, skip=()):
    case = _write(tmp_path / "c.toml", doc)
    ref, out = tmp_path / "ref", tmp_path / "out"
    cases.run_case(case, out=ref, verbose=False, progress=False, smoke=smoke)
    with _signal_when(out / trigger):
        with pytest.raises(cases.RunInterrupted):
            cases.run_case(case, out=out, verbose=False, progress=False, smoke=smoke)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["resume_with"].endswith("--resume")
    assert not (out / ".lock").exists()
    kept = {h: History.load(out / f"{h}.json") for h in histories if (out / f"{h}.json").exists()}
    assert kept, "nothing recorded before the interrupt"
    cases.run_case(case, out=out, verbose=False, progress=False, resume=True, smoke=smoke)
    for h in histories:
        _same_values(History.load(out / f"{h}.json"), History.load(ref / f"{h}.json"), skip=skip)
    return summary, kept


def test_fprinciple_1d_resumes_bit_identically(tmp_path):
    doc = {"kind": "fprinciple_1d", "params": {"points": 41, "widths": [1, 32, 1], "init_std": 0.5, "lr": 5e-3,
                                                "dtype": "float64", "epochs": 1500, "observe_every": 20,
                                                "save_every": 2, "peaks": "auto"}}
    summary, kept = _interrupt_resume_compare(tmp_path, doc, "checkpoint.pt", ["history"])
    assert summary["checkpoint_step"] in kept["history"].steps()[-2:] and summary["checkpoint_step"] < 1500


def test_fig4abc_resumes_the_dnn_bit_identically(tmp_path):
    doc = {"kind": "paper_fig4abc", "params": {"n": 64, "widths": [1, 16, 16, 1], "init_std": 0.3, "lr": 1e-2,
                                                "dtype": "float64", "dnn_steps": 1000, "dnn_observe_every": 20,
                                                "jacobi_sweeps": 1000, "jacobi_observe_every": 200, "peaks": "auto",
                                                "save_every": 2}}
    summary, kept = _interrupt_resume_compare(tmp_path, doc, "checkpoint.pt", ["history"])
    assert summary["interrupted_in"] == "dnn" and "jacobi" in kept["history"].phases


def test_poisson_resume_keeps_finished_methods(tmp_path):
    # Jacobi checks every 10 sweeps: the kernel returns to Python often, so the watching thread gets the GIL
    doc = {"kind": "poisson", "params": {"problem": "multiscale_2d", "n": 96, "rtol": 1e-12, "maxiter": 30000,
                                          "methods": ["direct", "multigrid", "jacobi"],
                                          "options": {"jacobi": {"check_every": 10}}}}
    summary, kept = _interrupt_resume_compare(tmp_path, doc, "progress.json", ["history"])
    assert summary["interrupted_in_method"] in (None, "multigrid", "jacobi")  # None: between two methods
    assert set(summary["methods_done"]) <= {"direct", "multigrid"} and "direct" in summary["methods_done"]


def test_showcase_resumes_the_grid_in_progress(tmp_path):
    doc = {"kind": "hybrid_showcase", "params": {"problem": "multiscale_1d", "n": 128, "ns": [128],
                                                  "widths": [1, 16, 16, 1], "dnn_steps": 800, "snapshot_every": 50,
                                                  "run_limit_s": 1.0, "repeats": 1, "run_best": 1,
                                                  "alternating": False, "target_error": 1e-2}}
    summary, kept = _interrupt_resume_compare(tmp_path, doc, "history_snapshots.json", ["history_snapshots"],
                                              skip=("total",))   # total = DNN seconds + priced Jacobi seconds
    assert set(summary["checkpoint_step"]) == {"128"} and summary["checkpoint_step"]["128"] < 800
    done = json.loads((tmp_path / "out" / "details.json").read_text())
    ref = json.loads((tmp_path / "ref" / "details.json").read_text())
    for n in ("128",):   # the deterministic numbers of every priced snapshot (not the seconds)
        assert [(r["M"], r.get("dnn_error"), r["sweeps"]) for r in done["rows"][n]] == \
            [(r["M"], r.get("dnn_error"), r["sweeps"]) for r in ref["rows"][n]]


def test_probe_training_resumes_bit_identically(tmp_path, fashion_dir):
    doc = {"kind": "probe_filtering", "params": {"datasets": ["fashion-mnist"], "data_dir": str(fashion_dir),
                                                  "n_train": 200, "n_test": 50, "batch_size": 100, "epochs": 4,
                                                  "deltas": [3.0], "lr": 1e-3}}
    summary, kept = _interrupt_resume_compare(tmp_path, doc, "checkpoint_fashion-mnist.pt",
                                              ["history_fashion-mnist"])
    assert summary["checkpoint_step"] is not None and summary["checkpoint_step"] < 4
