"""The hybrid DNN → classical solver (hybridsolve.hybrid): hand-off, histories, policies, modes, bad input."""
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import hybridsolve as hs
from hybridsolve.hybrid import Adaptive, Fixed, Sweep

SMALL = dict(widths=[1, 16, 16, 1], lr=3e-3, init_std=0.5)
ROOT = Path(__file__).resolve().parents[3]


class RecordingMonitor:
    """A minimal monitor-protocol consumer: keeps (phase, step, time + offset, boundary values)."""

    def __init__(self, problem):
        self.problem = problem
        self.time_offset = 0.0
        self.calls = []

    def observe(self, u, phase, step, time):
        mask = self.problem.grid.boundary_mask()
        self.calls.append((phase, step, time + self.time_offset, u[mask].copy(), u.copy()))


def test_fixed_hands_off_at_exactly_M_and_one_history_spans_both_phases():
    p = hs.problems.paper_1d(n=128)
    res = hs.solve(p, "hybrid", dnn=SMALL, switch=Fixed(30), target_error=5e-3, observe_every=10)
    assert res.converged and res.reason == "target_error"
    assert res.info["switch_step"] == 30 and res.info["dnn_steps"] == 30
    h = res.history
    assert h.phases == ["dnn", "jacobi"]
    assert h.phase("dnn").steps().max() == 30
    assert h.phase("dnn").steps().tolist() == [0, 10, 20, 30]
    t = h.times()
    assert np.all(np.diff(t) >= 0)                       # one timeline, monotone
    assert h.phase("jacobi").times()[0] >= res.info["time_dnn"] - 1e-12
    assert res.wall_time == pytest.approx(res.info["time_dnn"] + res.info["time_classical"])
    assert res.iterations == 30 + res.info["classical_iterations"]
    assert res.error_inf <= 5e-3


def test_handoff_keeps_boundary_values_and_monitor_timeline():
    p = hs.problems.smooth_1d(n=64)      # non-zero boundary values at both ends
    mon = RecordingMonitor(p)
    res = hs.solve(p, "hybrid", dnn=SMALL, switch=20, target_error=1e-3, monitor=mon, observe_every=10)
    assert res.converged
    mask = p.grid.boundary_mask()
    first_classical = next(c for c in mon.calls if c[0] == "jacobi")
    assert np.array_equal(first_classical[3], p.boundary_values[mask])
    assert first_classical[1] == 0
    # the hand-off iterate is the DNN's last output with the boundary imposed, nothing else changed
    last_dnn = [c for c in mon.calls if c[0] == "dnn"][-1]
    inner = p.grid.interior
    assert np.array_equal(first_classical[4][inner], last_dnn[4][inner])
    times = [c[2] for c in mon.calls]
    assert np.all(np.diff(times) >= 0) and mon.time_offset == 0.0
    assert np.array_equal(res.u[mask], p.boundary_values[mask])


def test_fixed_zero_is_the_classical_solver_alone():
    p = hs.problems.paper_1d(n=64)
    res = hs.solve(p, "hybrid", dnn=SMALL, switch=0, target_error=1e-2)
    ref = hs.solve(p, "jacobi", target_error=1e-2)
    assert res.info["time_dnn"] == 0.0 and res.info["switch_step"] == 0
    assert res.info["classical_iterations"] == ref.iterations


def test_sweep_returns_every_curve_and_the_best():
    p = hs.problems.paper_1d(n=128)
    Ms = [0, 20, 60]
    res = hs.solve(p, "hybrid", dnn=SMALL, switch=Sweep(Ms), target_error=5e-3, observe_every=10,
                   max_dnn_steps=100)
    table = res.info["sweep"]
    assert [r["M"] for r in table] == Ms
    assert set(res.info["curves"]) == set(Ms)
    for r in table:
        curve = res.info["curves"][r["M"]]
        assert curve.phases == ["jacobi"]
        t = curve.times()   # each curve starts where its M was taken, on the run's timeline
        assert r["time_dnn"] <= t[0] <= t[-1] <= r["time_dnn"] + r["time_classical"] + 1e-9
        assert r["total"] == pytest.approx(r["time_dnn"] + r["time_classical"])
    conv = [r for r in table if r["converged"]]
    best = min(conv, key=lambda r: r["total"])
    assert res.info["best_M"] == best["M"]
    assert res.wall_time == pytest.approx(best["total"])
    # ONE training run: the DNN curve continues past the last M (DNN-alone markers) up to max_dnn_steps
    dh = res.info["dnn_history"]
    assert dh.steps().max() <= 100 and dh.steps().max() >= 60
    assert np.all(np.diff(dh.steps()) > 0)


