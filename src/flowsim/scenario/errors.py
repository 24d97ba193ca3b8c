"""How a scenario's problems are reported: every problem as one line naming the file, the
field path and what was expected (:class:`ConfigError`)."""

from __future__ import annotations

from pydantic import ValidationError


class ConfigError(Exception):
    """A scenario file that cannot be run; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def abbrev(items: list[str], limit: int = 4) -> str:
    """The first ``limit`` items, comma separated, then how many more there are."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def format_errors(err: ValidationError, source: str) -> list[str]:
    """One line per problem: ``file: field.path: what was expected``."""
    lines: list[str] = []
    for problem in err.errors(include_url=False):
        loc = ".".join(str(part) for part in problem["loc"])
        kind = problem["type"]
        if kind == "extra_forbidden":
            message = "unknown field"
        elif kind == "missing":
            message = "required field is missing"
        elif kind == "value_error":
            message = str(problem["ctx"]["error"])
        else:
            message = f"{problem['msg'][0].lower()}{problem['msg'][1:]}"
            if "input" in problem and not isinstance(problem["input"], dict | list):
                message += f", got {problem['input']!r}"
        for part in message.split("\n"):
            if part.startswith("@"):  # a model check naming a field below its own path
                sub, part = part[1:].split(": ", 1)
                where = f"{loc}.{sub}" if loc else sub
                lines.append(f"{source}: {where}: {part}")
            elif not loc:  # whole-scenario checks name their own field path
                lines.append(f"{source}: {part}")
            else:
                lines.append(f"{source}: {loc}: {part}")
    return lines
