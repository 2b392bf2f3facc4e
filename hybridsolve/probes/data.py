"""Dataset loaders: MNIST / Fashion-MNIST IDX files (gz or raw), CIFAR-10 python batches, NumPy arrays.

Images come back as float32 in [0, 1] with shape ``(N, C, H, W)`` (1×28×28 or 3×32×32), labels as
int64 class indices. The [0, 1] scaling is the one the paper's filtering widths δ refer to
(squared distances between Fashion-MNIST images are then O(10–300), so δ = 3…10 is a mid-range
Gaussian width; see docs/probes.md).

Where the files are looked for, first hit wins:

1. the ``data_dir`` argument;
2. the per-dataset variable ``HYBRIDSOLVE_FASHION_MNIST_DIR`` / ``HYBRIDSOLVE_MNIST_DIR`` /
   ``HYBRIDSOLVE_CIFAR10_DIR``;
3. ``$HYBRIDSOLVE_DATA/<name>`` (``fashion-mnist``, ``mnist``, ``cifar-10``);
4. ``/usr/share/datasets/<name>`` (``apt-get install dataset-fashion-mnist`` puts Fashion-MNIST there)
   and ``~/.cache/hybridsolve/<name>``.

>>> ds = from_arrays(np.zeros((4, 28, 28), np.uint8), [0, 1, 2, 3], name="toy")
>>> ds.x_train.shape, ds.x_train.dtype, ds.n_classes
((4, 1, 28, 28), dtype('float32'), 10)
"""
from __future__ import annotations

import gzip
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Dataset", "DatasetNotFound", "read_idx", "write_idx", "load_mnist", "load_fashion_mnist",
           "load_cifar10", "read_cifar_batch", "from_arrays", "load", "find_dataset", "available", "one_hot",
           "check_labels"]

_IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_CIFAR_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
_ENV = {"fashion-mnist": "HYBRIDSOLVE_FASHION_MNIST_DIR", "mnist": "HYBRIDSOLVE_MNIST_DIR",
        "cifar-10": "HYBRIDSOLVE_CIFAR10_DIR"}
_ALIASES = {"fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist", "fashion-mnist": "fashion-mnist",
            "mnist": "mnist", "cifar10": "cifar-10", "cifar-10": "cifar-10", "cifar_10": "cifar-10"}
# IDX type codes (third magic byte) -> dtype (big-endian for multi-byte types)
_IDX_DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


class DatasetNotFound(FileNotFoundError):
    """A dataset's files are not where the loader looked; the message says which files go where."""


