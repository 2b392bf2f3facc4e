"""Case kinds for the classifier probes: Figures 2 (``probe_projection``), 3 (``probe_filtering``)
and 5 (``probe_generalisation``) of Xu et al. (2020).

Fashion-MNIST is the default dataset (MNIST has the same format; CIFAR-10 runs when its files are
present — a listed dataset that is not installed is skipped and named in the summary, except the
first one, which must be there). Each run trains the paper's network on a seeded subset and records
the probe values every ``record_every`` epochs into ``history_<dataset>.json``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

import numpy as np

from ..cases import RunContext, param, register_kind
from ..history import History, Record
from ..schema import ParamError

__all__ = ["ProjectionParams", "FilteringParams", "GeneralisationParams"]

_DATASETS = ("fashion-mnist", "mnist", "cifar-10")
_MODELS = ("auto", "fc_tanh", "cnn_fig2", "cnn_fig3", "vgg16")   # "auto" and hybridsolve.probes.models.MODELS (tested)
_OUTPUT = dict(ge=0, le=9, why="the datasets have 10 classes")


def _check_data_dir(p) -> None:
    if p.data_dir and not Path(p.data_dir).expanduser().is_dir():
        raise ParamError("data_dir", p.data_dir, "an existing directory with the dataset files, or \"\" for the "
                         "default locations", message=f"key 'data_dir' = {p.data_dir!r}: no such directory; give the "
                         "directory of the dataset files, or \"\" for the default locations")


@dataclass
class ProjectionParams:
    datasets: list[str] = param(factory=lambda: ["fashion-mnist", "mnist", "cifar-10"], min_len=1, unique=True,
                                each=dict(choices=_DATASETS))
    data_dir: str = ""
    n_train: int = param(10000, ge=1)
    n_test: int = param(2000, ge=0)
    model: str = param("auto", choices=_MODELS)   # auto: fc_tanh for (Fashion-)MNIST, cnn_fig2 for CIFAR-10
    loss: str = param("ce", choices=("ce", "mse"))
    lr: float = param(1e-3, gt=0)
    lr_cifar: float = param(3e-3, gt=0)
    batch_size: int = param(1000, ge=1)
    epochs: int = param(60, ge=1)
    record_every: int = param(1, ge=1)
    output: int = param(0, **_OUTPUT)
    n_freqs: int = param(200, ge=2)
    max_peaks: int = param(5, ge=1)
    peaks: list[float] | str = param("auto", choices=("auto",), min_len=1, each=dict(gt=0))
    seed: int = param(0, ge=0)

    def validate(self):
        _check_data_dir(self)


@dataclass
class FilteringParams:
    datasets: list[str] = param(factory=lambda: ["fashion-mnist", "mnist", "cifar-10"], min_len=1, unique=True,
                                each=dict(choices=_DATASETS))
    data_dir: str = ""
    n_train: int = param(10000, ge=1)
    n_test: int = param(2000, ge=0)
    model: str = param("auto", choices=_MODELS)   # auto: fc_tanh + MSE for (Fashion-)MNIST, cnn_fig3 + CE for CIFAR-10
    loss: str = param("mse", choices=("ce", "mse"))
    lr: float = param(1e-3, gt=0)
    lr_cifar: float = param(3e-3, gt=0)
    batch_size: int = param(1000, ge=1)
    epochs: int = param(60, ge=1)
    record_every: int = param(1, ge=1)
    deltas: list[float] = param(factory=lambda: [2.0, 3.0, 5.0, 7.0, 10.0], min_len=1, each=dict(gt=0))
    seed: int = param(0, ge=0)

    def validate(self):
        _check_data_dir(self)


@dataclass
class GeneralisationParams:
    dataset: str = param("fashion-mnist", choices=_DATASETS)
    data_dir: str = ""
    n_train: int = param(10000, ge=1)
    n_test: int = param(10000, ge=1)
    lr: float = param(1e-3, gt=0)
    batch_size: int = param(1000, ge=1)
    epochs: int = param(60, ge=1)
    output: int = param(0, **_OUTPUT)
    n_freqs: int = param(200, ge=2)
    parity_dim: int = param(10, ge=1, le=20, why="all 2^parity_dim points of {-1, 1}^d are enumerated")
    parity_train: int = param(200, ge=1)
    parity_widths: list[int] = param(factory=lambda: [500, 100], min_len=1, each=dict(ge=1))
    parity_lr: float = param(5e-4, gt=0)
    parity_std: float = param(0.05, gt=0)
    parity_steps: int = param(4000, ge=1)
    seed: int = param(0, ge=0)

    def validate(self):
        _check_data_dir(self)
        if self.parity_train > 2 ** self.parity_dim:
            raise ParamError("parity_train", self.parity_train,
                             f"an integer in [1, 2^parity_dim = {2 ** self.parity_dim}] (training points are drawn "
                             "from the 2^parity_dim points of {-1, 1}^d)")


def _load(name: str, p, n_train, n_test, ctx: RunContext, required: bool):
    from ..probes import data

    try:
        return data.load(name, p.data_dir or None, n_train=n_train, n_test=n_test, seed=p.seed)
    except data.DatasetNotFound as exc:
        if required:
            raise
        ctx.log(f"skipping {name}: {str(exc).splitlines()[0]}")
        return None


def _model_for(ds, p, default_cnn: str):
    from ..probes import models

    name = p.model
    if name == "auto":
        name = default_cnn if ds.name == "cifar-10" else "fc_tanh"
    return name, models.build(name, input_shape=ds.input_shape, n_classes=ds.n_classes, seed=p.seed)


def _datasets(p, ctx, skipped: list):
    """``(name, dataset, X flat, Y one-hot)`` for each of ``p.datasets`` that loads (the first must);
    the names that do not load go to ``skipped``."""
    from ..probes import one_hot

    for i, name in enumerate(p.datasets):
        ds = _load(name, p, p.n_train, p.n_test, ctx, required=i == 0)
        if ds is None:
            skipped.append(name)
            continue
        yield name, ds, ds.flat(), one_hot(ds.y_train, ds.n_classes)


def _train_saved(net, ds, probe, p, ctx, name, *, loss, lr, meta) -> History:
    """Train ``net`` with ``probe`` recording, saving the history as it goes and at the end; the trainer's
    checkpoint (weights, optimiser, epoch, records; written at every record) is ``checkpoint_<name>.pt``, from
    which ``ctx.resume`` continues (bit-identically on CPU)."""
    from ..probes.train import train

    hist = History()
    ckpt = ctx.path(f"checkpoint_{name}.pt")
    if ctx.resume and ckpt.exists():
        ctx.log(f"{name}: resuming from {ckpt.name}")
    try:
        train(net, ds, loss=loss, lr=lr, epochs=p.epochs, batch_size=p.batch_size, probes=[probe],
              record_every=p.record_every, seed=p.seed, progress=ctx.progress, meta=meta, history=hist,
              callback=_Saver(ctx, hist, f"history_{name}"), checkpoint=ckpt, resume=ctx.resume)
    except KeyboardInterrupt:
        ctx.save_history(hist, f"history_{name}")
        ctx.note(records=len(hist), interrupted_in=name, checkpoint_step=_checkpoint_epoch(ckpt))
        raise
    ctx.save_history(hist, f"history_{name}")
    return hist


def _checkpoint_epoch(path) -> int | None:
    """The epoch of the trainer's checkpoint at ``path`` (None if there is none)."""
    import torch

    try:
        return int(torch.load(path, map_location="cpu", weights_only=True)["epoch"])
    except (OSError, KeyError, RuntimeError, ValueError):
        return None


