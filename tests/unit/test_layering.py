"""Imports go one way (docs/architecture.md): no module imports from a layer above its own."""
import ast
from pathlib import Path

import hybridsolve

ROOT = Path(hybridsolve.__file__).parent
LAYERS = [
    {"_util", "_numba", "_logging", "_memory", "history", "grid", "result"},
    {"problem", "problems", "operators", "spectral", "stopping"},   # the discrete problem and its maths
    {"kernels"},
    {"iteration"},
    {"nn", "solvers"},
    {"monitor"},
    {"hybrid", "switch"},
    {"probes", "plots"},
    {"schema", "rundir", "cases", "experiments", "export", "cli", "__main__", "__init__"},
]
RANK = {m: i for i, layer in enumerate(LAYERS) for m in layer}


def _imports(path: Path):
    """Top-level package modules that ``path`` imports relatively (``from ..x import y`` → ``x``)."""
    rel = path.relative_to(ROOT).with_suffix("")
    package = list(rel.parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            base = package[: len(package) - (node.level - 1)]
            target = base + (node.module.split(".") if node.module else [])
            yield from ([target[0]] if target else [a.name for a in node.names])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hybridsolve."):
            yield node.module.split(".")[1]


def test_every_module_is_in_a_layer():
    tops = {p.relative_to(ROOT).parts[0].removesuffix(".py") for p in ROOT.rglob("*.py")} - {"_cases"}
    assert tops <= set(RANK), f"modules without a layer: {sorted(tops - set(RANK))}"


def test_imports_go_one_way():
    upward = []
    for path in ROOT.rglob("*.py"):
        top = path.relative_to(ROOT).parts[0].removesuffix(".py")
        if top == "_cases":
            continue
        for target in _imports(path):
            if target in RANK and RANK[target] > RANK[top]:
                upward.append(f"{path.relative_to(ROOT)} imports {target}")
    assert not upward, "upward imports: " + "; ".join(upward)
