"""What the case kinds share: the allowed values of common parameters (checked when a case is loaded,
without importing torch or compiling a kernel), and the pieces that let a training run be interrupted
and resumed bit-identically (:class:`TrainingSnapshot`, :class:`DeepRitzSaver`).

>>> problem_dim("multiscale_2d"), problem_dim("paper_1d")
(2, 1)
>>> check_widths("widths", [2, 8, 1], 1)
Traceback (most recent call last):
...
hybridsolve.schema.ParamError: key 'widths' = [2, 8, 1]: must be a list of layer sizes that starts with the problem's dimension 1 and ends in 1 (the network maps x to u(x))
"""
from __future__ import annotations

import copy
import functools
import math
import os

from ..schema import ParamError

__all__ = ["ACTIVATIONS", "DTYPES", "DNN_LOSSES", "OMEGA", "problem_names", "problem_dim", "check_problem",
           "check_widths", "check_grid_memory", "TrainingSnapshot", "DeepRitzSaver"]

ACTIVATIONS = ("tanh", "relu", "sin")          # = hybridsolve.nn.ACTIVATIONS (tested), without importing torch
DTYPES = ("float32", "float64")                # = the keys of hybridsolve.nn's dtype table
DNN_LOSSES = ("ritz", "discrete_ritz", "fit")  # = hybridsolve.solvers.deep_ritz.LOSSES
OMEGA = dict(gt=0.0, lt=2.0, why="weighted Jacobi and SOR diverge for ω ≤ 0 or ω ≥ 2")


def problem_names() -> tuple:
    from .. import problems

    return tuple(problems.names())


@functools.lru_cache(maxsize=None)
def problem_dim(name: str) -> int:
    """The dimension of gallery problem ``name`` (built once on a tiny grid)."""
    from .. import problems

    return problems.get(name, n=2).grid.dim


def check_problem(key: str, name: str, allowed=None) -> int:
    """ParamError unless ``name`` is a gallery problem (one of ``allowed`` when given); returns its dimension."""
    allowed = problem_names() if allowed is None else tuple(allowed)
    if name not in allowed:
        raise ParamError(key, name, "one of " + ", ".join(map(repr, allowed)),
                         message=f"key {key!r}: unknown problem {name!r}; valid: {', '.join(allowed)}")
    return problem_dim(name)


def check_widths(key: str, widths, dim: int) -> None:
    """Layer widths of a network on a ``dim``-dimensional problem: input ``dim``, output 1, all >= 1."""
    if widths is None:
        return
    if len(widths) < 2 or min(widths) < 1 or widths[0] != dim or widths[-1] != 1:
        raise ParamError(key, widths, f"a list of layer sizes that starts with the problem's dimension {dim} and "
                                      "ends in 1 (the network maps x to u(x))" if len(widths) >= 2 and min(widths) >= 1
                         else "a list of at least 2 layer sizes, each an integer >= 1")


def _memory_bytes() -> float:
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover
        return math.inf


def check_grid_memory(key: str, n: int, dim: int, arrays: int = 16) -> None:
    """ParamError when ``(n+1)^dim`` grid points times ``arrays`` float64 arrays (a solver's working set)
    exceed this machine's memory: refused at load time instead of failing (or swapping) minutes later.

    >>> check_grid_memory("n", 256, 2)   # 66 049 points: fine
    >>> check_grid_memory("n", 10**6, 2)
    Traceback (most recent call last):
    ...
    hybridsolve.schema.ParamError: key 'n' = 1000000: must be an integer <= ... on this machine: n = 1000000 in 2-D gives 1e+12 grid points, ...
    """
    points = float(n + 1) ** dim
    need = points * 8.0 * arrays
    have = _memory_bytes()
    if need > have:
        n_max = int((have / (8.0 * arrays)) ** (1.0 / dim)) - 1
        raise ParamError(key, n, f"an integer <= {n_max} on this machine: n = {n} in {dim}-D gives {points:.3g} "
                                 f"grid points, ~{need / 2**30:.3g} GiB for the solvers' arrays, and this machine "
                                 f"has {have / 2**30:.3g} GiB")


