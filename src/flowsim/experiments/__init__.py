"""Experiments: many scenarios run to compare policies under uncertainty.

:mod:`~flowsim.experiments.spec` (an experiment file: levers, uncertainties, design,
outcomes), :mod:`~flowsim.experiments.design` (the design's points),
:mod:`~flowsim.experiments.outcomes` (one number per run), :mod:`~flowsim.experiments.sweep`
(every run of an experiment on Dask), :mod:`~flowsim.experiments.analysis` (intervals,
paired differences, sensitivity, scenario discovery), :mod:`~flowsim.experiments.charts`,
:mod:`~flowsim.experiments.report`; and two runs against each other:
:mod:`~flowsim.experiments.comparison`, :mod:`~flowsim.experiments.intervals`,
:mod:`~flowsim.experiments.constraints` (why a measure changes nothing).

May import the results layer and everything below it; never the validation (a sibling), the
dashboard or the command line.
"""
