"""Deep Ritz solver: losses against independent NumPy computations, stepping, seeding, checkpoints,
divergence, bad input, the case kinds. Long accuracy runs are marked slow."""
import math
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import hybridsolve as hs  # noqa: E402
from hybridsolve import operators, problems  # noqa: E402
from hybridsolve.solvers.deep_ritz import DeepRitz, deep_ritz  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
SMALL = dict(widths=(1, 16, 16, 1), init_std=0.5, lr=5e-3)


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def small(problem, **kw):
    opts = dict(SMALL)
    opts["widths"] = (problem.grid.dim,) + SMALL["widths"][1:]
    opts.update(kw)
    return DeepRitz(problem, **opts)


# -- loss values against independent computations ---------------------------------------------------
@pytest.mark.parametrize("prob", [problems.paper_1d(n=40), problems.smooth_1d(n=30), problems.smooth_2d(n=12),
                                  problems.multiscale_3d(n=6)])
def test_discrete_ritz_energy_equals_quadratic_form(prob):
    dr = small(prob, loss="discrete_ritz", dtype="float64", seed=2)
    dr.step(3)
    loss = dr.loss_value()
    u = dr.grid_values()[prob.grid.interior].ravel()
    A = operators.matrix(prob.grid)
    b = operators.rhs(prob).ravel()
    expected = np.prod(prob.grid.h) * (0.5 * u @ (A @ u) - b @ u)
    assert loss == pytest.approx(expected, rel=1e-10)


def test_discrete_ritz_gradient_is_residual():
    """dE/du = δx (A u − b) = −δx r: after the hand-written backward through a linear 'network'
    (widths 1-1, h = w x + c) the weight gradient is Σ_i δx (A u − b)_i x_i."""
    prob = problems.paper_1d(n=20)
    dr = DeepRitz(prob, widths=(1, 1), loss="discrete_ritz", dtype="float64", init_std=0.3, seed=0)
    dr.loss_value()
    with torch.no_grad():
        x = torch.as_tensor(prob.grid.coords[0][1:-1])
        dr.net.value_and_grad(x[:, None], dr.loss.on(dr.sampler.full()))
    u = prob.apply_boundary(dr.grid_values())
    r = operators.residual(prob, u)
    gw, gc = dr.net.layers[0].grad[0].numpy()
    h = prob.grid.h[0]
    assert gw == pytest.approx(-h * np.sum(r * x.numpy()), rel=1e-10)
    assert gc == pytest.approx(-h * np.sum(r), rel=1e-10)


def test_ritz_loss_matches_quadrature_by_hand():
    """I_emp (eq. 23) of the network, with h' from autograd and the sums written out in NumPy."""
    prob = problems.paper_1d(n=50)
    dr = small(prob, loss="ritz", dtype="float64", beta=7.0, seed=1)
    dr.step(2)
    x = torch.as_tensor(prob.grid.coords[0])[:, None].requires_grad_(True)
    h = dr.net(x)
    (hx,) = torch.autograd.grad(h.sum(), x)
    h, hx = h.detach().numpy(), hx[:, 0].numpy()
    f, dx = prob.f, prob.grid.h[0]
    expected = np.sum(0.5 * hx[1:-1] ** 2 - f[1:-1] * h[1:-1]) * dx + 7.0 * (h[0] ** 2 + h[-1] ** 2)
    assert dr.loss_value() == pytest.approx(expected, rel=1e-12)


