"""Deep Ritz checkpoints: weights, Adam state, step count, training time, minibatch RNG state, history.

:func:`save` writes one atomically (temporary file, then rename); :func:`load_into` restores one into a
solver of the same configuration and grid (else ValueError), :func:`load_new` builds the solver from it.
Files are read with ``torch.load(..., weights_only=True)``: plain tensors and containers, no pickled code.
:class:`Checkpointer` is the observer that saves one at every ``every``-th observation of a run.

>>> import tempfile, pathlib, hybridsolve as hs
>>> from hybridsolve.solvers.deep_ritz import DeepRitz
>>> dr = DeepRitz(hs.problems.paper_1d(n=16), widths=(1, 8, 1), init_std=0.3, lr=1e-2)
>>> res = dr.run(10, observe_every=5)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "ck.pt"
>>> _ = save(dr, path)
>>> again = load_new(DeepRitz, path, dr.problem)
>>> again.steps_done, len(again.history), again.history.last["loss"] == dr.history.last["loss"]
(10, 3, True)
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import torch

from ...history import History, Record, atomic_write_bytes, from_json, to_json

__all__ = ["FORMAT", "save", "read", "load_into", "load_new", "Checkpointer"]

FORMAT = "hybridsolve.deep_ritz/1"


def _to_cpu(obj):
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_cpu(v) for v in obj]
    return obj


def _grid_doc(grid) -> dict:
    return {"shape": list(grid.shape), "bounds": [list(map(float, b)) for b in grid.bounds]}


def save(dr, path) -> Path:
    """Write ``dr``'s state to ``path`` atomically; returns the path."""
    hist = json.dumps({"meta": to_json(dr.history.meta),
                       "records": [[r.phase, int(r.step), float(r.time), to_json(r.data)] for r in dr.history]})
    state = {
        "format": FORMAT,
        "config": json.dumps(dr.config(), sort_keys=True),
        "grid": json.dumps(_grid_doc(dr.problem.grid)),
        "model": {k: v.detach().cpu() for k, v in dr.net.state_dict().items()},
        "optimizer": _to_cpu(dr.optimizer.state_dict()),
        "steps_done": int(dr.steps_done),
        "train_time": float(dr.train_time),
        "last_loss": float(dr.last_loss),
        "rng": dr.generator.get_state(),
        "history": hist,
    }
    buf = io.BytesIO()
    torch.save(state, buf)
    return atomic_write_bytes(path, buf.getvalue())


def read(path) -> dict:
    """The checkpoint's state dict (``weights_only`` load); ValueError ``"<path> is not a Deep Ritz checkpoint
    (format …) (<why>)"`` for a foreign, truncated or corrupt file.

    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "ck.pt"; _ = bad.write_bytes(b"not a checkpoint")
    >>> read(bad)
    Traceback (most recent call last):
    ...
    ValueError: ...ck.pt is not a Deep Ritz checkpoint (format hybridsolve.deep_ritz/1) (not a torch file: unreadable data)
    """
    from ..._util import safe_torch_load

    what = f"a Deep Ritz checkpoint (format {FORMAT})"
    state = safe_torch_load(path, what)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        found = state.get("format") if isinstance(state, dict) else None
        why = f"it is a {found} file" if isinstance(found, str) else (
            f"a torch file holding a {type(state).__name__}" + (f" with keys {sorted(map(str, state))[:6]}"
                                                               if isinstance(state, dict) else ""))
        raise ValueError(f"{path} is not {what} ({why})")
    missing = [k for k in ("config", "grid", "model", "optimizer", "steps_done", "train_time", "last_loss", "rng",
                           "history") if k not in state]
    if missing:
        raise ValueError(f"{path} is not {what} (incomplete: no {', '.join(missing)})")
    return state


def load_into(dr, path):
    """Restore ``dr`` (same configuration and grid, else ValueError) from ``path``; returns ``dr``."""
    state = read(path)
    theirs = json.loads(state["config"])
    mine = dr.config()
    diff = {k: (theirs.get(k), v) for k, v in mine.items() if theirs.get(k) != v}
    if diff:
        items = ", ".join(f"{k}: checkpoint {a!r} vs solver {b!r}" for k, (a, b) in diff.items())
        raise ValueError(f"checkpoint {path} is from another configuration ({items})")
    grid = json.loads(state["grid"])
    g = dr.problem.grid
    theirs_bounds = [tuple(b) for b in grid["bounds"]]
    if tuple(grid["shape"]) != g.shape or theirs_bounds != [tuple(map(float, b)) for b in g.bounds]:
        raise ValueError(f"checkpoint {path} is for grid {grid['shape']} on {grid['bounds']}, "
                         f"the problem has {g.shape} on {g.bounds}")
    dr.net.load_state_dict({k: v.to(dr.device) for k, v in state["model"].items()})
    dr.optimizer.load_state_dict(state["optimizer"])
    dr.steps_done = int(state["steps_done"])
    dr.train_time = float(state["train_time"])
    dr.last_loss = float(state["last_loss"])
    dr.generator.set_state(state["rng"])
    hist = json.loads(state["history"])
    dr.history = History([Record(p, s, t, from_json(d)) for p, s, t, d in hist["records"]], from_json(hist["meta"]))
    return dr


def load_new(cls, path, problem, **overrides):
    """A new ``cls`` solver (:class:`~hybridsolve.solvers.deep_ritz.DeepRitz`) for ``problem``, built from the
    checkpoint's configuration (``overrides`` replace entries, e.g. ``device``) and restored from it."""
    cfg = json.loads(read(path)["config"])
    cfg.update(overrides)
    return load_into(cls(problem, **cfg), path)


class Checkpointer:
    """An observer of a run (``observe(u, *, phase, step, time)``) that saves ``dr``'s checkpoint to ``path``
    at every ``every``-th observation; override :meth:`save` to write more alongside it.

    >>> import tempfile, pathlib, hybridsolve as hs
    >>> from hybridsolve.solvers.deep_ritz import DeepRitz
    >>> dr = DeepRitz(hs.problems.paper_1d(n=16), widths=(1, 8, 1), init_std=0.3, lr=1e-2)
    >>> ck = Checkpointer(dr, pathlib.Path(tempfile.mkdtemp()) / "ck.pt", every=2)
    >>> res = dr.run(20, observe_every=5, callback=ck)      # observations at 0, 5, 10, 15, 20
    >>> ck.saves, read(ck.path)["steps_done"]
    (2, 15)
    """

    def __init__(self, dr, path, *, every: int = 1):
        from ..._util import require_int

        self.dr, self.path = dr, Path(path)
        self.every = require_int("every", every, minimum=1)
        self.count = 0
        self.saves = 0

    def save(self) -> None:
        save(self.dr, self.path)
        self.saves += 1

    def observe(self, u, *, phase, step, time):
        self.count += 1
        if self.count % self.every == 0:
            self.save()
        return False
