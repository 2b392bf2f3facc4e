"""Case kinds ``paper_fig4abc`` (Xu et al. 2020, Figure 4(a–c)) and ``fprinciple_1d`` (Figure 1).

Both run real training / iterations, observe every iterate with one
:class:`~hybridsolve.SpectralMonitor`, save its history as they go (``history.npz`` + ``.json``),
and draw the figures from that history. The summaries report, per peak, the first recorded step
at which ``Δ_F(k) < threshold`` (and the step from which it stays below), and the resulting order.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..cases import RunContext, register_kind
from ..history import History
from ..monitor import SpectralMonitor, first_below

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


def _order(crossings: dict) -> list:
    """Peaks sorted by the step at which they crossed (never-crossed last, by frequency)."""
    return sorted(crossings, key=lambda k: (crossings[k] is None, crossings[k] if crossings[k] is not None else 0, k))


def _crossing_summary(history, phase, threshold):
    first = first_below(history, threshold, phase=phase)
    stay = first_below(history, threshold, phase=phase, sustained=True)
    h = history.phase(phase)
    last = h.last
    return {"first_below": {str(k): v for k, v in first.items()},
            "stays_below_from": {str(k): v for k, v in stay.items()},
            "order": _order(first),
            "steps": int(last.step) if last is not None else 0,
            "final_delta_F": {str(k): float(v) for k, v in (last.delta_F.items() if last is not None else [])},
            "final_error_inf": float(last.error_inf) if last is not None else None}


# -- Figure 4(a–c) -------------------------------------------------------------------------------
@dataclass
class Fig4abcParams:
    n: int = 1000
    widths: list[int] = field(default_factory=lambda: [1, 4000, 500, 400, 1])
    activation: str = "tanh"
    init_std: float = 0.02
    lr: float = 5e-4
    beta: float = 10.0
    loss: str = "ritz"
    dtype: str = "float32"
    seed: int = 0
    dnn_steps: int = 2000
    dnn_observe_every: int = 10
    omega: float = 1.0
    jacobi_sweeps: int = 200_000
    jacobi_observe_every: int = 500
    basis: str = "dft"
    peaks: list[int] | str = "auto"
    threshold: float = 0.1
    save_every: int = 20

    def __post_init__(self):
        if self.basis not in ("dft", "dst"):
            raise ValueError(f"basis must be 'dft' or 'dst'; got {self.basis!r}")
        if isinstance(self.peaks, str) and self.peaks != "auto":
            raise ValueError(f"peaks must be 'auto' or a list of integer frequencies; got {self.peaks!r}")
        for name in ("dnn_steps", "jacobi_sweeps"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        for name in ("dnn_observe_every", "jacobi_observe_every", "save_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")


@register_kind("paper_fig4abc", Fig4abcParams)
def run_fig4abc(p: Fig4abcParams, ctx: RunContext) -> dict:
    """paper_1d: the DNN (Deep Ritz, the paper's settings) and Jacobi (ω = 1, from zero), both observed by
    one monitor (phases ``dnn`` and ``jacobi``); figures 4(a–c), error against wall time, heat maps."""
    import hybridsolve as hs
    from ..plots.poisson import plot_delta_f_heatmap, plot_figure4abc, plot_reference
    from ..solvers.deep_ritz import DeepRitz

    prob = hs.problems.paper_1d(n=p.n)
    mon = SpectralMonitor(prob, reference="exact", basis=p.basis, peaks=p.peaks)
    ctx.log(f"{prob!r}; peaks {mon.peaks} ({p.basis}); discretisation error {prob.discretisation_error():.3e}")
    saver = _SavingMonitor(mon, ctx, p.save_every)
    summary: dict = {"n": p.n, "basis": p.basis, "peaks": mon.peaks, "threshold": p.threshold,
                     "discretisation_error": prob.discretisation_error()}

    # Jacobi first: cheap, and its half of the comparison is complete even if the DNN is interrupted
    res = hs.solve(prob, "jacobi", omega=p.omega, maxiter=p.jacobi_sweeps, rtol=1e-15,
                   monitor=saver, observe_every=p.jacobi_observe_every, progress=ctx.progress)
    ctx.log(repr(res))
    ctx.save_history(mon.history)
    summary["jacobi"] = {**_crossing_summary(mon.history, "jacobi", p.threshold), "wall_time": res.wall_time,
                         "ms_per_sweep": 1e3 * res.wall_time / max(res.iterations, 1)}

    if p.dnn_steps > 0:
        import torch

        torch.manual_seed(p.seed)
        dr = DeepRitz(prob, widths=p.widths, activation=p.activation, init_std=p.init_std, lr=p.lr,
                      loss=p.loss, beta=p.beta, dtype=p.dtype, seed=p.seed)
        res = dr.run(p.dnn_steps, monitor=saver, observe_every=p.dnn_observe_every, progress=ctx.progress)
        ctx.log(repr(res))
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
    points: int = 201
    x_max: float = 3.14
    frequencies: list[int] = field(default_factory=lambda: [1, 3, 5])
    widths: list[int] = field(default_factory=lambda: [1, 8000, 1])
    activation: str = "tanh"
    init_std: float = 0.1
    lr: float = 2e-4
    dtype: str = "float32"
    seed: int = 0
    epochs: int = 20_000
    observe_every: int = 100
    peaks: list[int] | str = "auto"
    threshold: float = 0.1
    save_every: int = 20

    def __post_init__(self):
        if self.points < 3:
            raise ValueError("points must be >= 3")
        if not self.x_max > 0:
            raise ValueError("x_max must be > 0")
        if isinstance(self.peaks, str) and self.peaks != "auto":
            raise ValueError(f"peaks must be 'auto' or a list of integer frequencies; got {self.peaks!r}")


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


@register_kind("fprinciple_1d", FPrinciple1dParams)
def run_fprinciple_1d(p: FPrinciple1dParams, ctx: RunContext) -> dict:
    """Figure 1: fit f(x) = sin x + sin 3x + sin 5x by full-batch Adam on the MSE (tanh 1-8000-1) and
    record Δ_F at the peaks of |f̂| every ``observe_every`` epochs."""
    import torch

    from ..plots.poisson import plot_figure1

    prob = target_problem(p)
    mon = SpectralMonitor(prob, reference="exact", basis="dft", peaks=p.peaks, residual=False)
    ctx.log(f"target on {p.points} points in [-{p.x_max}, {p.x_max}]; peaks {mon.peaks}")
    x = prob.grid.coords[0]
    train = History()   # fit_1d's records (the loss at every observed epoch), read by the observer below

    class Observer:
        """Δ_F of each observed output (the monitor's record, with the epoch's loss added); saves as it goes."""

        count = 0

        def observe(self, h, *, phase, step, time):
            rec = mon.observe(h, phase=phase, step=step, time=time)
            rec.data["loss"] = float(train.last["loss"])
            self.count += 1
            if self.count % p.save_every == 0:
                ctx.save_history(mon.history)

    torch.manual_seed(p.seed)
    res = fit_1d(x, prob.u_exact, epochs=p.epochs, widths=tuple(p.widths), activation=p.activation,
                 init_std=p.init_std, lr=p.lr, dtype=p.dtype, seed=p.seed, callback=Observer(),
                 observe_every=p.observe_every, history=train)
    ctx.save_history(mon.history)
    ctx.save_figure(plot_figure1(mon.history), "fig1")
    return {"peaks": mon.peaks, "threshold": p.threshold, "epochs": int(res.epochs), "train_time": res.train_time,
            "ms_per_epoch": 1e3 * res.train_time / max(int(res.epochs), 1), "final_loss": float(res.loss),
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
