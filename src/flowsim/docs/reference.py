"""The scenario reference: every field of a scenario file with its range, default, whether a
dated change may move it, and the sentence that explains it, generated from the schema
(:mod:`flowsim.scenario`) so that it cannot drift from what the loader accepts.

The sentence of a field is the comment on its line in the schema's source (the modules of
:mod:`flowsim.scenario`; or the comment lines just above it); a section's is its class
docstring. ``python -m flowsim.docs.reference`` writes ``docs/reference.md``; a test keeps
it current. :mod:`flowsim.docs.schema` puts the same sentences into the JSON Schema, so an
editor shows them as the analyst types.
"""

from __future__ import annotations

import inspect
import io
import re
import sys
import tokenize
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from flowsim.scenario.scenario import Scenario
from flowsim.scenario.timeline import CHANGEABLE_SECTIONS

_FIELD = re.compile(r"^    (\w+)\s*:")


class FieldRow(NamedTuple):
    """One line of the reference."""

    path: str  # dotted, ``<name>`` for a key the user chooses, ``[]`` for a list item
    kind: str  # number, integer, text, yes/no, date, mapping, list
    bounds: str  # e.g. "0 to 1", "> 0", ""
    default: str  # "required" when it has none
    changeable: bool  # a dated change (or a trigger) may move it
    meaning: str


@cache
def field_comments(cls: type) -> dict[str, str]:
    """Each field of a pydantic model class with the comment that explains it in the source:
    the comment on the field's first line, else the comment lines just above it; fields a
    class inherits take their base class's comment."""
    found: dict[str, str] = {}
    for base in reversed(cls.__mro__[1:]):
        if issubclass(base, BaseModel) and base is not BaseModel:
            found.update(field_comments(base))
    return found | _own_comments(cls)


def _own_comments(cls: type) -> dict[str, str]:
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    comments: dict[int, str] = {}  # line number -> comment text
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    lines = source.splitlines()
    found: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        match = _FIELD.match(line)
        if not match or match.group(1) not in getattr(cls, "model_fields", {}):
            continue
        if number in comments:
            found[match.group(1)] = comments[number]
            continue
        above = []
        k = number - 1
        while k >= 1 and lines[k - 1].lstrip().startswith("#"):
            above.insert(0, comments.get(k, ""))
            k -= 1
        if above:
            found[match.group(1)] = " ".join(above)
    return found


def _first_paragraph(text: str | None) -> str:
    paragraph = (inspect.cleandoc(text or "")).split("\n\n")[0]
    return " ".join(paragraph.split())


def _bounds(metadata: list[Any]) -> str:
    """A field's allowed range: ``0 to 1`` when both ends are included, else its bounds
    with their operators (``> 0``, ``>= 1, < 5``); empty without one."""
    low = high = None
    for item in metadata:
        for c in getattr(item, "metadata", [item]):
            if isinstance(c, Ge | Gt):
                low = (">=", c.ge) if isinstance(c, Ge) else (">", c.gt)
            elif isinstance(c, Le | Lt):
                high = ("<=", c.le) if isinstance(c, Le) else ("<", c.lt)
    if low and high and low[0] == ">=" and high[0] == "<=":
        return f"{low[1]:g} to {high[1]:g}"
    return ", ".join(f"{op} {value:g}" for op, value in filter(None, (low, high)))


def _models(annotation: Any) -> tuple[str, type[BaseModel] | None]:
    """The kind of an annotation and the model it holds (itself, a dict's values, a list's
    items), if any."""
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is typing.Annotated:
        return _models(args[0])
    if origin in (typing.Union, types.UnionType) and len(args) == 1:
        return _models(args[0])
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return "section", annotation
    if origin is dict:
        inner = args[1] if len(args) > 1 else None
        kind, model = _models(inner)
        return ("mapping of " + kind if model is None else "mapping"), model
    if origin is list:
        kind, model = _models(args[0]) if args else ("", None)
        return ("list of " + kind if model is None else "list"), model
    if origin is typing.Literal:
        return "one of " + ", ".join(str(a) for a in typing.get_args(annotation)), None
    names = {
        float: "number",
        int: "integer",
        str: "text",
        bool: "yes/no",
    }
    if annotation in names:
        return names[annotation], None
    return getattr(annotation, "__name__", str(annotation)), None


def _default(info: Any) -> str:
    if info.default is PydanticUndefined and info.default_factory is None:
        return "required"
    value = info.default if info.default_factory is None else info.default_factory()
    if isinstance(value, BaseModel):
        return "see below"
    if value in ({}, [], None):
        return "none"
    if value == "":
        return "empty"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def rows(model: type[BaseModel] = Scenario, prefix: str = "") -> list[FieldRow]:
    """Every field of ``model`` and of the sections within it, depth first."""
    out: list[FieldRow] = []
    comments = field_comments(model)
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        kind, inner = _models(info.annotation)
        section = path.split(".")[0]
        numeric = kind in ("number", "integer") or kind.endswith("of number")
        meaning = comments.get(name, "")
        if inner is not None and not meaning:
            meaning = _first_paragraph(inner.__doc__)
        out.append(
            FieldRow(
                path,
                kind,
                _bounds(info.metadata),
                _default(info),
                section in CHANGEABLE_SECTIONS and numeric,
                meaning,
            )
        )
        if inner is not None and inner is not model:
            below = (
                f"{path}.<name>."
                if kind == "mapping"
                else f"{path}[]."
                if kind == "list"
                else f"{path}."
            )
            out += rows(inner, below)
    return out


def markdown() -> str:
    """``docs/reference.md``: one table per section of a scenario file."""
    from flowsim.results.markdown import table

    lines = [
        "# Scenario file reference",
        "",
        "Every field of a scenario file, generated from the schema by `python -m "
        "flowsim.docs.reference` (a test keeps this page current): its kind and allowed range, its "
        "default (required fields have none), whether a dated change (`changes:`) or a trigger "
        "may move it, and what it means, units included. `<name>` stands for a key you choose "
        "(a centre, a nationality group); `[]` for an item of a list. How a file is put "
        "together (`base:`, changes, ranges of plausible values) is in "
        "[scenarios.md](scenarios.md).",
        "",
    ]
    everything = rows()
    header = ["field", "kind", "range", "default", "dated change", "meaning"]

    def cells(r: FieldRow) -> list[str]:
        return [
            f"`{r.path}`",
            r.kind,
            r.bounds,
            r.default,
            "yes" if r.changeable else "",
            r.meaning,
        ]

    # the scenario's own fields (name, dates, ...) first, then one table per section
    sections = [r for r in everything if "." not in r.path]
    plain = [
        r
        for r in sections
        if not any(o.path.startswith((r.path + ".", r.path + "[")) for o in everything)
    ]
    lines += ["## The scenario", "", table(header, [cells(r) for r in plain])]
    for top in (r for r in sections if r not in plain):
        inside = [r for r in everything if r.path.startswith((top.path + ".", top.path + "["))]
        lines += [f"## `{top.path}`", ""]
        if top.meaning:
            lines += [top.meaning, ""]
        lines.append(table(header, [cells(r) for r in inside]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Write ``docs/reference.md`` (or the file given)."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else Path("docs") / "reference.md"
    target.write_text(markdown(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
