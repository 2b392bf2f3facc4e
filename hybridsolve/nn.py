"""Fully connected networks for the Deep Ritz solver and the F-Principle fits (PyTorch).

:class:`MLP` is a plain multilayer perceptron with Gaussian initialisation of weights *and* biases
(the paper's N(0, std²)). Besides the usual autograd :meth:`MLP.forward` it has a hand-written
training kernel, :meth:`MLP.value_and_grad`, that

* keeps every activation in one contiguous feature-major buffer with a row of ones appended, so
  each layer is a single ``torch.mm`` (the bias is the last column of the layer's weight matrix)
  and the weight *and* bias gradients come out of one more ``mm``;
* propagates input derivatives ``∂h/∂x_d`` forward (tangents ride in the same buffer, as extra
  columns with a 0 in the ones row, so one ``mm`` per layer serves values and derivatives);
* back-propagates by hand with preallocated buffers.

This is what makes one Adam step of the paper's 1-4000-500-400-1 network run near the machine's
matmul rate (see ``docs/deep_ritz.md``); it is tested against autograd in ``tests/unit/test_nn.py``.

>>> import torch
>>> net = MLP((1, 8, 1), activation="tanh", init_std=0.1, seed=0)
>>> x = torch.linspace(-1, 1, 5, dtype=torch.float32)[:, None]
>>> net(x).shape
torch.Size([5])
"""
from __future__ import annotations

import math
import time
from contextlib import contextmanager

import numpy as np
import torch

__all__ = ["ACTIVATIONS", "MLP", "adam", "resolve_device", "resolve_dtype", "check_widths", "forward_flops", "training_bytes",
           "forward_seconds", "threads_for", "cpu_threads"]

ACTIVATIONS = ("tanh", "relu", "sin")
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_dtype(dtype) -> torch.dtype:
    """``"float32"``/``"float64"`` (or the torch dtypes) → torch dtype; anything else is a ValueError."""
    if isinstance(dtype, torch.dtype) and dtype in _DTYPES.values():
        return dtype
    try:
        return _DTYPES[dtype]
    except (KeyError, TypeError):
        raise ValueError(f"dtype={dtype!r} is not supported; valid: {', '.join(_DTYPES)}") from None


