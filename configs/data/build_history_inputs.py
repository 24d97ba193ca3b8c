"""Build the monthly applications (CSV ``month,persons``) of ``belgium-history.yaml``
(2015-2022) and ``hindcast-2023-2024.yaml`` (2023-2024, inputs only) from flowsim's observed
data.

Rule, per calendar year: the observed monthly applications where they exist
(``applications``, monthly, in ``flowsim/data/observed.csv``); the rest of the observed annual
total is spread over the missing months by weights: 1 each (evenly), except 2020 (the COVID
stop of registrations from mid-March 2020, an assumption), 2022 and 2023 (the seasonal shape
of ``belgium-baseline.yaml``, an assumption). Run from the repository root:

    .venv/bin/python configs/data/build_history_inputs.py
"""

from __future__ import annotations

from pathlib import Path

from flowsim.observed import load_observed, resolutions

FILES = {
    "belgium-history-applications.csv": range(2015, 2023),
    "hindcast-2023-2024-applications.csv": range(2023, 2025),
}
# Relative weights of the months with no observed figure (assumptions, see above).
WEIGHTS = {
    2020: {2: 1.6, 3: 0.8, 4: 0.15, 5: 0.4},
    2022: {3: 2500, 4: 2500, 5: 2700, 6: 2900, 7: 3100, 8: 3400, 9: 3800, 11: 3600, 12: 3177},
    2023: {1: 2700, 2: 2400, 3: 2600, 4: 2400, 5: 2500, 6: 2739, 7: 3100, 8: 2972, 9: 3300}
    | {11: 3700, 12: 3356},
}


def monthly_applications(years: range) -> dict[str, int]:
    """Persons per month ``YYYY-MM`` for ``years``, by the rule above."""
    table = load_observed()
    rows = table[(table["series"] == "applications") & (table["kind"] == "flow")]
    rows = rows.assign(resolution=resolutions(rows))
    out: dict[str, int] = {}
    for year in years:
        months = rows[(rows["resolution"] == "month") & (rows["start"].dt.year == year)]
        known = {int(m): float(v) for m, v in zip(months["start"].dt.month, months["value"])}
        if year == 2022:  # January is only known with February (4,970 for 2022-01/02)
            known[1] = 4970.0 - known[2]
        annual = rows[(rows["resolution"] == "year") & (rows["start"].dt.year == year)]
        total = float(annual["value"].iloc[0])
        missing = [m for m in range(1, 13) if m not in known]
        weights = {m: WEIGHTS.get(year, {}).get(m, 1.0) for m in missing}
        rest = total - sum(known.values())
        for month in range(1, 13):
            value = known.get(month, rest * weights.get(month, 0.0) / sum(weights.values() or [1]))
            out[f"{year}-{month:02d}"] = round(value)
    return out


if __name__ == "__main__":
    for name, years in FILES.items():
        out = Path(__file__).with_name(name)
        lines = ["month,persons"] + [f"{m},{p}" for m, p in monthly_applications(years).items()]
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {out} ({len(lines) - 1} months)")
