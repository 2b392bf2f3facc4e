"""The benchmarks (top-level ``benchmarks/``, not installed): their cases validate, their smallest
runs work, and docs/benchmarks.md changes only with ``--update-docs``."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import benchmarks
from benchmarks.__main__ import main
from hybridsolve.cases import load_case

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "benchmarks.md"


def _doc_text():
    return DOC.read_text() if DOC.exists() else None


def test_every_benchmark_case_validates():
    for topic in benchmarks.TOPICS:
        benchmarks.load(topic)  # registers the kind bench_<topic>
        case = load_case(benchmarks.case_path(topic))
        assert case.kind == f"bench_{topic}"
        load_case(benchmarks.case_path(topic), smoke=True)
    assert sorted(p.name for p in benchmarks.CASES.glob("*.toml")) == sorted(f"bench_{t}.toml" for t in benchmarks.TOPICS)
    assert not list((ROOT / "cases").glob("bench_*.toml"))  # the bundled cases carry no benchmark


def test_triad(rng):
    b = rng.standard_normal(200_001)
    out = np.empty_like(b)
    benchmarks.load("classical").triad_kernel()(out, b, b, 2.0)
    np.testing.assert_allclose(out, 3 * b, rtol=1e-12, atol=1e-12 * max(1.0, float(np.max(np.abs(3 * b)))))


def test_bench_classical_smoke(tmp_path):
    before = _doc_text()
    summary = benchmarks.run("classical", tmp_path, smoke=True, verbose=False)
    md = summary["markdown"]
    assert "| target | measured | status |" in md and "python -m benchmarks classical" in md
    assert md.count("met**") >= 7  # every target row carries a verdict
    raw = json.loads((tmp_path / "bench_classical.json").read_text())
    assert all(r["jacobi_GBs"] > 0 and r["triad_GBs"] > 0 for r in raw["bandwidth"])
    assert raw["solvers"][0]["multigrid_V"]["relres"] <= 1e-8
    assert raw["solvers"][0]["pyamg"]["relres"] <= 1e-8
    assert all(r["ratio"] <= 2 for r in raw["fmg"])
    assert (tmp_path / "summary.json").exists()
    assert _doc_text() == before  # a run never touches the docs


def test_bench_deep_ritz_smoke(tmp_path):
    before = _doc_text()
    summary = benchmarks.run("deep_ritz", tmp_path, smoke=True, verbose=False)
    md = summary["markdown"]
    assert "ms/step" in md and "matmul" in md and "discrete_ritz" in md and "Smoke size" in md
    assert summary["discrete_ritz_ms_per_step"] > 0 and summary["matmul_gflops"] > 0
    assert _doc_text() == before  # smoke numbers never reach the docs


def test_update_doc(tmp_path):
    doc = tmp_path / "b.md"
    benchmarks.update_doc("x", "| a |\n", path=doc)
    benchmarks.update_doc("y", "| b |\n", path=doc)
    benchmarks.update_doc("x", "| c |\n", path=doc)
    text = doc.read_text()
    assert "| c |" in text and "| a |" not in text and "| b |" in text


def test_docs_change_only_with_update_docs(tmp_path, monkeypatch, capsys):
    from hybridsolve import cases

    def fake_run_case(path, out=None, smoke=False, **kw):
        assert Path(path) == benchmarks.case_path("monitor")
        Path(out).mkdir(parents=True, exist_ok=True)
        return {"markdown": f"| fake {'smoke' if smoke else 'full'} |"}

    monkeypatch.setattr(cases, "run_case", fake_run_case)
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n")
    assert main(["monitor", "--out", str(tmp_path / "a"), "--docs", str(doc)]) == 0
    assert main(["monitor", "--smoke", "--out", str(tmp_path / "b"), "--docs", str(doc)]) == 0
    assert doc.read_text() == "# Benchmarks\n"  # neither a run nor --out writes the docs
    assert main(["monitor", "--smoke", "--update-docs", "--docs", str(doc)]) == 2
    assert "full-size" in capsys.readouterr().err and doc.read_text() == "# Benchmarks\n"
    assert main(["monitor", "--out", str(tmp_path / "c"), "--docs", str(doc), "--update-docs"]) == 0
    text = doc.read_text()
    assert "<!-- bench:monitor -->\n| fake full |\n<!-- /bench:monitor -->" in text


def test_python_m_benchmarks_runs_from_the_repository_root(tmp_path):
    before = _doc_text()
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "monitor", "--smoke", "--out", str(tmp_path / "m")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "python -m benchmarks monitor" in proc.stdout
    assert json.loads((tmp_path / "m" / "summary.json").read_text())["status"] == "done"
    assert _doc_text() == before


def test_hybridsolve_cli_has_no_bench_command(capsys):
    from hybridsolve.cli import main as cli_main

    with pytest.raises(SystemExit) as exc:
        cli_main(["bench", "classical"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