def test_ritz_loss_2d_and_unbiased_minibatch():
    prob = problems.smooth_2d(n=8)  # non-zero boundary values
    full = small(prob, loss="ritz", dtype="float64", seed=3)
    pts = torch.as_tensor(prob.grid.points()).requires_grad_(True)
    h = full.net(pts)
    (gx,) = torch.autograd.grad(h.sum(), pts)
    h, gx = h.detach().numpy(), gx.numpy()
    inside = ~prob.grid.boundary_mask().ravel()
    f, g = prob.f.ravel(), prob.boundary_values.ravel()
    vol = np.prod(prob.grid.h)
    expected = (np.sum((0.5 * (gx ** 2).sum(1) - f * h)[inside]) * vol
                + full.beta * np.sum(((h - g) ** 2)[~inside]))
    assert full.loss_value() == pytest.approx(expected, rel=1e-12)
    # minibatch sums are rescaled so that their mean is the full loss
    mb = small(prob, loss="ritz", dtype="float64", seed=3, batch_size=10)
    vals = []
    for _ in range(600):
        batch = mb.sampler.next()
        vals.append(float(mb.loss(batch, *_raw(mb, batch))[0]))
    se = np.std(vals) / math.sqrt(len(vals))
    assert abs(np.mean(vals) - expected) < 4 * se


def _raw(dr, batch):
    x = batch.x.clone().requires_grad_(True)
    n = dr.net(x)
    (nx,) = torch.autograd.grad(n.sum(), x)
    return n.detach(), nx.t().detach()


def test_fit_loss_is_mse_to_reference():
    prob = problems.paper_1d(n=30)
    dr = small(prob, loss="fit", dtype="float64")
    assert dr.loss_value() == pytest.approx(np.mean((dr.grid_values() - prob.u_exact) ** 2), rel=1e-12)


# -- training behaviour -------------------------------------------------------------------------------
@pytest.mark.parametrize("loss", ["ritz", "discrete_ritz", "fit"])
@pytest.mark.parametrize("activation", ["tanh", "relu", "sin"])
def test_loss_decreases(loss, activation):
    prob = problems.paper_1d(n=64)
    dr = small(prob, loss=loss, activation=activation, seed=0)
    first = dr.loss_value()
    dr.step(150)
    assert dr.loss_value() < first
    assert dr.steps_done == 150 and dr.train_time > 0


def test_discrete_ritz_float64_error_against_u_star_falls():
    prob = problems.paper_1d(n=64)
    dr = DeepRitz(prob, widths=(1, 32, 32, 1), init_std=0.5, lr=1e-2, loss="discrete_ritz", dtype="float64")
    res = dr.run(600, observe_every=200, reference="discrete")
    err = res.history.column("error_inf")
    assert np.all(np.diff(err) < 0), err


def test_same_seed_same_history_on_cpu():
    def run(seed, prob):
        bs = None if prob.dim == 1 else 64  # 2-D: minibatches of 64 of the 225 interior points
        return small(prob, seed=seed, loss="ritz", batch_size=bs).run(40, observe_every=10).history

    for prob in (problems.paper_1d(n=50), problems.multiscale_2d(n=16)):  # 2-D: minibatches
        a, b, c = run(0, prob), run(0, prob), run(1, prob)
        for key in ("loss", "error_inf"):
            assert np.array_equal(a.column(key), b.column(key))
        assert not np.array_equal(a.column("loss"), c.column("loss"))


def test_target_error_converges_and_reports():
    prob = problems.paper_1d(n=64)
    res = hs.solve(prob, "deep_ritz", loss="fit", widths=(1, 32, 1), init_std=0.5, lr=1e-2, steps=2000,
                   observe_every=20, target_error=0.3)
    assert res.converged and res.reason == "target_error" and res.error_inf <= 0.3
    assert res.iterations < 2000 and res.info["ms_per_step"] > 0
    assert np.array_equal(res.u[[0, -1]], prob.boundary_values[[0, -1]])  # boundary imposed on u
    # without a target the budget is spent and the run is not converged
    res = hs.solve(prob, "deep_ritz", widths=(1, 8, 1), init_std=0.5, lr=1e-2, steps=10, observe_every=5)
    assert not res.converged and res.reason == "maxiter" and res.iterations == 10


class RecordingMonitor:
    def __init__(self):
        self.calls = []

    def observe(self, u, *, phase, step, time):
        self.calls.append((phase, step, time, u.copy()))