class _Saver:
    """Observer: saves the history as it grows (at most every 5 s), so an interrupted run keeps its records."""

    def __init__(self, ctx, history: History, name: str):
        self.ctx, self.history, self.name, self.t = ctx, history, name, 0.0

    def observe(self, u, *, phase, step, time):
        if perf_counter() - self.t > 5.0:
            self.ctx.save_history(self.history, self.name)
            self.t = perf_counter()


@register_kind("probe_projection", ProjectionParams, resume=True)
def run_projection(p: ProjectionParams, ctx: RunContext) -> dict:
    """Fig. 2: train the paper's classifier; Δ_F(k) along the first principal component per epoch."""
    from ..plots.probes import plot_projection
    from ..probes import ProjectionProbe

    out, skipped = {}, []
    for name, ds, X, Y in _datasets(p, ctx, skipped):
        pp = ProjectionProbe(X, Y, output=p.output, direction="pc1", peaks=p.peaks, n_freqs=p.n_freqs,
                             max_peaks=p.max_peaks)
        model_name, net = _model_for(ds, p, "cnn_fig2")
        lr = p.lr_cifar if name == "cifar-10" else p.lr
        meta = {"figure": "2", "model": model_name, "freqs": pp.freqs, "amplitude": pp.amplitude,
                "peaks": pp.peaks, "output": p.output, "direction": "pc1"}
        ctx.log(f"{name}: {len(X)} train / {len(ds.x_test)} test, {model_name}, peaks {np.round(pp.peaks, 4)}")
        hist = _train_saved(net, ds, pp, p, ctx, name, loss=p.loss, lr=lr, meta=meta)
        ctx.save_figure(plot_projection(hist, title=f"Figure 2 ({name}, {model_name})"), f"fig2_{name}")
        last = hist.last
        first_below = {f"{k:.4g}": _first_below(hist, "delta_F", k, 0.1) for k in hist.keys("delta_F")}
        out[name] = {"train_acc": last["train_acc"], "test_acc": last.get("test_acc"),
                     "final_delta_F": {f"{k:.4g}": v for k, v in last["delta_F"].items()},
                     "first_epoch_delta_F_below_0.1": first_below}
    return {"results": out, "skipped": skipped}


