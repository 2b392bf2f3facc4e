"""Switch policies for the DNN → classical hybrid, and the spectral cost model behind the adaptive one.

The cost model (DESIGN.md): the error of an iterate against the discrete solution ``u*`` is known
without any reference from its residual, ``e = −A⁻¹ r``, so in the DST basis ``ê_k = −r̂_k / μ_k``.
A classical sweep multiplies mode ``k`` by ``ρ_k`` (Jacobi: ``λ_k = 1 − ω μ_k / a``), hence after
``N`` sweeps ``‖e_N‖∞ ≤ S(N) = Σ_k |ρ_k|^N |ê_k| ‖v_k‖∞`` — an upper bound. The predicted number of
sweeps to the target ``τ`` is the smallest ``N`` with ``S(N) ≤ τ − ε_disc``; the predicted total time
of switching at DNN step ``m`` is ``T(m) = T_dnn(m) + N(u_m) · t_sweep``.

Policies:

* :class:`Fixed` ``(M)`` — hand over after exactly ``M`` DNN steps (``M = 0``: the classical solver
  alone from ``problem.initial_guess()``).
* :class:`Sweep` ``(Ms)`` — the oracle of Figure 4(d): one training run, a snapshot at each ``M``,
  the classical phase run from each snapshot to the target; the best ``M`` is the fastest total.
* :class:`Adaptive` — decides online, without a reference solution, from the cost model: it keeps
  the snapshot with the smallest predicted remaining cost and switches once the prediction has
  stopped falling for ``patience`` × (the classical work predicted at the best) seconds of DNN time.

>>> import numpy as np, hybridsolve as hs
>>> p = hs.problems.sine(1, 64, 1)
>>> cm = CostModel(p, classical="jacobi", target_error=1e-3, disc_error=0.0, t_sweep=1e-6)
>>> n_pred = cm.predict_sweeps(p.initial_guess())
>>> lam = np.cos(np.pi / 64)
>>> n_pred == int(np.ceil(np.log(1e-3) / np.log(lam)))   # one mode of amplitude 1: N = log τ / log λ₁
True
>>> Fixed(200).steps, Sweep([0, 100, 300]).Ms
(200, [0, 100, 300])
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ._util import require_int, require_positive, require_range
from .spectral import (dst_solve, exact_jacobi_sweeps, jacobi_error_curve, mode_sup_norms, predict_sweeps,
                       sweep_factors)
from .spectral import error_spectrum as error_coefficients

__all__ = ["CostModel", "Decision", "SwitchPolicy", "Fixed", "Sweep", "Adaptive", "make_policy",
           "error_coefficients", "mode_sup_norms", "sweep_factors", "predict_sweeps",
           "richardson_disc_error", "CLASSICAL", "jacobi_error_curve", "exact_jacobi_sweeps"]

CLASSICAL = ("jacobi", "gauss_seidel", "multigrid")

# The spectral pieces (ê, ‖v_k‖∞, ρ_k, the predicted sweep count, exact Jacobi trajectories) live in
# hybridsolve.spectral; this module imports them from there (and re-exports their names).


def richardson_disc_error(problem) -> float:
    """Estimate ``ε_disc = ‖u* − u_ref‖∞`` without the exact solution: ``‖u*_h − u*_{2h}‖∞ / 3`` on the
    shared points (second-order scheme). Needs every ``n`` even and a problem that can be
    re-discretised (callable or scalar source/boundary); raises ValueError otherwise.

    >>> import hybridsolve as hs
    >>> p = hs.problems.paper_1d(n=200)
    >>> est, true = richardson_disc_error(p), p.discretisation_error()
    >>> 0.5 < est / true < 2
    True
    """
    if any(nd % 2 for nd in problem.grid.n):
        raise ValueError(f"Richardson estimate of ε_disc needs even n per axis; got n={problem.grid.n}")
    coarse = problem.with_n(tuple(nd // 2 for nd in problem.grid.n))
    fine = problem.discrete_solution()
    uc = dst_solve(coarse)
    sl = tuple(slice(None, None, 2) for _ in problem.grid.n)
    return float(np.max(np.abs(fine[sl] - uc)) / 3.0)


# -- the cost model -------------------------------------------------------------------------------
class CostModel:
    """Predicted classical cost of finishing from an iterate, without a reference solution.

    Parameters (keyword-only): ``classical`` ("jacobi", "gauss_seidel", "multigrid"), ``omega``
    (Jacobi weight), ``target_error`` τ, ``disc_error`` (ε_disc: a number, ``"richardson"`` for the
    estimate of :func:`richardson_disc_error`, or ``"exact"`` to use the analytic solution — which
    is a reference, so the adaptive policy defaults to ``"richardson"``), ``t_sweep`` (seconds per
    sweep or cycle, measured by the caller), ``mg_factor`` (multigrid contraction per cycle,
    measured by the caller).

    For multigrid the model is one contraction factor for all modes:
    ``N = ⌈log(tol / S(0)) / log ρ_mg⌉``.
    """

    def __init__(self, problem, *, classical="jacobi", omega=1.0, target_error, disc_error="richardson",
                 t_sweep=None, mg_factor=None):
        if classical not in CLASSICAL:
            raise ValueError(f"unknown classical solver {classical!r}; valid: {', '.join(CLASSICAL)}")
        self.problem = problem
        self.classical = classical
        self.omega = float(omega)
        self.target_error = require_positive("target_error", target_error)
        self.disc_error_source = disc_error if isinstance(disc_error, str) else "given"
        if isinstance(disc_error, str):
            if disc_error == "richardson":
                try:
                    eps = richardson_disc_error(problem)
                except ValueError:
                    eps = 0.0
                    self.disc_error_source = "none (Richardson estimate impossible on this problem)"
            elif disc_error == "exact":
                eps = problem.discretisation_error() if problem.u_exact is not None else 0.0
            else:
                raise ValueError(f"disc_error={disc_error!r}; valid: a number >= 0, 'richardson', 'exact'")
        else:
            eps = require_positive("disc_error", disc_error, allow_zero=True)
        self.disc_error = float(eps)
        self.tol = self.target_error - self.disc_error
        if self.tol <= 0:
            raise ValueError(
                f"target_error={self.target_error:.3g} is unreachable: the discretisation error "
                f"ε_disc ≈ {self.disc_error:.3g} ({self.disc_error_source}) already exceeds it; "
                "raise target_error or refine n")
        self.t_sweep = None if t_sweep is None else require_positive("t_sweep", t_sweep)
        self.mg_factor = 0.15 if mg_factor is None else require_range("mg_factor", mg_factor, 0.0, 1.0)
        self._sup = mode_sup_norms(problem.grid)
        self._factors = None if classical == "multigrid" else sweep_factors(problem.grid, classical, self.omega)
        self.last_bound = math.nan

    def weights(self, u) -> np.ndarray:
        """``|ê_k| ‖v_k‖∞`` of the iterate ``u`` (full grid)."""
        return np.abs(error_coefficients(self.problem, u)) * self._sup

    def error_bound(self, u) -> float:
        """``S(0) = Σ_k |ê_k| ‖v_k‖∞ ≥ ‖u − u*‖∞`` (no reference needed)."""
        return float(self.weights(u).sum())

    def predict_sweeps(self, u) -> float:
        """Predicted sweeps (or multigrid cycles) from ``u`` to ``‖u − u_ref‖∞ ≤ τ`` (an upper bound)."""
        w = self.weights(u)
        self.last_bound = float(w.sum())
        if self.classical == "multigrid":
            s0 = self.last_bound
            if not math.isfinite(s0):
                return math.inf
            if s0 <= self.tol:
                return 0
            return int(math.ceil(math.log(self.tol / s0) / math.log(self.mg_factor)))
        return predict_sweeps(w, self._factors, self.tol)

    def predict_time(self, u) -> float:
        """Predicted classical seconds from ``u``: ``N(u) · t_sweep``."""
        if self.t_sweep is None:
            raise ValueError("predict_time needs t_sweep (seconds per sweep) measured first")
        n = self.predict_sweeps(u)
        return math.inf if n == math.inf else n * self.t_sweep


# -- policies -------------------------------------------------------------------------------------
@dataclass
class Decision:
    """What a policy says at a check: ``switch`` now or not; ``u`` the iterate to hand over (None:
    the current one), ``step`` the DNN step it came from (0: the initial guess), ``reason`` in words."""

    switch: bool
    u: np.ndarray | None = None
    step: int | None = None
    reason: str = ""


class SwitchPolicy:
    """Base class. The hybrid calls :meth:`start` once, then :meth:`next_check` / :meth:`check`."""

    name = "policy"

    def start(self, *, problem, cost_model=None, u0=None, max_steps=None) -> None:
        self.problem = problem
        self.cost_model = cost_model
        self.max_steps = max_steps

    def next_check(self, step: int, t_step: float | None) -> int:
        raise NotImplementedError

    def check(self, step: int, t_dnn: float, u: np.ndarray, loss: float | None = None) -> Decision:
        raise NotImplementedError

    def describe(self) -> dict:
        return {"policy": self.name}


class Fixed(SwitchPolicy):
    """Hand over after exactly ``steps`` DNN steps (``0``: the classical solver alone).

    >>> Fixed(-1)
    Traceback (most recent call last):
    ...
    ValueError: Fixed(steps) must be >= 0; got -1
    """

    name = "fixed"

    def __init__(self, steps: int):
        try:
            self.steps = require_int("Fixed(steps)", steps, minimum=0)
        except ValueError as e:
            raise ValueError(str(e)) from None

    def next_check(self, step, t_step):
        return self.steps

    def check(self, step, t_dnn, u, loss=None):
        if step >= self.steps:
            return Decision(True, None, step, f"fixed switch point M={self.steps} reached")
        return Decision(False)

    def describe(self):
        return {"policy": "fixed", "M": self.steps}

    def __repr__(self):
        return f"Fixed({self.steps})"


class Sweep(SwitchPolicy):
    """The Figure 4(d) oracle: snapshots at every ``M`` in ``Ms`` of ONE training run; the hybrid
    runs the classical phase from each to the target and reports every curve and the best ``M``.
    Needs a reference (it measures the real error), so it is an experiment, not a method.

    >>> Sweep([300, 0, 100]).Ms
    [0, 100, 300]
    >>> Sweep([])
    Traceback (most recent call last):
    ...
    ValueError: Sweep(Ms) needs at least one switch point M >= 0; got []
    """

    name = "sweep"

    def __init__(self, Ms):
        try:
            Ms = sorted({require_int("Sweep(Ms) entry", m, minimum=0) for m in Ms})
        except TypeError:
            raise ValueError(f"Sweep(Ms) needs a list of whole numbers >= 0; got {Ms!r}") from None
        if not Ms:
            raise ValueError("Sweep(Ms) needs at least one switch point M >= 0; got []")
        self.Ms = Ms

    def next_check(self, step, t_step):
        for m in self.Ms:
            if m > step:
                return m
        return self.Ms[-1]

    def check(self, step, t_dnn, u, loss=None):
        done = step >= self.Ms[-1]
        return Decision(done, None, step, f"sweep: snapshot at M={step}" + (" (last)" if done else ""))

    def describe(self):
        return {"policy": "sweep", "Ms": list(self.Ms)}

    def __repr__(self):
        return f"Sweep({self.Ms})"


class Adaptive(SwitchPolicy):
    """Online switch point from the spectral cost model — no reference solution.

    At step 0 it prices the classical solver alone (``T(0) = N(u₀) t_sweep`` from the initial
    guess); at each check it prices switching now, ``T(m) = T_dnn(m) + N(u_m) t_sweep``. It keeps
    the snapshot with the smallest predicted remaining cost ``N(u) t_sweep`` (time already spent is
    sunk) and the smallest predicted total. It switches when

    * ``N(u_m) = 0``: the DNN alone has reached the target (predicted);
    * the DNN time since the best predicted total exceeds ``patience`` × the classical work predicted
      there (the prediction stopped falling; more training can at best save that classical work,
      so the policy spends at most ``patience`` of it on trying, which also bounds the waste by
      ``patience`` of the best total — the loss fluctuates, so a single bad check does not stop
      training). "Best" here is the best total that
      held over ``confirm`` checks in a row (their median): one lucky check early in training,
      followed by a hump while the network is still learning its lowest modes, would otherwise
      start the clock and stop the training before the real minimum;
    * ``max_steps`` is reached.

    It hands over the snapshot with the smallest predicted remaining cost — possibly the initial
    guess (``M = 0``: the DNN did not pay). Past the best switch point it spends at most about
    ``patience + overhead`` of the best total (waiting, and its own checks) — the price of deciding
    online; the defaults (0.05 each) keep that below 10 %.

    Parameters: ``patience`` in (0, 10] (default 0.05), ``check_every`` (steps between checks, or
    ``"auto"``: keep the checks' cost — the prediction and the network's evaluation on the grid — below
    ``overhead`` of training time, and at least one check per patience window), ``overhead`` in (0, 1)
    (default 0.05), ``confirm`` (checks a best total must hold, default 3), ``min_steps`` (never switch
    to a DNN snapshot before; default 0), ``disc_error`` for the cost model.

    >>> Adaptive(patience=0)
    Traceback (most recent call last):
    ...
    ValueError: Adaptive(patience)=0 is outside (0.0, 10.0]...
    """

    name = "adaptive"

    def __init__(self, *, patience: float = 0.05, check_every="auto", overhead: float = 0.05, min_steps: int = 0,
                 confirm: int = 3, disc_error="richardson"):
        try:
            v = float(patience)
        except (TypeError, ValueError):
            raise ValueError(f"Adaptive(patience) must be a number; got {patience!r}") from None
        if not (math.isfinite(v) and 0 < v <= 10):
            raise ValueError(f"Adaptive(patience)={patience!r} is outside (0.0, 10.0]: it is the DNN time "
                             "allowed without a better prediction, as a fraction of the best predicted total")
        self.patience = v
        if check_every != "auto":
            check_every = require_int("Adaptive(check_every)", check_every, minimum=1)
        self.check_every = check_every
        self.overhead = require_range("Adaptive(overhead)", overhead, 0.0, 1.0)
        self.min_steps = require_int("Adaptive(min_steps)", min_steps, minimum=0)
        self.confirm = require_int("Adaptive(confirm)", confirm, minimum=1)
        self.disc_error = disc_error
        self.trace: list[dict] = []

    def start(self, *, problem, cost_model=None, u0=None, max_steps=None):
        super().start(problem=problem, cost_model=cost_model, u0=u0, max_steps=max_steps)
        if cost_model is None or cost_model.t_sweep is None:
            raise ValueError("Adaptive needs a CostModel with a measured t_sweep")
        self.trace = []
        self.check_time = 0.0  # seconds spent in the policy's own checks (part of the DNN phase cost)
        u0 = problem.initial_guess() if u0 is None else u0
        t0 = time.perf_counter()
        n0 = cost_model.predict_sweeps(u0)
        self.check_time += time.perf_counter() - t0
        r0 = n0 * cost_model.t_sweep
        self.best_total = (r0, 0, 0.0)            # (predicted total, step, t_dnn)
        self.best_held = (r0, 0, 0.0)             # the same for totals held over ``confirm`` checks
        self.best_rem = (r0, 0, u0.copy(), n0)    # (predicted remaining, step, iterate, N)
        self.trace.append({"step": 0, "t_dnn": 0.0, "sweeps": n0, "remaining": r0, "total": r0,
                           "bound": cost_model.last_bound})
        self._last_check_cost = None

    @property
    def preflight_budget(self) -> float:
        """Seconds one DNN step may cost before the pre-flight calls the DNN hopeless: ``patience`` × the
        predicted cost of the classical solver alone."""
        return self.patience * self.best_total[0]

    def preflight(self, step_cost: float, points: int | None = None) -> Decision | None:
        """Before any training: if even one DNN step (``step_cost``, a lower bound in seconds — the
        hybrid measures a forward pass on the ``points`` a step uses) costs more than the patience
        budget on the classical-alone prediction, the DNN cannot pay within the budget — switch at
        once (``M = 0``) without paying for a step."""
        r0 = self.best_total[0]
        if step_cost > self.preflight_budget:
            n0 = self.best_rem[3]
            return Decision(True, self.best_rem[2], 0,
                            f"adaptive (pre-flight): one DNN step costs at least {step_cost:.3g} s (a measured forward "
                            f"pass of the network on {points or '?'} points, no more than a step uses) > patience {self.patience:g} × {r0:.3g} s, the predicted cost "
                            f"of the classical solver alone ({n0} sweeps × {self.cost_model.t_sweep:.3g} s); "
                            "the DNN cannot pay: M=0")
        return None

    def next_check(self, step, t_step):
        if self.check_every != "auto":
            return step + self.check_every
        if not t_step or self._last_check_cost is None:
            return step + 1
        k_over = self._last_check_cost / (self.overhead * t_step)
        held, _, held_t = self.best_held
        window = self.patience * (held - held_t) / t_step if math.isfinite(held) else k_over
        return step + max(1, int(min(k_over, max(window, 1.0))))

    def check(self, step, t_dnn, u, loss=None):
        cm = self.cost_model
        t0 = time.perf_counter()
        n = cm.predict_sweeps(u)
        cost = time.perf_counter() - t0
        # what the next check will cost: this prediction plus the network's evaluation on the grid
        # that the hybrid timed for it (charged to the DNN phase there, not to check_time)
        self._last_check_cost = cost + getattr(self, "last_eval_cost", 0.0)
        self.check_time += cost
        rem = n * cm.t_sweep
        total = t_dnn + rem
        self.trace.append({"step": step, "t_dnn": t_dnn, "sweeps": n, "remaining": rem, "total": total,
                           "bound": cm.last_bound})
        if step >= self.min_steps and rem < self.best_rem[0]:
            self.best_rem = (rem, step, u.copy(), n)
        if total < self.best_total[0]:
            self.best_total = (total, step, t_dnn)
        # the stopping clock runs from the best total that held over ``confirm`` checks (their median):
        # an isolated lucky check early in training, followed by a hump, must not start it
        # (the clock starts when that median check was taken, not when later checks confirmed it)
        recent = sorted(self.trace[-self.confirm:], key=lambda r: r["total"])
        if len(recent) == self.confirm:
            mid = recent[len(recent) // 2]
            if mid["total"] < self.best_held[0]:
                self.best_held = (mid["total"], mid["step"], mid["t_dnn"])
        best_total, best_step, best_t = self.best_held
        hand_rem, hand_step, hand_u, hand_n = self.best_rem
        what = ("the classical solver alone from the initial guess (M=0)" if hand_step == 0
                else f"the DNN output at step {hand_step}")
        if n == 0 and step >= self.min_steps:
            return Decision(True, None, step,
                            f"adaptive: the DNN output at step {step} already meets the target by the cost model "
                            f"(error bound {cm.last_bound:.3g} ≤ τ − ε_disc = {cm.tol:.3g}): DNN alone")
        waited = t_dnn - best_t
        if waited > self.patience * (best_total - best_t):
            return Decision(True, hand_u, hand_step,
                            f"adaptive: predicted total stopped falling — best {best_total:.3g} s (held over "
                            f"{self.confirm} checks) at step {best_step}, and {waited:.3g} s of DNN time since then "
                            f"> patience {self.patience:g} × {best_total - best_t:.3g} s (the classical work it "
                            "predicted then: all that more training could still save); "
                            f"handing over {what}: predicted {hand_n} sweeps × {cm.t_sweep:.3g} s = {hand_rem:.3g} s")
        if self.max_steps is not None and step >= self.max_steps:
            return Decision(True, hand_u, hand_step,
                            f"adaptive: max_dnn_steps={self.max_steps} reached; handing over {what}: predicted "
                            f"{hand_n} sweeps × {cm.t_sweep:.3g} s = {hand_rem:.3g} s")
        return Decision(False)

    def describe(self):
        return {"policy": "adaptive", "patience": self.patience, "check_every": self.check_every,
                "overhead": self.overhead, "min_steps": self.min_steps, "confirm": self.confirm,
                "disc_error": self.disc_error}

    def __repr__(self):
        return f"Adaptive(patience={self.patience}, check_every={self.check_every!r})"


def make_policy(switch) -> SwitchPolicy:
    """``"adaptive"`` → Adaptive(); an int M → Fixed(M); ``"fixed:M"``; a list → Sweep; a policy object as is.

    >>> make_policy("adaptive").name, make_policy(50), make_policy([0, 10])
    ('adaptive', Fixed(50), Sweep([0, 10]))
    """
    if isinstance(switch, SwitchPolicy):
        return switch
    if isinstance(switch, str):
        if switch == "adaptive":
            return Adaptive()
        if switch.startswith("fixed:"):
            return Fixed(int(switch.split(":", 1)[1]))
        if switch.startswith("sweep:"):
            return Sweep([int(s) for s in switch.split(":", 1)[1].split(",")])
        raise ValueError(f"unknown switch {switch!r}; valid: 'adaptive', 'fixed:M', 'sweep:M1,M2,...', an int M, "
                         "a list of Ms, or a Fixed/Sweep/Adaptive object")
    if isinstance(switch, (int, np.integer)) and not isinstance(switch, bool):
        return Fixed(int(switch))
    if isinstance(switch, (list, tuple)):
        return Sweep(switch)
    raise ValueError(f"switch={switch!r} is not a policy; valid: 'adaptive', an int M, a list of Ms, a policy object")