def test_monitor_protocol_and_callback_stop():
    prob = problems.paper_1d(n=40)
    mon = RecordingMonitor()
    dr = small(prob)
    res = dr.run(35, monitor=mon, observe_every=10)
    assert [c[1] for c in mon.calls] == [0, 10, 20, 30, 35]
    assert {c[0] for c in mon.calls} == {"dnn"}
    times = [c[2] for c in mon.calls]
    assert times == sorted(times) and times[-1] == pytest.approx(res.wall_time)
    assert all(c[3].shape == (41,) and c[3][0] == 0.0 == c[3][-1] for c in mon.calls)
    # a callback returning True stops the run after that observation
    dr2 = small(prob)
    res2 = dr2.run(100, observe_every=5, callback=lambda xk: dr2.steps_done >= 15)
    assert dr2.steps_done == 15 and res2.reason == "callback" and not res2.converged


def test_retarget_keeps_weights_and_changes_problem():
    prob = problems.paper_1d(n=40)
    dr = small(prob, loss="discrete_ritz")
    dr.step(5)
    before = [p.detach().clone() for p in dr.net.parameters()]
    u = prob.apply_boundary(dr.grid_values())
    r_full = np.zeros(prob.grid.shape)
    r_full[prob.grid.interior] = operators.residual(prob, u)
    err_prob = hs.PoissonProblem(prob.grid.bounds, prob.grid.n, source=r_full, boundary=0.0)
    dr.retarget(err_prob)
    assert all(torch.equal(a, b) for a, b in zip(before, dr.net.parameters()))
    assert dr.steps_done == 5 and dr.problem is err_prob
    dr.step(2)
    with pytest.raises(ValueError, match="same grid"):
        dr.retarget(problems.paper_1d(n=20))


def test_hard_bc_meets_boundary_values():
    p1 = problems.smooth_1d(n=32)  # u(0) = 1, u(1) = e + 1
    dr = small(p1, hard_bc=True, loss="ritz")
    dr.step(5)
    u = dr.grid_values()
    assert u[0] == pytest.approx(1.0, abs=1e-12) and u[-1] == pytest.approx(np.e + 1, abs=1e-6)
    p2 = problems.multiscale_2d(n=8)
    dr2 = small(p2, hard_bc=True, loss="discrete_ritz")
    dr2.step(3)
    assert np.all(dr2.grid_values()[p2.grid.boundary_mask()] == 0.0)
    with pytest.raises(ValueError, match="hard_bc"):
        small(problems.smooth_2d(n=8), hard_bc=True)


def test_hard_bc_gradients_match_autograd():
    """The chain rule through u = g̃ + φN (value and derivative) against autograd on the ansatz."""
    prob = problems.smooth_1d(n=16)
    dr = small(prob, hard_bc=True, loss="ritz", dtype="float64")
    batch = dr.sampler.full()
    loss = dr.net.value_and_grad(batch.x, dr.loss.on(batch), tangents=True)
    ours = [p.grad.clone() for p in dr.net.parameters()]
    dr.net.zero_grad()
    x = batch.x.clone().requires_grad_(True)
    (a, b), = prob.grid.bounds
    g0, g1 = prob.boundary_values[0], prob.boundary_values[-1]
    phi = (x[:, 0] - a) * (b - x[:, 0]) / ((b - a) / 2) ** 2  # written out independently of the solver
    u = g0 + (g1 - g0) * (x[:, 0] - a) / (b - a) + phi * dr.net(x)
    (ux,) = torch.autograd.grad(u.sum(), x, create_graph=True)
    ref = (batch.wq * (0.5 * ux[:, 0] ** 2 - batch.f * u)).sum() + (batch.wb * (u - batch.g) ** 2).sum()
    ref.backward()
    assert float(loss) == pytest.approx(float(ref.detach()), rel=1e-12)
    for a, p in zip(ours, dr.net.parameters()):
        np.testing.assert_allclose(a.numpy(), p.grad.numpy(), rtol=1e-9, atol=1e-12)