def _first_below(hist: History, key, sub, level):
    s = hist.series(key, sub)
    hit = np.flatnonzero(s < level)
    return int(hist.steps()[hit[0]]) if len(hit) else None


@register_kind("probe_filtering", FilteringParams, resume=True)
def run_filtering(p: FilteringParams, ctx: RunContext) -> dict:
    """Fig. 3: e_low and e_high per δ against epochs (exact filtering over the training subset)."""
    from ..plots.probes import plot_filtering
    from ..probes import FilteringProbe

    out, skipped = {}, []
    for name, ds, X, Y in _datasets(p, ctx, skipped):
        t0 = time.perf_counter()
        fp = FilteringProbe(X, Y, deltas=p.deltas, progress=ctx.progress)
        ctx.log(f"{name}: filtering probe ({fp.method}) built in {time.perf_counter() - t0:.1f} s")
        model_name, net = _model_for(ds, p, "cnn_fig3")
        loss = p.loss if name != "cifar-10" else "ce"
        lr = p.lr_cifar if name == "cifar-10" else p.lr
        meta = {"figure": "3", "model": model_name, "deltas": p.deltas, "probe_method": fp.method}
        hist = _train_saved(net, ds, fp, p, ctx, name, loss=loss, lr=lr, meta=meta)
        ctx.save_figure(plot_filtering(hist, title=f"Figure 3 ({name}, {model_name}, {loss})"), f"fig3_{name}")
        trained = [r for r in hist if r.step > 0]
        ordered = {d: all(r["e_low"][d] < r["e_high"][d] for r in trained) for d in p.deltas}
        out[name] = {"train_acc": hist.last["train_acc"], "test_acc": hist.last.get("test_acc"),
                     "e_low_below_e_high_every_trained_epoch": {str(d): v for d, v in ordered.items()},
                     "final_e_low": {str(d): v for d, v in hist.last["e_low"].items()},
                     "final_e_high": {str(d): v for d, v in hist.last["e_high"].items()}}
    return {"results": out, "skipped": skipped}


def _parity_run(p: GeneralisationParams, ctx: RunContext) -> History:
    """Fig. 5(c): parity on {−1, 1}^d, a tanh DNN trained on ``parity_train`` random points."""
    import torch

    from ..probes import ProjectionProbe
    from ..probes.models import fc_tanh

    d = p.parity_dim
    grid = ((np.arange(2 ** d)[:, None] >> np.arange(d)) & 1).astype(float) * 2 - 1  # all of {−1, 1}^d
    y = grid.prod(axis=1)
    rng = np.random.default_rng(p.seed)
    train_idx = np.sort(rng.choice(len(grid), size=p.parity_train, replace=False))
    direction = np.ones(d) / np.sqrt(d)
    freqs = np.linspace(0.0, np.sqrt(d) / 2, 200)  # k along 1_d/√d; |f̂| peaks at k_j = 1/4, i.e. k = √d/4
    p_all = ProjectionProbe(grid, y, direction=direction, freqs=freqs, peaks=[np.sqrt(d) / 4])
    p_train = ProjectionProbe(grid[train_idx], y[train_idx], direction=direction, freqs=freqs,
                              peaks=[np.sqrt(d) / 4])
    torch.manual_seed(p.seed)
    net = fc_tanh([d, *p.parity_widths, 1], input_shape=(d,), init_std=p.parity_std)
    opt = torch.optim.Adam(net.parameters(), lr=p.parity_lr)
    xt = torch.as_tensor(grid[train_idx], dtype=torch.float32)
    yt = torch.as_tensor(y[train_idx], dtype=torch.float32)[:, None]
    t0 = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a 200-point full batch: thread hand-offs cost more than they save
    try:
        for step in range(p.parity_steps):
            opt.zero_grad()
            loss = torch.mean((net(xt) - yt) ** 2)
            loss.backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    elapsed = time.perf_counter() - t0
    with torch.no_grad():
        h_all = net(torch.as_tensor(grid, dtype=torch.float32)).double().numpy()[:, 0]
    test = np.setdiff1d(np.arange(len(grid)), train_idx)
    acc = lambda idx: float((np.sign(h_all[idx]) == y[idx]).mean())  # noqa: E731
    rec = Record("spectrum", p.parity_steps, elapsed, {
        "freqs": freqs, "amp_train": np.abs(p_train.y_hat), "amp_all": np.abs(p_all.y_hat),
        "amp_dnn": np.abs(p_all.spectrum(h_all)), "train_loss": float(loss.item()),
        "train_acc": acc(train_idx), "test_acc": acc(test)})
    return History([rec], meta={"figure": "5c", "dataset": f"parity d={d}", "n_train": p.parity_train})


