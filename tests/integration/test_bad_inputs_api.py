"""Bad inputs at the API boundary: each is refused before any work, with an exception of the documented
kind whose message names the argument (and says what is allowed).

Wrong values and wrong types are ValueError (the package's one convention, as for unknown option names);
a missing file is FileNotFoundError; an estimate that does not fit in memory is
:class:`hybridsolve._memory.InsufficientMemory` (a MemoryError), raised without allocating.
The hostile sweep these cases come from is ``tests/integration/hostile_sweep.py``.
"""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import hybridsolve as hs
from hybridsolve._memory import InsufficientMemory


def p1(n=16):
    return hs.problems.paper_1d(n=n)


def p2(n=16):
    return hs.problems.smooth_2d(n=n)


def PP(**kw):
    args = dict(domain=[(0, 1)], n=8, source=1.0)
    args.update(kw)
    return hs.PoissonProblem(**args)


def probes():
    from hybridsolve import probes as pr

    return pr


def XY(n=60, d=5, m=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, d)), np.eye(m)[rng.integers(0, m, n)]


def dr(p=None, **kw):
    opts = dict(widths=(1, 8, 1), steps=2, observe_every=1)
    opts.update(kw)
    return hs.solve(p or p1(), "deep_ritz", **opts)


def _ds(n=64, classes=2):
    rng = np.random.default_rng(0)
    return probes().data.from_arrays(rng.random((n, 1, 4, 4)), rng.integers(0, classes, n),
                                     rng.random((16, 1, 4, 4)), rng.integers(0, classes, 16), n_classes=classes)


def _train(model=None, data=None, **kw):
    from hybridsolve.probes import models, train

    model = models.fc_tanh([16, 8, 2], input_shape=(1, 4, 4)) if model is None else model
    opts = dict(epochs=1, batch_size=32, progress=False)
    opts.update(kw)
    return train.train(model, _ds() if data is None else data, **opts)


def _fc(out):
    from hybridsolve.probes import models

    return models.fc_tanh([16, 8, out], input_shape=(1, 4, 4))


V, M, F = ValueError, InsufficientMemory, FileNotFoundError