# -- checkpoints, divergence, bad input -------------------------------------------------------------------
@pytest.mark.parametrize("prob", [problems.paper_1d(n=30), problems.multiscale_2d(n=16)])
def test_checkpoint_resume_gives_identical_continuation(tmp_path, prob):
    path = tmp_path / "ck.pt"
    bs = None if prob.dim == 1 else 64  # 2-D: minibatches, so the sampler's RNG state must round-trip too
    a = small(prob, seed=7, batch_size=bs)
    a.run(20, observe_every=10)
    a.save_checkpoint(path)
    a.run(20, observe_every=10)
    b = DeepRitz.load_checkpoint(path, prob)
    assert b.steps_done == 20 and len(b.history) == 3
    b.run(20, observe_every=10)
    assert np.array_equal(a.history.column("loss"), b.history.column("loss"))
    assert all(torch.equal(p, q) for p, q in zip(a.net.parameters(), b.net.parameters()))
    c = small(prob, seed=7, batch_size=bs)
    c.load_checkpoint(path)  # in place
    assert c.steps_done == 20
    with pytest.raises(ValueError, match="another configuration"):
        small(prob, seed=7, lr=1e-3, batch_size=bs).load_checkpoint(path)
    with pytest.raises(ValueError, match="grid"):
        DeepRitz.load_checkpoint(path, prob.with_n(tuple(n * 2 for n in prob.grid.n)))


@pytest.mark.parametrize("prob", [problems.paper_1d(n=30), problems.multiscale_2d(n=16)])
def test_deep_ritz_function_resumes_from_checkpoint(tmp_path, prob):
    """An interrupted run resumed from its checkpoint (saved by the Checkpointer observer at every
    observation) is bit-identical to an uninterrupted one: records, final iterate (CPU)."""
    opts = dict(widths=(prob.dim, 8, 1), init_std=0.5, lr=1e-2, observe_every=10, checkpoint=tmp_path / "c.pt",
                batch_size=None if prob.dim == 1 else 64)
    r1 = deep_ritz(prob, steps=20, **opts)
    r2 = deep_ritz(prob, steps=40, resume=True, **opts)
    full = deep_ritz(prob, steps=40, **{**opts, "checkpoint": None})
    assert r1.iterations == 20 and r2.iterations == 40
    assert np.array_equal(r2.history.column("loss"), full.history.column("loss"))
    assert r2.history.steps().tolist() == full.history.steps().tolist() == [0, 10, 20, 30, 40]
    assert np.array_equal(r2.history.column("error_inf"), full.history.column("error_inf"))
    assert np.array_equal(r2.u, full.u)
    times = r2.history.times()
    assert np.all(np.diff(times) >= 0) and times[-1] == pytest.approx(r2.wall_time)


def test_continued_run_records_each_step_once_with_every_key():
    prob = problems.paper_1d(n=30)
    dr = small(prob)
    dr.run(20, observe_every=10)
    res = dr.run(20, observe_every=10)
    assert dr.history.steps().tolist() == [0, 10, 20, 30, 40] and res.iterations == 40
    for rec in dr.history:
        assert set(rec.data) == {"loss", "residual", "error_inf", "error_l2", "error_inf_raw"}, rec.data
        assert rec.phase == "dnn" and np.isfinite(rec["loss"])
    # error_inf_raw is the raw network output against u_ref; error_inf has the boundary imposed
    raw = dr.grid_values()
    assert dr.history.last["error_inf_raw"] == pytest.approx(np.max(np.abs(raw - prob.u_exact)))
    assert res.error_inf == dr.history.last["error_inf"] and res.wall_time == dr.train_time