# -- interrupt and resume of training ----------------------------------------------------------------------
class TrainingSnapshot:
    """The state of a torch network and its optimiser at one observed step, in memory: what a checkpoint
    written after an interrupt holds, since the interrupt may land in the middle of an update.

    ``take(net, optimizer, **extra)`` copies the weights, the optimiser state and the ``extra`` numbers
    (step count, clock, RNG state, history lengths); ``restore(net, optimizer)`` puts weights and
    optimiser state back and returns ``extra``.

    >>> import torch
    >>> net = torch.nn.Linear(2, 1); opt = torch.optim.Adam(net.parameters(), lr=0.1)
    >>> snap = TrainingSnapshot(); snap.take(net, opt, step=0)
    >>> w0 = net.weight.detach().clone()
    >>> net(torch.ones(1, 2)).sum().backward(); opt.step()
    >>> snap.restore(net, opt)["step"], bool(torch.equal(net.weight, w0))
    (0, True)
    """

    def __init__(self):
        self.state = None

    @property
    def taken(self) -> bool:
        return self.state is not None

    def take(self, net, optimizer, **extra) -> None:
        model = {k: v.detach().clone() for k, v in net.state_dict().items()}
        opt = copy.deepcopy(optimizer.state_dict())
        self.state = (model, opt, dict(extra))   # one assignment: an interrupt keeps the old or the new one

    def restore(self, net, optimizer) -> dict:
        model, opt, extra = self.state
        net.load_state_dict(model)
        optimizer.load_state_dict(copy.deepcopy(opt))
        return dict(extra)


class DeepRitzSaver:
    """Observer of a :class:`~hybridsolve.solvers.deep_ritz.DeepRitz` run in a case: at every observation an
    in-memory :class:`TrainingSnapshot` (and the lengths of ``histories``, e.g. a monitor's), and every
    ``every``-th observation the checkpoint at ``path`` and the histories saved through ``ctx``.

    After an interrupt, :meth:`save_interrupted` saves every record so far, puts the model back to its
    last observation and writes the checkpoint there (with the histories cut to that step under
    ``checkpoint_<name>``), so that ``--resume`` continues exactly where the records end.
    """

    def __init__(self, dr, path, ctx, *, every: int = 1, histories: dict | None = None,
                 history_name: str | None = None):
        self.dr, self.path, self.ctx = dr, path, ctx
        self.history_name = history_name         # also save dr.history itself under this name
        self.every = max(1, int(every))
        self.histories = dict(histories or {})   # name -> History saved with ctx.save_history(h, name)
        self.count = 0
        self.snap = TrainingSnapshot()

    def _take(self) -> None:
        dr = self.dr
        self.snap.take(dr.net, dr.optimizer, steps_done=dr.steps_done, train_time=dr.train_time,
                       last_loss=dr.last_loss, rng=dr.generator.get_state().clone(), records=len(dr.history),
                       lengths={k: len(h) for k, h in self.histories.items()})

    def observe(self, u, *, phase, step, time):
        self._take()
        self.count += 1
        if self.count % self.every == 0:
            self.save()
        return False

    def save(self) -> None:
        """The checkpoint and the histories as they are now (at an observation)."""
        self.dr.save_checkpoint(self.path)
        for name, h in self.histories.items():
            h.save(self.ctx.path(f"checkpoint_{name}"))
            self.ctx.save_history(h, name)
        if self.history_name:
            self.ctx.save_history(self.dr.history, self.history_name)
        self.ctx.fix_modes()

    def save_interrupted(self) -> int | None:
        """After an interrupt: all records saved, then the checkpoint at the last observation; returns its step
        (None when nothing was observed yet)."""
        from ..history import History

        for name, h in self.histories.items():
            self.ctx.save_history(h, name)
        if self.history_name:
            self.ctx.save_history(self.dr.history, self.history_name)
        if not self.snap.taken:
            return None
        dr = self.dr
        extra = self.snap.restore(dr.net, dr.optimizer)
        dr.steps_done, dr.train_time, dr.last_loss = extra["steps_done"], extra["train_time"], extra["last_loss"]
        dr.generator.set_state(extra["rng"])
        full = dr.history
        dr.history = History(full.records[:extra["records"]], full.meta)
        try:
            dr.save_checkpoint(self.path)
        finally:
            dr.history = full
        for name, h in self.histories.items():
            History(h.records[:extra["lengths"][name]], h.meta).save(self.ctx.path(f"checkpoint_{name}"))
        self.ctx.fix_modes()
        return int(extra["steps_done"])

    def resume(self) -> bool:
        """When the case resumes and a checkpoint exists: the model and the histories as checkpointed."""
        from ..history import History

        if not (self.ctx.resume and self.path.exists()):
            return False
        self.dr.load_checkpoint(self.path)
        for name, h in self.histories.items():
            p = self.ctx.path(f"checkpoint_{name}.json")
            if p.exists():
                saved = History.load(p)
                h.records[:] = saved.records
        return True