def resolve_device(device=None) -> torch.device:
    """``None`` / ``"auto"`` → CUDA when available, else CPU; otherwise ``torch.device(device)``, checked
    to be usable here (a CUDA device without CUDA, or past the device count, is a ValueError).

    >>> resolve_device("cpu")
    device(type='cpu')
    >>> resolve_device("gpu")
    Traceback (most recent call last):
    ...
    ValueError: device='gpu' is not a torch device; valid: None or 'auto' (CUDA when available, else CPU), 'cpu', 'cuda', 'cuda:<index>', or a torch.device
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    valid = "valid: None or 'auto' (CUDA when available, else CPU), 'cpu', 'cuda', 'cuda:<index>', or a torch.device"
    if isinstance(device, bool) or not isinstance(device, (str, int, torch.device)):
        raise ValueError(f"device={device!r} is not a torch device; {valid}")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"device={device!r} is not a torch device; {valid}") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            why = "this torch is built without CUDA" if torch.version.cuda is None else "no CUDA device is visible"
            raise ValueError(f"device={device!r} asks for CUDA, but {why} (torch.cuda.is_available() is False); "
                             "use device='cpu', or None for CUDA when available")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise ValueError(f"device={device!r}: this machine has {count} CUDA device(s), cuda:0 … cuda:{count - 1}")
    elif dev.type == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise ValueError(f"device={device!r} asks for Apple's MPS, which this torch or machine does not have; "
                             "use device='cpu', or None for CUDA when available")
    elif dev.type != "cpu":
        try:
            torch.empty(0, device=dev)
        except Exception as exc:  # noqa: BLE001 - any backend's refusal
            raise ValueError(f"device={device!r} is not usable here ({str(exc).splitlines()[0]}); use device='cpu', "
                             "or None for CUDA when available") from None
    return dev


_SMALL_WORK = 5e7  # forward FLOPs per step below which one thread beats the thread pool's sync cost


@contextmanager
def cpu_threads(n):
    """Temporarily ``torch.set_num_threads(n)`` (no-op for ``n=None``)."""
    old = torch.get_num_threads()
    if n is None or n == old:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def threads_for(widths, points: int, device) -> int | None:
    """1 for small CPU work (thread start-up and synchronisation would dominate), else None (leave as is)."""
    if torch.device(device).type != "cpu":
        return None
    return 1 if forward_flops(widths, points) < _SMALL_WORK else None


def check_widths(widths, dim: int | None = None) -> tuple:
    """Validate layer widths: positive integers, at least input and output, input ``dim``, output 1."""
    try:
        w = tuple(int(v) for v in widths)
    except (TypeError, ValueError):
        raise ValueError(f"widths must be a sequence of layer sizes; got {widths!r}") from None
    if any(int(v) != v for v in widths):
        raise ValueError(f"widths must be whole numbers; got {widths!r}")
    if len(w) < 2 or min(w) < 1:
        raise ValueError(f"widths must have >= 2 positive entries (input ... output); got {widths!r}")
    if dim is not None and w[0] != dim:
        raise ValueError(f"widths={list(w)} must start with the problem's dimension {dim} (the network input is x)")
    if w[-1] != 1:
        raise ValueError(f"widths={list(w)} must end in 1: the network outputs the scalar u(x)")
    return w


# -- activations: in-place forward on the value block, tangent and backward rules -------------------
class _Act:
    """An activation's forward/tangent/backward on a layer buffer (all in place)."""

    name = ""

    def forward(self, z, zt, store):  # z: (w, N) values; zt: (w, k*N) tangents or None
        raise NotImplementedError

    def backward(self, gv, gt, store, a, at):
        """Overwrite gv/gt with dL/dz, dL/dz' (or return a tensor holding dL/dz, without tangents)."""
        raise NotImplementedError


class _Tanh(_Act):
    name = "tanh"

    def forward(self, z, zt, store):
        z.tanh_()
        if zt is not None:
            d = store["d"]
            torch.mul(z, z, out=d)
            d.neg_().add_(1.0)  # σ' = 1 − a²
            _mul_blocks(zt, d)

    def backward(self, gv, gt, store, a, at):
        if gt is None:
            # dL/dz = g (1 − a²) in one fused pass into the spare buffer, which becomes the new gradient
            t = store["t"]
            torch.ops.aten.tanh_backward.grad_input(gv, a, grad_input=t)
            return t
        d = store["d"]
        # σ'' z' = −2 a σ' z' = −2 a a'  ⇒  dL/dz = σ' g − 2 a Σ_k a'_k g'_k
        s = store["t"]
        _sum_blocks_mul(at, gt, out=s)
        s.mul_(a)
        gv.mul_(d).add_(s, alpha=-2.0)
        _mul_blocks(gt, d)


class _Sin(_Act):
    name = "sin"

    def forward(self, z, zt, store):
        d = store["d"]
        torch.cos(z, out=d)  # σ' = cos z
        z.sin_()
        if zt is not None:
            store["zt"].copy_(zt)  # pre-activation tangents, for σ'' z' = −sin(z) z'
            _mul_blocks(zt, d)

    def backward(self, gv, gt, store, a, at):
        d = store["d"]
        if gt is None:
            gv.mul_(d)
            return
        s = store["t"]
        _sum_blocks_mul(store["zt"], gt, out=s)
        s.mul_(a)
        gv.mul_(d).sub_(s)
        _mul_blocks(gt, d)


