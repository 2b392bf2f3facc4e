# %% [markdown]
# # 5. The F-Principle in a classifier: both probes on Fashion-MNIST
#
# Xu et al. (2020), Sections 3–4: while a classifier trains, its output converges to the labels
# from low to high frequencies in *input* space. Two probes measure it on the training set:
#
# * `ProjectionProbe` — project every image x_i on the first principal component p of the inputs
#   and take the 1-D non-uniform DFT ŷ_k = (1/n) Σ_i y_i e^{−i2πk p·x_i} of the labels (one output
#   class); Δ_F(k) = |ĥ_k − ŷ_k| / |ŷ_k| at the peaks of |ŷ_k| falls first for the lowest k (Fig. 2);
# * `FilteringProbe` — split labels and outputs with a Gaussian low-pass filter of width δ over the
#   inputs; the low-frequency part's relative error e_low falls faster than e_high (Fig. 3).
#
# One full-batch training run (the paper's fully connected tanh network 784-400-200-10, softmax and
# cross entropy, Adam) records both at every epoch, on the softmax outputs; `hybridsolve.plots.probes` draws the figures from that history. The real
# IDX files are read from `/usr/share/datasets/fashion-mnist` (`apt-get install
# dataset-fashion-mnist`) or `$HYBRIDSOLVE_FASHION_MNIST_DIR`; without them the example says so and
# exits with status 77 (skipped).
#
# Run: `python examples/05_probes_fashion_mnist.py [--out DIR]` (default `examples/output/`, or
# `HYBRIDSOLVE_EXAMPLE_OUT=DIR`); `HYBRIDSOLVE_EXAMPLE_SIZE=test` runs a small, fast version.

# %%
import sys

import numpy as np

from hybridsolve import probes
from hybridsolve.plots import savefig
from hybridsolve.plots.probes import plot_filtering, plot_projection

from _settings import OUT, SIZE  # examples/_settings.py: the size and the output folder

if SIZE == "normal":
    n_train, n_test, epochs = 3000, 1000, 100
else:
    n_train, n_test, epochs = 300, 100, 3

# %% [markdown]
# ## A seeded subset of the real data

# %%
try:
    data = probes.load("fashion-mnist", n_train=n_train, n_test=n_test, seed=0)
except probes.DatasetNotFound as exc:
    print(f"SKIP (missing data): Fashion-MNIST is not installed: {str(exc).splitlines()[0]}", file=sys.stderr)
    raise SystemExit(77)
X = data.flat("train")                              # (n, 784), pixel values in [0, 1]
Y = probes.one_hot(data.y_train, data.n_classes)    # (n, 10)
print(f"{data.name}: {len(X)} training images, {len(data.x_test)} test images")

# %% [markdown]
# ## The probes, built once on the training inputs and labels

# %%
pp = probes.ProjectionProbe(X, Y, output=0, direction="pc1", peaks="auto", max_peaks=4)
fp = probes.FilteringProbe(X, Y, deltas=[3.0, 7.0, 10.0])
print("projection peaks k =", np.round(pp.peaks, 4), "| filtering widths δ =", fp.deltas, f"({fp.method})")

# %% [markdown]
# ## Training, with both probes recording every epoch
#
# Full batch (one Adam step per epoch): with mini-batches the peaks are fitted within a few epochs
# and the curves are dominated by mini-batch noise (docs/figure2.md).

# %%
from hybridsolve.probes import models
from hybridsolve.probes.train import train

net = models.build("fc_tanh", input_shape=data.input_shape, n_classes=data.n_classes, seed=0)
hist = train(net, data, loss="ce", lr=1e-3, epochs=epochs, batch_size=len(X), probes=[pp, fp], seed=0,
             meta={"freqs": pp.freqs, "amplitude": pp.amplitude, "peaks": pp.peaks, "output": 0,
                   "model": "fc_tanh"})
last = hist.last
print(f"after {last.step} epochs: train accuracy {last['train_acc']:.3f}, test accuracy {last['test_acc']:.3f}")
for k, v in sorted(last["delta_F"].items()):
    print(f"  Δ_F(k = {k:.4f}) = {v:.3f}")
for d in fp.deltas:
    print(f"  δ = {d:g}: e_low = {last['e_low'][d]:.3f}, e_high = {last['e_high'][d]:.3f}")

# %%
hist.save(OUT / "05_probes_fashion_mnist_history")
print("figure:", savefig(plot_projection(hist, title="Projection probe, Fashion-MNIST (fc_tanh, CE, full batch)"),
                         OUT / "05_probes_fashion_mnist.png"))
print("figure:", savefig(plot_filtering(hist, title="Filtering probe, Fashion-MNIST (fc_tanh, CE, full batch)"),
                         OUT / "05_probes_fashion_mnist_filtering.png"))
