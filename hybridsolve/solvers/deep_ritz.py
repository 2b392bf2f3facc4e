"""Deep Ritz: a neural network ``h(x; θ)`` trained by Adam to minimise an energy (Xu et al. 2020, Sec. 5).

Losses (``loss=``):

* ``"ritz"`` — the paper's empirical energy, eq. (23)::

      I_emp(h) = Σ_interior (½|∇ₓh(x_i)|² − f(x_i) h(x_i)) δx^d + β Σ_boundary (h(x_b) − g(x_b))²

  with ``∇ₓh`` exact (forward-mode derivatives through the network). Its minimiser approximates the
  continuous solution ``u_ref`` (up to quadrature and the penalty). 1-D: full batch on the grid;
  2-D/3-D: minibatches of grid points, sums rescaled so the minibatch loss is unbiased.
* ``"discrete_ritz"`` — the grid energy ``δx^d (½ uᵀ A u − bᵀ u)`` with ``u`` the network on interior
  points (boundary values from the problem) and ``A = −Δ_h`` by differences on the grid: the system
  Jacobi solves, so its minimiser is the discrete solution ``u*`` (gradient ``δx^d (A u − b)``).
* ``"fit"`` — mean squared error to the reference on the grid (``u_ref``, or ``u*`` without one).

``hard_bc=True`` imposes the Dirichlet values exactly: ``u = g̃ + φ·N`` with ``φ = Π_d (x_d − a_d)(b_d − x_d)``
(normalised to max 1) and ``g̃`` the linear interpolant of the boundary values (1-D) or 0.

>>> import hybridsolve as hs
>>> p = hs.problems.paper_1d(n=64)
>>> dr = DeepRitz(p, widths=(1, 16, 1), init_std=0.5, lr=1e-2, loss="discrete_ritz", seed=0)
>>> l0 = dr.step(); l1 = dr.step(20)
>>> dr.steps_done, l1 < l0, dr.grid_values().shape
(21, True, (65,))
"""
from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import torch

from .._util import Stopwatch, progress_bar, require_int, require_positive
from ..history import History, Record, _from_json, _to_json, atomic_write_bytes
from ..nn import (MLP, _adam, check_widths, cpu_threads, forward_flops, forward_seconds, resolve_device, resolve_dtype,
                  threads_for)
from ..result import SolveResult
from ..stopping import StoppingRule

__all__ = ["DeepRitz", "deep_ritz", "LOSSES", "PAPER_WIDTHS", "default_widths"]

LOSSES = ("ritz", "discrete_ritz", "fit")
PAPER_WIDTHS = (1, 4000, 500, 400, 1)
_FORMAT = "hybridsolve.deep_ritz/1"
_DEFAULT_MINIBATCH = 2048


def default_widths(dim: int) -> tuple:
    """The paper's network (1-4000-500-400-1) in 1-D; ``(dim, 64, 64, 64, 1)`` otherwise."""
    return PAPER_WIDTHS if dim == 1 else (dim, 64, 64, 64, 1)


def _default_std(dim: int) -> float:
    return 0.02 if dim == 1 else 0.1


class _hybridmethod:
    """``Class.m(...)`` calls the class version, ``obj.m(...)`` the instance version."""

    def __init__(self, fclass, finstance):
        self.fclass, self.finstance = fclass, finstance

    def __get__(self, obj, cls):
        if obj is None:
            return self.fclass.__get__(cls, cls)
        return self.finstance.__get__(obj, cls)


def points_per_step_for(grid, loss: str = "ritz", batch_size=None) -> int:
    """How many points one training step of a :class:`DeepRitz` on ``grid`` evaluates the network on
    (its ``points_per_step``), without building one.

    >>> import hybridsolve as hs
    >>> g = hs.problems.paper_1d(n=200).grid
    >>> points_per_step_for(g), points_per_step_for(g, batch_size=50), points_per_step_for(g, "discrete_ritz")
    (201, 52, 199)
    """
    n_all = int(np.prod(grid.shape))
    nb = int(np.count_nonzero(grid.boundary_mask()))
    n_int = n_all - nb
    if loss == "ritz":
        bs = batch_size if batch_size is not None else (None if grid.dim == 1 else _DEFAULT_MINIBATCH)
        return bs + min(nb, bs) if bs is not None and bs < n_int else n_all
    return n_int if loss == "discrete_ritz" else n_all


