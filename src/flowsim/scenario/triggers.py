"""Policy rules triggered by the state of the system, and the log of what they did.

Reception agencies plan with escalation ladders: "when occupancy stays above 95% for 14
days, open 2,000 buffer places after a 42-day lead time, and close them when it stays below
85% for 60 days". A trigger watches one series at the end of each day; when its ``when``
condition has held for ``for_days`` days it fires, and its action takes effect ``after_days``
later. With an ``until`` condition the action is reversed once that condition has held long
enough; the trigger can then fire again (unless ``once``). Without one, a trigger re-arms
only after its ``when`` condition has stopped holding, so it does not fire every day.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from flowsim.engine.series import STOCK_NAMES
from flowsim.scenario.changes import Action, Condition, Trigger
from flowsim.scenario.scenario import Scenario

EVENT_COLUMNS = ("date", "trigger", "event", "field", "value")

ARMED, SCHEDULED, ACTIVE, SPENT = "armed", "scheduled", "active", "spent"


@dataclass
class _RuleState:
    trigger: Trigger
    phase: str = ARMED
    streak: int = 0  # consecutive days the condition being watched has held
    rearm_after_drop: bool = False  # waiting for `when` to stop holding before re-arming
    before: float = 0.0  # field value before the action, for reversing a `set`


@dataclass
class TriggerRules:
    """The scenario's triggers for one run: evaluated at the end of each day."""

    scenario: Scenario
    rules: list[_RuleState] = field(init=False)
    pending: dict[int, list[tuple[_RuleState, bool]]] = field(default_factory=dict)
    log: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rules = [_RuleState(t) for t in self.scenario.triggers]

    def __bool__(self) -> bool:
        return bool(self.rules)

    def apply_due(self, day: int, params: dict[str, float]) -> bool:
        """Apply the actions (or reversals) due today to ``params``; True if any."""
        due = self.pending.pop(day, [])
        for rule, reverse in due:
            action: Action = rule.trigger.then
            if reverse:
                params[action.field] = action.undo(params[action.field], rule.before)
                rule.phase = SPENT if rule.trigger.once else ARMED
                rule.streak = 0
                self._log(day, rule, "reversed", params[action.field])
            else:
                rule.before = params[action.field]
                params[action.field] = action.apply(params[action.field])
                if rule.trigger.until is not None:
                    rule.phase = ACTIVE
                else:
                    rule.phase = SPENT if rule.trigger.once else ARMED
                    rule.rearm_after_drop = True
                rule.streak = 0
                self._log(day, rule, "applied", params[action.field])
        return bool(due)

    def end_of_day(self, day: int, stocks: np.ndarray) -> None:
        """Watch today's end-of-day series; fire or schedule reversals (stocks: one row)."""
        for rule in self.rules:
            t = rule.trigger
            if rule.phase == ARMED:
                holds = _holds(t.when, stocks)
                if rule.rearm_after_drop:
                    rule.rearm_after_drop = holds
                    continue
                rule.streak = rule.streak + 1 if holds else 0
                if rule.streak >= t.when.for_days:
                    rule.phase = SCHEDULED
                    self.pending.setdefault(day + 1 + t.then.after_days, []).append((rule, False))
                    self._log(day, rule, "fired", np.nan)
            elif rule.phase == ACTIVE and t.until is not None:
                rule.streak = rule.streak + 1 if _holds(t.until, stocks) else 0
                if rule.streak >= t.until.for_days:
                    rule.phase = SCHEDULED
                    self.pending.setdefault(day + 1, []).append((rule, True))
                    self._log(day, rule, "released", np.nan)

    def _log(self, day: int, rule: _RuleState, event: str, value: float) -> None:
        date = pd.Timestamp(self.scenario.start_date) + pd.Timedelta(days=day)
        self.log.append(
            {
                "date": date,
                "trigger": rule.trigger.name,
                "event": event,
                "field": rule.trigger.then.field,
                "value": value,
            }
        )

    def events(self) -> pd.DataFrame:
        """Every firing, application, release and reversal, in order of date."""
        frame = pd.DataFrame(self.log, columns=list(EVENT_COLUMNS))
        return frame.astype({"date": "datetime64[ns]", "value": "float64"})


_INDEX = {name: i for i, name in enumerate(STOCK_NAMES)}


def _holds(condition: Condition, stocks: np.ndarray) -> bool:
    return condition.holds(series_value(condition.series, stocks))


def series_value(name: str, stocks: np.ndarray) -> float:
    """A stock series (e.g. ``occupancy_rate``, a share) from a day's row."""
    return float(stocks[_INDEX[name]])
