"""Training harness: train a classifier and record loss, accuracies and probe values per epoch.

Every recorded epoch (epoch 0 = before training, then every ``record_every`` epochs and the last)
appends ``Record("epoch", step=epoch, time=training seconds, data={...})`` with ``loss`` (full
training-set loss), ``train_acc``, ``test_acc`` and, for each probe, its values: a
:class:`~hybridsolve.probes.ProjectionProbe` adds ``delta_F: {k: Δ_F(k)}``, a
:class:`~hybridsolve.probes.FilteringProbe` adds ``e_low: {δ: …}`` and ``e_high: {δ: …}``. The probes
see the network outputs h(x_i) on their inputs (the training inputs unless given): softmax
probabilities for cross entropy, raw outputs for MSE (the paper's settings). Probe time is left out
of ``time``.

>>> import numpy as np
>>> from hybridsolve.probes import data, models, FilteringProbe, one_hot
>>> rng = np.random.default_rng(0)
>>> ds = data.from_arrays(rng.random((64, 1, 4, 4)), rng.integers(0, 2, 64), rng.random((16, 1, 4, 4)),
...                       rng.integers(0, 2, 16), n_classes=2)
>>> fp = FilteringProbe(ds.flat(), one_hot(ds.y_train, 2), deltas=[0.5])
>>> net = models.fc_tanh([16, 8, 2], input_shape=(1, 4, 4))
>>> hist = train(net, ds, loss="mse", epochs=2, batch_size=32, probes=[fp], seed=0, progress=False)
>>> hist.steps().tolist(), sorted(hist[-1].data)
([0, 1, 2], ['e_high', 'e_low', 'loss', 'test_acc', 'train_acc'])
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .._util import Stopwatch
from ..history import History, Record
from .data import Dataset, check_labels, from_arrays

__all__ = ["train", "predict", "read_checkpoint", "FORMAT"]

_LOSSES = ("ce", "mse")
FORMAT = "hybridsolve.probes.train/1"
_KEYS = ("model", "optimizer", "epoch", "time")


def _check_model_output(model, data) -> None:
    """The model must take the dataset's inputs and give one output per class, checked on two samples."""
    x = data.x_train[:2] if len(data.x_train) else np.zeros((1, *data.input_shape), np.float32)
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = model(torch.as_tensor(np.ascontiguousarray(x), dtype=torch.float32))
    except Exception as exc:  # noqa: BLE001 - whatever the layers say
        first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ValueError(f"model does not accept the dataset's inputs of shape {tuple(data.input_shape)} "
                         f"({first}); build it with input_shape={tuple(data.input_shape)}") from None
    finally:
        model.train(was)
    if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[1] != data.n_classes:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"model outputs {shape} on {len(x)} samples, but the dataset has n_classes={data.n_classes}: "
                         f"the model must output ({len(x)}, {data.n_classes}), one value per class (build it with "
                         f"n_classes={data.n_classes})")


def read_checkpoint(path) -> dict:
    """A training checkpoint written by :func:`train` (``torch.load(weights_only=True)``); ValueError
    ``"<path> is not a training checkpoint of hybridsolve.probes.train (<why>)"`` for a foreign, truncated or
    corrupt file.

    >>> import tempfile, pathlib
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "ck.pt"; _ = bad.write_bytes(b"not a checkpoint")
    >>> read_checkpoint(bad)
    Traceback (most recent call last):
    ...
    ValueError: ...ck.pt is not a training checkpoint of hybridsolve.probes.train (not a torch file: unreadable data)
    """
    from .._util import safe_torch_load

    what = "a training checkpoint of hybridsolve.probes.train"
    state = safe_torch_load(path, what)
    if not isinstance(state, dict):
        raise ValueError(f"{path} is not {what} (a torch file holding a {type(state).__name__})")
    fmt = state.get("format", FORMAT)
    if fmt != FORMAT:
        raise ValueError(f"{path} is not {what} (it is a {fmt} file)")
    missing = [k for k in _KEYS if k not in state]
    if missing:
        raise ValueError(f"{path} is not {what} (no {', '.join(missing)}; found keys {sorted(map(str, state))[:6]})")
    return state


