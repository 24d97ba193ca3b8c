"""Where compiled numba kernels are cached, and when a cached kernel is stale.

Numba keys a cached kernel by its own source file only: an edit to a kernel it calls in
another file, or to a constant it reads from one, would leave the old compiled code in use.
flowsim's kernels call each other across modules, so each module's kernels are cached in a
folder named after a hash of that module **and every flowsim module it imports, directly or
not** (:func:`dependencies`): an edit recompiles the kernels of the edited module and of the
modules that import it, and nothing else. Editing one institution recompiles that
institution and the model's day (``model.py`` imports every institution), not the engine or
the other institutions, which import neither (``pyproject.toml``'s import contracts).

The hash is of the files' contents (and numba's version), not of their dates or of the
checkout's path, so two checkouts of the same sources share compiled kernels.

Only the simulation's layers (:data:`COMPILED`) hold kernels; ``tests/test_numba_cache.py``
fails if a module outside them holds one or is imported by one, since the layers above
(results, experiments, validation, the dashboard, the command line) only read, write or
analyse results.

Why not more specific still (each kernel by the kernels it calls)? A kernel's compiled code
also holds the constants and inlined helpers of the modules it imports; the import graph is
the dependency graph Python itself guarantees, and the institutions are already independent
of each other in it.
"""

from __future__ import annotations

import ast
import hashlib
import os
from functools import cache
from pathlib import Path

import numba
from numba.core import caching

# The simulation's layers: sub-packages and modules of flowsim that may hold kernels.
COMPILED = ("engine", "scenario", "institutions", "model.py")


def package_folder() -> Path:
    """The ``flowsim`` package folder (this module is in its ``engine`` sub-package)."""
    return Path(__file__).parents[1]


def compiled_sources(package: Path | None = None) -> list[Path]:
    """flowsim's source files that may hold kernels: every ``*.py`` of the layers in
    :data:`COMPILED`, at any depth."""
    package = package or package_folder()
    return [
        path
        for path in sorted(package.rglob("*.py"))
        if path.relative_to(package).parts[0] in COMPILED
    ]


def _module_file(package: Path, parts: list[str]) -> Path | None:
    """The file of the flowsim module ``parts`` (below the package), None if there is none."""
    path = package.joinpath(*parts)
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``): a block that never runs."""
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _run_imports(tree: ast.AST):
    """The import statements of a module that may run: at the top or inside a function,
    not under ``if TYPE_CHECKING:`` (annotations cannot change compiled code)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif _is_type_checking(node):
            todo.extend(node.orelse)
        else:
            todo.extend(ast.iter_child_nodes(node))


def imported_files(path: Path, package: Path | None = None) -> set[Path]:
    """The flowsim source files the module at ``path`` imports, at the top or inside a
    function, absolute or relative (not those imported for annotations only). ``from x
    import name`` counts ``x`` and, where ``name`` is a module of ``x``, that module."""
    package = package or package_folder()
    # ``engine/queues`` or ``engine/__init__``: a relative import of level n drops n parts
    own = list(path.relative_to(package).with_suffix("").parts)
    found: set[Path | None] = set()
    for node in _run_imports(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names = alias.name.split(".")
                if names[0] == "flowsim":
                    found.add(_module_file(package, names[1:]))
            continue
        if node.level:
            base = own[: len(own) - node.level]
        elif node.module and node.module.split(".")[0] == "flowsim":
            base = []
        else:
            continue
        names = node.module.split(".") if node.module else []
        parts = base + (names if node.level else names[1:])
        found.add(_module_file(package, parts))
        found.update(_module_file(package, [*parts, a.name]) for a in node.names)
    found.discard(None)
    return found  # type: ignore[return-value]


def dependencies(path: Path, package: Path | None = None) -> list[Path]:
    """The module at ``path`` and every flowsim module it imports, directly or through
    others (sorted): the sources its kernels' compiled code may depend on."""
    package = package or package_folder()
    seen: set[Path] = set()
    todo = [path]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(imported_files(current, package) - seen)
    return sorted(seen)


def dependency_hash(path: Path, package: Path | None = None) -> str:
    """A 16-hex-digit hash of numba's version and of the contents and package paths of
    :func:`dependencies` of the module at ``path``."""
    package = package or package_folder()
    digest = hashlib.sha256(numba.__version__.encode())
    for source in dependencies(path, package):
        # the path within the package (engine/states.py): moving a file changes the hash
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


@cache
def _hash_in_this_process(path: Path) -> str:
    # sources do not change under a running process; a kernel is compiled or loaded once
    return dependency_hash(path)


def cache_base() -> Path:
    """The folder holding flowsim's compiled kernels: ``NUMBA_CACHE_DIR`` if the user set it,
    else ``$XDG_CACHE_HOME/flowsim/numba`` (``~/.cache/flowsim/numba``)."""
    if numba.config.CACHE_DIR:
        return Path(numba.config.CACHE_DIR)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "flowsim" / "numba"


class DependencyLocator(caching._CacheLocator):
    """numba's cache locator for flowsim's kernels: the kernels of ``engine/queues.py`` live
    in ``<cache base>/engine/queues/<dependency hash>/``, and the hash is also the stamp
    numba checks before loading them."""

    def __init__(self, py_func, py_file: str):
        source = Path(py_file).resolve()
        self._lineno = py_func.__code__.co_firstlineno
        self._stamp = _hash_in_this_process(source)
        module = source.relative_to(package_folder()).with_suffix("")
        self._cache_path = cache_base().joinpath(*module.parts, self._stamp)

    def get_cache_path(self) -> str:
        return str(self._cache_path)

    def get_source_stamp(self) -> str:
        return self._stamp

    def get_disambiguator(self) -> str:
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        """A locator for a kernel of flowsim's simulation layers; None for any other
        function (numba's own locators take it) or if the cache folder is not writable."""
        try:
            relative = Path(py_file).resolve().relative_to(package_folder())
        except ValueError:
            return None
        if relative.parts[0] not in COMPILED:
            return None
        locator = cls(py_func, py_file)
        try:
            locator.ensure_cache_path()
        except OSError:
            return None  # numba falls back to __pycache__ next to the sources
        return locator


def configure() -> None:
    """Make numba look up flowsim's kernels with :class:`DependencyLocator` first."""
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # older numba: _CacheImpl
    if DependencyLocator not in impl._locator_classes:
        impl._locator_classes.insert(0, DependencyLocator)