@dataclass
class Dataset:
    """Train and test images (float32, ``(N, C, H, W)``, values in [0, 1]) and int64 labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str = "data"
    n_classes: int = 10

    @property
    def input_shape(self) -> tuple:
        return tuple(self.x_train.shape[1:])

    def flat(self, split: str = "train") -> np.ndarray:
        """Inputs as ``(N, C*H*W)`` rows (what the probes take)."""
        x = {"train": self.x_train, "test": self.x_test}[split]
        return x.reshape(len(x), -1)

    def subset(self, n_train: int | None = None, n_test: int | None = None, seed: int = 0) -> "Dataset":
        """A random (seeded) subset; ``None`` keeps a split whole."""
        rng = np.random.default_rng(seed)

        def pick(x, y, n):
            if n is None or n >= len(x):
                return x, y
            idx = np.sort(rng.choice(len(x), size=int(n), replace=False))
            return x[idx], y[idx]

        xtr, ytr = pick(self.x_train, self.y_train, n_train)
        xte, yte = pick(self.x_test, self.y_test, n_test)
        return Dataset(xtr, ytr, xte, yte, self.name, self.n_classes)


def one_hot(y, n_classes: int = 10) -> np.ndarray:
    """``(N,)`` class indices in ``0 … n_classes − 1`` → ``(N, n_classes)`` float64 one-hot rows; other labels
    (negative, too large, fractional, not 1-D) are a ValueError.

    >>> one_hot([2, 0], 3).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    >>> one_hot([-1], 3)
    Traceback (most recent call last):
    ...
    ValueError: y holds labels outside 0 … 2 (n_classes=3): -1
    """
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)) or n_classes < 1:
        raise ValueError(f"n_classes must be a whole number >= 1; got {n_classes!r}")
    y = check_labels(y, "y", int(n_classes))
    out = np.zeros((len(y), int(n_classes)))
    out[np.arange(len(y)), y] = 1.0
    return out


def check_labels(y, name: str, n_classes: int | None = None) -> np.ndarray:
    """Class labels as a 1-D int64 array: whole numbers >= 0 (and < ``n_classes`` when given), else
    ValueError naming ``name``.

    >>> check_labels([0.0, 2.0], "y_train").tolist()
    [0, 2]
    >>> check_labels([0.5], "y_train")
    Traceback (most recent call last):
    ...
    ValueError: y_train must hold whole class indices 0, 1, 2, …; got 0.5
    """
    try:
        arr = np.asarray(y)
    except Exception:  # noqa: BLE001 - ragged lists and the like
        raise ValueError(f"{name} must be a 1-D array of class indices; got {type(y).__name__}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D class indices; got shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name} must hold class indices (whole numbers >= 0); got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        bad = arr[~np.isfinite(arr) | (arr != np.round(arr))]
        if bad.size:
            raise ValueError(f"{name} must hold whole class indices 0, 1, 2, …; got {float(bad[0])!r}")
    labels = arr.astype(np.int64)
    if labels.size:
        lo, hi = int(labels.min()), int(labels.max())
        if lo < 0 or (n_classes is not None and hi >= n_classes):
            top = "" if n_classes is None else f" … {n_classes - 1} (n_classes={n_classes})"
            wrong = lo if lo < 0 else hi
            raise ValueError(f"{name} holds labels outside 0{top or ' … (no negative labels)'}: {wrong}")
    return labels


# -- IDX ------------------------------------------------------------------------------------------
def _open(path: Path):
    with open(path, "rb") as f:
        head = f.read(2)
    return gzip.open(path, "rb") if head == b"\x1f\x8b" else open(path, "rb")


def read_idx(path) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed, detected from its content).

    The header is checked: magic = two zero bytes, a type code, the number of dimensions; then one
    big-endian uint32 per dimension, and the payload must hold exactly that many values.
    """
    path = Path(path)
    with _open(path) as f:
        try:
            data = f.read()
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path}: cannot read IDX data ({exc})") from exc
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES or data[3] == 0:
        raise ValueError(f"{path}: not an IDX file (corrupt header): magic number {data[:4].hex() or 'empty'} "
                         "should be 00 00 <type code 08/09/0b/0c/0d/0e> <ndim >= 1>")
    dtype = _IDX_DTYPES[data[2]]
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise ValueError(f"{path}: IDX header truncated ({ndim} dimensions declared)")
    shape = tuple(int(v) for v in np.frombuffer(data, ">u4", count=ndim, offset=4))
    count = int(np.prod(shape))
    payload = len(data) - 4 - 4 * ndim
    if payload != count * dtype.itemsize:
        raise ValueError(f"{path}: IDX header declares shape {shape} ({count * dtype.itemsize} bytes) but the file "
                         f"holds {payload} bytes of data")
    return np.frombuffer(data, dtype, count=count, offset=4 + 4 * ndim).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array, compress: bool | None = None) -> Path:
    """Write ``array`` (uint8) as an IDX file; gzip when ``compress`` (default: name ends in .gz)."""
    path = Path(path)
    a = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, a.ndim]) + np.asarray(a.shape, ">u4").tobytes()
    payload = header + a.tobytes()
    if compress is None:
        compress = path.suffix == ".gz"
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


# -- locating files ---------------------------------------------------------------------------------
def _canonical(name: str) -> str:
    if not isinstance(name, str):
        raise ValueError(f"dataset name must be a string; valid names: fashion-mnist, mnist, cifar-10; got {name!r}")
    key = name.lower()
    if key not in _ALIASES:
        raise ValueError(f"unknown dataset {name!r}; valid names: fashion-mnist, mnist, cifar-10")
    return _ALIASES[key]


def _candidates(name: str, data_dir) -> list[Path]:
    dirs: list[Path] = []
    if data_dir is not None:
        dirs.append(Path(data_dir))
    if os.environ.get(_ENV[name]):
        dirs.append(Path(os.environ[_ENV[name]]))
    if os.environ.get("HYBRIDSOLVE_DATA"):
        dirs.append(Path(os.environ["HYBRIDSOLVE_DATA"]) / name)
    dirs += [Path("/usr/share/datasets") / name, Path.home() / ".cache" / "hybridsolve" / name]
    if name == "cifar-10":  # the official archive unpacks into cifar-10-batches-py/
        dirs = [q for d in dirs for q in (d, d / "cifar-10-batches-py")]
    return dirs


def _expected(name: str) -> list[str]:
    if name == "cifar-10":
        return list(_CIFAR_FILES)
    return [f"{f}[.gz]" for f in _IDX_FILES.values()]