def _load_states(path, state, model, opt) -> None:
    """Load the weights and optimiser state, checking first that they are this model's (nothing is changed
    when they are not)."""
    mine = model.state_dict()
    theirs = state["model"]
    if not isinstance(theirs, dict):
        raise ValueError(f"checkpoint {path} holds no state dict of a model")
    missing = sorted(set(mine) - set(theirs))
    extra = sorted(set(theirs) - set(mine))
    shapes = [f"{k}: {tuple(theirs[k].shape)} vs {tuple(mine[k].shape)}" for k in mine
              if k in theirs and hasattr(theirs[k], "shape") and tuple(theirs[k].shape) != tuple(mine[k].shape)]
    if missing or extra or shapes:
        parts = ([f"missing {', '.join(missing[:4])}"] if missing else []) + \
                ([f"unexpected {', '.join(extra[:4])}"] if extra else []) + \
                ([f"checkpoint vs model shapes {'; '.join(shapes[:3])}"] if shapes else [])
        raise ValueError(f"checkpoint {path} was written for another model ({'; '.join(parts)}); resume with the "
                         "model that wrote it, or start afresh with resume=False")
    try:
        model.load_state_dict(theirs)
        opt.load_state_dict(state["optimizer"])
    except (RuntimeError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"checkpoint {path} does not fit this model and optimiser "
                         f"({str(exc).splitlines()[0][:200]})") from None


def predict(model: nn.Module, x, *, batch_size: int = 4096, softmax: bool = False) -> np.ndarray:
    """Network outputs on ``x`` (NumPy, any leading batch), float64, in eval mode without gradients."""
    was = model.training
    model.eval()
    outs = []
    with torch.no_grad():
        for s in range(0, len(x), batch_size):
            o = model(torch.as_tensor(np.ascontiguousarray(x[s:s + batch_size]), dtype=torch.float32))
            outs.append(torch.softmax(o, dim=1) if softmax else o)
    model.train(was)
    return torch.cat(outs).double().numpy() if outs else np.zeros((0, 0))


def _optimizer(optimizer, model, lr):
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if callable(optimizer) and not isinstance(optimizer, str):
        return optimizer(model.parameters())
    name = str(optimizer).lower()
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr)
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr)
    raise ValueError(f"optimizer={optimizer!r}; use 'adam', 'sgd', a torch optimiser or a callable(params)")


def _probe_values(probe, H) -> dict:
    v = probe(H)
    if isinstance(v, dict) and ("e_low" in v or "e_high" in v):
        return v
    if isinstance(v, dict):
        return {"delta_F": v}
    raise TypeError(f"probe {probe!r} returned {type(v).__name__}; expected a dict")


class _Epochs:
    """The trainer's stepper for :func:`~hybridsolve.iteration.iterate`: one step is one epoch of
    minibatches (the shuffle seeded by ``seed`` and the epoch number, so a resumed run is the same);
    the iterate is the network's outputs on the training inputs (what the probes look at)."""

    phase = "epoch"

    def __init__(self, model, opt, xtr, ytr, batch_loss, batch_size: int, seed: int, epoch: int, x_train):
        self.model, self.opt, self.xtr, self.ytr = model, opt, xtr, ytr
        self.batch_loss, self.batch_size, self.seed, self.epoch = batch_loss, int(batch_size), int(seed), int(epoch)
        self.x_train = x_train
        self._outputs = None

    def advance(self, count: int) -> None:
        n = len(self.xtr)
        self.model.train()
        for _ in range(count):
            self.epoch += 1
            g = torch.Generator().manual_seed(self.seed * 100003 + self.epoch)
            perm = torch.randperm(n, generator=g)
            for s in range(0, n, self.batch_size):
                idx = perm[s:s + self.batch_size]
                self.opt.zero_grad(set_to_none=True)
                self.batch_loss(self.model(self.xtr[idx]), self.ytr[idx]).backward()
                self.opt.step()
        self._outputs = None

    def iterate(self) -> np.ndarray:
        if self._outputs is None:
            self._outputs = predict(self.model, self.x_train)
        return self._outputs