# (id, call, exception type, word the message must contain)
CASES = [
    # -- PoissonProblem and Grid ---------------------------------------------------------------------
    ("source callable wrong shape", lambda: PP(source=lambda x: np.ones(3)), V, "source"),
    ("source callable broadcasts in 2-D", lambda: PP(domain=[(0, 1)] * 2, source=lambda x, y: np.ones(9)), V, "source"),
    ("source callable returns str", lambda: PP(source=lambda x: "abc"), V, "source"),
    ("source callable returns None", lambda: PP(source=lambda x: None), V, "source"),
    ("source callable complex", lambda: PP(source=lambda x: x + 1j), V, "source"),
    ("source callable NaN", lambda: PP(source=lambda x: x * np.nan), V, "source"),
    ("source callable infinite", lambda: PP(source=lambda x: np.where(x > 0.5, np.inf, 0.0)), V, "source"),
    ("source callable raises", lambda: PP(source=lambda x: 1 / 0), V, "source"),
    ("source string", lambda: PP(source="abc"), V, "source"),
    ("source dict", lambda: PP(source={"a": 1}), V, "source"),
    ("source complex array", lambda: PP(source=np.ones(9) + 1j), V, "source"),
    ("boundary callable wrong shape", lambda: PP(boundary=lambda x: np.ones(2)), V, "boundary"),
    ("boundary NaN array", lambda: PP(boundary=np.full(9, np.nan)), V, "boundary"),
    ("boundary complex", lambda: PP(boundary=1 + 2j), V, "boundary"),
    ("exact wrong shape", lambda: PP(exact=lambda x: np.ones(4)), V, "exact"),
    ("domain None", lambda: PP(domain=None), V, "domain"),
    ("domain scalar", lambda: PP(domain=3.0), V, "domain"),
    ("domain non-number", lambda: PP(domain=[(0, "x")]), V, "domain"),
    ("domain reversed", lambda: PP(domain=[(1, 0)]), V, "domain"),
    ("n fractional", lambda: PP(n=2.5), V, "n="),
    ("n too small", lambda: PP(n=1), V, "n="),
    ("n 3-D 4096 (memory)", lambda: hs.problems.smooth_3d(n=4096), M, "n=(4096, 4096, 4096)"),
    ("n 1-D 1e10 (memory)", lambda: hs.problems.paper_1d(n=10**10), M, "n=10000000000"),
    # -- hs.solve: problem, monitor, stopping rules -----------------------------------------------------
    ("problem None", lambda: hs.solve(None, "jacobi"), V, "problem"),
    ("problem string", lambda: hs.solve("paper_1d", "direct"), V, "problem"),
    ("problem array, multigrid", lambda: hs.solve(np.zeros(9), "multigrid"), V, "problem"),
    ("problem None, deep_ritz", lambda: hs.solve(None, "deep_ritz", steps=1), V, "problem"),
    ("problem None, hybrid", lambda: hs.solve(None, "hybrid", switch=0, target_error=0.1), V, "problem"),
    ("problem None, monitor", lambda: hs.SpectralMonitor(None), V, "problem"),
    ("problem None, residual", lambda: hs.operators.residual(None, np.zeros(3)), V, "problem"),
    ("method typo", lambda: hs.solve(p1(), "jacobbi"), V, "method"),
    ("rtol 1, multigrid", lambda: hs.solve(p2(), "multigrid", rtol=1.0), V, "rtol"),
    ("rtol 2, jacobi", lambda: hs.solve(p1(), "jacobi", rtol=2.0), V, "rtol"),
    ("rtol 1, hybrid", lambda: hs.solve(p1(), "hybrid", switch=0, rtol=1.0, dnn=dict(widths=(1, 8, 1))), V, "rtol"),
    ("rtol NaN", lambda: hs.solve(p1(), "gauss_seidel", rtol=float("nan")), V, "rtol"),
    ("rtol string", lambda: hs.solve(p1(), "jacobi", rtol="tight"), V, "rtol"),
    ("atol above ‖b‖", lambda: hs.solve(p1(), "gauss_seidel", atol=1e300), V, "atol"),
    ("target_error above the start's error", lambda: hs.solve(p1(), "jacobi", target_error=1e6), V, "target_error"),
    ("target_error without reference", lambda: hs.solve(PP(), "jacobi", target_error=1e-3), V, "target_error"),
    ("maxiter fractional", lambda: hs.solve(p1(), "jacobi", maxiter=1.5), V, "maxiter"),
    ("reference NaN with target", lambda: hs.solve(p1(), "jacobi", target_error=1e-3, reference=np.full(17, np.nan)),
     V, "reference"),
    ("reference NaN without target", lambda: hs.solve(p1(), "jacobi", reference=np.full(17, np.nan)), V, "reference"),
    ("reference NaN, direct", lambda: hs.solve(p1(), "direct", reference=np.full(17, np.nan)), V, "reference"),
    ("reference NaN, multigrid", lambda: hs.solve(p2(), "multigrid", reference=np.full((17, 17), np.nan)), V,
     "reference"),
    ("reference NaN, hybrid", lambda: hs.solve(p1(), "hybrid", switch=0, target_error=0.1,
                                               reference=np.full(17, np.nan)), V, "reference"),
    ("reference complex", lambda: hs.solve(p1(), "jacobi", reference=np.zeros(17) + 1j), V, "reference"),
    ("reference wrong shape", lambda: hs.solve(p1(), "direct", reference=np.zeros(3)), V, "reference"),
    ("u0 complex", lambda: hs.solve(p1(), "jacobi", u0=np.zeros(17) + 1j), V, "u0"),
    ("u0 object", lambda: hs.solve(p1(), "multigrid", u0=object(), coarsest=4), V, "u0"),
    ("monitor object, jacobi", lambda: hs.solve(p1(), "jacobi", monitor=object()), V, "monitor"),
    ("monitor object, multigrid", lambda: hs.solve(p2(), "multigrid", monitor=object()), V, "monitor"),
    ("monitor object, hybrid", lambda: hs.solve(p1(), "hybrid", switch=0, target_error=0.1, monitor=object()), V,
     "monitor"),
    ("monitor object, deep_ritz", lambda: dr(monitor=object()), V, "monitor"),
    ("monitor of another grid", lambda: hs.solve(p1(16), "jacobi", monitor=hs.SpectralMonitor(p1(32))), V, "monitor"),
    ("callback int", lambda: hs.solve(p1(), "gauss_seidel", callback=42), V, "callback"),
    ("fmg string", lambda: hs.solve(p2(), "multigrid", fmg="no"), V, "fmg"),
    ("time_offset NaN, multigrid", lambda: hs.solve(p2(), "multigrid", time_offset=float("nan")), V, "time_offset"),
    ("multigrid 3-D n=1024 (memory)", lambda: hs.solve(hs.problems.sine(3, 8, 1).with_n(1024), "multigrid"), M, "n="),
    ("spsolve 3-D n=256 (memory)", lambda: hs.solve(hs.problems.sine(3, 256, 1), "spsolve"), M, "spsolve"),
    # -- Deep Ritz ----------------------------------------------------------------------------------
    ("device cuda without CUDA", lambda: dr(device="cuda") if not _cuda() else _skip("CUDA present"), V, "device"),
    ("device mps", lambda: dr(device="mps") if not _mps() else _skip("MPS present"), V, "device"),
    ("device unknown", lambda: dr(device="tpu"), V, "device"),
    ("device list", lambda: dr(device=["cpu"]), V, "device"),
    ("dnn device cuda in hybrid", lambda: hs.solve(p1(), "hybrid", switch=2, target_error=0.1,
                                                   dnn=dict(widths=(1, 8, 1), device="cuda"))
     if not _cuda() else _skip("CUDA present"), V, "device"),
    ("activation", lambda: dr(activation="gelu"), V, "activation"),
    ("resume string", lambda: dr(resume="yes"), V, "resume"),
    ("widths 1e9 (memory)", lambda: dr(widths=(1, 10**9, 1)), M, "widths"),
    ("deep ritz steps fractional", lambda: dr(steps=1.5), V, "steps"),
    # -- History.load -------------------------------------------------------------------------------
    ("history missing", lambda: hs.History.load("/nonexistent/history"), F, "history"),
    # -- probes -------------------------------------------------------------------------------------
    ("deltas tiny", lambda: probes().FilteringProbe(*XY(), deltas=[1e-12]), V, "δ=1e-12"),
    ("deltas string", lambda: probes().FilteringProbe(*XY(), deltas="wide"), V, "deltas"),
    ("deltas empty", lambda: probes().FilteringProbe(*XY(), deltas=[]), V, "deltas"),
    ("filtering X string", lambda: probes().FilteringProbe("images", XY()[1]), V, "X"),
    ("filtering X scalar", lambda: probes().FilteringProbe(3.0, XY()[1]), V, "X"),
    ("filtering memory_gb string", lambda: probes().FilteringProbe(*XY(), memory_gb="lots"), V, "memory_gb"),
    ("filtering exact (memory)", lambda: probes().FilteringProbe(np.zeros((300_000, 2), np.float32),
                                                                  np.eye(2)[np.arange(300_000) % 2],
                                                                  method="exact", memory_gb=10**6), M, "filtering"),
    ("one_hot negative", lambda: probes().one_hot([-1], 3), V, "y"),
    ("one_hot too large", lambda: probes().one_hot([3], 3), V, "n_classes=3"),
    ("one_hot fractional", lambda: probes().one_hot([1.5], 3), V, "y"),
    ("one_hot 2-D", lambda: probes().one_hot([[0, 1]], 3), V, "y"),
    ("one_hot n_classes 0", lambda: probes().one_hot([0], 0), V, "n_classes"),
    ("projection output fractional", lambda: probes().ProjectionProbe(*XY(), output=1.5), V, "output"),
    ("projection H string", lambda: probes().ProjectionProbe(*XY())("outputs"), V, "H"),
    ("from_arrays fractional labels", lambda: probes().data.from_arrays(np.zeros((3, 4)), [0.5, 1.2, 2.0]), V,
     "y_train"),
    ("from_arrays labels ≥ n_classes", lambda: probes().data.from_arrays(np.zeros((3, 4)), [0, 1, 5], n_classes=3),
     V, "y_train"),
    ("from_arrays x_test without y_test", lambda: probes().data.from_arrays(np.zeros((3, 4)), [0, 1, 2],
                                                                            np.zeros((2, 4))), V, "y_test"),
    ("load name None", lambda: probes().data.load(None), V, "dataset"),
    ("train model output width (ce)", lambda: _train(_fc(1)), V, "n_classes=2"),
    ("train model output width (mse)", lambda: _train(_fc(3), loss="mse"), V, "n_classes=2"),
    ("train model wider than classes", lambda: _train(_fc(5)), V, "n_classes=2"),
    ("train model input shape", lambda: _train(probes().models.fc_tanh([784, 8, 2])), V, "input_shape"),
    ("train model not a module", lambda: _train("fc_tanh"), V, "model"),
    ("train epochs fractional", lambda: _train(epochs=1.5), V, "epochs"),
    ("train lr string", lambda: _train(lr="fast"), V, "lr"),
    ("train seed negative", lambda: _train(seed=-1), V, "seed"),
    ("train probes object", lambda: _train(probes=[object()]), V, "probes"),
    ("train data string", lambda: _train(data="fashion-mnist"), V, "data"),
    ("train data short tuple", lambda: _train(data=(np.zeros((4, 16)),)), V, "data"),
    ("train labels out of range", lambda: _train(data=probes().data.Dataset(
        np.zeros((4, 1, 4, 4), np.float32), np.array([0, 1, 2, 5]), np.zeros((0, 1, 4, 4), np.float32),
        np.zeros(0, np.int64), n_classes=2)), V, "y_train"),
    ("train callback int", lambda: _train(callback=5), V, "callback"),
    ("hybrid switch -3", lambda: hs.solve(p1(), "hybrid", switch=-3, target_error=0.1), V, "switch=-3"),
    ("hybrid switch_at -1", lambda: hs.solve(p1(), "hybrid", switch="fixed", switch_at=-1, target_error=0.1), V,
     "switch_at"),
    ("hybrid fixed with a list", lambda: hs.solve(p1(), "hybrid", switch="fixed", switch_at=[1, 2], target_error=0.1),
     V, "switch_at"),
    ("hybrid dnn list", lambda: hs.solve(p1(), "hybrid", switch=0, dnn=[1, 2], target_error=0.1), V, "dnn="),
    ("hybrid correction_dnn int", lambda: hs.solve(p1(), "hybrid", switch=0, mode="alternating", correction_dnn=5,
                                                   target_error=0.1), V, "correction_dnn"),
    ("hybrid seed text", lambda: hs.solve(p1(), "hybrid", switch=0, seed="a", target_error=0.1), V, "seed"),
    ("hybrid omega 2.5", lambda: hs.solve(p1(), "hybrid", switch=0, omega=2.5, target_error=0.1), V, "omega"),
    ("hybrid dnn option unknown", lambda: hs.solve(p1(), "hybrid", switch=0, dnn=dict(learning_rate=1),
                                                   target_error=0.1), V, "learning_rate"),
    ("Fixed unknown option", lambda: __import__("hybridsolve.hybrid", fromlist=["Fixed"]).Fixed(3, foo=1), V, "foo"),
    ("Sweep unknown option", lambda: __import__("hybridsolve.hybrid", fromlist=["Sweep"]).Sweep([1], bar=2), V, "bar"),
]