def step_cost_lower_bound(problem, options: dict, *, budget: float = math.inf) -> tuple[float, int]:
    """A lower bound, in seconds, on one training step of ``DeepRitz(problem, **options)`` — without
    building the model (the random initialisation of the paper's network alone takes ~60 ms, about half a
    Jacobi solve at its size): a forward pass of a zero-weight network of the same widths over the points
    a step uses (:func:`~hybridsolve.nn.forward_seconds`, which stops early once over ``budget``).
    A step does that pass and the tangents, the backward pass and the optimiser besides.
    Returns ``(seconds, points timed)``."""
    dim = problem.grid.dim
    widths = default_widths(dim) if options.get("widths") is None else options["widths"]
    npts = points_per_step_for(problem.grid, options.get("loss", "ritz"), options.get("batch_size"))
    return forward_seconds(widths, options.get("activation", "tanh"), npts, dtype=options.get("dtype", "float32"),
                           device=options.get("device"), budget=budget)


class DeepRitz:
    """A steppable Deep Ritz solver: ``step(k)``, ``grid_values()``, ``run(steps)``, checkpoints.

    Defaults are the paper's for ``paper_1d`` (Fig. 4): widths 1-4000-500-400-1, tanh, N(0, 0.02²)
    initialisation of weights and biases, Adam with lr 5e-4, β = 10, full batch on the 1001 grid points.
    ``init_std=None`` means 0.02 in 1-D and 0.1 otherwise; ``widths=None`` means :func:`default_widths`.
    ``batch_size=None``: full batch in 1-D, minibatches of 2048 collocation points in 2-D/3-D (``"ritz"``
    only; ``"discrete_ritz"`` needs the whole grid).

    >>> import hybridsolve as hs
    >>> dr = DeepRitz(hs.problems.paper_1d(n=32), widths=(1, 8, 1), init_std=0.3, lr=1e-2)
    >>> loss = dr.step(5)
    >>> dr.steps_done, bool(np.isfinite(loss))
    (5, True)
    """

    def __init__(self, problem, *, widths=None, activation: str = "tanh", init_std=None, lr: float = 5e-4,
                 loss: str = "ritz", beta: float = 10.0, dtype="float32", device=None, seed: int = 0,
                 batch_size=None, hard_bc: bool = False):
        dim = problem.grid.dim
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; valid: {', '.join(LOSSES)}")
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
        self.net = MLP(self.widths, activation=activation, init_std=self.init_std, seed=self.seed,
                       dtype=self.dtype, device=self.device)
        self.optimizer = _adam(self.net, self.lr)
        self._gen = torch.Generator(device="cpu").manual_seed(self.seed + 1)
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
        return forward_flops(self.widths, self._x.shape[0])

    @property
    def points_per_step(self) -> int:
        """How many points one training step evaluates the network on (its batch)."""
        return self._nbatch_int + self._nbatch_bdry if self._minibatch else int(self._x.shape[0])

    # -- problem-dependent data ----------------------------------------------------------------------
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
        self.problem = problem
        kw = dict(dtype=self.dtype, device=self.device)
        dim = grid.dim
        pts = grid.points()
        bmask = grid.boundary_mask().reshape(-1)
        self._points = pts
        # hard boundary ansatz u = g̃ + φ N
        self._phi = self._gtilde = None
        if self.hard_bc:
            phi, dphi = _distance(grid, pts)
            gt, dgt = _extension(problem, pts)
            self._phi_np, self._gt_np = phi, gt
            self._phi = torch.as_tensor(phi, **kw)
            self._dphi = torch.as_tensor(dphi, **kw)
            self._gtilde = torch.as_tensor(gt, **kw)
            self._dgt = torch.as_tensor(dgt, **kw)
        vol = float(np.prod(grid.h))
        f = problem.f.reshape(-1)
        g = problem.boundary_values.reshape(-1)
        if self.loss_kind == "ritz":
            sel = np.arange(pts.shape[0])
            n_int = int(np.count_nonzero(~bmask))
            bs = self.batch_size if self.batch_size is not None else (None if dim == 1 else _DEFAULT_MINIBATCH)
            self._minibatch = bs is not None and bs < n_int
            self._int_idx = np.flatnonzero(~bmask)
            self._bdry_idx = np.flatnonzero(bmask)
            if self._minibatch:
                nb = len(self._bdry_idx)
                self._nbatch_int = bs
                self._nbatch_bdry = min(nb, bs)
                self._scale_int = n_int / bs
                self._scale_bdry = nb / self._nbatch_bdry
            self._wq_all = np.where(bmask, 0.0, vol)
            self._wb_all = np.where(bmask, self.beta, 0.0)
            self._f_all, self._g_all = f, g
            self._set_batch(sel)
        elif self.loss_kind == "discrete_ritz":
            self._minibatch = False
            idx = np.flatnonzero(~bmask)
            self._x = torch.as_tensor(pts[idx], **kw)
            self._b = torch.as_tensor(problem.rhs().reshape(-1), **kw)
            self._vol = vol
            self._h2 = [hd ** -2 for hd in grid.h]
            self._pad = torch.zeros(grid.shape, **kw)
            self._sub_idx = idx
        else:  # fit
            self._minibatch = False
            ref = problem.u_exact if problem.u_exact is not None else problem.discrete_solution()
            self._x = torch.as_tensor(pts, **kw)
            self._y = torch.as_tensor(ref.reshape(-1), **kw)
            self._sub_idx = np.arange(pts.shape[0])

    def _set_batch(self, sel: np.ndarray, scale_int: float = 1.0, scale_bdry: float = 1.0) -> None:
        kw = dict(dtype=self.dtype, device=self.device)
        self._x = torch.as_tensor(self._points[sel], **kw)
        self._wq = torch.as_tensor(self._wq_all[sel] * scale_int, **kw)
        self._wb = torch.as_tensor(self._wb_all[sel] * scale_bdry, **kw)
        self._f = torch.as_tensor(self._f_all[sel], **kw)
        self._g = torch.as_tensor(self._g_all[sel], **kw)
        self._sub_idx = sel

    def _sample(self) -> None:
        ii = torch.randint(len(self._int_idx), (self._nbatch_int,), generator=self._gen).numpy()
        if self._nbatch_bdry < len(self._bdry_idx):
            bb = torch.randint(len(self._bdry_idx), (self._nbatch_bdry,), generator=self._gen).numpy()
            bsel = self._bdry_idx[bb]
        else:
            bsel = self._bdry_idx
        sel = np.concatenate([self._int_idx[ii], bsel])
        n_int = len(ii)
        wq = self._wq_all[sel].copy()
        wq[:n_int] *= self._scale_int
        wb = self._wb_all[sel].copy()
        wb[n_int:] *= self._scale_bdry
        kw = dict(dtype=self.dtype, device=self.device)
        self._x = torch.as_tensor(self._points[sel], **kw)
        self._wq = torch.as_tensor(wq, **kw)
        self._wb = torch.as_tensor(wb, **kw)
        self._f = torch.as_tensor(self._f_all[sel], **kw)
        self._g = torch.as_tensor(self._g_all[sel], **kw)
        self._sub_idx = sel

    # -- the losses (value, dL/dh, dL/dhx) on the current batch -----------------------------------------
    def _ansatz(self, n, nx):
        """Raw network (N, ∇N) → u, ∇u, and the chain rule back."""
        if not self.hard_bc:
            return n, nx
        sl = self._sub_idx
        phi, dphi, gt, dgt = self._phi[sl], self._dphi[:, sl], self._gtilde[sl], self._dgt[:, sl]
        u = gt + phi * n
        ux = None if nx is None else dgt + n * dphi + phi * nx
        return u, ux

    def _ansatz_back(self, gu, gux):
        if not self.hard_bc:
            return gu, gux
        sl = self._sub_idx
        phi, dphi = self._phi[sl], self._dphi[:, sl]
        gn = phi * gu
        if gux is not None:
            gn = gn + (dphi * gux).sum(0)
            gux = phi * gux
        return gn, gux

    def _loss_ritz(self, n, nx):
        u, ux = self._ansatz(n, nx)
        d = u - self._g
        loss = (self._wq * (0.5 * (ux * ux).sum(0) - self._f * u)).sum() + (self._wb * d * d).sum()
        gu = 2.0 * self._wb * d - self._wq * self._f
        gux = self._wq * ux
        gn, gnx = self._ansatz_back(gu, gux)
        return loss, gn, gnx

    def _loss_discrete(self, n, nx):
        u, _ = self._ansatz(n, None)
        au = self._apply_a(u)
        loss = self._vol * (0.5 * (u * au).sum() - (self._b * u).sum())
        gu = self._vol * (au - self._b)
        gn, _ = self._ansatz_back(gu, None)
        return loss, gn, None

    def _apply_a(self, u_int: torch.Tensor) -> torch.Tensor:
        """``A u`` (zero boundary) on interior points by differences on the grid (tensor slicing)."""
        grid = self.problem.grid
        p = self._pad
        inner = grid.interior
        p[inner] = u_int.view(grid.interior_shape)
        out = None
        for d in range(grid.dim):
            lo, hi = list(inner), list(inner)
            lo[d], hi[d] = slice(0, -2), slice(2, None)
            term = (2.0 * p[inner] - p[tuple(lo)] - p[tuple(hi)]) * self._h2[d]
            out = term if out is None else out + term
        return out.reshape(-1)

    def _loss_fit(self, n, nx):
        u, _ = self._ansatz(n, None)
        r = u - self._y
        loss = (r * r).mean()
        gn, _ = self._ansatz_back(r * (2.0 / r.numel()), None)
        return loss, gn, None

    # -- stepping ----------------------------------------------------------------------------------
    def step(self, k: int = 1) -> float:
        """Take ``k`` Adam steps; return the last loss (evaluated before that step's update).

        Raises FloatingPointError on a NaN/Inf loss (the update is not applied; ``history`` is kept).
        """
        k = require_int("k", k, minimum=1)
        lossfn = {"ritz": self._loss_ritz, "discrete_ritz": self._loss_discrete, "fit": self._loss_fit}[self.loss_kind]
        tangents = self.loss_kind == "ritz"
        sw = Stopwatch().start()
        npts = self.points_per_step
        threads = threads_for(self.widths, npts * (1 + (self.widths[0] if tangents else 0)), self.device)
        try:
            for _ in range(k):
                if self._minibatch:
                    self._sample()
                with cpu_threads(threads):
                    loss_t = self.net.value_and_grad(self._x, lossfn, tangents=tangents)
                    loss = float(loss_t)
                if not math.isfinite(loss):
                    self.last_loss = loss
                    raise FloatingPointError(
                        f"Deep Ritz diverged: loss = {loss} at step {self.steps_done} (lr={self.lr:g}, "
                        f"dtype={self.config()['dtype']}); the history so far is kept in .history. "
                        "Lower lr or use float64.")
                with cpu_threads(threads):
                    self.optimizer.step()
                self.steps_done += 1
                self.last_loss = loss
        finally:
            self.train_time += sw.stop()
        return self.last_loss

    def loss_value(self) -> float:
        """The loss at the current weights (full batch; no update)."""
        lossfn = {"ritz": self._loss_ritz, "discrete_ritz": self._loss_discrete, "fit": self._loss_fit}[self.loss_kind]
        if self._minibatch:
            self._set_batch(np.arange(self._points.shape[0]))
        loss = float(self.net.value_and_grad(self._x, lossfn, tangents=self.loss_kind == "ritz"))
        self.net.zero_grad(set_to_none=True)
        return loss

    def grid_values(self) -> np.ndarray:
        """Network output on every grid point (float64, ``grid.shape``), in batches; boundary NOT imposed.

        With ``hard_bc`` this is the ansatz ``g̃ + φN``, which meets the boundary values by construction.
        """
        raw = self.net.evaluate(self._points)
        if self.hard_bc:
            raw = self._gt_np + self._phi_np * raw
        return raw.reshape(self.problem.grid.shape)

    # -- driving loop ---------------------------------------------------------------------------------
    def run(self, steps: int, *, monitor=None, observe_every: int = 100, target_error=None, reference=None,
            progress=None, callback=None, checkpoint=None) -> SolveResult:
        """Train for ``steps`` more Adam steps, observing every ``observe_every`` steps (and at start/end).

        At each observation: a history record (``loss``, ``residual`` and, with a reference, ``error_inf``,
        ``error_l2``), ``monitor.observe(u, phase="dnn", step=, time=)``, ``callback(self, record)``
        (returning True stops the run), and a checkpoint save when ``checkpoint`` is a path.
        Stops early once ``‖u − u_ref‖∞ ≤ target_error``. Timing excludes all observation work.
        """
        steps = require_int("steps", steps, minimum=0)
        observe_every = require_int("observe_every", observe_every, minimum=1)
        rule = StoppingRule.from_options(self.problem, target_error=target_error, reference=reference,
                                         maxiter=steps, default_rtol=0.0)
        start = self.steps_done
        reason = None
        last_obs = self.history.last.step if len(self.history) else None
        rec = None
        bar = progress_bar(total=steps, desc=f"deep_ritz[{self.loss_kind}]", progress=progress, unit="step")
        try:
            if last_obs != self.steps_done:
                rec, reason = self._observe(rule, monitor, callback, checkpoint, 0)
            while reason is None and self.steps_done - start < steps:
                todo = min(observe_every - (self.steps_done % observe_every), steps - (self.steps_done - start))
                for _ in range(todo):
                    self.step(1)
                    bar.update(1)
                rec, reason = self._observe(rule, monitor, callback, checkpoint, self.steps_done - start)
                post = {"loss": f"{self.last_loss:.4g}"}
                if "error_inf" in rec.data:
                    post["err"] = f"{rec['error_inf']:.3g}"
                bar.set_postfix(post, refresh=False)
        finally:
            bar.close()
        if reason is None:
            reason = "maxiter"
        if rec is None:
            rec = self.history.last
        u = self.problem.apply_boundary(self.grid_values())
        metrics = rule.measure(u)
        info = {"loss": self.last_loss, "loss_kind": self.loss_kind, "steps": self.steps_done,
                "ms_per_step": 1e3 * self.train_time / max(self.steps_done, 1), "train_time": self.train_time,
                "widths": "-".join(map(str, self.widths)), "device": str(self.device),
                "dtype": self.config()["dtype"]}
        if "error_l2" in metrics:
            info["error_l2"] = metrics["error_l2"]
        return SolveResult(u=u, converged=StoppingRule.converged(reason), iterations=self.steps_done,
                           wall_time=self.train_time, history=self.history, method="deep_ritz", reason=reason,
                           residual_norm=metrics["residual"], error_inf=metrics.get("error_inf"), info=info)

    def _observe(self, rule, monitor, callback, checkpoint, taken):
        u_raw = self.grid_values()
        u = self.problem.apply_boundary(u_raw)
        m = rule.measure(u)
        if self.steps_done == 0 and not math.isfinite(self.last_loss):
            sw = Stopwatch().start()
            self.last_loss = self.loss_value()
            self.train_time += sw.stop()  # part of the training work (the first step needs it anyway)
        data = {"loss": float(self.last_loss), **m}
        if rule.reference is not None:
            data["error_inf_raw"] = float(np.max(np.abs(u_raw - rule.reference)))
        rec = Record("dnn", self.steps_done, self.train_time, data)
        self.history.append(rec)
        if monitor is not None:
            monitor.observe(u, phase="dnn", step=self.steps_done, time=self.train_time)
        if checkpoint is not None:
            self.save_checkpoint(checkpoint)
        reason = rule.reason(m, taken)
        if reason == "diverged":
            raise FloatingPointError(
                f"Deep Ritz diverged: the network output is non-finite at step {self.steps_done} (lr={self.lr:g}); "
                "the history so far is kept in .history. Lower lr or use float64.")
        if reason == "maxiter":
            reason = None  # the loop decides when the step budget is spent
        if reason is None and callback is not None and callback(self, rec):
            reason = "callback"
        return rec, reason

    # -- checkpoints ------------------------------------------------------------------------------------
    def save_checkpoint(self, path) -> Path:
        """Write weights, optimiser state, step count, timing, RNG state and history (atomic)."""
        hist = json.dumps({"meta": _to_json(self.history.meta),
                           "records": [[r.phase, int(r.step), float(r.time), _to_json(r.data)] for r in self.history]})
        state = {
            "format": _FORMAT,
            "config": json.dumps(self.config(), sort_keys=True),
            "grid": json.dumps({"shape": list(self.problem.grid.shape),
                                "bounds": [list(map(float, b)) for b in self.problem.grid.bounds]}),
            "model": {k: v.detach().cpu() for k, v in self.net.state_dict().items()},
            "optimizer": _to_cpu(self.optimizer.state_dict()),
            "steps_done": int(self.steps_done),
            "train_time": float(self.train_time),
            "last_loss": float(self.last_loss),
            "rng": self._gen.get_state(),
            "history": hist,
        }
        buf = io.BytesIO()
        torch.save(state, buf)
        return atomic_write_bytes(path, buf.getvalue())

    @staticmethod
    def _read(path) -> dict:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise
        except Exception as exc:
            raise ValueError(f"{path} is not a readable Deep Ritz checkpoint: {exc}") from exc
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ValueError(f"{path} is not a Deep Ritz checkpoint (format {_FORMAT})")
        return state

    def _load_into(self, path):
        state = self._read(path)
        theirs = json.loads(state["config"])
        mine = self.config()
        diff = {k: (theirs.get(k), v) for k, v in mine.items() if theirs.get(k) != v}
        if diff:
            items = ", ".join(f"{k}: checkpoint {a!r} vs solver {b!r}" for k, (a, b) in diff.items())
            raise ValueError(f"checkpoint {path} is from another configuration ({items})")
        grid = json.loads(state["grid"])
        g = self.problem.grid
        if tuple(grid["shape"]) != g.shape or [tuple(b) for b in grid["bounds"]] != [tuple(map(float, b)) for b in g.bounds]:
            raise ValueError(f"checkpoint {path} is for grid {grid['shape']} on {grid['bounds']}, "
                             f"the problem has {g.shape} on {g.bounds}")
        self.net.load_state_dict({k: v.to(self.device) for k, v in state["model"].items()})
        self.optimizer.load_state_dict(state["optimizer"])
        self.steps_done = int(state["steps_done"])
        self.train_time = float(state["train_time"])
        self.last_loss = float(state["last_loss"])
        self._gen.set_state(state["rng"])
        hist = json.loads(state["history"])
        self.history = History([Record(p, s, t, _from_json(d, {})) for p, s, t, d in hist["records"]],
                               _from_json(hist["meta"], {}))
        return self

    def _load_new(cls, path, problem, **overrides):
        state = cls._read(path)
        cfg = json.loads(state["config"])
        cfg.update(overrides)
        obj = cls(problem, **cfg)
        return obj._load_into(path)

    load_checkpoint = _hybridmethod(_load_new, _load_into)
    load_checkpoint.__doc__ = ("``DeepRitz.load_checkpoint(path, problem)`` builds a solver from a checkpoint; "
                               "``dr.load_checkpoint(path)`` restores one in place (same configuration, else ValueError).")


