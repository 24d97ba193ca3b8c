"""A run's results, below every analysis of them: making, reading, shaping and drawing them.

Making runs: :mod:`~flowsim.results.runs` (replications of a scenario and the results folder
they write), :mod:`~flowsim.results.shards` and :mod:`~flowsim.results.clusters` (many runs
on Dask, each stored as it finishes), :mod:`~flowsim.results.footprint` (what a run asks of
this machine). Reading them back: :mod:`~flowsim.results.folders` (what a results folder
holds), :mod:`~flowsim.results.loading` (a run or a sweep, kept until its files change).
Shaping and drawing daily series: :mod:`~flowsim.results.frames` (over replications),
:mod:`~flowsim.results.fan_charts`, :mod:`~flowsim.results.figures` (a run's overview),
:mod:`~flowsim.results.colours`. Describing them for people:
:mod:`~flowsim.results.catalogue` (every series' label, unit and meaning),
:mod:`~flowsim.results.markdown` (generated tables in the docs).

May import the model and everything below it; never the experiments, the validation, the
dashboard or the command line, which all read results through this layer.
"""
