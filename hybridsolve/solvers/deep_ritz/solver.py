"""Deep Ritz: a network ``h(x; θ)`` trained by Adam to minimise an energy (Xu et al. 2020, Sec. 5).

:class:`DeepRitz` composes the parts — the network (:mod:`hybridsolve.nn`), the boundary ansatz
(:mod:`.ansatz`), the collocation batches (:mod:`.sampler`), the loss (:mod:`.losses`), checkpoints
(:mod:`.checkpoint`) — and trains: ``step(k)`` takes ``k`` Adam steps, ``grid_values()`` is the network on
the grid, ``run(steps)`` trains through the one iteration loop (:func:`~hybridsolve.iteration.iterate`)
with :class:`TrainingStepper` as its stepper. :func:`deep_ritz` is ``hs.solve(prob, "deep_ritz", ...)``.

>>> import hybridsolve as hs
>>> p = hs.problems.paper_1d(n=64)
>>> dr = DeepRitz(p, widths=(1, 16, 1), init_std=0.5, lr=1e-2, loss="discrete_ritz", seed=0)
>>> l0 = dr.step(); l1 = dr.step(20)
>>> dr.steps_done, l1 < l0, dr.grid_values().shape
(21, True, (65,))
"""
from __future__ import annotations

import math
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch

from ..._util import Stopwatch, check_options, require_int, require_positive
from ...history import History
from ...iteration import as_observers, check_monitor, iterate
from ...problem import require_problem
from ... import _memory
from ...nn import ACTIVATIONS, MLP, adam, check_widths, cpu_threads, forward_flops, forward_seconds, resolve_device, \
    resolve_dtype, threads_for, training_bytes
from ...result import SolveResult
from ...stopping import DIVERGENCE_FACTOR, StoppingRule
from . import checkpoint as _ckpt
from .ansatz import boundary_ansatz
from .losses import LOSSES, make_loss
from .sampler import Sampler, points_per_step_for

__all__ = ["DeepRitz", "deep_ritz", "TrainingStepper", "TrainingClock", "PAPER_WIDTHS", "default_widths",
           "step_cost_lower_bound", "deep_ritz_bytes"]

PAPER_WIDTHS = (1, 4000, 500, 400, 1)


def default_widths(dim: int) -> tuple:
    """The paper's network (1-4000-500-400-1) in 1-D; ``(dim, 64, 64, 64, 1)`` otherwise.

    >>> default_widths(1), default_widths(2)
    ((1, 4000, 500, 400, 1), (2, 64, 64, 64, 1))
    """
    return PAPER_WIDTHS if dim == 1 else (dim, 64, 64, 64, 1)


def deep_ritz_bytes(grid, widths, loss: str = "ritz", batch_size=None, itemsize: int = 4) -> int:
    """Estimated bytes of a :class:`DeepRitz` on ``grid``: :func:`~hybridsolve.nn.training_bytes` for the larger
    of a step's batch and the full-batch loss (all grid points, with input tangents for ``"ritz"``), plus the
    collocation points and their per-point data.

    >>> import hybridsolve as hs
    >>> deep_ritz_bytes(hs.problems.paper_1d(n=1000).grid, (1, 4000, 500, 400, 1)) > 4 * 2_000_000 * 4
    True
    """
    points = max(points_per_step_for(grid, loss, batch_size), grid.size)
    tangents = grid.dim if loss == "ritz" else 0
    sampler = grid.size * (grid.dim + 6) * itemsize + grid.size * (grid.dim + 2) * 8
    return training_bytes(widths, points, tangents=tangents, itemsize=itemsize) + sampler


def _default_std(dim: int) -> float:
    return 0.02 if dim == 1 else 0.1


def step_cost_lower_bound(problem, options: dict, *, budget: float = math.inf) -> tuple[float, int]:
    """A lower bound, in seconds, on one training step of ``DeepRitz(problem, **options)`` — without
    building the model (the random initialisation of the paper's network alone takes ~60 ms, about half a
    Jacobi solve at its size): a forward pass of a zero-weight network of the same widths over the points
    a step uses (:func:`~hybridsolve.nn.forward_seconds`, which stops early once over ``budget``).
    A step does that pass and the tangents, the backward pass and the optimiser besides.
    Returns ``(seconds, points timed)``; unknown option names are a ValueError.

    >>> import hybridsolve as hs
    >>> secs, pts = step_cost_lower_bound(hs.problems.paper_1d(n=100), {"widths": (1, 8, 1)})
    >>> secs > 0, pts
    (True, 101)
    """
    check_options(DeepRitz.__init__, options, "DeepRitz")
    dim = problem.grid.dim
    widths = default_widths(dim) if options.get("widths") is None else options["widths"]
    npts = points_per_step_for(problem.grid, options.get("loss", "ritz"), options.get("batch_size"))
    return forward_seconds(widths, options.get("activation", "tanh"), npts, dtype=options.get("dtype", "float32"),
                           device=options.get("device"), budget=budget)


