"""The engine: the machinery every institution shares, as arrays moved by numba kernels.

The kinds of cases, places and states a person can be in (:mod:`~flowsim.engine.states`);
the population as arrays (:mod:`~flowsim.engine.population`) and every case of a run drawn
when it starts (:mod:`~flowsim.engine.arrivals`); keyed random draws
(:mod:`~flowsim.engine.streams`); queues, calendars, the pooled entries of their lists and
the chain of registers the kernels receive (:mod:`~flowsim.engine.queues`,
:mod:`~flowsim.engine.calendar`, :mod:`~flowsim.engine.entries`,
:mod:`~flowsim.engine.chain`); the transitions of the procedure shared by several
institutions (:mod:`~flowsim.engine.procedure`); rates per day
(:mod:`~flowsim.engine.rates`); the daily series a run records
(:mod:`~flowsim.engine.series`, :mod:`~flowsim.engine.groups`,
:mod:`~flowsim.engine.regions`); how kernels are called and cached
(:mod:`~flowsim.engine.compiled`, :mod:`~flowsim.engine.numba_cache`).

The bottom layer: imports nothing else of flowsim (the scenario only for annotations).
Nothing is imported here, so that ``flowsim`` can point numba's cache before any kernel
module loads.
"""
