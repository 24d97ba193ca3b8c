"""A calibration's tables for readers, written again from a finished folder's CSV files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from flowsim.validation.calibration_docs import main, recent_points_table


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "calibration"
    (folder / "figures").mkdir(parents=True)
    (folder / "figures" / "fit.png").write_bytes(b"\x89PNG fake")
    (folder / "calibration.md").write_text("Fitted up to 2022-12-31: 3 rounds.\n\nold tables\n")
    pd.DataFrame(
        [{"parameter": "cgrs.withdrawals_per_month", "low": 0.0, "high": 0.01, "log": False,
          "median": 0.003, "q05": 0.002, "q95": 0.005, "range_kept": 0.3, "observed": False}]
    ).to_csv(folder / "posterior.csv", index=False)  # fmt: skip
    pd.DataFrame(
        [{"parameter": "cgrs.withdrawals_per_month", "posterior_median": 0.003,
          "posterior_q05": 0.002, "posterior_q95": 0.005, "log_likelihood_best": 190.8,
          "log_likelihood_neutral": 184.5, "series_most_worse": "cgrs_backlog_cases (day)"}]
    ).to_csv(folder / "unobserved.csv", index=False)  # fmt: skip
    pd.DataFrame(
        [{"series": "cgrs_backlog", "resolution": "day", "role": "outcome", "points": 2,
          "ard": 0.16, "coverage_50": 0.2, "coverage_90": 0.4, "scope": "same"}]
    ).to_csv(folder / "fit.csv", index=False)  # fmt: skip
    columns = ["series", "start", "end", "observed", "model_median", "model_q05", "model_q95"]
    rows = [
        ("cgrs_backlog", "2018-12-31", "2018-12-31", 9000, 9500, 9000, 9900),
        ("cgrs_backlog", "2022-12-31", "2022-12-31", 19157, 25723.5, 23216.2, 27964.3),
        ("in_reception", "2021-09-01", "2021-09-30", 25648, 24077, 22736, 25402),
        ("applications", "2022-01-01", "2022-12-31", 36871, 36819, 36326, 37194),
    ]
    pd.DataFrame(rows, columns=columns).to_csv(folder / "fit_points.csv", index=False)
    return folder


def test_recent_points_are_the_stocks_from_2019_by_date(tmp_path) -> None:
    points = pd.read_csv(_folder(tmp_path) / "fit_points.csv")
    text = recent_points_table(points)
    lines = text.splitlines()[2:]
    assert lines == [
        "| 2021-09-01 to 2021-09-30 | `in_reception` | 25,648 | 24,077 [22,736, 25,402] |",
        "| 2022-12-31 | `cgrs_backlog` | 19,157 | 25,724 [23,216, 27,964] |",
    ]  # 2018 and the applications (an input) left out


def test_the_docs_block_is_written_again_from_the_folder(tmp_path, capsys) -> None:
    folder = _folder(tmp_path)
    docs = tmp_path / "validation.md"
    docs.write_text("intro\n<!-- calibration:begin -->\nold\n<!-- calibration:end -->\nend\n")
    assert main([str(folder), "--docs", str(docs)]) == 0
    text = docs.read_text()
    assert text.startswith("intro\n<!-- calibration:begin -->\nFitted up to 2022-12-31: 3 rounds.")
    assert "| `cgrs.withdrawals_per_month` | 0-0.01 | 0.003 [0.002, 0.005] | 30% |" in text
    assert "184.5 (-6.3)" in text and "| 2022-12-31 | `cgrs_backlog` |" in text
    assert "old" not in text and text.endswith("end\n")
    assert (tmp_path / "figures" / "calibration_fit.png").is_file()
    assert (folder / "calibration.md").read_text().startswith("Fitted up to 2022-12-31")
    (folder / "fit_points.csv").unlink()
    assert main([str(folder)]) == 2
    assert "fit_points.csv" in capsys.readouterr().err