def test_checkpointer_observer_and_callback_conventions(tmp_path):
    from hybridsolve.solvers.deep_ritz import Checkpointer
    from hybridsolve.solvers.deep_ritz.checkpoint import read

    prob = problems.paper_1d(n=30)
    mon = RecordingMonitor()
    seen, shapes = [], []

    class Order:
        def observe(self, u, *, phase, step, time):
            seen.append((step, len(mon.calls)))   # the monitor has seen this step already

    dr = small(prob)
    ck = Checkpointer(dr, tmp_path / "ck.pt", every=2)
    res = dr.run(30, observe_every=10, monitor=mon, callback=[ck, Order(), lambda xk: shapes.append(xk.shape)])
    assert res.reason == "maxiter" and [c[1] for c in mon.calls] == [0, 10, 20, 30]
    assert seen == [(0, 1), (10, 2), (20, 3), (30, 4)] and shapes == [(31,)] * 4
    assert ck.saves == 2 and read(ck.path)["steps_done"] == 30
    with pytest.raises(ValueError, match="callback must be"):
        dr.run(10, callback=42)


def test_training_stepper_interface():
    from hybridsolve.iteration import iterate
    from hybridsolve.solvers.deep_ritz import TrainingClock, TrainingStepper
    from hybridsolve.stopping import StoppingRule

    prob = problems.paper_1d(n=30)
    dr = small(prob, loss="discrete_ritz")
    st = TrainingStepper(dr)
    u = st.iterate()
    assert st.iterate() is u and np.array_equal(u, prob.apply_boundary(dr.grid_values()))
    assert set(st.extras()) == {"loss"}
    st.advance(3)
    assert dr.steps_done == 3 and st.iterate() is not u and st.extras()["loss"] == dr.last_loss
    # base + scale * output (boundary values of the output zeroed): the hybrid's correction iterate
    base = np.linspace(0.0, 1.0, 31)
    corr = TrainingStepper(dr, base=base, scale=0.5)
    raw = dr.grid_values()
    expected = base + 0.5 * np.where(prob.grid.boundary_mask(), 0.0, raw)
    np.testing.assert_array_equal(corr.iterate(), expected)
    # a NaN loss inside advance(): the loop's reason "diverged" with the step's message
    bad = small(prob, activation="relu", lr=1e30)
    rule = StoppingRule.from_options(prob, maxiter=50, default_rtol=0.0)
    out = iterate(TrainingStepper(bad), rule, history=hs.History(), check_every=50, measure=rule.measure,
                  clock=TrainingClock(bad), timed_checks=False)
    assert out.reason == "diverged" and "Deep Ritz diverged: loss" in out.error and "lr=" in out.error


def test_unknown_options_name_the_valid_ones():
    prob = problems.paper_1d(n=16)
    with pytest.raises(ValueError, match=r"'learning_rate'.*DeepRitz.*valid options: activation, batch_size"):
        DeepRitz(prob, widths=(1, 8, 1), learning_rate=1e-3)
    with pytest.raises(ValueError, match=r"'stepz'.*valid options:.*steps"):
        deep_ritz(prob, widths=(1, 8, 1), stepz=3)
    dr = DeepRitz(prob, widths=(1, 8, 1))
    with pytest.raises(ValueError, match=r"'observe'.*valid options:.*observe_every"):
        dr.run(3, observe=1)
    from hybridsolve.solvers.deep_ritz import step_cost_lower_bound

    with pytest.raises(ValueError, match=r"'width'.*valid options"):
        step_cost_lower_bound(prob, {"width": (1, 8, 1)})


def test_nan_is_detected_with_history_kept():
    prob = problems.paper_1d(n=30)
    dr = small(prob, activation="relu", lr=1e30)
    with pytest.raises(FloatingPointError, match="diverged.*lr="):
        dr.run(50, observe_every=1)
    assert len(dr.history) >= 1 and dr.history[0].step == 0
    assert dr.steps_done < 50
    with pytest.raises(FloatingPointError):
        hs.solve(prob, "deep_ritz", widths=(1, 16, 1), activation="relu", lr=1e30, steps=20)