@register_kind("probe_generalisation", GeneralisationParams, resume=True)
def run_generalisation(p: GeneralisationParams, ctx: RunContext) -> dict:
    """Fig. 5: spectra of train data, all data and the trained DNN — image data against parity."""
    from ..plots.probes import plot_generalisation
    from ..probes import ProjectionProbe, one_hot, principal_direction
    from ..probes.train import predict, train

    ds = _load(p.dataset, p, p.n_train, p.n_test, ctx, required=True)
    X_all = np.concatenate([ds.flat("train"), ds.flat("test")])
    y_all = np.concatenate([ds.y_train, ds.y_test])
    Y_all = one_hot(y_all, ds.n_classes)
    direction = principal_direction(X_all)
    pa = ProjectionProbe(X_all, Y_all, output=p.output, direction=direction, n_freqs=p.n_freqs)
    pt = ProjectionProbe(ds.flat(), one_hot(ds.y_train, ds.n_classes), output=p.output, direction=direction,
                         freqs=pa.freqs)
    from ..probes import models

    net = models.build("fc_tanh" if p.dataset != "cifar-10" else "cnn_fig2", input_shape=ds.input_shape,
                       n_classes=ds.n_classes, seed=p.seed)
    ckpt = ctx.path(f"checkpoint_{p.dataset}.pt")
    hist = History()
    try:
        train(net, ds, loss="ce", lr=p.lr, epochs=p.epochs, batch_size=p.batch_size, seed=p.seed,
              record_every=max(1, p.epochs // 10), progress=ctx.progress, meta={"figure": "5a"}, history=hist,
              checkpoint=ckpt, resume=ctx.resume)
    except KeyboardInterrupt:
        ctx.save_history(hist, f"history_{p.dataset}")
        ctx.note(records=len(hist), interrupted_in=p.dataset, checkpoint_step=_checkpoint_epoch(ckpt))
        raise
    logits = predict(net, np.concatenate([ds.x_train, ds.x_test]))
    H = np.exp(logits - logits.max(1, keepdims=True))
    H /= H.sum(1, keepdims=True)
    amp_dnn = np.abs(pa.spectrum(H))
    hist.append(Record("spectrum", p.epochs, hist.last.time, {
        "freqs": pa.freqs, "amp_train": np.abs(pt.y_hat), "amp_all": pa.amplitude, "amp_dnn": amp_dnn,
        "train_acc": hist.last["train_acc"], "test_acc": hist.last.get("test_acc", np.nan)}))
    hist.meta["dataset"] = p.dataset
    ctx.save_history(hist, f"history_{p.dataset}")
    par = _parity_run(p, ctx)
    ctx.save_history(par, "history_parity")
    ctx.save_figure(plot_generalisation({f"(a) {p.dataset}": hist, f"(c) parity, d={p.parity_dim}": par},
                                        title="Figure 5: Fourier analysis of generalisation"), "fig5")

    def rel_dev(rec):  # ‖|ĥ| − |ŷ_all|‖ / ‖ŷ_all‖ over the frequency grid
        return float(np.linalg.norm(rec["amp_dnn"] - rec["amp_all"]) / np.linalg.norm(rec["amp_all"]))

    img, par_rec = hist.phase("spectrum").last, par.last
    return {"image": {"train_acc": img["train_acc"], "test_acc": img["test_acc"],
                      "dnn_vs_all_rel_dev": rel_dev(img)},
            "parity": {"train_acc": par_rec["train_acc"], "test_acc": par_rec["test_acc"],
                       "train_loss": par_rec["train_loss"], "dnn_vs_all_rel_dev": rel_dev(par_rec)}}
