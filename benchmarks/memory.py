"""Bytes a case of the baseline, by kind of register (issue 19, part 4).

Builds the baseline (replication 0), then counts every array with one row per case in the
population and the institutions' registers, and the entry pools of the queues and calendars
at their capacity (:mod:`flowsim.engine.entries`), once built and once the run is over (the
pools have grown to their peaks by then). Figures in benchmarks/README.md.

Usage: ``.venv/bin/python benchmarks/memory.py [config.yaml]`` (about 10 s).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

from flowsim.engine.calendar import Calendar
from flowsim.engine.entries import nbytes
from flowsim.engine.queues import Queue
from flowsim.model import ProtectionSystem
from flowsim.scenario.loading import load_config

BASELINE = Path(__file__).resolve().parent.parent / "configs" / "belgium-baseline.yaml"


def registers(model: ProtectionSystem) -> dict[str, object]:
    """The model's per-case registers by kind: the population, the chain's queues, calendars
    and desks."""
    return {
        "cases": model.cases,
        "queues": model.queues,
        "CGRS desk": model.cgrs_desk,
        "reception": model.fedasil.departures,
        "Dublin desk": model.immigration_office.dublin,
        "status holders": model.status_holders,
        "returns": model.return_desk,
        "temporary protection": model.tp_desk,
    }


def bytes_by_kind(model: ProtectionSystem) -> Counter:
    """Bytes of the per-case arrays and pools, by kind: the queues' and calendars' per-case
    arrays and pools apart, the other registers' per-case arrays under their own names, and
    the CGRS decision log."""
    n_cases = len(model.cases.key)
    found: Counter = Counter()
    seen: set[int] = set()

    def walk(value, kind: str) -> None:
        if isinstance(value, Queue | Calendar):
            if id(value) in seen:  # the CGRS queue is in two registers
                return
            seen.add(id(value))
            name = "queue" if isinstance(value, Queue) else "calendar"
            found[f"{name}s, per case"] += sum(
                a.nbytes for a in value if isinstance(a, np.ndarray) and len(a) == n_cases
            )
            found[f"{name}s, pooled entries"] += nbytes(value)
        elif isinstance(value, tuple):
            for item in value:
                walk(item, kind)
        elif isinstance(value, np.ndarray) and value.ndim == 1 and len(value) == n_cases:
            found[kind] += value.nbytes

    for kind, register in registers(model).items():
        walk(register, kind)
    # a row per decision, room for a decision per case at first (grown if there are more)
    log = model.cgrs.log
    found["CGRS decision log"] = log.day.nbytes + log.profile.nbytes
    found["CGRS decision log"] += log.waited.nbytes + log.persons.nbytes
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", default=BASELINE, type=Path)
    args = parser.parse_args()
    model = ProtectionSystem(load_config(args.config), 0)
    n_cases, persons = len(model.cases.key), int(model.cases.size.sum())
    built = bytes_by_kind(model)
    model.run_to_end()
    ran = bytes_by_kind(model)
    print(f"{args.config.name}: {n_cases:,} cases, {persons:,} persons; bytes a case")
    print(f"{'':28} {'built':>7} {'after the run':>14}")
    for kind in sorted(ran, key=lambda k: -ran[k]):
        print(f"{kind:28} {built[kind] / n_cases:7.1f} {ran[kind] / n_cases:14.1f}")
    total_built, total_ran = sum(built.values()), sum(ran.values())
    print(f"{'total':28} {total_built / n_cases:7.1f} {total_ran / n_cases:14.1f}")
    print(f"{'total, bytes a person':28} {total_built / persons:7.1f} {total_ran / persons:14.1f}")


if __name__ == "__main__":
    main()
