"""History persistence and the case-file runner."""
from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

from hybridsolve import History, Record
from hybridsolve.cases import CaseError, load_case


def test_history_round_trip(tmp_path):
    h = History(meta={"problem": "paper_1d", "n": [1000]})
    h.append(Record("reference", 0, 0.0, {"spectrum": np.arange(5.0), "peaks": np.array([1, 4])}))
    h.append(Record("dnn", 10, 0.5, {"error_inf": 0.1, "delta_F": {1: 0.5, 4: 0.9}}))
    h.append(Record("jacobi", 3, 1.5, {"error_inf": float("nan"), "e_low": {3.0: 0.2, 7.0: 0.1}, "finite": False}))
    h.save(tmp_path / "history")
    g = History.load(tmp_path / "history.json")
    assert g.meta == h.meta and g.phases == ["reference", "dnn", "jacobi"]
    np.testing.assert_array_equal(g[0]["spectrum"], np.arange(5.0))
    assert g[1].delta_F == {1: 0.5, 4: 0.9}
    assert g[2]["e_low"] == {3.0: 0.2, 7.0: 0.1} and np.isnan(g[2].error_inf) and g[2]["finite"] is False
    ks, mat = g.matrix("delta_F")
    assert ks == [1, 4] and mat.shape == (2, 3)
    assert not list(tmp_path.glob("*.tmp"))


def _write(tmp_path, text):
    p = tmp_path / "case.toml"
    p.write_text(textwrap.dedent(text))
    return p


def test_history_json_is_strict_and_keeps_non_finite_values(tmp_path):
    """A diverged run (NaN, ±inf in records and meta) saves as strict JSON and loads back the same values."""
    h = History([Record("dnn", 0, 0.0, {"error_inf": 1.0, "loss": float("nan")}),
                 Record("dnn", 5, 0.1, {"error_inf": np.float32(np.inf), "pair": [1.0, -np.inf]})],
                meta={"floor": float("nan"), "small": np.array([0.5, np.nan])})
    js = h.save(tmp_path / "h")

    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token}")

    json.loads(js.read_text(), parse_constant=refuse)  # NaN / Infinity / -Infinity would land here
    back = History.load(js)
    assert np.isnan(back.records[0].data["loss"]) and back.records[0].data["error_inf"] == 1.0
    assert back.records[1].data["error_inf"] == np.inf and back.records[1].data["pair"] == [1.0, -np.inf]
    assert np.isnan(back.meta["floor"])


def test_case_validation_names_key_and_file(tmp_path):
    p = _write(tmp_path, """
        kind = "poisson"
        [params]
        n = "big"
        """)
    with pytest.raises(CaseError, match=r"case.toml.*key 'n' must be an integer"):
        load_case(p)
    p = _write(tmp_path, """
        kind = "poisson"
        [params]
        nn = 4
        """)
    with pytest.raises(CaseError, match=r"case.toml.*unknown key 'nn'; valid keys: problem, n"):
        load_case(p)
    p = _write(tmp_path, """
        kind = "poisson"
        [smoke]
        methods = "jacobi"
        """)
    with pytest.raises(CaseError, match=r"\[smoke\].*methods.*must be a list"):
        load_case(p)
    p = _write(tmp_path, 'kind = "nope"\n')
    with pytest.raises(CaseError, match="unknown kind 'nope'; valid kinds: .*poisson"):
        load_case(p)
    p = _write(tmp_path, 'kind = "poisson"\n[params]\nproblem = "nope"\n')
    with pytest.raises(CaseError, match="unknown problem 'nope'"):
        load_case(p)


def test_smoke_overrides_apply(tmp_path):
    p = _write(tmp_path, """
        kind = "poisson"
        [params]
        n = 64
        [smoke]
        n = 8
        """)
    assert load_case(p).params.n == 64
    assert load_case(p, smoke=True).params.n == 8


def test_every_experiment_module_imports_and_every_case_validates():
    from pathlib import Path

    from hybridsolve import cases

    cases.kinds()
    assert cases.IMPORT_ERRORS == {}
    root = Path(__file__).resolve().parents[2] / "cases"
    for path in sorted(root.glob("*.toml")):
        load_case(path)
        load_case(path, smoke=True)