class _Checkpointer:
    """Observer: weights, optimiser state and the history written after every record."""

    def __init__(self, path: Path, stepper: _Epochs, history: History):
        self.path, self.stepper, self.history = path, stepper, history

    def observe(self, u, *, phase, step, time):
        _save_checkpoint(self.path, self.stepper.model, self.stepper.opt, step, time, self.history)


def train(model: nn.Module, data, *, loss: str = "ce", optimizer="adam", lr: float = 1e-3, epochs: int = 10,
          batch_size: int = 128, probes=(), probe_inputs=None, record_every: int = 1, seed: int = 0,
          checkpoint=None, resume: bool = False, progress=None, callback=None, history: History | None = None,
          meta: dict | None = None) -> History:
    """Train ``model`` on ``data`` (a :class:`Dataset` or ``(x_train, y_train, x_test, y_test)``) → History.

    ``loss``: ``"ce"`` (softmax + cross entropy) or ``"mse"`` (raw outputs against one-hot labels).
    ``probes``: probe objects, or ``(probe, inputs)`` pairs when a probe was built on other inputs
    than ``probe_inputs`` (default: the training inputs). ``checkpoint``: a path; weights, optimiser
    state and the history are written there after every recorded epoch; with ``resume=True`` a
    run continues from it (``torch.load(weights_only=True)``). ``callback``: observers shown the
    network's outputs on the training inputs after each record (the package's one convention, see
    :func:`~hybridsolve.iteration.as_observers`; a callable returning True stops). ``history``: a
    History to record into (e.g. one an observer saves as it goes). Seeded: same seed, same history
    (up to timing). The loop is :func:`~hybridsolve.iteration.iterate` (one step = one epoch).
    """
    from .._util import require_bool, require_int, require_positive
    from ..iteration import as_observers, iterate
    from ..stopping import StepBudget

    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module (e.g. probes.models.build('fc_tanh', input_shape=...)); "
                         f"got {type(model).__name__}")
    if not (isinstance(loss, str) and loss in _LOSSES):
        raise ValueError(f"loss={loss!r}; valid losses: {', '.join(_LOSSES)}")
    if not isinstance(data, Dataset):
        if not isinstance(data, (tuple, list)) or len(data) not in (2, 4):
            raise ValueError("data must be a probes.data.Dataset or a tuple (x_train, y_train[, x_test, y_test]); "
                             f"got {type(data).__name__}" + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else ""))
        data = from_arrays(*data)
    epochs = require_int("epochs", epochs, minimum=0)
    batch_size = require_int("batch_size", batch_size, minimum=1)
    record_every = require_int("record_every", record_every, minimum=1)
    lr = require_positive("lr", lr)
    seed = require_int("seed", seed, minimum=0)
    resume = require_bool("resume", resume)
    n_classes = data.n_classes
    check_labels(data.y_train, "y_train", n_classes)
    check_labels(data.y_test, "y_test", n_classes)
    _check_model_output(model, data)
    pin = data.x_train if probe_inputs is None else np.asarray(probe_inputs)
    plist = [(p if isinstance(p, tuple) else (p, pin)) for p in probes]
    for p, x in plist:
        if not callable(p):
            raise ValueError(f"probes must hold probe objects (ProjectionProbe, FilteringProbe: called on the network "
                             f"outputs) or (probe, inputs) pairs; got {type(p).__name__}")
        n_p = getattr(p, "n", len(x))
        if len(x) != n_p:
            raise ValueError(f"probe {type(p).__name__} was built on {n_p} inputs but is given {len(x)}; pass "
                             "(probe, inputs) with the inputs it was built on")
    user_observers = as_observers(callback)
    torch.manual_seed(int(seed))
    opt = _optimizer(optimizer, model, lr)
    xtr = torch.as_tensor(data.x_train, dtype=torch.float32)
    ytr = torch.as_tensor(data.y_train, dtype=torch.long)
    n_classes = data.n_classes
    softmax_out = loss == "ce"
    crit = nn.CrossEntropyLoss() if loss == "ce" else nn.MSELoss()

    def batch_loss(out, yb):
        return crit(out, yb) if loss == "ce" else crit(out, nn.functional.one_hot(yb, n_classes).float())

    history = History() if history is None else history
    history.meta.update({"loss": loss, "lr": float(lr), "batch_size": int(batch_size), "seed": int(seed),
                         "epochs": epochs, "model": type(model).__name__, "dataset": data.name,
                         "n_train": len(data.x_train), "n_test": len(data.x_test), **(meta or {})})
    start_epoch = 0
    elapsed = 0.0
    ckpt = Path(checkpoint) if checkpoint is not None else None
    if resume and ckpt is not None and ckpt.exists():
        state = read_checkpoint(ckpt)
        _load_states(ckpt, state, model, opt)
        start_epoch = int(state["epoch"])
        elapsed = float(state["time"])
        hpath = ckpt.with_name(ckpt.name + ".history.json")
        if hpath.exists():
            saved = History.load(hpath)
            # the records are written before the weights: one past the checkpoint's epoch (an interrupt
            # between the two writes) is recorded again by the resumed run
            history.records[:] = [r for r in saved.records if r.step <= start_epoch]
            history.meta.update(saved.meta)

    def measure(logits) -> dict:
        with torch.no_grad():
            full = batch_loss(torch.as_tensor(logits).float(), ytr).item() if len(logits) else math.nan
        d = {"loss": float(full), "train_acc": float((logits.argmax(1) == data.y_train).mean())}
        if len(data.x_test):
            d["test_acc"] = float((predict(model, data.x_test).argmax(1) == data.y_test).mean())
        for p, x in plist:
            H = logits if x is data.x_train else predict(model, x)
            if softmax_out:
                H = np.exp(H - H.max(1, keepdims=True))
                H /= H.sum(1, keepdims=True)
            for k, v in _probe_values(p, H).items():
                d.setdefault(k, {}).update(v) if isinstance(v, dict) else d.__setitem__(k, v)
        return d

    stepper = _Epochs(model, opt, xtr, ytr, batch_loss, batch_size, seed, start_epoch, data.x_train)
    observers = [] if ckpt is None else [_Checkpointer(ckpt, stepper, history)]
    observers += user_observers
    remaining = max(epochs - start_epoch, 0)
    fresh = start_epoch == 0 and not len(history)
    out = iterate(stepper, StepBudget(remaining), history=history, check_every=int(record_every),
                  callback=observers, measure=measure, clock=Stopwatch(offset=elapsed), timed_checks=False,
                  start_step=start_epoch, initial_check=fresh, progress=progress, unit="epoch")
    if out.reason == "diverged":
        raise FloatingPointError(f"training diverged at epoch {stepper.epoch} (loss = {out.metrics.get('loss')}); "
                                 f"lower lr={lr}")
    return history


def _save_checkpoint(path: Path, model, opt, epoch: int, t: float, history: History) -> None:
    import io
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    history.save(path.with_name(path.name + ".history.json"))   # first: a resume drops records past the weights
    buf = io.BytesIO()
    torch.save({"format": FORMAT, "model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": int(epoch),
                "time": float(t)}, buf)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
        tmp.write(buf.getvalue())
    from .._util import file_mode

    os.chmod(tmp.name, file_mode())   # the umask's permissions, not tempfile's 0600
    os.replace(tmp.name, path)
