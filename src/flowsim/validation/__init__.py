"""Validation: the model against what was observed in Belgium.

The observed figures (:mod:`~flowsim.validation.observed`, built by
:mod:`~flowsim.validation.observed_build`; the input schedules taken from them:
:mod:`~flowsim.validation.inputs`); a run against them (:mod:`~flowsim.validation.hindcast`,
:mod:`~flowsim.validation.balance`, :mod:`~flowsim.validation.figures`); calibration
(:mod:`~flowsim.validation.targets`, :mod:`~flowsim.validation.calibration`,
:mod:`~flowsim.validation.posterior`, :mod:`~flowsim.validation.calibration_outputs`,
:mod:`~flowsim.validation.calibration_docs`); forecasts from a calibrated history
(:mod:`~flowsim.validation.forward`, :mod:`~flowsim.validation.predictive`,
:mod:`~flowsim.validation.forecast`) and their backtests (:mod:`~flowsim.validation.backtest`).

May import the results layer and everything below it; never the experiments (a sibling),
the dashboard or the command line.
"""
