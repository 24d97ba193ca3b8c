"""The ``flowsim`` command end to end, in a temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from flowsim import cli
from flowsim.engine import series
from flowsim.results.runs import atomic_path, read_results, replication_seeds
from flowsim.scenario.loading import load_config
from hostile import CASES as HOSTILE
from hostile import SPECS as HOSTILE_SPECS

BASELINE = Path(__file__).resolve().parent.parent / "configs" / "belgium-baseline.yaml"


@pytest.fixture
def short_config(tmp_path: Path) -> Path:
    """The baseline (its template and ensemble resolved) cut to its first six months."""
    raw = load_config(BASELINE).model_dump(mode="json")
    raw["end_date"] = "2023-06-30"
    raw["changes"] = [c for c in raw["changes"] if str(c["date"]) <= "2023-06-30"]
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_run_writes_series_manifest_and_figure(short_config, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(
        ["run", str(short_config), "--replications", "2", "--seed", "7", "--out", str(out)]
    )
    assert code == 0
    assert str(out) in capsys.readouterr().out
    frame, manifest = read_results(out)
    assert list(frame.columns[:2]) == ["replication", "date"]
    assert set(series.SERIES_NAMES) <= set(frame.columns)
    assert sorted(frame["replication"].unique()) == [0, 1]
    assert frame.groupby("replication").size().tolist() == [181, 181]
    assert manifest["replication_seeds"] == replication_seeds(7, 2)
    assert manifest["master_seed"] == 7
    assert len(manifest["config_hash"]) == 64
    assert manifest["config"]["end_date"] == "2023-06-30"
    assert {"flowsim", "mesa", "numba", "numpy", "pandas"} <= set(manifest["versions"])
    assert manifest["wall_time_s"] > 0
    by_region = pd.read_parquet(out / "series_by_region.parquet")
    assert set(by_region.region) == {"flanders", "wallonia", "brussels", "unassigned"}
    by_group = pd.read_parquet(out / "series_by_group.parquet")
    assert list(by_group.columns[:4]) == ["replication", "date", "grouping", "group"]
    assert set(by_group.grouping) == {"household_type", "nationality_group"}
    png = (out / "figures" / "overview.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert not list(out.rglob("*.part")), "temporary files left behind"


def test_run_profile_prints_every_stage_of_the_day_and_changes_nothing(
    short_config, tmp_path, capsys
):
    from flowsim.model import ProtectionSystem

    base = ["run", str(short_config), "--replications", "2", "--seed", "7", "--out"]
    assert cli.main([*base, str(tmp_path / "plain")]) == 0
    capsys.readouterr()
    assert cli.main([*base, str(tmp_path / "profiled"), "--profile"]) == 0
    out = capsys.readouterr().out
    block = out[out.index("Time by stage") :].splitlines()
    stages = [name for name, _ in ProtectionSystem(load_config(short_config), 0).day_plan()]
    named = [line.split("  ")[1].strip() for line in block[1 : len(stages) + 2]]
    assert named == ["building the model", *stages]  # set-up, then the day in its order
    seconds = [float(line.split()[-3]) for line in block[1 : len(stages) + 2]]
    assert all(s >= 0 for s in seconds) and sum(seconds) > 0
    assert "summed over 2 replications" in block[0]
    plain = pd.read_parquet(tmp_path / "plain" / "series.parquet")
    profiled = pd.read_parquet(tmp_path / "profiled" / "series.parquet")
    pd.testing.assert_frame_equal(plain, profiled)  # timing changes no result


def test_same_seed_same_files_other_seed_differs(short_config, tmp_path):
    runs = {}
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        out = tmp_path / name
        assert (
            cli.main(
                [
                    "run",
                    str(short_config),
                    "--replications",
                    "1",
                    "--seed",
                    str(seed),
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
        runs[name] = pd.read_parquet(out / "series.parquet")
    pd.testing.assert_frame_equal(runs["a"], runs["b"])
    assert not runs["a"].equals(runs["c"])


def test_validate_ok(short_config, capsys):
    assert cli.main(["validate", str(short_config)]) == 0
    assert "valid" in capsys.readouterr().out


def test_bad_config_exits_2_with_one_line_per_problem(short_config, tmp_path, capsys):
    raw = yaml.safe_load(short_config.read_text())
    raw["cgrs"]["case_officers_fte"] = -1
    raw["reception"]["centres"]["emergency_sites"]["colour"] = "red"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw))
    for argv in (["validate", str(bad)], ["run", str(bad), "--out", str(tmp_path / "x")]):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [
            f"{bad}: reception.centres.emergency_sites.colour: unknown field",
            f"{bad}: cgrs.case_officers_fte: input should be greater than or equal to 0, got -1",
        ]
    assert not (tmp_path / "x").exists()


def test_missing_file_exits_2(tmp_path, capsys):
    assert cli.main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'nope.yaml'}: file not found"


def test_bad_arguments_exit_2(short_config):
    with pytest.raises(SystemExit) as exc:
        cli.main(["run", str(short_config), "--replications", "0"])
    assert exc.value.code == 2


def test_atomic_path_leaves_nothing_when_interrupted(tmp_path):
    target = tmp_path / "series.parquet"
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise KeyboardInterrupt
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_keeps_previous_file_on_failure(tmp_path):
    target = tmp_path / "manifest.json"
    target.write_text(json.dumps({"old": True}))
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("{half")
        raise RuntimeError("crash")
    assert json.loads(target.read_text()) == {"old": True}


def test_run_gives_every_ensemble_member_a_replication_by_default(tmp_path, small_raw) -> None:
    raw = small_raw(
        end_date="2024-02-29",
        ensemble={
            "members": [
                {"cgrs.decisions_per_officer_per_month": value} for value in (4.0, 5.0, 6.0)
            ]
        },
    )
    config = tmp_path / "fitted.yaml"
    config.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    assert cli.main(["run", str(config), "--out", str(tmp_path / "out")]) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["replications"] == 3
    assert manifest["replication_members"] == [0, 1, 2]
    assert len(manifest["config"]["ensemble"]["members"]) == 3  # recorded with the run


def test_version_prints_the_installed_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"flowsim {version('flowsim')}"


@pytest.mark.parametrize(
    "text", [b"name: caf\xe9\n", b"name: a\nname: b\n", b"end_date: 2022-02-30\n"]
)
def test_validate_and_run_of_text_that_is_no_config_exit_2_with_one_line(tmp_path, capsys, text):
    path = tmp_path / "bad.yaml"
    path.write_bytes(text)
    for command in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "o")]):
        assert cli.main(command) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"{path}: "), err
    assert not (tmp_path / "o").exists()


def test_a_negative_seed_is_an_option_error(short_config, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["run", str(short_config), "--seed", "-1"])
    assert done.value.code == 2
    assert "--seed: expected a whole number from 0" in capsys.readouterr().err


def test_an_unwritable_out_is_refused_before_any_replication(short_config, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    for out in (blocker / "results", blocker):
        assert cli.main(["run", str(short_config), "--out", str(out)]) == 2
        captured = capsys.readouterr()
        (line,) = captured.err.strip().splitlines()
        assert line.startswith(f"--out {out}: ")
        assert "replication 1/" not in captured.out


def test_a_results_folder_is_one_set_never_mixed(short_config, tmp_path, capsys):
    out = tmp_path / "out"
    run = ["run", str(short_config), "--replications", "1", "--out", str(out)]
    assert cli.main([*run, "--seed", "1"]) == 0
    (out / "hindcast.csv").write_text("from an earlier run\n", encoding="utf-8")
    # an existing folder is refused with one line, and left as it was
    assert cli.main([*run, "--seed", "2"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == f"--out {out}: exists; give another --out, or --overwrite to replace it whole"
    assert read_results(out)[1]["master_seed"] == 1
    # --overwrite replaces it whole: nothing of the earlier set survives
    assert cli.main([*run, "--seed", "2", "--overwrite"]) == 0
    frame, manifest = read_results(out)
    assert manifest["master_seed"] == 2 and not (out / "hindcast.csv").exists()
    assert manifest["replication_seeds"] == replication_seeds(2, 1)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary left"


def test_a_run_never_writes_into_a_sweeps_folder_nor_a_sweep_into_a_runs(
    short_config, tmp_path, capsys
):
    sweep_folder = tmp_path / "sweep"
    sweep_folder.mkdir()
    (sweep_folder / "runs.parquet").write_bytes(b"")
    out = ["--out", str(sweep_folder)]
    assert cli.main(["run", str(short_config), *out, "--overwrite"]) == 2
    assert "holds sweep results, not a run's" in capsys.readouterr().err
    assert sorted(p.name for p in sweep_folder.iterdir()) == ["runs.parquet"]
    run_folder = tmp_path / "run"
    assert (
        cli.main(["run", str(short_config), "--replications", "1", "--out", str(run_folder)]) == 0
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        f"name: s\nbase: {short_config}\n"
        "levers: [{name: f, field: inflow.scale, values: [1.0]}]\n"
        "design: {kind: factorial}\nreplications: 1\n"
        "outcomes: {b: {series: cgrs_backlog, stat: max}}\n",
        encoding="utf-8",
    )
    assert cli.main(["sweep", str(spec), "--workers", "1", "--out", str(run_folder)]) == 2
    assert "holds run results, not a sweep's" in capsys.readouterr().err
    calibration = tmp_path / "calibration"
    (calibration / "runs" / "store" / "rows").mkdir(parents=True)
    (calibration / "manifest.json").write_text(json.dumps({"kind": "calibration"}))
    assert cli.main(["run", str(short_config), "--out", str(calibration), "--overwrite"]) == 2
    assert "holds calibration results, not a run's" in capsys.readouterr().err


def test_a_failed_write_leaves_no_folder_and_the_next_write_cleans_a_kills_leftovers(
    tmp_path, monkeypatch
):
    import os
    import time as clock

    from flowsim.results import runs as results

    out = tmp_path / "out"
    stale = tmp_path / ".out.killed.partdir"
    stale.mkdir()
    (stale / "series.parquet").write_bytes(b"half")
    old = clock.time() - 2 * results.STALE_SECONDS
    os.utime(stale, (old, old))
    with pytest.raises(RuntimeError), results.atomic_folder(out) as folder:
        (folder / "series.parquet").write_bytes(b"complete")
        raise RuntimeError("killed while writing the figure")
    assert not out.exists()
    assert not stale.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_report_on_corrupt_foreign_or_incomplete_sweeps(tmp_path, capsys):
    import json

    folder = tmp_path / "sweep"
    folder.mkdir()
    (folder / "runs.parquet").write_bytes(b"PAR1 truncated")
    (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    assert cli.main(["report", str(folder)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"{folder / 'manifest.json'}: expected a sweep's manifest")
    (folder / "manifest.json").write_text(json.dumps({"scenario": "a run"}), encoding="utf-8")
    assert cli.main(["report", str(folder)]) == 2
    assert "expected a sweep's manifest (with its spec)" in capsys.readouterr().err


def test_a_bug_says_it_is_one(monkeypatch, capsys):
    def broken(_argv):
        raise ZeroDivisionError("inside flowsim")

    monkeypatch.setattr(cli, "_main", broken)
    assert cli.main(["validate", "x.yaml"]) == 1
    err = capsys.readouterr().err
    assert "ZeroDivisionError: inside flowsim" in err
    assert err.strip().endswith("with the command and the lines above")


@pytest.mark.parametrize("delay", [0.5, 2.0, 3.5, 5.0, 8.0])
def test_a_run_killed_at_any_moment_leaves_its_folder_absent_or_complete(
    short_config, tmp_path, delay
):
    """SIGKILL at chosen moments of `flowsim run` (start-up, replications, writing):
    the folder is absent or a complete, consistent set (the manifest's seeds are the
    series' replications)."""
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "out"
    code = "import sys; from flowsim.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [sys.executable, "-c", code, "run", str(short_config), "--replications", "3"]
    process = subprocess.Popen(
        [*command, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait()
    if out.exists():
        frame, manifest = read_results(out)
        assert sorted(frame["replication"].unique()) == list(
            range(len(manifest["replication_seeds"]))
        )
        for name in ("series_by_group", "series_by_region", "events"):
            assert (out / f"{name}.parquet").is_file()
        assert (out / "figures" / "overview.png").is_file()
    # the next write into it succeeds and leaves nothing temporary behind it once stale
    assert (
        cli.main(
            ["run", str(short_config), "--replications", "1", "--out", str(out), "--overwrite"]
        )
        == 0
    )
    assert read_results(out)[1]["replications"] == 1


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_every_hostile_file_is_exit_2_with_one_line_per_problem(tmp_path, capsys, case):
    path = HOSTILE[case](tmp_path)
    out = tmp_path / "out"
    commands = (
        ["validate", str(path)],
        ["run", str(path), "--out", str(out)],
        ["calibrate", str(path), "--until", "2024-12-31", "--out", str(out), "--workers", "1"],
        ["forward", str(path), "--origin", "2024-06-30", "--out", str(out / "f.yaml")],
        ["backtest", str(path), "--origins", "2024-06-30", "--out", str(out), "--workers", "1"],
    )
    for command in commands:
        assert cli.main(command) == 2, command
        lines = capsys.readouterr().err.strip().splitlines()
        assert lines, command
        for line in lines:
            assert line.startswith(str(tmp_path)) and "Traceback" not in line, line
    assert not out.exists()
    assert not (tmp_path / "escaped-run").exists() and not Path("/tmp/escaped").exists()


@pytest.mark.parametrize("case", sorted(HOSTILE_SPECS))
def test_every_hostile_experiment_is_exit_2_with_one_line_per_problem(tmp_path, capsys, case):
    path = HOSTILE_SPECS[case](tmp_path)
    out = tmp_path / "out"
    for command in (
        ["validate", str(path)],
        ["sweep", str(path), "--workers", "1", "--out", str(out)],
    ):
        assert cli.main(command) == 2, command
        lines = capsys.readouterr().err.strip().splitlines()
        assert lines, command
        for line in lines:
            assert line.startswith(str(tmp_path)) and "Traceback" not in line, line
    assert not out.exists() and not (tmp_path.parent / "escaped-sweep").exists()


def test_dashboard_command_serves_the_notebook_with_a_kernel_prepared_ahead(monkeypatch):
    """`flowsim dashboard` (and `make dashboard`) runs Voila on the shipped notebook, bound
    to this machine, with one pre-heated kernel, and the results root it was given."""
    import subprocess

    from flowsim.dashboard import serve

    calls = []

    def fake_run(command, cwd, env, check):
        calls.append((command, cwd, env))
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(subprocess, "run", fake_run)
    assert cli.main(["dashboard", "--port", "9123", "--results", "somewhere"]) == 0
    ((command, cwd, env),) = calls
    assert command[1:4] == ["-m", "voila", "dashboard.ipynb"] and cwd == serve.NOTEBOOK.parent
    assert {"--port=9123", "--Voila.ip=127.0.0.1", "--preheat_kernel=True"} <= set(command)
    assert env["FLOWSIM_RESULTS"] == str(Path("somewhere").resolve())
