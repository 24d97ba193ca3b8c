"""The monthly schedules of first and subsequent applications built from observed data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flowsim.validation.inputs import SCHEDULES, schedule, write_schedules, yearly_subsequent
from flowsim.validation.observed import load_observed


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return load_observed()


@pytest.fixture(scope="module")
def built(table) -> pd.DataFrame:
    frame = schedule(table, range(2015, 2025))
    return frame.assign(year=frame["month"].str[:4].astype(int))


def test_parts_add_up_to_the_applications(built) -> None:
    parts = built["first"] + built["subsequent"] + built["resettled"]
    np.testing.assert_allclose(parts, built["applications"])
    assert (built[["first", "subsequent", "resettled"]] >= 0).all().all()


def test_observed_subsequent_figures_are_kept(table, built) -> None:
    by_year = built.groupby("year")["subsequent"].sum()
    for year, value in ((2018, 4405), (2021, 5432), (2022, 4652), (2023, 5918), (2024, 6469)):
        assert by_year[year] == pytest.approx(value)
    months = built.set_index("month")["subsequent"]
    for month, value in (("2021-06", 474), ("2022-02", 405), ("2022-03", 317), ("2022-07", 382)):
        assert months[month] == pytest.approx(value)


def test_first_applications_agree_with_independent_first_time_counts(built) -> None:
    # First-time applicants published separately (not used by the rules for these years):
    # Myria 2018, AIDA 2021, Eurostat 2022, CGRS 2023 (without 284 resettled), AIDA 2024
    # (33,146 with 484 resettled). The rules reproduce them within 0.2%.
    first = built.groupby("year")["first"].sum()
    for year, value in ((2018, 19038), (2021, 19590), (2022, 32100), (2023, 29305), (2024, 32662)):
        assert first[year] == pytest.approx(value, rel=2e-3), year


def test_years_without_a_figure_take_an_interpolated_share(table) -> None:
    found = yearly_subsequent(table, range(2018, 2022))
    applications = {2018: 23443, 2019: 27742, 2020: 16910, 2021: 25971}
    shares = {year: found[year] / applications[year] for year in found}
    assert shares[2018] < shares[2019] < shares[2020] < shares[2021]
    assert shares[2019] == pytest.approx(shares[2018] + (shares[2021] - shares[2018]) / 3)


def test_written_files_are_the_shipped_schedules(tmp_path) -> None:
    from pathlib import Path

    written = write_schedules(tmp_path)
    assert len(written) == 2 * len(SCHEDULES)
    shipped = Path(__file__).resolve().parents[1] / "configs" / "data"
    for path in written:
        assert path.read_bytes() == (shipped / path.name).read_bytes(), path.name


def test_a_year_after_the_observed_ones_repeats_the_last_monthly_means(table) -> None:
    frame = schedule(table, range(2023, 2026))
    last = frame[frame["month"].str.startswith("2024")]
    future = frame[frame["month"].str.startswith("2025")]
    assert len(future) == 12
    for column in ("first", "subsequent", "applications"):
        np.testing.assert_allclose(future[column], last[column].mean())