def _to_cpu(obj):
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_cpu(v) for v in obj]
    return obj


def _distance(grid, pts):
    """φ = Π_d (x_d − a_d)(b_d − x_d) / (L_d/2)² and its gradient (dim, N)."""
    dim = grid.dim
    facs, dfacs = [], []
    for d, (a, b) in enumerate(grid.bounds):
        s = ((b - a) / 2.0) ** 2
        x = pts[:, d]
        facs.append((x - a) * (b - x) / s)
        dfacs.append((a + b - 2 * x) / s)
    phi = np.prod(facs, axis=0)
    dphi = np.empty((dim, pts.shape[0]))
    for d in range(dim):
        others = np.prod([facs[e] for e in range(dim) if e != d], axis=0) if dim > 1 else 1.0
        dphi[d] = dfacs[d] * others
    return phi, dphi


def _extension(problem, pts):
    """g̃ extending the boundary values inside, and its gradient: 0 for zero data, linear in 1-D."""
    grid = problem.grid
    g = problem.boundary_values
    if not np.any(g[grid.boundary_mask()]):
        return np.zeros(pts.shape[0]), np.zeros((grid.dim, pts.shape[0]))
    if grid.dim != 1:
        raise ValueError("hard_bc=True supports non-zero boundary values only in 1-D (linear extension); "
                         f"problem {problem.name!r} is {grid.dim}-D with non-zero boundary values: use hard_bc=False "
                         "(the β boundary penalty) or pose the problem for u − g̃ with your own extension")
    (a, b), = grid.bounds
    gl, gr = float(g[0]), float(g[-1])
    x = pts[:, 0]
    slope = (gr - gl) / (b - a)
    return gl + slope * (x - a), np.full((1, pts.shape[0]), slope)