@pytest.mark.parametrize("kw,match", [
    (dict(widths=(2, 8, 1)), "dimension"),
    (dict(widths=(1, 8, 3)), "end in 1"),
    (dict(lr=0.0), "lr"),
    (dict(lr=-1e-3), "lr"),
    (dict(init_std=0.0), "init_std"),
    (dict(beta=-1.0), "beta"),
    (dict(loss="l2"), "loss"),
    (dict(activation="gelu"), "activation"),
    (dict(batch_size=0), "batch_size"),
    (dict(dtype="float16"), "dtype"),
])
def test_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        DeepRitz(problems.paper_1d(n=16), **{**dict(widths=(1, 8, 1)), **kw})


def test_unknown_option_and_unreachable_target():
    prob = problems.paper_1d(n=16)
    with pytest.raises(ValueError, match="valid options"):
        hs.solve(prob, "deep_ritz", learning_rate=1e-3)
    with pytest.raises(ValueError, match="target_error"):
        hs.solve(prob, "deep_ritz", widths=(1, 8, 1), target_error=1e-12, steps=1)


# -- the case kinds ---------------------------------------------------------------------------------------
def test_deep_ritz_paper_case_smoke(tmp_path):
    cases = pytest.importorskip("hybridsolve.cases")
    cases.run_case(ROOT / "cases" / "deep_ritz_paper.toml", out=tmp_path, smoke=True)
    import json

    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["steps"] > 0 and summary["final_error_inf"] < summary["initial_error_inf"]
    assert (tmp_path / "history.json").exists() and (tmp_path / "deep_ritz.png").exists()
    h = hs.History.load(tmp_path / "history")
    assert len(h) >= 2 and h.phases == ["dnn"]


# -- long accuracy runs (-m slow) ---------------------------------------------------------------------------
@pytest.mark.slow
def test_paper_configuration_reaches_2e_2():
    prob = problems.paper_1d()
    res = hs.solve(prob, "deep_ritz", steps=20000, target_error=2e-2, observe_every=100, progress=False)
    assert res.converged and res.error_inf <= 2e-2, res


@pytest.mark.slow
def test_discrete_ritz_float64_floor():
    """float64 discrete_ritz on smooth_1d: the error against u* falls from 5.1 to ≈ 1e-3 in 18 000 steps
    (measured, constant lr 1e-3; see docs/deep_ritz.md for the floor with a decaying lr)."""
    prob = problems.smooth_1d(n=256)
    res = hs.solve(prob, "deep_ritz", widths=(1, 64, 64, 1), init_std=0.3, lr=1e-3, loss="discrete_ritz",
                   dtype="float64", steps=18000, observe_every=1000, reference="discrete", progress=False)
    err = res.history.column("error_inf")
    assert err[-1] < 3e-3 and err[-1] < 1e-3 * err[0], err
    assert err[-1] < 0.1 * err[2], err  # still falling well after the start


@pytest.mark.slow
def test_2d_manufactured_relative_l2():
    """smooth_2d (non-zero boundary values) with the ritz loss, β = 10: relative L2 error ≤ 1e-2.
    Measured (1 thread): 0.0097 after 2000 steps, 0.0044 after 3000; with β = 10 the penalised
    minimiser drifts back to ≈ 0.012 by 10 000 steps (docs/deep_ritz.md)."""
    prob = problems.smooth_2d(n=32)
    res = hs.solve(prob, "deep_ritz", loss="ritz", widths=(2, 64, 64, 64, 1), init_std=0.3, lr=1e-3,
                   steps=3000, observe_every=500, progress=False)
    ref = prob.u_exact
    rel = np.sqrt(np.sum((res.u - ref) ** 2) / np.sum(ref ** 2))
    assert rel <= 1e-2, rel
