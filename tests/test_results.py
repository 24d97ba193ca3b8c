"""Runs leave nothing behind: a process that runs many models (a calibration, a sweep worker)
keeps no finished model alive, so its memory does not grow with the number of runs."""

from __future__ import annotations

import gc
import weakref

import pytest

import flowsim.results.runs
from flowsim.model import ProtectionSystem
from flowsim.results.runs import replication, run_replications
from flowsim.results.shards import RunTask, execute_run, warm_up


def models_kept(run) -> list[weakref.ref]:
    """Weak references to the models built while ``run()`` runs, still alive after it."""
    built: list[weakref.ref] = []
    original = ProtectionSystem.__init__

    def spy(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        built.append(weakref.ref(self))

    ProtectionSystem.__init__ = spy  # type: ignore[method-assign]
    try:
        run()
    finally:
        ProtectionSystem.__init__ = original  # type: ignore[method-assign]
    gc.collect()
    assert built, "no model was built"
    return [ref for ref in built if ref() is not None]


def test_replications_keep_no_model_alive(small_scenario) -> None:
    scenario = small_scenario()
    assert models_kept(lambda: run_replications(scenario, 3, 0)) == []


def test_sweep_runs_and_warm_up_keep_no_model_alive(small_scenario, tmp_path) -> None:
    task = RunTask("r1", small_scenario(), 1, {}, ())
    assert models_kept(lambda: execute_run(task, str(tmp_path))) == []
    assert models_kept(lambda: warm_up(small_scenario())) == []


def test_without_release_mesa_may_keep_models(small_scenario, monkeypatch) -> None:
    """The check above can fail: with release switched off, Mesa versions that number agents
    per model in a class-level mapping (before 3.4) keep every model."""
    import mesa

    monkeypatch.setattr(flowsim.results.runs, "release", lambda model: None)
    kept = models_kept(lambda: run_replications(small_scenario(), 2, 0))
    assert len(kept) == (2 if isinstance(getattr(mesa.Agent, "_ids", None), dict) else 0)
    for ref in kept:  # leave nothing behind for the other tests
        model = ref()
        if model is not None:
            mesa.Agent._ids.pop(model, None)


def test_a_replication_pauses_the_garbage_collector_and_restores_it(small_scenario) -> None:
    """From set-up to release, as the model leaves nothing for the collector to do; after
    the block (even one that raised) the collector runs as before."""
    assert gc.isenabled()
    with replication(small_scenario(), 1) as model:
        assert not gc.isenabled()
        model.run_to_end()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="inside"), replication(small_scenario(), 1):
        raise RuntimeError("inside")
    assert gc.isenabled()
    gc.disable()  # a caller that paused it keeps it paused
    try:
        with replication(small_scenario(), 1):
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