class _hybridmethod:
    """``Class.m(...)`` calls the class version, ``obj.m(...)`` the instance version."""

    def __init__(self, fclass, finstance, doc=None):
        self.fclass, self.finstance = fclass, finstance
        self.__doc__ = doc

    def __get__(self, obj, cls):
        if obj is None:
            return self.fclass.__get__(cls, cls)
        return self.finstance.__get__(obj, cls)


class DeepRitz:
    """A steppable Deep Ritz solver: ``step(k)``, ``grid_values()``, ``run(steps)``, checkpoints.

    Defaults are the paper's for ``paper_1d`` (Fig. 4): widths 1-4000-500-400-1, tanh, N(0, 0.02²)
    initialisation of weights and biases, Adam with lr 5e-4, β = 10, full batch on the 1001 grid points.
    ``init_std=None`` means 0.02 in 1-D and 0.1 otherwise; ``widths=None`` means :func:`default_widths`.
    ``loss``: ``"ritz"`` (eq. 23), ``"discrete_ritz"`` (the grid energy, minimiser u*) or ``"fit"`` (MSE to
    the reference), see :mod:`.losses`. ``batch_size=None``: full batch in 1-D, minibatches of 2048
    collocation points in 2-D/3-D (``"ritz"`` only; ``"discrete_ritz"`` needs the whole grid).
    ``hard_bc=True`` imposes the Dirichlet values exactly, ``u = g̃ + φ·N`` (:mod:`.ansatz`).
    Options are keyword-only; an unknown name is a ValueError listing the valid ones.

    Parts (public attributes): ``net`` (the :class:`~hybridsolve.nn.MLP`), ``optimizer`` (Adam),
    ``ansatz``, ``sampler`` (its ``full()`` batch, its minibatches ``next()``), ``loss``
    (``loss.on(batch)`` is the ``loss_fn`` of ``net.value_and_grad``), ``generator`` (the minibatch RNG),
    ``history``, ``steps_done``, ``train_time``, ``last_loss``.

    >>> import hybridsolve as hs
    >>> dr = DeepRitz(hs.problems.paper_1d(n=32), widths=(1, 8, 1), init_std=0.3, lr=1e-2)
    >>> loss = dr.step(5)
    >>> dr.steps_done, bool(np.isfinite(loss))
    (5, True)
    >>> DeepRitz(hs.problems.paper_1d(n=32), learning_rate=1e-3)
    Traceback (most recent call last):
    ...
    ValueError: unknown option(s) 'learning_rate' for DeepRitz; valid options: activation, batch_size, ...
    """

    def __init__(self, problem, *, widths=None, activation: str = "tanh", init_std=None, lr: float = 5e-4,
                 loss: str = "ritz", beta: float = 10.0, dtype="float32", device=None, seed: int = 0,
                 batch_size=None, hard_bc: bool = False, **unknown):
        if unknown:
            check_options(DeepRitz.__init__, unknown, "DeepRitz")
        require_problem(problem)
        dim = problem.grid.dim
        if not (isinstance(loss, str) and loss in LOSSES):
            raise ValueError(f"unknown loss {loss!r}; valid: {', '.join(LOSSES)}")
        if not (isinstance(activation, str) and activation in ACTIVATIONS):
            raise ValueError(f"unknown activation {activation!r}; valid: {', '.join(ACTIVATIONS)}")
        self.widths = check_widths(default_widths(dim) if widths is None else widths, dim)
        self.init_std = _default_std(dim) if init_std is None else require_positive("init_std", init_std)
        self.lr = require_positive("lr", lr)
        self.beta = require_positive("beta", beta)
        self.loss_kind = loss
        self.activation = activation
        self.seed = require_int("seed", seed, minimum=0)
        self.batch_size = require_int("batch_size", batch_size, minimum=1, allow_none=True)
        if not isinstance(hard_bc, (bool, np.bool_)):
            raise ValueError(f"hard_bc must be True or False; got {hard_bc!r}")
        self.hard_bc = bool(hard_bc)
        self.dtype = resolve_dtype(dtype)
        self.device = resolve_device(device)
        need = deep_ritz_bytes(problem.grid, self.widths, loss, self.batch_size, self.dtype.itemsize)
        _memory.require(need, f"Deep Ritz with widths={list(self.widths)} on n={problem.grid.n}: the network, its "
                              f"Adam state and the activations of {problem.grid.size:,} points",
                        fix="use narrower layers or a smaller n")
        self.net = MLP(self.widths, activation=activation, init_std=self.init_std, seed=self.seed,
                       dtype=self.dtype, device=self.device)
        self.optimizer = adam(self.net, self.lr)
        self.generator = torch.Generator(device="cpu").manual_seed(self.seed + 1)
        self.steps_done = 0
        self.train_time = 0.0
        self.last_loss = math.nan
        self.history = History(meta={"method": "deep_ritz", **self.config()})
        self.problem = None
        self.retarget(problem)

    # -- configuration -----------------------------------------------------------------------------
    def config(self) -> dict:
        """Everything that defines the run (what a checkpoint must match)."""
        return {"widths": list(self.widths), "activation": self.activation, "init_std": self.init_std,
                "lr": self.lr, "loss": self.loss_kind, "beta": self.beta,
                "dtype": str(self.dtype).replace("torch.", ""), "seed": self.seed,
                "batch_size": self.batch_size, "hard_bc": self.hard_bc}

    @property
    def forward_flops(self) -> float:
        """Forward FLOPs of one full-batch pass (``2 Σ fan_in·fan_out`` per point)."""
        return forward_flops(self.widths, self.sampler.full().x.shape[0])

    @property
    def points_per_step(self) -> int:
        """How many points one training step evaluates the network on (its batch)."""
        return self.sampler.points_per_step

    def retarget(self, problem) -> None:
        """Switch to another problem on the same grid, keeping the weights and the optimiser state.

        Used by the hybrid to train on a residual equation ``A e = r`` (``source=r``, ``boundary=0``).
        """
        grid = problem.grid
        if self.problem is not None:
            old = self.problem.grid
            if old.shape != grid.shape or tuple(old.bounds) != tuple(grid.bounds):
                raise ValueError(f"retarget needs the same grid: have {old.shape} on {old.bounds}, "
                                 f"got {grid.shape} on {grid.bounds}")
        elif grid.dim != self.widths[0]:
            raise ValueError(f"widths={list(self.widths)} must start with the problem's dimension {grid.dim}")
        kw = dict(dtype=self.dtype, device=self.device)
        ansatz = boundary_ansatz(problem, self.hard_bc, **kw)
        sampler = Sampler(problem, self.loss_kind, beta=self.beta, batch_size=self.batch_size,
                          generator=self.generator, ansatz=ansatz, **kw)
        loss = make_loss(self.loss_kind, problem, ansatz, **kw)
        self.problem, self.ansatz, self.sampler, self.loss = problem, ansatz, sampler, loss

    # -- stepping ----------------------------------------------------------------------------------
    def step(self, k: int = 1) -> float:
        """Take ``k`` Adam steps; return the last loss (evaluated before that step's update).

        Raises FloatingPointError on a NaN/Inf loss (the update is not applied; ``history`` is kept).
        """
        k = require_int("k", k, minimum=1)
        loss_of, sampler, net, opt = self.loss, self.sampler, self.net, self.optimizer
        tangents = loss_of.tangents
        sw = Stopwatch().start()
        threads = threads_for(self.widths, self.points_per_step * (1 + (self.widths[0] if tangents else 0)),
                              self.device)
        try:
            for _ in range(k):
                batch = sampler.next()
                with cpu_threads(threads):
                    loss_t = net.value_and_grad(batch.x, loss_of.on(batch), tangents=tangents)
                    loss = float(loss_t)
                if not math.isfinite(loss):
                    self.last_loss = loss
                    raise FloatingPointError(
                        f"Deep Ritz diverged: loss = {loss} at step {self.steps_done} (lr={self.lr:g}, "
                        f"dtype={self.config()['dtype']}); the history so far is kept in .history. "
                        "Lower lr or use float64.")
                with cpu_threads(threads):
                    opt.step()
                self.steps_done += 1
                self.last_loss = loss
        finally:
            self.train_time += sw.stop()
        return self.last_loss

    def loss_value(self) -> float:
        """The loss at the current weights (full batch; no update)."""
        batch = self.sampler.full()
        loss = float(self.net.value_and_grad(batch.x, self.loss.on(batch), tangents=self.loss.tangents))
        self.net.zero_grad(set_to_none=True)
        return loss

    def grid_values(self) -> np.ndarray:
        """Network output on every grid point (float64, ``grid.shape``), in batches; boundary NOT imposed.

        With ``hard_bc`` this is the ansatz ``g̃ + φN``, which meets the boundary values by construction.
        """
        raw = self.ansatz.grid_values(self.net.evaluate(self.sampler.points))
        return raw.reshape(self.problem.grid.shape)

    # -- driving loop ---------------------------------------------------------------------------------
    def run(self, steps: int, *, monitor=None, observe_every: int = 100, target_error=None, reference=None,
            progress=None, callback=None, checkpoint=None, **unknown) -> SolveResult:
        """Train for ``steps`` more Adam steps through :func:`~hybridsolve.iteration.iterate`, observing every
        ``observe_every`` steps (and at start and end).

        At each observation: a history record (``loss``, ``residual`` and, with a reference, ``error_inf``,
        ``error_l2``, ``error_inf_raw``), then the observers — ``monitor``, a checkpoint save when
        ``checkpoint`` is a path (a :class:`~.checkpoint.Checkpointer`), ``callback`` (the loop's one
        convention: a callable ``f(xk)`` of the iterate, or an observer with ``observe(u, *, phase, step,
        time)``, or a list; a True return stops the run with reason ``"callback"``). They all see the grid
        iterate with the boundary values imposed and ``time`` = training seconds. Stops early once
        ``‖u − u_ref‖∞ ≤ target_error``. Timing excludes all observation work; a run that continues the
        history (a resumed checkpoint) does not record its first step again. NaN/Inf raises
        FloatingPointError (the history so far is kept).

        >>> import hybridsolve as hs
        >>> dr = DeepRitz(hs.problems.paper_1d(n=32), widths=(1, 8, 1), init_std=0.3, lr=1e-2)
        >>> res = dr.run(30, observe_every=10, callback=lambda xk: dr.steps_done >= 20)
        >>> res.reason, dr.steps_done, dr.history.steps().tolist()
        ('callback', 20, [0, 10, 20])
        """
        if unknown:
            check_options(DeepRitz.run, unknown, "DeepRitz.run")
        steps = require_int("steps", steps, minimum=0)
        observe_every = require_int("observe_every", observe_every, minimum=1)
        check_monitor(monitor, self.problem)
        as_observers(callback, monitor)
        rule = StoppingRule.from_options(self.problem, target_error=target_error, reference=reference,
                                         maxiter=steps, default_rtol=0.0)
        fresh = not (len(self.history) and self.history.last.step == self.steps_done)   # else: resumed, recorded
        if fresh and self.steps_done == 0 and not math.isfinite(self.last_loss):
            sw = Stopwatch().start()
            self.last_loss = self.loss_value()
            self.train_time += sw.stop()  # part of the training work (the first step needs it anyway)
        observers = as_observers(None, monitor)   # in this order: monitor, checkpoint, callbacks
        if checkpoint is not None:
            observers.append(_ckpt.Checkpointer(self, checkpoint))
        observers += as_observers(callback)
        stepper = TrainingStepper(self, reference=rule.reference)
        out = iterate(stepper, rule, history=self.history, callback=observers, check_every=observe_every,
                      observe_every=observe_every, measure=rule.measure, clock=TrainingClock(self),
                      timed_checks=False, start_step=self.steps_done, initial_check=fresh, progress=progress,
                      unit="step")
        if out.reason == "diverged":
            res = (out.metrics or {}).get("residual", math.nan)
            what = ("the network output is non-finite" if not math.isfinite(res) else
                    f"the residual ‖b − Au‖ = {res:.3g} grew past {DIVERGENCE_FACTOR:.0e} × its start")
            raise FloatingPointError(out.error or (
                f"Deep Ritz diverged: {what} at step {self.steps_done} (lr={self.lr:g}); "
                "the history so far is kept in .history. Lower lr or use float64."))
        u = stepper.iterate()
        metrics = out.metrics or rule.measure(u)   # the last check was at the last step (none in a resumed run(0))
        info = {"loss": self.last_loss, "loss_kind": self.loss_kind, "steps": self.steps_done,
                "ms_per_step": 1e3 * self.train_time / max(self.steps_done, 1), "train_time": self.train_time,
                "widths": "-".join(map(str, self.widths)), "device": str(self.device),
                "dtype": self.config()["dtype"]}
        if "error_l2" in metrics:
            info["error_l2"] = metrics["error_l2"]
        return SolveResult(u=u, converged=out.converged, iterations=self.steps_done, wall_time=self.train_time,
                           history=self.history, method="deep_ritz", reason=out.reason,
                           residual_norm=metrics["residual"], error_inf=metrics.get("error_inf"), info=info)

    # -- checkpoints ------------------------------------------------------------------------------------
    def save_checkpoint(self, path) -> Path:
        """Write weights, optimiser state, step count, timing, RNG state and history (atomic); :mod:`.checkpoint`."""
        return _ckpt.save(self, path)

    load_checkpoint = _hybridmethod(
        _ckpt.load_new, _ckpt.load_into,
        "``DeepRitz.load_checkpoint(path, problem)`` builds a solver from a checkpoint; "
        "``dr.load_checkpoint(path)`` restores one in place (same configuration, else ValueError).")


