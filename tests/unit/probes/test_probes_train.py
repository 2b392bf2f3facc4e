"""Model zoo, training harness (seeding, checkpoint/resume, history), the F-Principle ordering on
Fashion-MNIST, and the three figure cases at smoke size."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hybridsolve.history import History  # noqa: E402
from hybridsolve.probes import FilteringProbe, ProjectionProbe, data, models, one_hot  # noqa: E402
from hybridsolve.probes.train import train  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]


def _toy(rng, n=96, n_test=32):
    x = rng.random((n, 1, 6, 6)).astype(np.float32)
    y = (x[:, 0, :3].mean((1, 2)) > x[:, 0, 3:].mean((1, 2))).astype(int)
    xt = rng.random((n_test, 1, 6, 6)).astype(np.float32)
    yt = (xt[:, 0, :3].mean((1, 2)) > xt[:, 0, 3:].mean((1, 2))).astype(int)
    return data.from_arrays(x, y, xt, yt, n_classes=2)


def test_model_zoo_shapes():
    x1 = torch.zeros(2, 1, 28, 28)
    x3 = torch.zeros(2, 3, 32, 32)
    assert models.build("fc_tanh", input_shape=(1, 28, 28))(x1).shape == (2, 10)
    net2 = models.build("cnn_fig2", input_shape=(3, 32, 32))
    assert net2(x3).shape == (2, 10)
    widths = [m.out_features for m in net2.modules() if isinstance(m, torch.nn.Linear)]
    assert widths == [800, 400, 400, 400, 10]
    convs = [m.out_channels for m in net2.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs == [64, 128]
    net3 = models.build("cnn_fig3", input_shape=(1, 28, 28))
    assert net3(x1).shape == (2, 10)
    assert [m.out_channels for m in net3.modules() if isinstance(m, torch.nn.Conv2d)] == [32, 64]
    vgg = models.vgg16(input_shape=(3, 32, 32), width=0.125)
    assert vgg(x3).shape == (2, 10)
    assert sum(isinstance(m, torch.nn.Conv2d) for m in vgg.modules()) == 13
    assert [m.out_features for m in vgg.modules() if isinstance(m, torch.nn.Linear)] == [1024, 10]
    with pytest.raises(ValueError, match="unknown model"):
        models.build("resnet", input_shape=(1, 28, 28))


def test_training_seeded_and_loss_decreases(rng):
    ds = _toy(rng)
    runs = []
    for _ in range(2):
        net = models.build("fc_tanh", input_shape=(1, 6, 6), n_classes=2, seed=0, widths=[36, 16, 2])
        runs.append(train(net, ds, loss="ce", lr=1e-2, epochs=6, batch_size=32, seed=3, progress=False))
    a, b = runs
    np.testing.assert_array_equal(a.column("loss"), b.column("loss"))
    assert a.column("loss")[-1] < a.column("loss")[0]
    assert a.steps().tolist() == list(range(7)) and all(r.phase == "epoch" for r in a)
    assert a.times()[0] == 0.0 and np.all(np.diff(a.times()) >= 0)


def test_checkpoint_resume_equals_uninterrupted(rng, tmp_path):
    ds = _toy(rng)
    X, Y = ds.flat(), one_hot(ds.y_train, 2)
    fp = FilteringProbe(X, Y, deltas=[0.5, 2.0])
    pp = ProjectionProbe(X, Y, output=1, peaks=[0.0, 0.2])

    def run(epochs, ckpt=None, resume=False):
        net = models.build("fc_tanh", input_shape=(1, 6, 6), n_classes=2, seed=1, widths=[36, 12, 2])
        return train(net, ds, loss="mse", lr=5e-3, epochs=epochs, batch_size=16, probes=[fp, pp], seed=2,
                     checkpoint=ckpt, resume=resume, progress=False)

    full = run(5)
    ck = tmp_path / "run.pt"
    run(2, ck)
    resumed = run(5, ck, resume=True)
    assert resumed.steps().tolist() == full.steps().tolist()
    np.testing.assert_allclose(resumed.column("loss"), full.column("loss"), rtol=1e-6)
    for d in (0.5, 2.0):
        np.testing.assert_allclose(resumed.series("e_low", d), full.series("e_low", d), rtol=1e-5)
    # float keys (δ, k) survive the History round trip
    full.save(tmp_path / "h")
    back = History.load(tmp_path / "h")
    assert back.keys("e_low") == [0.5, 2.0] and back.keys("delta_F") == full.keys("delta_F")
    np.testing.assert_array_equal(back.series("delta_F", back.keys("delta_F")[1]),
                                  full.series("delta_F", full.keys("delta_F")[1]))


def test_bad_training_options(rng):
    ds = _toy(rng)
    net = models.fc_tanh([36, 4, 2], input_shape=(1, 6, 6))
    with pytest.raises(ValueError, match="loss"):
        train(net, ds, loss="hinge")
    with pytest.raises(ValueError, match="optimizer"):
        train(net, ds, optimizer="lbfgs-ish", epochs=1)
    fp = FilteringProbe(ds.flat()[:50], one_hot(ds.y_train[:50], 2), deltas=[1.0])
    with pytest.raises(ValueError, match="built on 50 inputs"):
        train(net, ds, probes=[fp], epochs=1)


def test_f_principle_filtering_fashion_mnist(fashion_dir):
    """The science: tanh DNN 784-400-200-10, MSE (the paper's Fig. 3 setting) on 2 000 Fashion-MNIST
    images — e_low < e_high at every recorded epoch of training, for every δ. (Epoch 0, the
    untrained network, has e_low ≈ e_high ≈ 1 and no ordering to test.)"""
    ds = data.load_fashion_mnist(fashion_dir, n_train=2000, n_test=500, seed=0)
    deltas = [3.0, 7.0, 10.0]
    fp = FilteringProbe(ds.flat(), one_hot(ds.y_train), deltas=deltas)
    net = models.build("fc_tanh", input_shape=ds.input_shape, seed=0)
    hist = train(net, ds, loss="mse", lr=1e-3, epochs=8, batch_size=500, probes=[fp], seed=0, progress=False)
    trained = [r for r in hist if r.step >= 1]
    assert len(trained) == 8
    for r in trained:
        for d in deltas:
            assert r["e_low"][d] < r["e_high"][d], (r.step, d, r["e_low"][d], r["e_high"][d])
    assert hist.last["train_acc"] > 0.6
    # and the low-frequency part has converged much further than the high part by the end
    assert all(hist.last["e_low"][d] < 0.8 * hist.last["e_high"][d] for d in deltas)


@pytest.mark.parametrize("case", ["probe_fig2", "probe_fig3", "probe_fig5"])
def test_cases_smoke(case, tmp_path, fashion_dir, monkeypatch):
    from hybridsolve.cases import run_case

    monkeypatch.setenv("HYBRIDSOLVE_FASHION_MNIST_DIR", str(fashion_dir))
    summary = run_case(ROOT / "cases" / f"{case}.toml", out=tmp_path, smoke=True, progress=False, verbose=False)
    assert summary["status"] == "done"
    assert json.loads((tmp_path / "summary.json").read_text())["status"] == "done"
    pngs = list(tmp_path.glob("*.png"))
    assert pngs and all(p.stat().st_size > 10_000 for p in pngs)
    h = History.load(tmp_path / "history_fashion-mnist.json")
    if case == "probe_fig2":
        assert h.keys("delta_F") and len(h.meta["freqs"]) == 200
        assert np.isfinite(h.matrix("delta_F")[1]).all()
    elif case == "probe_fig3":
        assert h.keys("e_low") == [3.0, 7.0, 10.0]
        res = summary["results"]["fashion-mnist"]["e_low_below_e_high_every_trained_epoch"]
        assert all(res.values())
    else:
        par = History.load(tmp_path / "history_parity.json").last
        # Fig. 5(c): the parity function's power sits at k = √d/4; the training sample has spurious
        # low-frequency power (aliasing) that the full function lacks
        f = par["freqs"]
        assert f[np.argmax(par["amp_all"])] == pytest.approx(np.sqrt(10) / 4, abs=f[1])
        assert par["amp_train"][0] > 10 * par["amp_all"][0]
        assert par["train_acc"] > 0.9