class _Skip(Exception):
    pass


def _skip(why):
    raise _Skip(why)


def _cuda():
    import torch

    return torch.cuda.is_available()


def _mps():
    import torch

    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


@pytest.mark.parametrize("call, exc_type, word", [pytest.param(c, e, w, id=i) for i, c, e, w in CASES])
def test_bad_input_is_refused_naming_the_argument(call, exc_type, word, torch_one_thread):
    try:
        with pytest.raises(exc_type) as info:
            call()
    except _Skip as s:
        pytest.skip(str(s))
    msg = str(info.value)
    assert word.lower() in msg.lower(), f"the message does not name {word!r}: {msg}"
    assert "Traceback" not in msg and "weights_only=False" not in msg


def test_enough_cases():
    assert len(CASES) >= 60


# -- files: each refused with one clear error naming the file and what it is not -----------------------
def _history(tmp_path):
    h = hs.History([hs.Record("jacobi", 0, 0.0, {"residual": 1.0, "spec": np.arange(4.0)})], meta={"m": 1})
    return h.save(tmp_path / "history")


def _truncate_json(js):
    js.write_text(js.read_text()[:40])


def _corrupt_npz(js):
    js.with_suffix(".npz").write_bytes(b"PK\x03\x04garbage" * 10)


def _truncate_npz(js):
    npz = js.with_suffix(".npz")
    npz.write_bytes(npz.read_bytes()[:30])