def test_adaptive_chooses_classical_alone_when_the_dnn_cannot_pay():
    """A wide network (costly steps) against a small grid where Jacobi alone takes milliseconds."""
    p = hs.problems.paper_1d(n=64)
    res = hs.solve(p, "hybrid", dnn=dict(widths=[1, 512, 512, 1]), switch="adaptive", target_error=1e-2)
    assert res.converged
    assert res.info["switch_step"] == 0
    assert "M=0" in res.info["switch_reason"] and "predicted" in res.info["switch_reason"]
    assert res.info["dnn_steps"] <= 3            # the price of finding out: a step or two
    trace = res.info["adaptive_trace"]
    assert trace[0]["step"] == 0 and trace[0]["sweeps"] > 0


def test_adaptive_switches_later_when_sweeps_are_expensive():
    """Same problem, but classical sweeps priced (t_sweep) as on a huge machine-slow grid: the DNN pays."""
    p = hs.problems.paper_1d(n=128)
    res = hs.solve(p, "hybrid", dnn=dict(widths=[1, 32, 32, 1], lr=5e-3, init_std=0.5, hard_bc=True),
                   switch=Adaptive(check_every=10), target_error=5e-3, t_sweep=1e-2, max_dnn_steps=400)
    assert res.converged
    assert res.info["switch_step"] > 0
    pred = [r["total"] for r in res.info["adaptive_trace"]]
    assert min(pred) < pred[0]                      # the DNN lowered the predicted total
    assert res.info["t_sweep"] == 1e-2


def test_with_absurdly_expensive_sweeps_the_dnn_does_nearly_all_the_work():
    p = hs.problems.paper_1d(n=64)
    res = hs.solve(p, "hybrid", dnn=dict(widths=[1, 32, 32, 1], lr=5e-3, init_std=0.5, hard_bc=True),
                   switch=Adaptive(check_every=10), target_error=5e-2, t_sweep=10.0, max_dnn_steps=1000)
    assert res.converged
    assert res.info["switch_step"] > 100
    assert res.info["classical_iterations"] <= 10
    assert res.info["classical_iterations"] <= res.info["predicted_sweeps_at_switch"]   # the bound is an upper bound


def test_diverging_dnn_falls_back_to_the_classical_phase():
    p = hs.problems.paper_1d(n=64)
    with pytest.warns(RuntimeWarning, match="diverged.*falling back"):
        res = hs.solve(p, "hybrid", dnn=dict(widths=[1, 16, 16, 1], init_std=1e30), switch=10, target_error=1e-2)
    assert res.converged and res.info["dnn_diverged"]
    assert "last finite iterate" in res.info["fallback"]
    assert np.all(np.isfinite(res.u))


@pytest.mark.parametrize("classical", ["gauss_seidel", "multigrid"])
def test_other_classical_phases(classical):
    p = hs.problems.paper_1d(n=128)
    res = hs.solve(p, "hybrid", dnn=SMALL, classical=classical, switch="adaptive", target_error=5e-3,
                   max_dnn_steps=50)
    assert res.converged and res.history.phases[-1] == classical
    assert res.info["predicted_sweeps_at_switch"] >= 0


def test_alternating_mode_converges_and_records_its_cycles():
    p = hs.problems.paper_1d(n=128)
    res = hs.solve(p, "hybrid", dnn=dict(widths=[1, 32, 32, 1], lr=5e-3, init_std=0.5), mode="alternating",
                   switch=Adaptive(check_every=10), target_error=5e-3, t_sweep=1e-3, max_dnn_steps=200, cycles=3)
    assert res.converged and res.info["mode"] == "alternating"
    kinds = [e["kind"] for e in res.info["events"]]
    assert kinds[0] == "dnn" and kinds[1] == "jacobi"
    assert np.all(np.diff(res.history.times()) >= 0)
    assert res.wall_time == pytest.approx(res.info["time_dnn"] + res.info["time_classical"])


def test_bad_input():
    p = hs.problems.paper_1d(n=64)
    with pytest.raises(ValueError, match="unknown classical solver 'sor'"):
        hs.solve(p, "hybrid", classical="sor", target_error=1e-2)
    with pytest.raises(ValueError, match="unknown mode"):
        hs.solve(p, "hybrid", mode="pingpong", target_error=1e-2)
    with pytest.raises(ValueError, match="unreachable.*discretisation error"):
        hs.solve(p, "hybrid", target_error=p.discretisation_error() / 2)
    with pytest.raises(ValueError, match="switch_at"):
        hs.solve(p, "hybrid", switch="fixed", target_error=1e-2)
    with pytest.raises(ValueError, match="needs target_error"):
        hs.solve(p, "hybrid", switch="adaptive", rtol=1e-6)
    with pytest.raises(ValueError, match="unknown option.*'width'"):
        hs.solve(p, "hybrid", dnn=dict(width=[1, 8, 1]), switch=1, target_error=1e-2)
    with pytest.raises(ValueError, match="patience"):
        hs.solve(p, "hybrid", switch=Adaptive(patience=-1), target_error=1e-2)
    with pytest.raises(ValueError, match="alternating.*Sweep"):
        hs.solve(p, "hybrid", switch=Sweep([0, 5]), mode="alternating", target_error=1e-2)
    with pytest.raises(ValueError, match="unknown option"):
        hs.solve(p, "hybrid", swtich="adaptive")


