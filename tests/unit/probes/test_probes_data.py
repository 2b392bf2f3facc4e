"""Dataset loaders: real Fashion-MNIST, files written in the real formats, and bad input."""
from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest

from hybridsolve.probes import data


def _write_idx_set(d, rng, n_train=12, n_test=5, compress=True):
    suffix = ".gz" if compress else ""
    xtr = rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8)
    ytr = rng.integers(0, 10, n_train, dtype=np.uint8)
    xte = rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8)
    yte = rng.integers(0, 10, n_test, dtype=np.uint8)
    data.write_idx(d / f"train-images-idx3-ubyte{suffix}", xtr)
    data.write_idx(d / f"train-labels-idx1-ubyte{suffix}", ytr)
    data.write_idx(d / f"t10k-images-idx3-ubyte{suffix}", xte)
    data.write_idx(d / f"t10k-labels-idx1-ubyte{suffix}", yte)
    return xtr, ytr, xte, yte


@pytest.mark.parametrize("compress", [True, False])
def test_idx_roundtrip_gz_and_raw(tmp_path, rng, compress):
    xtr, ytr, xte, yte = _write_idx_set(tmp_path, rng, compress=compress)
    ds = data.load_mnist(tmp_path)
    assert ds.x_train.shape == (12, 1, 28, 28) and ds.x_train.dtype == np.float32
    np.testing.assert_array_equal(ds.x_train[:, 0], xtr / np.float32(255))
    np.testing.assert_array_equal(ds.y_train, ytr)
    np.testing.assert_array_equal(ds.y_test, yte)
    assert 0.0 <= ds.x_test.min() and ds.x_test.max() <= 1.0


def test_real_fashion_mnist_subset(fashion_dir):
    ds = data.load_fashion_mnist(fashion_dir, n_train=500, n_test=200, seed=3)
    assert ds.x_train.shape == (500, 1, 28, 28) and ds.x_test.shape == (200, 1, 28, 28)
    assert set(np.unique(ds.y_train)) <= set(range(10)) and len(np.unique(ds.y_train)) == 10
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0 and ds.x_train.max() > 0.9
    # the header magic and sizes of the real files
    raw = data.read_idx(fashion_dir / "t10k-labels-idx1-ubyte.gz")
    assert raw.shape == (10000,) and raw.dtype == np.uint8
    again = data.load_fashion_mnist(fashion_dir, n_train=500, n_test=200, seed=3)
    np.testing.assert_array_equal(again.y_train, ds.y_train)  # seeded subset


def test_env_variable_is_searched(tmp_path, rng, monkeypatch):
    _write_idx_set(tmp_path, rng)
    monkeypatch.setenv("HYBRIDSOLVE_MNIST_DIR", str(tmp_path))
    assert data.load_mnist().x_train.shape[0] == 12
    root = tmp_path / "root"
    (root / "mnist").mkdir(parents=True)
    _write_idx_set(root / "mnist", rng, n_train=7)
    monkeypatch.delenv("HYBRIDSOLVE_MNIST_DIR")
    monkeypatch.setenv("HYBRIDSOLVE_DATA", str(root))
    assert data.load("mnist").x_train.shape[0] == 7


def test_missing_dataset_names_files_and_places(tmp_path, monkeypatch):
    monkeypatch.delenv("HYBRIDSOLVE_CIFAR10_DIR", raising=False)
    monkeypatch.delenv("HYBRIDSOLVE_MNIST_DIR", raising=False)
    monkeypatch.delenv("HYBRIDSOLVE_DATA", raising=False)
    if data.available("cifar-10") or data.available("mnist"):
        pytest.skip("CIFAR-10 / MNIST installed in a default location: nothing is missing")
    with pytest.raises(data.DatasetNotFound) as exc:
        data.load_cifar10(tmp_path / "nowhere")
    msg = str(exc.value)
    assert "data_batch_1" in msg and "test_batch" in msg and "nowhere" in msg and "HYBRIDSOLVE_CIFAR10_DIR" in msg
    with pytest.raises(data.DatasetNotFound, match="train-images-idx3-ubyte"):
        data.find_dataset("mnist", tmp_path)
    assert not list(tmp_path.iterdir())  # nothing written


def test_corrupt_idx_magic(tmp_path, rng):
    _write_idx_set(tmp_path, rng, compress=False)
    bad = tmp_path / "train-images-idx3-ubyte"
    payload = bytearray(bad.read_bytes())
    payload[0:4] = b"\x12\x34\x08\x03"
    bad.write_bytes(bytes(payload))
    with pytest.raises(ValueError, match="magic number 12340803"):
        data.load_mnist(tmp_path)
    # a header whose sizes disagree with the payload
    short = tmp_path / "short.gz"
    short.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + np.array([10], ">u4").tobytes() + b"\x00" * 3))
    with pytest.raises(ValueError, match="declares shape"):
        data.read_idx(short)


def _write_cifar(d, rng, n=6, keys=(b"data", b"labels")):
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {keys[0]: rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 keys[1]: rng.integers(0, 10, n).tolist(), b"batch_label": name.encode()}
        with open(d / name, "wb") as f:
            pickle.dump(batch, f)


def test_cifar_batches_real_format(tmp_path, rng):
    _write_cifar(tmp_path, rng)
    ds = data.load_cifar10(tmp_path)
    assert ds.x_train.shape == (30, 3, 32, 32) and ds.x_test.shape == (6, 3, 32, 32)
    x, y = data.read_cifar_batch(tmp_path / "data_batch_1")
    with open(tmp_path / "data_batch_1", "rb") as f:
        raw = pickle.load(f, encoding="bytes")
    np.testing.assert_array_equal(x[0, 0].ravel(), raw[b"data"][0, :1024])  # channel-major rows, as in CIFAR
    np.testing.assert_array_equal(ds.y_train[:6], raw[b"labels"])


def test_cifar_wrong_keys(tmp_path, rng):
    _write_cifar(tmp_path, rng, keys=(b"images", b"targets"))
    with pytest.raises(ValueError, match="b'data'.*b'labels'"):
        data.load_cifar10(tmp_path)


def test_from_arrays_bad_input():
    with pytest.raises(ValueError, match="x_train has 3 samples but y_train has 2"):
        data.from_arrays(np.zeros((3, 4, 4)), [0, 1])
    with pytest.raises(ValueError, match="non-finite"):
        data.from_arrays(np.full((2, 4, 4), np.nan), [0, 1])
    with pytest.raises(ValueError, match="unknown dataset"):
        data.load("imagenet")
