"""The compiled-kernel cache is keyed by the simulation's sources, not the analysis code's."""

from __future__ import annotations

import ast
from pathlib import Path

import flowsim
from flowsim import numba_cache

PACKAGE = Path(flowsim.__file__).parent


def test_modules_left_out_of_the_hash_hold_no_kernel_and_are_imported_by_no_kernel_module():
    sources = {path.name: path.read_text(encoding="utf-8") for path in PACKAGE.glob("*.py")}
    for name in numba_cache.NOT_COMPILED & set(sources):
        assert "njit" not in sources[name], name
    analysis = {name.removesuffix(".py") for name in numba_cache.NOT_COMPILED}
    for name, text in sources.items():
        if name in numba_cache.NOT_COMPILED:
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and node.module:
                module = node.module.removeprefix("flowsim.")
                assert module not in analysis, f"{name} imports {node.module}"


def test_editing_a_simulation_module_changes_the_hash(tmp_path, monkeypatch):
    for path in PACKAGE.glob("*.py"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(numba_cache, "__file__", str(tmp_path / "numba_cache.py"))
    before = numba_cache._source_hash()
    with open(tmp_path / "cli.py", "a", encoding="utf-8") as handle:
        handle.write("\n# an edit outside the simulation\n")
    assert numba_cache._source_hash() == before
    with open(tmp_path / "reception.py", "a", encoding="utf-8") as handle:
        handle.write("\n# an edit to a kernel module\n")
    assert numba_cache._source_hash() != before