def find_dataset(name: str, data_dir=None) -> Path:
    """The directory holding ``name``'s files, or :class:`DatasetNotFound` saying what to put where."""
    name = _canonical(name)
    searched = _candidates(name, data_dir)
    for d in searched:
        if _complete(name, d):
            return d
    where = "\n  ".join(str(d) for d in searched)
    raise DatasetNotFound(
        f"dataset {name!r} not found. Expected the files {', '.join(_expected(name))} in one of:\n  {where}\n"
        f"Put them in a directory and pass data_dir=..., or set {_ENV[name]} (or HYBRIDSOLVE_DATA=<root> "
        f"with a '{name}' subdirectory)." + (" On Debian-like machines: apt-get install dataset-fashion-mnist."
                                             if name == "fashion-mnist" else ""))


def _complete(name: str, d: Path) -> bool:
    if not d.is_dir():
        return False
    if name == "cifar-10":
        return all((d / f).exists() for f in _CIFAR_FILES)
    return all(_idx_path(d, f) is not None for f in _IDX_FILES.values())


def _idx_path(d: Path, stem: str) -> Path | None:
    for cand in (d / stem, d / f"{stem}.gz", d / stem.replace("-idx", ".idx")):
        if cand.exists():
            return cand
    return None


def available(name: str, data_dir=None) -> bool:
    """Whether :func:`find_dataset` would succeed.

    >>> available("cifar-10", data_dir="/nonexistent") in (True, False)
    True
    """
    try:
        find_dataset(name, data_dir)
        return True
    except DatasetNotFound:
        return False


# -- loaders -------------------------------------------------------------------------------------------
def _load_idx_dataset(name: str, data_dir, n_train, n_test, seed) -> Dataset:
    d = find_dataset(name, data_dir)
    arrays = {}
    for key, stem in _IDX_FILES.items():
        arrays[key] = read_idx(_idx_path(d, stem))
    for split in ("train", "test"):
        x, y = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(f"{d}: {split} images {x.shape} and labels {y.shape} do not match "
                             "(expected (N, H, W) images and (N,) labels)")
    ds = from_arrays(arrays["train_images"], arrays["train_labels"], arrays["test_images"], arrays["test_labels"],
                     name=name)
    return ds.subset(n_train, n_test, seed)


def load_fashion_mnist(data_dir=None, *, n_train: int | None = None, n_test: int | None = None,
                       seed: int = 0) -> Dataset:
    """Fashion-MNIST (60 000 + 10 000 images 1×28×28), optionally a seeded random subset."""
    return _load_idx_dataset("fashion-mnist", data_dir, n_train, n_test, seed)


def load_mnist(data_dir=None, *, n_train: int | None = None, n_test: int | None = None, seed: int = 0) -> Dataset:
    """MNIST (same IDX format as Fashion-MNIST)."""
    return _load_idx_dataset("mnist", data_dir, n_train, n_test, seed)


class _Refused(pickle.UnpicklingError):
    """A global that a CIFAR-10 batch never holds."""


class _CifarUnpickler(pickle.Unpickler):
    """Unpickles only what a CIFAR-10 python batch holds: dicts, lists, numbers and byte strings (the
    pickle machine's own types) and NumPy arrays, rebuilt from bytes by these functions alone. Any other
    global (``os.system``, ``builtins.eval`` …) is refused before it is loaded, so a crafted file runs nothing."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("_codecs", "encode"),   # bytes written by Python 3 at protocol 2
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise _Refused(f"it asks to load {module}.{name}, which a CIFAR-10 batch never holds "
                                     "(only arrays, lists, numbers and byte strings), so nothing was loaded")


def read_cifar_batch(path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 python batch: a pickled dict with ``b"data"`` (N×3072 uint8) and ``b"labels"``.

    The pickle is read by a restricted unpickler (:class:`_CifarUnpickler`): NumPy arrays, lists, numbers
    and byte strings only; a file that asks for anything else (a crafted pickle calling ``os.system``) is a
    ValueError and runs nothing.
    """
    path = Path(path)
    with open(path, "rb") as f:
        try:
            batch = _CifarUnpickler(f, encoding="bytes").load()
        except _Refused as exc:
            raise ValueError(f"{path}: not a CIFAR-10 python batch ({exc})") from None
        except Exception as exc:  # noqa: BLE001 - truncated or corrupt pickle data
            raise ValueError(f"{path}: not a CIFAR-10 python batch (truncated or corrupt pickle: "
                             f"{type(exc).__name__}{': ' + str(exc)[:120] if str(exc) else ''})") from None
    if not isinstance(batch, dict):
        raise ValueError(f"{path}: a CIFAR-10 batch is a dict; got {type(batch).__name__}")
    keys = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in keys or "labels" not in keys:
        raise ValueError(f"{path}: a CIFAR-10 batch needs the keys b'data' (N×3072 uint8) and b'labels'; "
                         f"found {sorted(map(str, batch))}")
    data = np.asarray(keys["data"])
    if data.dtype.kind not in "biu":
        raise ValueError(f"{path}: b'data' must be N×3072 uint8 pixels; got dtype {data.dtype}")
    labels = check_labels(keys["labels"], f"{path}: b'labels'", 10)
    if data.ndim != 2 or data.shape[1] != 3072 or len(data) != len(labels):
        raise ValueError(f"{path}: b'data' must be N×3072 with N = len(b'labels'); got {data.shape} and "
                         f"{labels.shape}")
    return data.astype(np.uint8).reshape(-1, 3, 32, 32), labels


