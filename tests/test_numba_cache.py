"""The compiled-kernel cache is keyed by the simulation's sources, not the analysis code's."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import flowsim
from flowsim.engine import numba_cache

PACKAGE = Path(flowsim.__file__).parent
# the layers above the model: they read, write or analyse results
ANALYSIS = ("results", "experiments", "validation", "dashboard", "docs", "cli.py", "data")


def _file(package: Path, module: str) -> Path | None:
    """The source file of a flowsim module (``flowsim.engine.states``), None if none."""
    path = package.joinpath(*module.split(".")[1:])
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported(package: Path, tree: ast.AST) -> set[Path]:
    """The flowsim files a module imports (lazily or for annotations too)."""
    found: set[Path | None] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module.split(".")[0] != "flowsim":
                continue
            found.add(_file(package, node.module))
            # ``from flowsim.engine import states`` names a module
            found.update(_file(package, f"{node.module}.{a.name}") for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(_file(package, a.name) for a in node.names if a.name[:8] == "flowsim.")
    found.discard(None)
    return found  # type: ignore[return-value]


def _left_out_but_compiled(package: Path) -> list[str]:
    """What would make the hash miss a compiled source: a module outside the hashed layers
    holding a kernel, or a hashed module importing one from outside them."""
    compiled = set(numba_cache.compiled_sources())
    problems = []
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if path not in compiled:
            if "njit" in text:
                problems.append(f"{path.relative_to(package)} holds a kernel")
            continue
        for imported in _imported(package, ast.parse(text)):
            if imported not in compiled:
                problems.append(f"{path.relative_to(package)} imports {imported.name}")
    return problems


def test_modules_left_out_of_the_hash_hold_no_kernel_and_are_imported_by_no_kernel_module():
    assert _left_out_but_compiled(PACKAGE) == []


def test_the_check_fails_for_a_kernel_outside_the_hashed_layers(tmp_path, monkeypatch):
    copy = tmp_path / "flowsim"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(numba_cache, "__file__", str(copy / "engine" / "numba_cache.py"))
    assert _left_out_but_compiled(copy) == []
    (copy / "results" / "fast.py").write_text("from numba import njit\n", encoding="utf-8")
    assert _left_out_but_compiled(copy) == ["results/fast.py holds a kernel"]
    (copy / "results" / "fast.py").unlink()
    with open(copy / "institutions" / "reception.py", "a", encoding="utf-8") as handle:
        handle.write("from flowsim.results.runs import versions\n")
    assert _left_out_but_compiled(copy) == ["institutions/reception.py imports runs.py"]


def test_the_simulation_layers_are_hashed_and_the_layers_above_them_are_not():
    compiled = set(numba_cache.compiled_sources())
    assert not set(ANALYSIS) & set(numba_cache.COMPILED)
    root = ("__init__.py", "__main__.py")  # the public names, ``python -m flowsim``
    for path in PACKAGE.rglob("*.py"):
        top = path.relative_to(PACKAGE).parts[0]
        assert (path in compiled) == (top in numba_cache.COMPILED), path
        # every part of the package is placed on one side, a new folder too
        assert top in (*numba_cache.COMPILED, *ANALYSIS, *root), path
    dashboard = [p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] == "dashboard"]
    assert len(dashboard) > 5  # the package, not a single module
    assert {p.relative_to(PACKAGE).parts[0] for p in compiled} == set(numba_cache.COMPILED)


def test_editing_a_simulation_module_changes_the_hash(tmp_path, monkeypatch):
    copy = tmp_path / "flowsim"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(numba_cache, "__file__", str(copy / "engine" / "numba_cache.py"))
    before = numba_cache._source_hash()
    for outside in (
        "cli.py",
        "dashboard/page.py",
        "data/__init__.py",
        "results/runs.py",
        "experiments/sweep.py",
        "validation/calibration.py",
    ):
        with open(copy / outside, "a", encoding="utf-8") as handle:
            handle.write("\n# an edit outside the simulation\n")
        assert numba_cache._source_hash() == before, outside
    for inside in (
        "institutions/reception.py",
        "engine/states.py",
        "scenario/ranges.py",
        "model.py",
    ):
        after = numba_cache._source_hash()
        with open(copy / inside, "a", encoding="utf-8") as handle:
            handle.write("\n# an edit to the simulation\n")
        assert numba_cache._source_hash() != after, inside
    # a new module (or sub-package) of a simulation layer is hashed: it might hold kernels
    after = numba_cache._source_hash()
    (copy / "engine" / "kernels").mkdir()
    (copy / "engine" / "kernels" / "fast.py").write_text("# a kernel\n", encoding="utf-8")
    assert numba_cache._source_hash() != after
