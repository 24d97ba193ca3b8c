"""Speed benchmarks for flowsim: `make bench` (figures go in benchmarks/README.md).

Measures, JIT compilation excluded (one warm-up run first):
- the baseline's national run (2023-2025): median seconds per replication (model set-up included);
- the same with the inflow scaled x4 and x16: time against persons simulated;
- peak memory in bytes per person (tracemalloc: every allocation, numpy arrays included);
- person-days simulated per second.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from pathlib import Path

from flowsim.engine.series import STOCK_COLUMNS
from flowsim.results.runs import replication
from flowsim.scenario.loading import load_config, scenario_from_dict

BASELINE = Path(__file__).resolve().parent.parent / "configs" / "belgium-baseline.yaml"


def scenario_scaled(scale: float):
    """The baseline (its ensemble member 0, as replication 0 runs) with every inflow, stock
    and capacity multiplied by ``scale``."""
    raw = load_config(BASELINE).member(0).model_dump(mode="json")
    raw["inflow"]["scale"] = scale
    init = raw["initial_state"]
    for key, value in init.items():  # every group of persons, not the waits in days
        if key == "in_reception_persons":
            init[key] = {k: v * scale for k, v in value.items()}
        elif key.endswith("_persons"):
            init[key] = value * scale
    for centre in raw["reception"]["centres"].values():
        centre["places"] *= scale
    for change in raw["changes"]:
        for how in ("add", "set"):  # a dumped change has every verb, None but its own
            if change["field"].endswith(".places") and change.get(how) is not None:
                change[how] *= scale
    raw["immigration_office"]["registration_capacity_persons_per_day"] *= scale
    raw["municipalities"]["housing_persons_per_month"] *= scale
    returns = raw["returns"]
    returns["counsellors_fte"] *= scale
    returns["removals_persons_per_month"] *= scale
    resettlement = raw["resettlement"]
    resettlement["pledges_persons"] = {
        year: v * scale for year, v in resettlement["pledges_persons"].items()
    }
    for key in ("selection_persons_per_month", "transfer_persons_per_month"):
        resettlement[key] *= scale
    tp = raw["temporary_protection"]
    tp["monthly_persons"] = {month: v * scale for month, v in tp["monthly_persons"].items()}
    tp["crisis_housing_places"] *= scale
    raw["cgrs"]["case_officers_fte"] *= scale
    raw["call"]["decisions_per_month"] *= scale
    for change in raw["changes"]:
        if change["field"] == "cgrs.case_officers_fte" and change.get("add") is not None:
            change["add"] *= scale
        if change["field"].startswith("resettlement.") and change.get("set") is not None:
            change["set"] *= scale
    return scenario_from_dict(raw, f"baseline x{scale:g}")


def measure(scale: float, repeats: int) -> dict:
    """Median wall time of one replication and the persons it simulated."""
    scenario = scenario_scaled(scale)
    times, setups = [], []
    for seed in range(repeats):
        started = time.perf_counter()
        with replication(scenario, seed) as model:  # as `flowsim run` and sweeps run one
            setups.append(time.perf_counter() - started)
            frame = model.run_to_end()
            persons = int(model.cases.size.sum())
        times.append(time.perf_counter() - started)
    person_days = float(frame[list(STOCK_COLUMNS)].to_numpy().sum())
    tracemalloc.start()
    with replication(scenario, 0) as model:
        model.run_to_end()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    median = statistics.median(times)
    return {
        "scale": scale,
        "persons": persons,
        "median_s": median,
        "setup_s": statistics.median(setups),
        "person_days_per_s": person_days / median,
        "peak_bytes_per_person": peak / persons,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with replication(scenario_scaled(1.0), 0) as model:  # JIT warm-up, not timed
        model.run_to_end()
    print(
        f"{'inflow':>7} {'persons':>10} {'median s':>9} {'set-up s':>9} {'s/M persons':>12} "
        f"{'person-days/s':>14} {'peak bytes/person':>18}"
    )
    for scale in (1.0, 4.0, 16.0):
        r = measure(scale, args.repeats if scale < 16 else max(1, args.repeats // 2))
        print(
            f"{f'x{scale:g}':>7} {r['persons']:>10,} {r['median_s']:>9.3f} {r['setup_s']:>9.3f} "
            f"{r['median_s'] / r['persons'] * 1e6:>12.2f} {r['person_days_per_s']:>14,.0f} "
            f"{r['peak_bytes_per_person']:>18.0f}"
        )


if __name__ == "__main__":
    main()