class TrainingClock:
    """The loop's clock for a :class:`DeepRitz` run: the model's own training seconds (``step()`` times
    itself), so records, observers and ``train_time`` agree exactly. ``now`` = ``dr.train_time``;
    ``elapsed`` = training seconds since the clock was made (``offset`` = ``dr.train_time`` then);
    ``paused()`` is a no-op (nothing outside ``step()`` is counted anyway).

    >>> import hybridsolve as hs
    >>> dr = DeepRitz(hs.problems.paper_1d(n=16), widths=(1, 4, 1))
    >>> clock = TrainingClock(dr).start()
    >>> _ = dr.step(2)
    >>> clock.now == dr.train_time, clock.stop() == dr.train_time
    (True, True)
    """

    def __init__(self, dr):
        self.dr = dr
        self.offset = float(dr.train_time)

    def start(self) -> "TrainingClock":
        return self

    def stop(self) -> float:
        return self.elapsed

    running = True

    @property
    def elapsed(self) -> float:
        return self.dr.train_time - self.offset

    @property
    def now(self) -> float:
        return self.dr.train_time

    def paused(self):
        return nullcontext()


class TrainingStepper:
    """:class:`DeepRitz` training as a stepper of :func:`~hybridsolve.iteration.iterate`.

    ``advance(count)``: ``count`` Adam steps (``dr.step``; FloatingPointError on a NaN/Inf loss, which the
    loop reports as reason ``"diverged"`` with ``Outcome.error``). ``raw()``: the network on every grid
    point (``dr.grid_values()``, boundary not imposed). ``iterate()``: the candidate iterate — ``raw()``
    with ``problem``'s boundary values imposed, or with ``base``: ``base + scale · raw()`` with the raw
    boundary values zeroed (a correction ``e`` of ``A e = r`` added to an iterate). Both are computed once
    per step count and problem (repeated calls are free; treat them as read-only). ``extras()``: ``loss``
    (the last step's loss, NaN before any step) and, with a ``reference`` and no ``base``,
    ``error_inf_raw`` = ‖raw − reference‖∞. ``problem`` defaults to ``dr.problem`` (read at each call, so a
    ``dr.retarget`` is followed); ``phase`` names the records.

    >>> import hybridsolve as hs
    >>> from hybridsolve.iteration import iterate
    >>> p = hs.problems.paper_1d(n=32)
    >>> dr = DeepRitz(p, widths=(1, 8, 1), init_std=0.3, lr=1e-2)
    >>> rule = StoppingRule.from_options(p, maxiter=20, default_rtol=0.0)
    >>> out = iterate(TrainingStepper(dr, reference=rule.reference), rule, history=hs.History(), check_every=10,
    ...               measure=rule.measure, clock=TrainingClock(dr), timed_checks=False)
    >>> out.steps, out.reason, sorted(out.records[-1].data)
    (20, 'maxiter', ['error_inf', 'error_inf_raw', 'error_l2', 'loss', 'residual'])
    """

    def __init__(self, dr: DeepRitz, problem=None, *, base=None, scale: float = 1.0, reference=None,
                 phase: str = "dnn"):
        self.dr = dr
        self._problem = problem
        self.base = None if base is None else np.asarray(base, dtype=float)
        self.scale = float(scale)
        self.reference = None if reference is None else np.asarray(reference, dtype=float)
        self.phase = phase
        self._raw = self._u = None
        self._key = None

    @property
    def problem(self):
        return self.dr.problem if self._problem is None else self._problem

    def advance(self, count: int) -> None:
        self.dr.step(count)

    def _fresh(self) -> None:
        key = (self.dr.steps_done, id(self.dr.problem), id(self.problem))
        if key != self._key:
            self._key, self._raw, self._u = key, np.asarray(self.dr.grid_values(), dtype=float), None

    def raw(self) -> np.ndarray:
        self._fresh()
        return self._raw

    def iterate(self) -> np.ndarray:
        self._fresh()
        if self._u is None:
            prob = self.problem
            if self.base is None:
                self._u = prob.apply_boundary(self._raw)
            else:
                v = self._raw.copy()
                v[prob.grid.boundary_mask()] = 0.0
                self._u = self.base + self.scale * v
        return self._u

    def extras(self) -> dict:
        out = {"loss": float(self.dr.last_loss)}
        if self.reference is not None and self.base is None:
            out["error_inf_raw"] = float(np.max(np.abs(self.raw() - self.reference)))
        return out