def _foreign_json(js):
    js.write_text('{"name": "something else", "version": 3}')


def _list_json(js):
    js.write_text("[1, 2, 3]")


def _drop_npz(js):
    js.with_suffix(".npz").unlink()


def _bad_record(js):
    js.write_text('{"format": "hybridsolve.history/1", "meta": {}, "records": [{"phase": "x"}]}')


def _binary_json(js):
    js.write_bytes(bytes(range(256)))


def _other_format(js):
    js.write_text('{"format": "hybridsolve.history/9", "meta": {}, "records": []}')


@pytest.mark.parametrize("spoil", [_truncate_json, _corrupt_npz, _truncate_npz, _foreign_json, _list_json, _drop_npz,
                                   _bad_record, _binary_json, _other_format])
def test_history_load_refuses_damaged_files(tmp_path, spoil):
    js = _history(tmp_path)
    assert len(hs.History.load(js)) == 1          # the intact file loads
    spoil(js)
    with pytest.raises(ValueError, match=r"is not a hybridsolve history"):
        hs.History.load(js)


def _garbage(path):
    path.write_bytes(b"not a checkpoint at all\x00\x01")


def _truncated_torch(path):
    import torch

    torch.save({"model": {"w": torch.zeros(64)}}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _plain_pickle(path):
    with open(path, "wb") as f:
        pickle.dump({"format": "hybridsolve.deep_ritz/1", "x": object}, f)


def _foreign_torch(path):
    import torch

    torch.save({"weights": torch.zeros(3)}, path)


def _object_torch(path):
    import datetime

    import torch

    torch.save({"when": datetime.datetime(2020, 1, 1)}, path)


def _empty(path):
    path.write_bytes(b"")


@pytest.mark.parametrize("spoil", [_garbage, _truncated_torch, _plain_pickle, _foreign_torch, _object_torch, _empty])
def test_checkpoint_loaders_refuse_foreign_files(tmp_path, spoil, torch_one_thread):
    from hybridsolve.probes import train as tr
    from hybridsolve.solvers.deep_ritz import DeepRitz

    path = tmp_path / "ck.pt"
    spoil(path)
    with pytest.raises(ValueError, match=r"is not a Deep Ritz checkpoint \(format hybridsolve.deep_ritz/1\) \(") as a:
        DeepRitz.load_checkpoint(path, p1())
    with pytest.raises(ValueError, match=r"is not a Deep Ritz checkpoint"):
        dr(checkpoint=path, resume=True)
    with pytest.raises(ValueError, match=r"is not a training checkpoint of hybridsolve.probes.train \(") as b:
        _train(checkpoint=path, resume=True)
    for info in (a, b):
        assert str(path) in str(info.value) and "weights_only" not in str(info.value)
    assert path.read_bytes() is not None   # nothing overwrote the file before the refusal


def test_checkpoints_of_one_kind_are_not_taken_for_the_other(tmp_path, torch_one_thread):
    from hybridsolve.solvers.deep_ritz import DeepRitz

    ck = tmp_path / "dr.pt"
    DeepRitz(p1(), widths=(1, 8, 1)).save_checkpoint(ck)
    with pytest.raises(ValueError, match="it is a hybridsolve.deep_ritz/1 file"):
        _train(checkpoint=ck, resume=True)
    tk = tmp_path / "train.pt"
    _train(checkpoint=tk, epochs=1)
    with pytest.raises(ValueError, match="it is a hybridsolve.probes.train/1 file"):
        DeepRitz.load_checkpoint(tk, p1())
    # a training checkpoint of another model: refused before the model is touched
    from hybridsolve.probes import models

    other = models.fc_tanh([16, 12, 2], input_shape=(1, 4, 4))
    before = [p.detach().clone() for p in other.parameters()]
    with pytest.raises(ValueError, match="written for another model"):
        _train(other, checkpoint=tk, resume=True, epochs=2)
    assert all(bool((a == b).all()) for a, b in zip(before, other.parameters()))
    hist = _train(_fc(2), checkpoint=tmp_path / "fresh.pt", resume=True, epochs=1)   # no file yet: a fresh run
    assert len(hist) == 2
