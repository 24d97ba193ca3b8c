"""The scenario: what a run is given, and everything checked before anything runs.

A scenario file describes Belgium's protection system on a start date and how its capacities
and rates change over time. Everything is validated before anything runs; every problem is
reported as one line naming the file, the field path and what was expected
(:class:`ConfigError`). Units are in field names: ``_persons``, ``_places``, ``_days``,
``_per_month``, ``_eur``; shares are fractions between 0 and 1.

The schema, split by section: :mod:`~flowsim.scenario.fields` (kinds of values),
:mod:`~flowsim.scenario.profiles`, :mod:`~flowsim.scenario.sections` (the inflow and each
institution), :mod:`~flowsim.scenario.initial_state`, :mod:`~flowsim.scenario.changes`
(dated changes and triggers), :mod:`~flowsim.scenario.calibration` (the fitted fields and
the ensemble), :mod:`~flowsim.scenario.scenario` (the whole file). Reading it:
:mod:`~flowsim.scenario.loading` (YAML, ``base:`` merging) and
:mod:`~flowsim.scenario.data_files`; checking it: :mod:`~flowsim.scenario.checks`,
:mod:`~flowsim.scenario.ranges`, :mod:`~flowsim.scenario.errors`. During a run:
:mod:`~flowsim.scenario.timeline` (dated changes) and :mod:`~flowsim.scenario.triggers`.
:mod:`~flowsim.scenario.municipalities` is the table of municipalities a scenario's
national figures are shared over; :mod:`~flowsim.scenario.schema_files` names the JSON
Schema a file declares for editors.

May import the engine (the kinds of households, places, states and series it names); never
the institutions, the model or anything above them.
"""

from flowsim.scenario.errors import ConfigError
from flowsim.scenario.loading import load_config, scenario_from_dict
from flowsim.scenario.scenario import Scenario
from flowsim.scenario.timeline import Timeline

__all__ = ["ConfigError", "Scenario", "Timeline", "load_config", "scenario_from_dict"]
