"""The compiled-kernel cache is keyed by the simulation's sources, not the analysis code's."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import flowsim
from flowsim.engine import numba_cache

PACKAGE = Path(flowsim.__file__).parent
# the layers above the model: they read, write or analyse results
ANALYSIS = ("results", "experiments", "validation", "dashboard", "docs", "cli.py", "data")


def _left_out_but_compiled(package: Path) -> list[str]:
    """What would make the hash miss a compiled source: a module outside the hashed layers
    holding a kernel, or a hashed module importing one from outside them."""
    compiled = set(numba_cache.compiled_sources(package))
    problems = []
    for path in sorted(package.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if path not in compiled:
            if "njit" in text:
                problems.append(f"{path.relative_to(package)} holds a kernel")
            continue
        for imported in numba_cache.imported_files(path, package):
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


def _hashes(package: Path) -> dict[str, str]:
    return {
        path.relative_to(package).as_posix(): numba_cache.dependency_hash(path, package)
        for path in numba_cache.compiled_sources(package)
    }


def _edit(path: Path) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n# an edit\n")


def test_an_edit_changes_the_hash_of_the_edited_module_and_of_those_that_import_it_only(tmp_path):
    copy = tmp_path / "flowsim"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = _hashes(copy)
    for outside in ("cli.py", "dashboard/page.py", "results/runs.py", "validation/calibration.py"):
        _edit(copy / outside)
    assert _hashes(copy) == before  # analysis code never recompiles a kernel

    _edit(copy / "institutions" / "returns.py")
    after = _hashes(copy)
    changed = {module for module in before if after[module] != before[module]}
    # the model's day imports every institution; no other institution imports returns
    assert changed == {"institutions/returns.py", "model.py"}

    _edit(copy / "engine" / "queues.py")
    again = _hashes(copy)
    changed = {module for module in after if again[module] != after[module]}
    assert {"engine/queues.py", "institutions/reception.py", "model.py"} <= changed
    assert "engine/calendar.py" not in changed and "engine/states.py" not in changed


def test_imports_are_followed_through_relative_lazy_and_aliased_forms_not_annotations(tmp_path):
    package = tmp_path / "flowsim"
    engine = [f"engine/{name}.py" for name in ("__init__", "a", "b", "c", "d", "e")]
    for name in (*engine, "model.py"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text("", encoding="utf-8")
    (package / "engine" / "a.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import b\n"
        "import flowsim.engine.c as c\n"
        "def later():\n    from flowsim.engine.d import thing\n"
        "if TYPE_CHECKING:\n    from flowsim import model\n",
        encoding="utf-8",
    )
    (package / "engine" / "d.py").write_text("from .e import other\n", encoding="utf-8")
    names = {
        p.relative_to(package).as_posix()
        for p in numba_cache.dependencies(package / "engine" / "a.py", package)
    }
    assert names == set(engine)  # model.py only for annotations


CHILD = """
from flowsim.engine.calendar import new_calendar, take_due
calendar = new_calendar(5, 3)
take_due(calendar, 0)
print(sum(take_due.stats.cache_hits.values()), sum(take_due.stats.cache_misses.values()))
"""


def test_a_kernel_is_loaded_from_the_cache_until_a_module_it_imports_changes(tmp_path):
    """Real numba caching in fresh processes, on a copy of the package."""
    source = tmp_path / "src"
    shutil.copytree(PACKAGE, source / "flowsim", ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "kernels"), PYTHONPATH=str(source))

    def hits_and_misses() -> tuple[int, int]:
        done = subprocess.run(
            [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
        )
        hits, misses = done.stdout.split()
        return int(hits), int(misses)

    assert hits_and_misses() == (0, 1)  # compiled
    assert hits_and_misses() == (1, 0)  # loaded
    _edit(source / "flowsim" / "engine" / "queues.py")  # calendar does not import queues
    _edit(source / "flowsim" / "model.py")
    assert hits_and_misses() == (1, 0)
    _edit(source / "flowsim" / "engine" / "calendar.py")
    assert hits_and_misses() == (0, 1)
    cached = {
        p.relative_to(tmp_path / "kernels").parts[:2] for p in (tmp_path / "kernels").rglob("*.nbi")
    }
    assert cached == {("engine", "calendar"), ("engine", "entries")}  # its pool's kernels