def deep_ritz(problem, *, widths=None, activation="tanh", init_std=None, lr=5e-4, loss="ritz", beta=10.0,
              steps=3000, dtype="float32", device=None, seed=0, batch_size=None, hard_bc=False,
              target_error=None, reference=None, monitor=None, observe_every=100, callback=None, progress=None,
              checkpoint=None, resume=False, **unknown) -> SolveResult:
    """Solve ``-Δu = f`` with Deep Ritz (``hs.solve(prob, "deep_ritz", ...)``); options as :class:`DeepRitz`.

    ``steps``: total Adam steps (a resumed run continues up to it). ``target_error`` stops early on
    ``‖u − u_ref‖∞`` (checked every ``observe_every`` steps). ``monitor`` / ``callback``: observers of the
    iterate (see :meth:`DeepRitz.run`). ``checkpoint``: a path saved at every observation; with
    ``resume=True`` an existing checkpoint there is loaded first. Converged only if ``target_error`` was
    met; a NaN/Inf loss raises FloatingPointError. Unknown option names are a ValueError.

    >>> import hybridsolve as hs
    >>> res = hs.solve(hs.problems.paper_1d(n=32), "deep_ritz", widths=(1, 16, 1), init_std=0.3, lr=1e-2,
    ...                steps=30, observe_every=10)
    >>> res.iterations, res.converged, res.reason, len(res.history)
    (30, False, 'maxiter', 4)
    """
    if unknown:
        check_options(deep_ritz, unknown, "method 'deep_ritz'")
    # every argument is checked before the network is built
    require_problem(problem)
    check_monitor(monitor, problem)
    as_observers(callback, monitor)
    steps = require_int("steps", steps, minimum=0)
    require_int("observe_every", observe_every, minimum=1)
    StoppingRule.from_options(problem, target_error=target_error, reference=reference, maxiter=steps, default_rtol=0.0)
    if not isinstance(resume, (bool, np.bool_)):
        raise ValueError(f"resume must be True or False; got {resume!r}")
    if checkpoint is not None and resume and Path(checkpoint).exists():
        _ckpt.read(checkpoint)   # a foreign or corrupt file is refused before any training
    dr = DeepRitz(problem, widths=widths, activation=activation, init_std=init_std, lr=lr, loss=loss, beta=beta,
                  dtype=dtype, device=device, seed=seed, batch_size=batch_size, hard_bc=hard_bc)
    if checkpoint is not None and resume and Path(checkpoint).exists():
        dr.load_checkpoint(checkpoint)
    return dr.run(max(steps - dr.steps_done, 0), monitor=monitor, observe_every=observe_every,
                  target_error=target_error, reference=reference, progress=progress, callback=callback,
                  checkpoint=checkpoint)