def test_paper_fig4_case_smoke(tmp_path):
    from hybridsolve.cases import run_case

    out = tmp_path / "fig4"
    run_case(ROOT / "cases" / "paper_fig4.toml", out=out, smoke=True)
    for name in ("fig4a.png", "fig4d.png", "summary.json", "history.json"):
        assert (out / name).exists(), name
    s = json.loads((out / "summary.json").read_text())
    assert s["best_M"] in s["Ms"]
    assert s["adaptive_total"] > 0 and s["jacobi_alone_time"] > 0
    h = hs.History.load(out / "history")
    assert "dnn" in h.phases and np.all(np.diff(h.phase("dnn").steps()) > 0)


def test_showcase_case_smoke(tmp_path):
    from hybridsolve.cases import run_case

    out = tmp_path / "show"
    run_case(ROOT / "cases" / "hybrid_showcase.toml", out=out, smoke=True)
    assert (out / "comparison.png").exists()
    s = json.loads((out / "summary.json").read_text())
    assert s["jacobi_alone_time"] > 0 and s["adaptive_total"] > 0
    assert sorted(s["table"]) == sorted(str(n) for n in s["ns"])        # one row per grid of the crossover
    assert s["best_M"] % 50 == 0                                        # a snapshot of the smoke run (every 50)
    for row in s["table"].values():                                     # ratios are what the times say
        assert np.isclose(row["speedup_vs_jacobi"], row["jacobi_alone"] / row["best_total"])


def test_preflight_times_a_forward_pass_on_the_points_a_step_uses():
    from hybridsolve.nn import forward_seconds
    from hybridsolve.solvers.deep_ritz import DeepRitz, step_cost_lower_bound

    p = hs.problems.paper_1d(n=200)
    for opts in ({}, {"batch_size": 50}, {"loss": "discrete_ritz"}):
        model = DeepRitz(p, widths=[1, 8, 1], **opts)
        secs, pts = step_cost_lower_bound(p, dict(widths=[1, 8, 1], **opts))
        assert pts == model.points_per_step and secs > 0
    # over budget: it stops after the first (smallest) pass instead of timing the whole batch
    secs, pts = forward_seconds([1, 64, 64, 1], "tanh", 100_000, budget=0.0)
    assert pts == 64 and secs > 0


def test_preflight_decides_before_any_network_is_built():
    """The paper's network at the paper's size against a Jacobi solve of a few ms: M=0, nothing trained or built."""
    p = hs.problems.paper_1d(n=64)
    res = hs.solve(p, "hybrid", dnn=dict(widths=[1, 4000, 500, 400, 1]), switch="adaptive", target_error=1e-2)
    assert res.converged and res.info["switch_step"] == 0 and res.info["dnn_steps"] == 0
    assert "pre-flight" in res.info["switch_reason"] and res.info["time_train"] == 0.0


def test_adaptive_run_records_its_reasoning_and_prices_each_check_with_one_spectrum(monkeypatch):
    """The policy writes its predictions into the run's History; the error spectrum is computed once per
    check (by the check's annotator), never again by the policy, and leaves the records after the decision."""
    import hybridsolve.hybrid.cost_model as cost_model
    import hybridsolve.monitor.checks as checks

    calls = {"check": 0, "cost_model": 0}

    def counting(name, func):
        def wrapped(*a, **k):
            calls[name] += 1
            return func(*a, **k)
        return wrapped

    monkeypatch.setattr(checks, "error_spectrum", counting("check", checks.error_spectrum))
    monkeypatch.setattr(cost_model, "error_spectrum", counting("cost_model", cost_model.error_spectrum))
    p = hs.problems.paper_1d(n=64)
    res = hs.solve(p, "hybrid", dnn=dict(widths=[1, 16, 1], lr=5e-3, init_std=0.5, hard_bc=True),
                   switch=Adaptive(check_every=10), target_error=2e-2, t_sweep=1e-3, max_dnn_steps=60)
    priced = [r for r in res.history.phase("dnn") if "predicted_sweeps" in r]
    assert len(priced) == len(res.info["adaptive_trace"]) >= 2 and priced[0].step == 0
    assert calls["check"] == len(priced)          # one spectrum per check
    assert calls["cost_model"] == 1               # info["predicted_sweeps_at_switch"], once per run
    for r in priced:
        assert "error_hat" not in r and r["error_bound"] > 0 and r["check_seconds"] > 0
        assert r["predicted_total"] == pytest.approx(r.time + r["predicted_remaining"])
    deciding = [r for r in priced if "switch_reason" in r]
    assert len(deciding) == 1 and deciding[0]["switch_reason"] == res.info["switch_reason"]
    assert deciding[0]["hand_over_step"] == res.info["switch_step"]
    assert res.info["time_switch"] == pytest.approx(sum(r["check_seconds"] for r in priced))


