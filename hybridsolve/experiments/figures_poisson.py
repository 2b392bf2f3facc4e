"""Case kinds ``paper_fig4abc`` (Xu et al. 2020, Figure 4(a–c)) and ``fprinciple_1d`` (Figure 1).

Both run real training / iterations, observe every iterate with one
:class:`~hybridsolve.SpectralMonitor`, save its history as they go (``history.npz`` + ``.json``),
and draw the figures from that history. The summaries report, per peak, the first recorded step
at which ``Δ_F(k) < threshold`` (and the step from which it stays below), the order of the peaks that
crossed (``order``) and the peaks that never did (``not_reached``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cases import RunContext, param, register_kind
from ..history import History
from ..monitor import SpectralMonitor, first_below
from ..schema import ParamError
from ._common import ACTIVATIONS, DNN_LOSSES, DTYPES, OMEGA, DeepRitzSaver, TrainingSnapshot, check_grid_memory, \
    check_widths

__all__ = ["Fig4abcParams", "FPrinciple1dParams", "run_fig4abc", "run_fprinciple_1d", "fit_1d", "FitResult",
           "FitStepper"]


class _SavingMonitor:
    """Forwards to a monitor and saves its history every ``every`` observations (an interrupted run
    keeps what it recorded)."""

    def __init__(self, monitor, ctx: RunContext, every: int):
        self._mon, self._ctx, self._every, self._count = monitor, ctx, max(int(every), 1), 0

    def observe(self, u, **kw):
        rec = self._mon.observe(u, **kw)
        self._count += 1
        if self._count % self._every == 0:
            self._ctx.save_history(self._mon.history)
        return rec

    def __getattr__(self, name):
        return getattr(self._mon, name)


def _order(crossings: dict) -> tuple[list, list]:
    """The peaks that crossed, sorted by the step at which they crossed (ties by frequency), and the
    peaks that never crossed (by frequency): an order is only claimed among peaks that converged.

    >>> _order({1: 40, 3: None, 5: 10, 8: None})
    ([5, 1], [3, 8])
    >>> _order({1: None, 3: None})
    ([], [1, 3])
    """
    reached = sorted((k for k, v in crossings.items() if v is not None), key=lambda k: (crossings[k], k))
    return reached, sorted(k for k, v in crossings.items() if v is None)


def _crossing_summary(history, phase, threshold):
    first = first_below(history, threshold, phase=phase)
    stay = first_below(history, threshold, phase=phase, sustained=True)
    h = history.phase(phase)
    last = h.last
    order, not_reached = _order(first)
    return {"first_below": {str(k): v for k, v in first.items()},
            "stays_below_from": {str(k): v for k, v in stay.items()},
            "order": order,
            "not_reached": not_reached,
            "steps": int(last.step) if last is not None else 0,
            "final_delta_F": {str(k): float(v) for k, v in (last.delta_F.items() if last is not None else [])},
            "final_error_inf": float(last.error_inf) if last is not None else None}


# -- Figure 4(a–c) -------------------------------------------------------------------------------
@dataclass
class Fig4abcParams:
    n: int = param(1000, ge=2, why="a grid needs at least 2 intervals")
    widths: list[int] = param(factory=lambda: [1, 4000, 500, 400, 1], min_len=2, each=dict(ge=1))
    activation: str = param("tanh", choices=ACTIVATIONS)
    init_std: float = param(0.02, gt=0)
    lr: float = param(5e-4, gt=0)
    beta: float = param(10.0, gt=0)
    loss: str = param("ritz", choices=DNN_LOSSES)
    dtype: str = param("float32", choices=DTYPES)
    seed: int = param(0, ge=0)
    dnn_steps: int = param(2000, ge=0)
    dnn_observe_every: int = param(10, ge=1)
    omega: float = param(1.0, **OMEGA)
    jacobi_sweeps: int = param(200_000, ge=0)
    jacobi_observe_every: int = param(500, ge=1)
    basis: str = param("dft", choices=("dft", "dst"))
    peaks: list[int] | str = param("auto", choices=("auto",), min_len=1, unique=True, each=dict(ge=0))
    threshold: float = param(0.1, gt=0)
    save_every: int = param(20, ge=1)

    def validate(self):
        check_widths("widths", self.widths, 1)
        check_grid_memory("n", self.n, 1)


def _check_peaks(prob, basis, peaks, key="peaks"):
    """The monitor's own check of ``peaks`` (in range, |û_k| > 0 there) on the case's problem."""
    try:
        return SpectralMonitor(prob, reference="exact", basis=basis, peaks=peaks, residual=False)
    except ValueError as exc:
        raise ParamError(key, peaks, "", message=f"key {key!r} = {peaks!r}: {exc}") from None


def preflight_fig4abc(p: Fig4abcParams) -> None:
    import hybridsolve as hs

    _check_peaks(hs.problems.paper_1d(n=p.n), p.basis, p.peaks)


@register_kind("paper_fig4abc", Fig4abcParams, resume=True, preflight=preflight_fig4abc)
def run_fig4abc(p: Fig4abcParams, ctx: RunContext) -> dict:
    """paper_1d: the DNN (Deep Ritz, the paper's settings) and Jacobi (ω = 1, from zero), both observed by
    one monitor (phases ``dnn`` and ``jacobi``); figures 4(a–c), error against wall time, heat maps.
    --resume: a finished Jacobi phase is kept, the DNN continues from its checkpoint (bit-identical on CPU)."""
    import hybridsolve as hs
    from ..plots.poisson import plot_delta_f_heatmap, plot_figure4abc, plot_reference
    from ..solvers.deep_ritz import DeepRitz

    prob = hs.problems.paper_1d(n=p.n)
    mon = SpectralMonitor(prob, reference="exact", basis=p.basis, peaks=p.peaks)
    ctx.log(f"{prob!r}; peaks {mon.peaks} ({p.basis}); discretisation error {prob.discretisation_error():.3e}")
    saver = _SavingMonitor(mon, ctx, p.save_every)
    summary: dict = {"n": p.n, "basis": p.basis, "peaks": mon.peaks, "threshold": p.threshold,
                     "discretisation_error": prob.discretisation_error()}
    state = ctx.load_state() or {}

    # Jacobi first: cheap, and its half of the comparison is complete even if the DNN is interrupted
    if "jacobi" in state:
        saved = ctx.load_history()
        mon.history.records[:] = [r for r in saved if r.phase == "jacobi"] if saved is not None else []
        summary["jacobi"] = state["jacobi"]
        ctx.log("resumed: the Jacobi phase finished earlier")
    else:
        try:
            res = hs.solve(prob, "jacobi", omega=p.omega, maxiter=p.jacobi_sweeps, rtol=1e-15,
                           monitor=saver, observe_every=p.jacobi_observe_every, progress=ctx.progress)
        except KeyboardInterrupt:
            ctx.save_history(mon.history)
            ctx.note(records=len(mon.history), interrupted_in="jacobi")
            raise
        ctx.log(repr(res))
        ctx.save_history(mon.history)
        summary["jacobi"] = {**_crossing_summary(mon.history, "jacobi", p.threshold), "wall_time": res.wall_time,
                             "ms_per_sweep": 1e3 * res.wall_time / max(res.iterations, 1)}
        ctx.save_state({"jacobi": summary["jacobi"]})

    if p.dnn_steps > 0:
        import torch

        torch.manual_seed(p.seed)
        dr = DeepRitz(prob, widths=p.widths, activation=p.activation, init_std=p.init_std, lr=p.lr,
                      loss=p.loss, beta=p.beta, dtype=p.dtype, seed=p.seed)
        ckpt = DeepRitzSaver(dr, ctx.path("checkpoint.pt"), ctx, every=p.save_every, histories={"history": mon.history})
        if ckpt.resume():
            ctx.log(f"resumed the DNN from step {dr.steps_done}")
            ctx.note(resumed_at_step=int(dr.steps_done))
        try:
            res = dr.run(max(p.dnn_steps - dr.steps_done, 0), monitor=mon, observe_every=p.dnn_observe_every,
                         progress=ctx.progress, callback=ckpt)
        except KeyboardInterrupt:
            at = int(dr.steps_done)
            ctx.note(records=len(mon.history), interrupted_in="dnn", interrupted_at_step=at,
                     checkpoint_step=ckpt.save_interrupted())
            raise
        ctx.log(repr(res))
        dr.save_checkpoint(ctx.path("checkpoint.pt"))
        ctx.save_history(mon.history)
        summary["dnn"] = {**_crossing_summary(mon.history, "dnn", p.threshold), "train_time": dr.train_time,
                          "ms_per_step": 1e3 * dr.train_time / max(dr.steps_done, 1),
                          "widths": list(p.widths), "loss": p.loss}

    h = mon.history
    ctx.save_figure(plot_figure4abc(h), "fig4abc")
    ctx.save_figure(plot_reference(h), "fig4a")
    for phase in ("dnn", "jacobi"):
        if phase in h.phases:
            ctx.save_figure(plot_delta_f_heatmap(h, phase), f"heatmap_{phase}")
    summary["monitor_overhead_s"] = mon.overhead
    return summary


# -- Figure 1 ------------------------------------------------------------------------------------
@dataclass
class FPrinciple1dParams:
    points: int = param(201, ge=3, why="a target needs at least 3 samples")
    x_max: float = param(3.14, gt=0)
    frequencies: list[int] = param(factory=lambda: [1, 3, 5], min_len=1, each=dict(ge=1))
    widths: list[int] = param(factory=lambda: [1, 8000, 1], min_len=2, each=dict(ge=1))
    activation: str = param("tanh", choices=ACTIVATIONS)
    init_std: float = param(0.1, gt=0)
    lr: float = param(2e-4, gt=0)
    dtype: str = param("float32", choices=DTYPES)
    seed: int = param(0, ge=0)
    epochs: int = param(20_000, ge=0)
    observe_every: int = param(100, ge=1)
    peaks: list[int] | str = param("auto", choices=("auto",), min_len=1, unique=True, each=dict(ge=0))
    threshold: float = param(0.1, gt=0)
    save_every: int = param(20, ge=1)

    def validate(self):
        check_widths("widths", self.widths, 1)
        check_grid_memory("points", self.points - 1, 1)
        nyquist = np.pi * (self.points - 1) / (2 * self.x_max)
        too_high = [w for w in self.frequencies if w >= nyquist]
        if too_high:
            raise ParamError("frequencies", self.frequencies, f"a list of frequencies below the sampling limit "
                             f"π (points − 1) / (2 x_max) = {nyquist:.4g} (more points, or a smaller x_max)")


def preflight_fprinciple_1d(p: FPrinciple1dParams) -> None:
    _check_peaks(target_problem(p), "dft", p.peaks)


def target_problem(p: FPrinciple1dParams):
    """Figure 1's target ``f = Σ sin(ω x)`` on ``points`` evenly spaced samples of [−x_max, x_max], posed as a
    (1-D) PoissonProblem whose exact solution is f, so the monitor's DFT over all points is the paper's."""
    from ..problem import PoissonProblem

    ws = [float(w) for w in p.frequencies]

    def f(x):
        return sum(np.sin(w * x) for w in ws)

    def minus_f2(x):
        return sum(w * w * np.sin(w * x) for w in ws)

    return PoissonProblem(domain=[(-p.x_max, p.x_max)], n=p.points - 1, source=minus_f2, boundary=f, exact=f,
                          name="fprinciple_1d")


@register_kind("fprinciple_1d", FPrinciple1dParams, resume=True, preflight=preflight_fprinciple_1d)
def run_fprinciple_1d(p: FPrinciple1dParams, ctx: RunContext) -> dict:
    """Figure 1: fit f(x) = sin x + sin 3x + sin 5x by full-batch Adam on the MSE (tanh 1-8000-1) and
    record Δ_F at the peaks of |f̂| every ``observe_every`` epochs. --resume continues from the
    checkpoint (weights, Adam state, epoch; bit-identical on CPU)."""
    import torch

    from .._util import Stopwatch
    from ..iteration import iterate
    from ..nn import MLP, adam
    from ..plots.poisson import plot_figure1
    from ..stopping import StepBudget

    prob = target_problem(p)
    mon = SpectralMonitor(prob, reference="exact", basis="dft", peaks=p.peaks, residual=False)
    ctx.log(f"target on {p.points} points in [-{p.x_max}, {p.x_max}]; peaks {mon.peaks}")
    x = prob.grid.coords[0]
    torch.manual_seed(p.seed)
    net = MLP(tuple(p.widths), activation=p.activation, init_std=p.init_std, seed=p.seed, dtype=p.dtype)
    opt = adam(net, p.lr)
    stepper = FitStepper(net, opt, x, prob.u_exact)
    train = History(meta={"method": "fit_1d", **net.config(), "lr": p.lr})   # the loss at every observed epoch
    ckpt = ctx.path("checkpoint.pt")
    offset = stepper.init_time
    if ctx.resume and ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        stepper.load_state(state)
        offset = float(state["train_time"])
        for h, name in ((train, "checkpoint_train"), (mon.history, "checkpoint_history")):
            saved = History.load(ctx.path(f"{name}.json"))
            h.records[:] = saved.records[:int(state["records"][name])]
        ctx.log(f"resumed from {ckpt} at epoch {stepper.epoch}")
        ctx.note(resumed_at_epoch=stepper.epoch)
    clock = Stopwatch(offset=offset)
    snap = TrainingSnapshot()

    def save_checkpoint(extra) -> None:
        for h, name in ((train, "checkpoint_train"), (mon.history, "checkpoint_history")):
            History(h.records[:extra["records"][name]], h.meta).save(ctx.path(name))
        buf = __import__("io").BytesIO()
        torch.save({"model": {k: v.detach().cpu() for k, v in net.state_dict().items()},
                    "optimizer": opt.state_dict(), **extra}, buf)
        from ..rundir import write_bytes

        write_bytes(ckpt, buf.getvalue())
        ctx.fix_modes()

    class Observer:
        """Δ_F of each observed output (the monitor's record, with the epoch's loss added); an in-memory snapshot
        at each observation, the checkpoint and the history saved every ``save_every``."""

        count = 0

        def observe(self, h, *, phase, step, time):
            rec = mon.observe(h, phase=phase, step=step, time=time)
            rec.data["loss"] = float(train.last["loss"])
            snap.take(net, opt, epoch=stepper.epoch, loss=stepper.loss, train_time=clock.now,
                      records={"checkpoint_train": len(train), "checkpoint_history": len(mon.history)})
            self.count += 1
            if self.count % p.save_every == 0:
                save_checkpoint(snap.state[2])
                ctx.save_history(mon.history)

    start = stepper.epoch
    try:
        out = iterate(stepper, StepBudget(max(p.epochs - start, 0)), history=train, check_every=p.observe_every,
                      callback=Observer(), observe_every=p.observe_every, measure=lambda h: {}, clock=clock,
                      timed_checks=False, start_step=start, initial_check=start == 0, progress=ctx.progress,
                      unit="epoch")
    except KeyboardInterrupt:
        at = stepper.epoch
        ctx.save_history(mon.history)
        step = None
        if snap.taken:
            extra = snap.restore(net, opt)
            save_checkpoint(extra)
            step = int(extra["epoch"])
        ctx.note(records=len(mon.history), interrupted_at_epoch=at, checkpoint_step=step)
        raise
    if out.reason == "diverged":
        raise FloatingPointError(out.error)
    train_time = clock.now
    save_checkpoint({"epoch": stepper.epoch, "loss": stepper.loss, "train_time": train_time,
                     "records": {"checkpoint_train": len(train), "checkpoint_history": len(mon.history)}})
    ctx.save_history(mon.history)
    ctx.save_figure(plot_figure1(mon.history), "fig1")
    return {"peaks": mon.peaks, "threshold": p.threshold, "epochs": int(stepper.epoch), "train_time": train_time,
            "ms_per_epoch": 1e3 * train_time / max(int(stepper.epoch), 1), "final_loss": float(stepper.loss),
            **_crossing_summary(mon.history, "epoch", p.threshold)}


# -- Figure 1's training: full-batch Adam on the MSE, through the one iteration loop ------------------
class FitResult(dict):
    """What :func:`fit_1d` returns: ``h`` (final outputs, float64), ``loss`` (at the final weights),
    ``epochs``, ``train_time``, ``net``, ``history`` (a record with the ``loss`` at every observed epoch)."""

    __getattr__ = dict.__getitem__


class FitStepper:
    """Full-batch Adam on ``mean((h(x) − y)²)`` as a stepper of :func:`~hybridsolve.iteration.iterate`
    (phase ``"epoch"``): ``advance(k)`` takes ``k`` Adam steps, each followed by the forward and backward
    pass at the new weights, so that ``iterate()`` (the outputs ``h`` on ``x``, float64, the forward
    pass's own values) and ``extras()`` (``loss``) always describe the current weights ``θ_epoch``.
    The pass at ``θ_0`` is made on construction (``init_time`` seconds). A non-finite loss raises
    FloatingPointError.

    >>> import numpy as np
    >>> from hybridsolve.nn import MLP, adam
    >>> x = np.linspace(-1, 1, 11)
    >>> net = MLP((1, 8, 1), init_std=0.5, dtype="float64")
    >>> st = FitStepper(net, adam(net, 1e-2), x, x)
    >>> l0 = st.loss; st.advance(20)
    >>> st.epoch, st.loss < l0, st.iterate().shape
    (20, True, (11,))
    """

    phase = "epoch"

    def __init__(self, net, optimizer, x, y):
        import time

        import torch

        from ..nn import threads_for

        self.net, self.optimizer = net, optimizer
        self.lr = optimizer.param_groups[0]["lr"]
        self.n = n = len(x)
        self.X = torch.as_tensor(np.asarray(x, dtype=float)[:, None], dtype=net.dtype_, device=net.device_)
        self.Y = torch.as_tensor(np.asarray(y, dtype=float), dtype=net.dtype_, device=net.device_)
        self._threads = threads_for(net.widths, n, net.device_)
        self.epoch = 0
        self.loss = float("nan")
        self._h_t = self._h = None
        t0 = time.perf_counter()
        self._pass()
        self.init_time = time.perf_counter() - t0

    def _mse(self, h, hx):
        self._h_t = h   # the output row of the network's workspace: valid until the next pass
        r = h - self.Y
        return (r * r).mean(), r * (2.0 / self.n), None

    def _pass(self) -> None:
        from ..nn import cpu_threads

        with cpu_threads(self._threads):
            loss = float(self.net.value_and_grad(self.X, self._mse))
        self._h = None
        if not np.isfinite(loss):
            raise FloatingPointError(f"fit_1d: loss became {loss} at epoch {self.epoch}; lower lr={self.lr}")
        self.loss = loss

    def load_state(self, state: dict) -> None:
        """Continue from a checkpoint: weights ``state["model"]``, Adam state ``state["optimizer"]``, and
        ``state["epoch"]``; the pass at those weights is made again (the same numbers as before)."""
        self.net.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.epoch = int(state["epoch"])
        self._pass()

    def advance(self, count: int) -> None:
        from ..nn import cpu_threads

        for _ in range(count):
            with cpu_threads(self._threads):
                self.optimizer.step()
            self.epoch += 1
            self._pass()

    def iterate(self) -> np.ndarray:
        if self._h is None:
            self._h = self._h_t.double().cpu().numpy().copy()
        return self._h

    def extras(self) -> dict:
        return {"loss": self.loss}


def fit_1d(x, y, *, epochs: int = 1000, widths=(1, 8000, 1), activation: str = "tanh", init_std: float = 0.1,
           lr: float = 2e-4, dtype="float32", device=None, seed: int = 0, callback=None,
           observe_every: int = 1, history=None, progress=None) -> FitResult:
    """Fit ``h(x) ≈ y`` by full-batch Adam on the mean squared error (Xu et al. 2020, Figure 1), through
    :func:`~hybridsolve.iteration.iterate` with a :class:`FitStepper`.

    Defaults are Figure 1's: tanh, widths 1-8000-1, init N(0, 0.1²) for weights and biases, lr 2e-4.
    ``callback``: the loop's one convention — a callable ``f(h)`` or an observer ``observe(h, *, phase,
    step, time)`` (or a list), shown the outputs ``h`` on ``x`` (float64) at epoch 0, every
    ``observe_every`` epochs and at the end; True stops training. ``history``: where the records go (one
    per observed epoch, with its ``loss``; a new History by default). ``train_time`` excludes the observers.

    >>> import numpy as np
    >>> x = np.linspace(-3.14, 3.14, 201); y = np.sin(x) + np.sin(3 * x) + np.sin(5 * x)
    >>> seen = []
    >>> r = fit_1d(x, y, epochs=20, widths=(1, 64, 1), callback=seen.append, observe_every=10)
    >>> len(seen), r.epochs, r.history.steps().tolist(), bool(r.history.last["loss"] < r.history[0]["loss"])
    (3, 20, [0, 10, 20], True)
    """
    from .._util import Stopwatch, require_int, require_positive
    from ..iteration import iterate
    from ..nn import MLP, adam, check_widths
    from ..stopping import StepBudget

    epochs = require_int("epochs", epochs, minimum=0)
    observe_every = require_int("observe_every", observe_every, minimum=1)
    lr = require_positive("lr", lr)
    x = np.asarray(x, dtype=float).reshape(-1)
    y = np.asarray(y, dtype=float).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length; got {x.shape} and {y.shape}")
    net = MLP(check_widths(widths, 1), activation=activation, init_std=init_std, seed=seed, dtype=dtype,
              device=device)
    stepper = FitStepper(net, adam(net, lr), x, y)
    history = History(meta={"method": "fit_1d", **net.config(), "lr": lr}) if history is None else history
    out = iterate(stepper, StepBudget(epochs), history=history, check_every=observe_every, callback=callback,
                  observe_every=observe_every, measure=lambda h: {}, clock=Stopwatch(offset=stepper.init_time),
                  timed_checks=False, progress=progress, unit="epoch")
    if out.reason == "diverged":
        raise FloatingPointError(out.error)
    return FitResult(h=net.evaluate(x[:, None]), loss=stepper.loss, epochs=stepper.epoch,
                     train_time=stepper.init_time + out.wall, net=net, history=history)
