"""`hs.plots.compare` / `hybridsolve compare`, `History.to_csv`, `hybridsolve export` (CSV, TensorBoard)."""
from __future__ import annotations

import csv
import math
import sys

import numpy as np
import pytest

import hybridsolve as hs
from hybridsolve import History, Record, cases
from hybridsolve.cli import main
from hybridsolve.plots.compare import COLUMNS, compare, load_histories, summary_rows


def _monitored(problem, peaks, methods=(("jacobi", dict(maxiter=4000, rtol=0.0)),), every=500) -> History:
    mon = hs.SpectralMonitor(problem, peaks=peaks)
    for m, opts in methods:
        hs.solve(problem, m, monitor=mon, observe_every=every, **opts)
    return mon.history


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    """Three results directories: a real poisson_2d smoke run (no Δ_F), two monitored paper_1d runs (Δ_F)."""
    root = tmp_path_factory.mktemp("results")
    cases.run_case("poisson_2d", out=root / "D1", smoke=True, verbose=False)
    p = hs.problems.paper_1d(n=128)
    h2 = _monitored(p, [1, 8])
    h2.meta["target_error"] = 1e-2
    h2.save(root / "D2" / "history")
    h3 = _monitored(p, [1, 3, 8], methods=(("gauss_seidel", dict(maxiter=3000, rtol=0.0)),))
    h3.save(root / "D3" / "history")
    return root


# -- History.to_csv ----------------------------------------------------------------------------
def test_to_csv_has_one_row_per_record_and_every_scalar(tmp_path):
    p = hs.problems.paper_1d(n=64)
    mon = hs.SpectralMonitor(p, peaks=[1, 8], spectrum=True)
    hs.solve(p, "jacobi", maxiter=2000, rtol=0.0, monitor=mon, observe_every=250)
    h = mon.history
    path = h.to_csv(tmp_path / "sub" / "h.csv")
    with path.open() as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        cols = reader.fieldnames
    assert len(rows) == len(h) and cols[:3] == ["phase", "step", "time"]
    assert {"error_inf", "error_l2", "residual", "delta_F[1]", "delta_F[8]"} <= set(cols)
    assert not any(c.startswith("error_spectrum") for c in cols)  # arrays stay in the npz
    for row, rec in zip(rows, h):
        assert row["phase"] == rec.phase and int(row["step"]) == rec.step and float(row["time"]) == rec.time
        assert float(row["error_inf"]) == rec["error_inf"]  # full precision
        assert float(row["delta_F[8]"]) == rec["delta_F"][8]


def test_to_csv_flattens_mappings_and_leaves_absent_entries_empty(tmp_path):
    h = History([Record("epoch", 0, 0.0, {"loss": 2.0, "e_low": {3.0: 0.9, 10.0: 0.5}}),
                 Record("epoch", 1, 0.5, {"loss": math.nan, "test_acc": 0.7, "e_low": {3.0: 0.4}})])
    rows = list(csv.DictReader(h.to_csv(tmp_path / "h.csv").open()))
    assert list(rows[0]) == ["phase", "step", "time", "loss", "e_low[3.0]", "e_low[10.0]", "test_acc"]
    assert rows[0]["test_acc"] == "" and rows[1]["e_low[10.0]"] == ""
    assert math.isnan(float(rows[1]["loss"])) and float(rows[1]["e_low[3.0]"]) == 0.4


# -- compare -----------------------------------------------------------------------------------
def test_compare_three_results_directories(dirs, tmp_path, capsys):
    fig = tmp_path / "cmp.png"
    assert main(["compare", str(dirs / "D1"), str(dirs / "D2"), str(dirs / "D3"), "--out", str(fig)]) == 0
    out = capsys.readouterr().out
    assert fig.read_bytes()[:4] == b"\x89PNG" and fig.with_suffix(".csv").exists()
    rows = list(csv.DictReader(fig.with_suffix(".csv").open()))
    hs_ = load_histories([dirs / "D1", dirs / "D2", dirs / "D3"])
    assert [r["run"] for r in rows] == [lab for lab, h in hs_.items() for _ in h.phases]
    assert list(rows[0]) == COLUMNS
    assert {"direct", "multigrid", "gauss_seidel", "jacobi"} == {r["phase"] for r in rows if r["run"] == "D1"}
    for name in ("D1", "D2", "D3", "time_to_target_s", "Δ_F at k = 1, 3, 8"):
        assert name in out


def test_summary_rows_agree_with_the_histories(dirs):
    hs_ = load_histories([dirs / "D1", dirs / "D2"])
    for row in summary_rows(hs_, target_error=2e-2):
        ph = hs_[row["run"]].phase(row["phase"])
        err = ph.column("error_inf")
        assert row["iterations"] == ph.steps()[-1] and row["time_s"] == ph.times()[-1]
        assert row["final_error_inf"] == err[np.isfinite(err)][-1]
        if row["reached"]:
            i = int(np.flatnonzero(ph.steps() == row["iterations_to_target"])[0])
            assert err[i] <= 2e-2 and (i == 0 or err[i - 1] > 2e-2)
            assert row["time_to_target_s"] == ph.times()[i] <= row["time_s"]
        else:
            assert row["time_to_target_s"] is None and np.nanmin(err) > 2e-2


def test_target_comes_from_the_run_unless_given(dirs):
    rows = {r["run"]: r for r in summary_rows([dirs / "D1", dirs / "D2"])}
    assert rows["D2"]["target_error"] == 1e-2 and rows["D1"]["target_error"] is None
    assert all(r["target_error"] == 0.5 for r in summary_rows([dirs / "D1", dirs / "D2"], target_error=0.5))


