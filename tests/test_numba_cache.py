"""The compiled-kernel cache is keyed by the simulation's sources, not the analysis code's."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import flowsim
from flowsim import numba_cache

PACKAGE = Path(flowsim.__file__).parent


def _module(path: Path) -> str:
    """``dashboard/page.py`` -> ``dashboard.page``."""
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def test_modules_left_out_of_the_hash_hold_no_kernel_and_are_imported_by_no_kernel_module():
    sources = {path: path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py")}
    compiled = set(numba_cache.compiled_sources())
    for path, text in sources.items():
        if path not in compiled:
            assert "njit" not in text, path
    # entries name a module file or a sub-package folder
    analysis = {name.removesuffix(".py") for name in numba_cache.NOT_COMPILED}
    for path in compiled:
        for node in ast.walk(ast.parse(sources[path])):
            if isinstance(node, ast.ImportFrom) and node.module:
                top = node.module.removeprefix("flowsim.").split(".")[0]
                assert top not in analysis, f"{_module(path)} imports {node.module}"


def test_every_dashboard_module_is_left_out():
    dashboard = {p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] == "dashboard"}
    assert len(dashboard) > 5  # the package, not a single module
    assert not dashboard & set(numba_cache.compiled_sources())


def test_editing_a_simulation_module_changes_the_hash(tmp_path, monkeypatch):
    copy = tmp_path / "flowsim"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(numba_cache, "__file__", str(copy / "numba_cache.py"))
    before = numba_cache._source_hash()
    for outside in ("cli.py", "dashboard/page.py", "data/__init__.py"):
        with open(copy / outside, "a", encoding="utf-8") as handle:
            handle.write("\n# an edit outside the simulation\n")
        assert numba_cache._source_hash() == before, outside
    with open(copy / "reception.py", "a", encoding="utf-8") as handle:
        handle.write("\n# an edit to a kernel module\n")
    assert numba_cache._source_hash() != before
    # a new sub-package is hashed unless it is listed: it might hold kernels
    after = numba_cache._source_hash()
    (copy / "kernels").mkdir()
    (copy / "kernels" / "fast.py").write_text("# a kernel\n", encoding="utf-8")
    assert numba_cache._source_hash() != after
