"""The classifier zoo of Xu et al. (2020), Figures 2, 3 and 5, written in plain torch (no torchvision).

* :func:`fc_tanh` — fully connected tanh network, default widths 784-400-200-10 (Figs. 2a, 3 "DNN");
  ``widths=[10, 500, 100, 1]`` with ``init_std=0.05`` is the parity network of Fig. 5(c).
* :func:`small_cnn` — ReLU CNN: conv 3×3×c1, max-pool 2×2, conv 3×3×c2, max-pool 2×2, then a
  fully connected ReLU head. ``small_cnn("fig2")`` = 64/128 channels, head 800-400-400-400-10;
  ``small_cnn("fig3")`` = 32/64 channels, head 400-10. The first head width is the layer after the
  flattened features (the paper's captions give the widths without the flatten size).
* :func:`vgg16` — VGG16 (13 conv layers with batch norm, 5 max-pools) with one 1024-unit FC layer.
* :func:`build` — by name (``"fc_tanh"``, ``"cnn_fig2"``, ``"cnn_fig3"``, ``"vgg16"``).

The networks output logits; the training harness applies softmax for cross entropy, and the probes
see the softmax probabilities (MSE runs see the raw outputs), as in the paper.

>>> net = fc_tanh(input_shape=(1, 28, 28))
>>> [m.out_features for m in net.modules() if hasattr(m, "out_features")]
[400, 200, 10]
"""
from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["fc_tanh", "small_cnn", "vgg16", "build", "MODELS"]


def _init_normal(net: nn.Module, std: float) -> nn.Module:
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.normal_(m.bias, 0.0, std)
    return net


def fc_tanh(widths=None, *, input_shape=(1, 28, 28), n_classes: int = 10, init_std: float | None = None) -> nn.Sequential:
    """Fully connected tanh network; ``widths`` includes input and output (default [d, 400, 200, n_classes]).

    ``init_std`` draws all weights and biases from N(0, std²) (the paper's Fig. 5(c) uses 0.05);
    ``None`` keeps torch's default initialisation.
    """
    d = int(math.prod(input_shape))
    widths = list(widths) if widths is not None else [d, 400, 200, n_classes]
    if widths[0] != d:
        raise ValueError(f"widths[0]={widths[0]} must equal the input size {d} of input_shape={tuple(input_shape)}")
    if len(widths) < 2 or any(int(w) < 1 for w in widths):
        raise ValueError(f"widths must list at least input and output sizes, all >= 1; got {widths}")
    layers: list[nn.Module] = [nn.Flatten()]
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(int(a), int(b)))
        if i < len(widths) - 2:
            layers.append(nn.Tanh())
    net = nn.Sequential(*layers)
    return _init_normal(net, init_std) if init_std is not None else net


_CNN = {"fig2": ((64, 128), (800, 400, 400, 400)), "fig3": ((32, 64), (400,))}


def small_cnn(variant: str = "fig3", *, input_shape=(3, 32, 32), n_classes: int = 10, channels=None,
              hidden=None) -> nn.Sequential:
    """The small ReLU CNN of Fig. 2 (``"fig2"``) or Fig. 3 (``"fig3"``); ``channels``/``hidden`` override."""
    if variant not in _CNN:
        raise ValueError(f"variant={variant!r}; valid: {', '.join(_CNN)}")
    ch, hid = _CNN[variant]
    ch = tuple(channels or ch)
    hid = tuple(hidden or hid)
    c, h, w = input_shape
    feats = nn.Sequential(
        nn.Conv2d(c, ch[0], 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(ch[0], ch[1], 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
    flat = ch[1] * (h // 4) * (w // 4)
    layers: list[nn.Module] = []
    prev = flat
    for width in hid:
        layers += [nn.Linear(prev, width), nn.ReLU()]
        prev = width
    layers.append(nn.Linear(prev, n_classes))
    return nn.Sequential(feats, *layers)


_VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg16(*, input_shape=(3, 32, 32), n_classes: int = 10, fc: int = 1024, batch_norm: bool = True,
          width: float = 1.0) -> nn.Sequential:
    """VGG16 (configuration D) for small images, with one ``fc``-unit fully connected layer.

    ``width`` scales the channel counts (1.0 = the real VGG16; smaller for quick CPU runs).
    Pooling stops once the feature map is 1×1, so 28×28 inputs work too.
    """
    c, h, w = input_shape
    layers: list[nn.Module] = []
    for v in _VGG16:
        if v == "M":
            if min(h, w) >= 2:
                layers.append(nn.MaxPool2d(2))
                h, w = h // 2, w // 2
            continue
        out = max(1, int(round(v * width)))
        layers.append(nn.Conv2d(c, out, 3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(out))
        layers.append(nn.ReLU())
        c = out
    layers.append(nn.Flatten())
    return nn.Sequential(*layers, nn.Linear(c * h * w, fc), nn.ReLU(), nn.Linear(fc, n_classes))


MODELS = {"fc_tanh": fc_tanh, "cnn_fig2": lambda **kw: small_cnn("fig2", **kw),
          "cnn_fig3": lambda **kw: small_cnn("fig3", **kw), "vgg16": vgg16}


def build(name: str, *, input_shape, n_classes: int = 10, seed: int | None = None, **options) -> nn.Module:
    """A model of the zoo by name, seeded with ``seed`` (torch.manual_seed) when given.

    >>> build("cnn_fig3", input_shape=(1, 28, 28), seed=0)(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; valid models: {', '.join(MODELS)}")
    if seed is not None:
        torch.manual_seed(int(seed))
    return MODELS[name](input_shape=tuple(input_shape), n_classes=n_classes, **options)