def load_cifar10(data_dir=None, *, n_train: int | None = None, n_test: int | None = None, seed: int = 0) -> Dataset:
    """CIFAR-10 from the python batches ``data_batch_1..5`` and ``test_batch`` (3×32×32 images)."""
    d = find_dataset("cifar-10", data_dir)
    parts = [read_cifar_batch(d / f) for f in _CIFAR_FILES[:5]]
    xtr = np.concatenate([p[0] for p in parts])
    ytr = np.concatenate([p[1] for p in parts])
    xte, yte = read_cifar_batch(d / "test_batch")
    return from_arrays(xtr, ytr, xte, yte, name="cifar-10").subset(n_train, n_test, seed)


def from_arrays(x_train, y_train, x_test=None, y_test=None, *, name: str = "arrays",
                n_classes: int | None = None) -> Dataset:
    """A :class:`Dataset` from arrays: uint8 images are scaled by 1/255; ``(N, H, W)`` gains a channel axis.

    Float inputs are kept as given (they should already be in [0, 1]). Non-finite values and
    mismatched lengths raise ValueError.
    """
    if n_classes is not None and (isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer))
                                  or n_classes < 1):
        raise ValueError(f"n_classes must be a whole number >= 1 or None; got {n_classes!r}")

    def prep(x, y, split):
        if y is None:
            raise ValueError(f"x_{split} is given without y_{split}: pass the labels too")
        try:
            x = np.asarray(x)
        except Exception:  # noqa: BLE001 - ragged lists and the like
            raise ValueError(f"x_{split} must be an array of images; got {type(x).__name__}") from None
        if x.ndim == 0 or x.dtype.kind not in "biuf":
            raise ValueError(f"x_{split} must be a real array of images (N, D), (N, H, W) or (N, C, H, W); "
                             f"got {type(x).__name__} of shape {x.shape} and dtype {x.dtype}")
        y = check_labels(y, f"y_{split}", n_classes)
        if len(x) != len(y):
            raise ValueError(f"x_{split} has {len(x)} samples but y_{split} has {len(y)}: they must match")
        if x.dtype == np.uint8:
            x = x.astype(np.float32) / np.float32(255.0)
        else:
            x = x.astype(np.float32)
            if not np.isfinite(x).all():
                raise ValueError(f"x_{split} contains non-finite values (NaN or inf)")
        if x.ndim == 2:
            side = int(round(np.sqrt(x.shape[1])))
            x = x.reshape(len(x), 1, side, side) if side * side == x.shape[1] else x.reshape(len(x), 1, 1, -1)
        elif x.ndim == 3:
            x = x[:, None]
        elif x.ndim != 4:
            raise ValueError(f"x_{split} must be (N, D), (N, H, W) or (N, C, H, W); got shape {x.shape}")
        return np.ascontiguousarray(x), y

    xtr, ytr = prep(x_train, y_train, "train")
    if x_test is None:
        xte, yte = xtr[:0], ytr[:0]
    else:
        xte, yte = prep(x_test, y_test, "test")
    if n_classes is None:
        n_classes = max(10, int(max(ytr.max(initial=0), yte.max(initial=0))) + 1)
    if (ytr < 0).any() or (yte < 0).any():
        raise ValueError("labels must be non-negative class indices")
    return Dataset(xtr, ytr, xte, yte, name, n_classes)


def load(name: str, data_dir=None, *, n_train: int | None = None, n_test: int | None = None, seed: int = 0) -> Dataset:
    """Load a dataset by name: ``"fashion-mnist"``, ``"mnist"`` or ``"cifar-10"``."""
    name = _canonical(name)
    loader = {"fashion-mnist": load_fashion_mnist, "mnist": load_mnist, "cifar-10": load_cifar10}[name]
    return loader(data_dir, n_train=n_train, n_test=n_test, seed=seed)