def test_delta_f_panels_one_per_peak(dirs):
    cmp = compare([dirs / "D1", dirs / "D2", dirs / "D3"])
    assert cmp.delta_f_peaks == [1, 3, 8]
    assert len(cmp.figure.axes) == 4 + 3
    assert len(compare([dirs / "D1", dirs / "D2"], delta_f=False).figure.axes) == 4


def test_delta_f_of_different_problems_is_refused(dirs, tmp_path, capsys):
    other = _monitored(hs.problems.sine(1, 64, 3), [3])
    other.save(tmp_path / "S" / "history")
    with pytest.raises(ValueError, match=r"different problems: D2 → paper_1d, S → sine"):
        compare([dirs / "D2", tmp_path / "S"])
    assert main(["compare", str(dirs / "D2"), str(tmp_path / "S"), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "paper_1d" in err and "sine" in err and "--no-delta-f" in err and not (tmp_path / "x.png").exists()
    # the time curves take any mix of problems
    assert main(["compare", str(dirs / "D2"), str(tmp_path / "S"), "--out", str(tmp_path / "x.png"),
                 "--no-delta-f"]) == 0


def test_directory_without_history_is_named(dirs, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=f"results directory {empty} has no history.json"):
        compare([dirs / "D1", empty])
    assert main(["compare", str(dirs / "D1"), str(empty), "--out", str(tmp_path / "x.png")]) == 2
    assert str(empty) in capsys.readouterr().err
    other = tmp_path / "other"
    History([Record("a", 0, 0.0, {"error_inf": 1.0})]).save(other / "comparison")
    with pytest.raises(FileNotFoundError, match=r"it has comparison.json \(pick one with history=NAME"):
        compare([other])
    assert compare([other], history="comparison").rows[0]["run"] == "other/comparison"


def test_bad_arguments(dirs):
    with pytest.raises(ValueError, match="delta_f=True, but none of the histories"):
        compare([dirs / "D1"], delta_f=True)
    with pytest.raises(ValueError, match="delta_f_against must be 'time' or 'step'"):
        compare([dirs / "D1"], delta_f_against="epoch")
    with pytest.raises(ValueError, match="target_error must be a positive number"):
        compare([dirs / "D1"], target_error=-1)
    with pytest.raises(ValueError, match="histories is empty"):
        compare([])
    with pytest.raises(ValueError, match="each entry must be a History"):
        compare([42])


def test_different_bases_are_refused():
    p = hs.problems.paper_1d(n=64)
    a = hs.SpectralMonitor(p, basis="dft", peaks=[8])
    b = hs.SpectralMonitor(p, basis="dst", peaks=[8])
    for mon in (a, b):
        hs.solve(p, "jacobi", maxiter=100, rtol=0.0, monitor=mon, observe_every=50)
    with pytest.raises(ValueError, match="different bases"):
        compare({"dft": a.history, "dst": b.history})


# -- export ------------------------------------------------------------------------------------
def test_export_csv(dirs, tmp_path, capsys):
    target = tmp_path / "h.csv"
    assert main(["export", str(dirs / "D2"), "--csv", str(target)]) == 0
    assert "csv:" in capsys.readouterr().out
    h = History.load(dirs / "D2" / "history")
    assert target.read_text() == h.to_csv(tmp_path / "direct.csv").read_text()
    assert main(["export", str(dirs / "D2")]) == 2
    assert "--csv FILE and/or --tensorboard LOGDIR" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "nothing"), "--csv", str(target)]) == 2


def test_export_tensorboard_without_the_package_says_how_to_get_it(dirs, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # what an absent package looks like to importlib
    from hybridsolve import export

    assert not export.tensorboard_available()
    assert main(["export", str(dirs / "D2"), "--tensorboard", str(tmp_path / "tb"), "--csv", str(tmp_path / "h.csv")]) == 2
    err = capsys.readouterr().err
    assert "pip install tensorboard" in err and "--csv FILE needs nothing" in err
    assert not (tmp_path / "tb").exists() and not (tmp_path / "h.csv").exists()  # nothing half-written
    with pytest.raises(export.TensorBoardMissing, match="pip install tensorboard"):
        export.to_tensorboard(History.load(dirs / "D2" / "history"), tmp_path / "tb")


def test_export_tensorboard_for_real(dirs, tmp_path, capsys):
    pytest.importorskip("tensorboard", reason="tensorboard is optional (pip install tensorboard)")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    h = History.load(dirs / "D3" / "history")
    logdir = tmp_path / "tb"
    assert main(["export", str(dirs / "D3"), "--tensorboard", str(logdir)]) == 0
    assert "runs: gauss_seidel" in capsys.readouterr().out
    for phase in h.phases:
        ea = EventAccumulator(str(logdir / phase))
        ea.Reload()
        tags = set(ea.Tags()["scalars"])
        assert {"error_inf", "residual", "delta_F/1", "delta_F/3", "delta_F/8"} <= tags
        ph = h.phase(phase)
        ev = ea.Scalars("delta_F/3")
        assert [e.step for e in ev] == ph.steps().tolist()
        assert np.allclose([e.value for e in ev], ph.series("delta_F", 3), rtol=1e-6)  # float32 in the events
        t = np.array([e.wall_time for e in ea.Scalars("error_inf")])
        assert np.allclose(t - t[0], ph.times() - ph.times()[0], atol=1e-3)  # Relative axis = solver time
    # a second export into the same runs would double every curve: refused
    assert main(["export", str(dirs / "D3"), "--tensorboard", str(logdir)]) == 2
    assert "already holds TensorBoard event files" in capsys.readouterr().err