class _Relu(_Act):
    name = "relu"

    def forward(self, z, zt, store):
        d = store["d"]
        torch.gt(z, 0, out=store["mask"])
        d.copy_(store["mask"])
        z.clamp_(min=0)
        if zt is not None:
            _mul_blocks(zt, d)

    def backward(self, gv, gt, store, a, at):
        d = store["d"]
        gv.mul_(d)  # σ'' = 0
        if gt is not None:
            _mul_blocks(gt, d)


_ACTS = {"tanh": _Tanh(), "relu": _Relu(), "sin": _Sin()}


def _blocks(t, n):
    return [t[:, i * n:(i + 1) * n] for i in range(t.shape[1] // n)]


def _mul_blocks(t, d):
    n = d.shape[1]
    for b in _blocks(t, n):
        b.mul_(d)


def _sum_blocks_mul(x, y, out):
    n = out.shape[1]
    xs, ys = _blocks(x, n), _blocks(y, n)
    torch.mul(xs[0], ys[0], out=out)
    for xb, yb in zip(xs[1:], ys[1:]):
        out.addcmul_(xb, yb)


def _activation(name: str) -> _Act:
    try:
        return _ACTS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown activation {name!r}; valid: {', '.join(ACTIVATIONS)}") from None


def forward_seconds(widths, activation: str, points: int, *, dtype="float32", device=None,
                    budget: float = math.inf) -> tuple[float, int]:
    """Seconds of one forward pass of a ``widths`` network over ``points`` points, timed on zero weights
    (no random initialisation to pay for; dense kernels do not run faster on zeros).

    Doubles the number of points from 64 and stops as soon as a pass exceeds ``budget``: a pass over
    fewer points is never slower, so the answer is a lower bound on the full pass either way, and
    deciding "over budget" costs at most about twice the budget. Returns ``(seconds, points timed)``.

    >>> secs, pts = forward_seconds([1, 16, 1], "tanh", 100)
    >>> secs > 0, pts
    (True, 100)
    """
    widths = check_widths(widths, int(widths[0]))
    points = int(points)
    kw = dict(dtype=resolve_dtype(dtype), device=resolve_device(device))
    mats = [torch.zeros(b, a + 1, **kw) for a, b in zip(widths[:-1], widths[1:])]
    act = torch_activation(activation)
    k = min(64, points)
    while True:
        x = torch.zeros(k, widths[0], **kw)
        with torch.no_grad(), cpu_threads(threads_for(widths, k, kw["device"])):
            t0 = time.perf_counter()
            a = x
            for l, w in enumerate(mats):
                a = torch.addmm(w[:, -1], a, w[:, :-1].t())
                if l < len(mats) - 1:
                    a = act(a)
            float(a[0, 0])   # wait for the device
            secs = time.perf_counter() - t0
        if secs > budget or k >= points:
            return secs, k
        k = min(2 * k, points)


def torch_activation(name: str):
    """The activation as a torch function (autograd path)."""
    _activation(name)
    return {"tanh": torch.tanh, "relu": torch.relu, "sin": torch.sin}[name]


class MLP(torch.nn.Module):
    """``x ↦ h(x)``: layers ``widths[0] → … → widths[-1]``, activation between layers, linear output.

    Parameters are one matrix per layer, ``W_aug = [W | b]`` of shape ``(out, in + 1)``, all entries
    drawn from ``N(0, init_std²)`` with a generator seeded by ``seed`` (the global RNG is untouched).

    >>> net = MLP((2, 16, 16, 1), activation="sin", init_std=0.5, seed=1, dtype="float64")
    >>> import torch
    >>> net(torch.zeros(3, 2, dtype=torch.float64)).dtype
    torch.float64
    """

    def __init__(self, widths, *, activation: str = "tanh", init_std: float = 0.02, seed: int = 0,
                 dtype="float32", device=None):
        super().__init__()
        self.widths = check_widths(widths)
        self.activation = activation
        self._act = _activation(activation)
        std = float(init_std)
        if not (math.isfinite(std) and std > 0):
            raise ValueError(f"init_std must be finite and > 0 (std of the Gaussian initialisation); got {init_std!r}")
        self.init_std = std
        self.dtype_ = resolve_dtype(dtype)
        self.device_ = resolve_device(device)
        from . import _memory

        _memory.require(training_bytes(self.widths, 1, itemsize=self.dtype_.itemsize),
                        f"an MLP with widths={list(self.widths)}: its weights, gradients and Adam state",
                        fix="use narrower layers")
        gen = torch.Generator(device="cpu").manual_seed(int(seed))
        mats = []
        for a, b in zip(self.widths[:-1], self.widths[1:]):
            w = torch.randn(b, a + 1, generator=gen, dtype=torch.float64) * std
            mats.append(torch.nn.Parameter(w.to(dtype=self.dtype_, device=self.device_)))
        self.layers = torch.nn.ParameterList(mats)
        self._work = {}

    # -- autograd path -------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``h(x)`` for points ``x`` of shape ``(N, widths[0])``; returns shape ``(N,)``."""
        act = torch_activation(self.activation)
        a = x
        last = len(self.layers) - 1
        for l, wa in enumerate(self.layers):
            a = torch.addmm(wa[:, -1], a, wa[:, :-1].t())
            if l < last:
                a = act(a)
        return a[:, 0]

    @torch.no_grad()
    def evaluate(self, points: np.ndarray, batch: int = 4096) -> np.ndarray:
        """Network output at ``points`` (``(N, dim)`` NumPy array) as float64 NumPy, in batches."""
        pts = np.asarray(points, dtype=float).reshape(-1, self.widths[0])
        out = np.empty(pts.shape[0])
        with cpu_threads(threads_for(self.widths, min(batch, pts.shape[0]), self.device_)):
            for s in range(0, pts.shape[0], batch):
                x = torch.as_tensor(pts[s:s + batch], dtype=self.dtype_, device=self.device_)
                out[s:s + batch] = self.forward(x).double().cpu().numpy()
        return out

    # -- fast training kernel -------------------------------------------------------------------
    def _workspace(self, n: int, tangents: int) -> dict:
        key = (n, tangents)
        ws = self._work.get(key)
        if ws is not None:
            return ws
        self._work.clear()  # keep one workspace (sizes change rarely: full batch or fixed minibatch)
        cols = n * (1 + tangents)
        kw = dict(dtype=self.dtype_, device=self.device_)
        acts, grads, stores = [], [], []
        for l, w in enumerate(self.widths):
            buf = torch.zeros(w + 1, cols, **kw)
            buf[w, :n] = 1.0  # ones row for the bias (values only; tangents carry 0 there)
            acts.append(buf)
            grads.append(torch.empty(w, cols, **kw) if 0 < l else None)
            st = {}
            if 0 < l < len(self.widths) - 1:
                st["d"] = torch.empty(w, n, **kw)
                st["t"] = torch.empty(w, n, **kw)
                if self.activation == "sin" and tangents:
                    st["zt"] = torch.empty(w, tangents * n, **kw)
                if self.activation == "relu":
                    st["mask"] = torch.empty(w, n, dtype=torch.bool, device=self.device_)
            stores.append(st)
        if tangents:
            for d in range(tangents):
                acts[0][d, (1 + d) * n:(2 + d) * n] = 1.0
        ws = {"acts": acts, "grads": grads, "stores": stores, "n": n, "k": tangents}
        self._work[key] = ws
        return ws

    def value_and_grad(self, x: torch.Tensor, loss_fn, *, tangents: bool = False) -> float:
        """One forward and backward pass by hand; fills ``p.grad`` of every layer and returns the loss.

        ``x``: points, shape ``(N, dim)``. ``loss_fn(h, hx)`` gets the outputs ``h`` (``(N,)``) and, with
        ``tangents=True``, ``hx`` (``(dim, N)``, the input gradient ``∂h/∂x_d``; else None) and returns
        ``(loss, dL/dh, dL/dhx)`` as tensors (``dL/dhx`` None without tangents). Agrees with autograd on
        ``loss_fn``'s loss (tested).
        """
        n, dim = x.shape
        k = dim if tangents else 0
        ws = self._workspace(n, k)
        acts, grads, stores = ws["acts"], ws["grads"], ws["stores"]
        widths = self.widths
        L = len(self.layers)
        act = self._act
        with torch.no_grad():
            acts[0][:dim, :n].copy_(x.t())
            for l, wa in enumerate(self.layers):
                w = widths[l + 1]
                out = acts[l + 1][:w]
                torch.mm(wa, acts[l], out=out)
                if l < L - 1:
                    act.forward(out[:, :n], out[:, n:] if k else None, stores[l + 1])
            h = acts[L][0, :n]
            hx = acts[L][0, n:].view(k, n) if k else None
            loss, gh, ghx = loss_fn(h, hx)
            g = grads[L]
            g[0, :n].copy_(gh)
            if k:
                g[0, n:].copy_(ghx.reshape(-1))
            for l in range(L - 1, -1, -1):
                wa = self.layers[l]
                if wa.grad is None or wa.grad.shape != wa.shape:
                    wa.grad = torch.empty_like(wa)
                torch.mm(g, acts[l].t(), out=wa.grad)
                if l > 0:
                    w = widths[l]
                    ga = grads[l]
                    torch.mm(wa[:, :w].t(), g, out=ga)
                    a = acts[l][:w]
                    r = act.backward(ga[:, :n], ga[:, n:] if k else None, stores[l], a[:, :n], a[:, n:] if k else None)
                    g = ga if r is None else r
        return loss

    def config(self) -> dict:
        return {"widths": list(self.widths), "activation": self.activation, "init_std": self.init_std,
                "dtype": str(self.dtype_).replace("torch.", "")}


def training_bytes(widths, points: int, *, tangents: int = 0, itemsize: int = 4, eval_batch: int = 4096) -> int:
    """Estimated bytes of training an :class:`MLP` of ``widths`` on ``points`` points per step: the weights,
    their gradients and Adam's two moments (4 copies of the parameters, plus the float64 draw of the
    largest layer), the :meth:`MLP.value_and_grad` workspace (values, ``tangents`` input derivatives and
    gradients of every layer, activation derivatives of the hidden ones) and the evaluation batches.

    >>> training_bytes([1, 100, 1], 1000) > 4 * (2 * 100 + 101) * 4
    True
    """
    w = [int(v) for v in widths]
    params = sum((a + 1) * b for a, b in zip(w[:-1], w[1:]))
    largest = max((a + 1) * b for a, b in zip(w[:-1], w[1:]))
    cols = int(points) * (1 + int(tangents))
    hidden = sum(w[1:-1])
    work = cols * (sum(v + 1 for v in w) + sum(w[1:])) + 3 * int(points) * hidden
    evaluation = 2 * min(int(eval_batch), int(points)) * max(w)
    return int(itemsize * (4 * params + work + evaluation) + 8 * largest)


def forward_flops(widths, points: int) -> float:
    """Forward FLOPs of an MLP: ``2 · Σ fan_in · fan_out`` per point."""
    w = check_widths(widths)
    return 2.0 * points * sum(a * b for a, b in zip(w[:-1], w[1:]))


def adam(net: MLP, lr: float):
    """Adam over ``net``'s parameters (the fused kernel where this torch has one).

    >>> opt = adam(MLP((1, 4, 1)), 1e-3)
    >>> opt.param_groups[0]["lr"]
    0.001
    """
    fused = net.device_.type in ("cpu", "cuda")
    try:
        return torch.optim.Adam(net.parameters(), lr=lr, fused=fused)
    except (RuntimeError, TypeError):  # older torch without fused CPU Adam
        return torch.optim.Adam(net.parameters(), lr=lr)