def deep_ritz(problem, *, widths=None, activation="tanh", init_std=None, lr=5e-4, loss="ritz", beta=10.0,
              steps=3000, dtype="float32", device=None, seed=0, batch_size=None, hard_bc=False,
              target_error=None, reference=None, monitor=None, observe_every=100, progress=None,
              checkpoint=None, resume=False) -> SolveResult:
    """Solve ``-Δu = f`` with Deep Ritz (``hs.solve(prob, "deep_ritz", ...)``); options as :class:`DeepRitz`.

    ``steps``: total Adam steps (a resumed run continues up to it). ``target_error`` stops early on
    ``‖u − u_ref‖∞`` (checked every ``observe_every`` steps). ``checkpoint``: a path saved at every
    observation; with ``resume=True`` an existing checkpoint there is loaded first. Converged only if
    ``target_error`` was met; a NaN/Inf loss raises FloatingPointError.

    >>> import hybridsolve as hs
    >>> res = hs.solve(hs.problems.paper_1d(n=32), "deep_ritz", widths=(1, 16, 1), init_std=0.3, lr=1e-2,
    ...                steps=30, observe_every=10)
    >>> res.iterations, res.converged, res.reason, len(res.history)
    (30, False, 'maxiter', 4)
    """
    dr = DeepRitz(problem, widths=widths, activation=activation, init_std=init_std, lr=lr, loss=loss, beta=beta,
                  dtype=dtype, device=device, seed=seed, batch_size=batch_size, hard_bc=hard_bc)
    steps = require_int("steps", steps, minimum=0)
    if checkpoint is not None and resume and Path(checkpoint).exists():
        dr.load_checkpoint(checkpoint)
    return dr.run(max(steps - dr.steps_done, 0), monitor=monitor, observe_every=observe_every,
                  target_error=target_error, reference=reference, progress=progress, checkpoint=checkpoint)