def test_one_history_and_an_unshifted_monitor_through_every_phase():
    """The user's monitor sees the DNN phase and the classical phase(s) at the run's times, and nothing
    is set on it; the History it shares the times with is the result's."""
    p = hs.problems.paper_1d(n=128)
    mon = hs.SpectralMonitor(p)
    res = hs.solve(p, "hybrid", dnn=dict(widths=[1, 32, 32, 1], lr=5e-3, init_std=0.5), mode="alternating",
                   switch=Fixed(20), target_error=5e-3, t_sweep=1e-3, max_dnn_steps=40, cycles=2, monitor=mon,
                   observe_every=10)
    assert res.converged
    assert not hasattr(mon, "time_offset")   # nothing to shift: one clock per run
    phases = mon.history.phases
    assert phases[0] == "dnn" and "jacobi" in phases
    t = mon.history.times()
    assert np.all(np.diff(t) >= -1e-12) and t[-1] <= res.wall_time + 1e-9
    assert np.all(np.diff(res.history.times()) >= 0)
    first_jacobi = next(r for r in mon.history if r.phase == "jacobi")
    assert first_jacobi.time >= res.history.phase("dnn").times().max() - 1e-12


def test_options_a_mode_or_policy_would_not_use_raise():
    p = hs.problems.paper_1d(n=64)
    bad = [
        (dict(switch=5, cycles=3), "cycles= applies to mode='alternating' only"),
        (dict(switch=5, smooth_sweeps=4), "smooth_sweeps= applies to mode='alternating' only"),
        (dict(switch=5, correction_dnn=dict(lr=1e-3)), "correction_dnn= applies to mode='alternating' only"),
        (dict(switch=5, t_sweep=1e-3), "t_sweep= is an input of the cost model"),
        (dict(switch=[0, 5], disc_error=0.0), "disc_error= is an input of the cost model"),
        (dict(switch=5, classical="multigrid", check_every=3), "check_every=.*multigrid checks after every cycle"),
        (dict(switch=5, classical="gauss_seidel", omega=1.5), "omega= is the weight of classical='jacobi'"),
        (dict(switch=5, mode="alternating", correction_dnn=dict(lrr=1e-3)),
         r"unknown option\(s\) 'lrr' for the hybrid's correction_dnn=dict\(...\); valid options: .*lr"),
        (dict(switch=Adaptive(), dnn=dict(widths=[1, 8, 1], sead=1)), r"unknown option\(s\) 'sead'"),
    ]
    for opts, match in bad:
        with pytest.raises(ValueError, match=match):
            hs.solve(p, "hybrid", target_error=1e-2, **opts)


def test_sweep_oracle_is_the_sweep_policy_run_by_the_hybrid():
    from hybridsolve.hybrid import sweep_oracle

    p = hs.problems.paper_1d(n=64)
    a = sweep_oracle(p, [0, 10], dnn=SMALL, target_error=1e-2)
    b = hs.solve(p, "hybrid", dnn=SMALL, switch="sweep", switch_at=[0, 10], target_error=1e-2)
    assert [r["sweeps"] for r in a.info["sweep"]] == [r["sweeps"] for r in b.info["sweep"]]
    assert a.info["best_M"] == b.info["best_M"]
    snaps = [r.step for r in a.info["dnn_history"] if r.get("snapshot")]
    assert snaps == [0, 10]
    with pytest.raises(ValueError, match="reference"):
        hs.solve(hs.problems.paper_1d(n=64), "hybrid", switch=[0, 5], target_error=1e-2, reference="none")


def test_the_deprecated_switch_module_re_exports_the_moved_names():
    import importlib
    import sys

    import hybridsolve.hybrid as hybrid

    sys.modules.pop("hybridsolve.switch", None)
    with pytest.warns(DeprecationWarning, match="hybridsolve.hybrid"):
        switch = importlib.import_module("hybridsolve.switch")
    for name in ("CostModel", "Fixed", "Sweep", "Adaptive", "make_policy", "richardson_disc_error", "Decision"):
        assert getattr(switch, name) is getattr(hybrid, name)
