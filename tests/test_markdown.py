"""The marked blocks of the documentation that commands rewrite (flowsim.results.markdown)."""

from __future__ import annotations

import pytest

from flowsim.results.markdown import markers, table, write_block


def test_a_block_is_replaced_and_nothing_else(tmp_path) -> None:
    begin, end = markers("backtest")
    other_begin, other_end = markers("calibration")
    docs = tmp_path / "validation.md"
    docs.write_text(
        f"# Title\n\nbefore\n{begin}\nold table\n{end}\nbetween\n"
        f"{other_begin}\nother table\n{other_end}\nafter\n",
        encoding="utf-8",
    )
    figure = tmp_path / "backtest_x_day.png"
    figure.write_bytes(b"png")
    write_block(docs, "backtest", table(["new"], [["1"]]), [figure])
    text = docs.read_text(encoding="utf-8")
    assert "old table" not in text and "| new |\n|---|\n| 1 |\n" in text
    assert text.startswith("# Title\n\nbefore\n")
    assert text.endswith(f"{end}\nbetween\n{other_begin}\nother table\n{other_end}\nafter\n")
    assert "![backtest_x_day](figures/backtest_x_day.png)" in text
    assert (tmp_path / "figures" / "backtest_x_day.png").read_bytes() == b"png"
    write_block(docs, "backtest", "again\n")  # a second time: the block, not a second one
    assert docs.read_text(encoding="utf-8").count(begin) == 1
    assert "again" in docs.read_text(encoding="utf-8")


def test_a_file_without_the_markers_is_refused_by_name(tmp_path) -> None:
    unmarked = tmp_path / "other.md"
    unmarked.write_text("no markers\n", encoding="utf-8")
    with pytest.raises(ValueError, match=f"{unmarked}: expected the markers"):
        write_block(unmarked, "calibration", "")
    assert unmarked.read_text(encoding="utf-8") == "no markers\n"
