"""The institutions: one module per actor, each a Mesa agent and the numba kernels of its day.

- :mod:`~flowsim.institutions.immigration_office`: registration at the Arrival Centre, the
  Dublin procedure, files sent to the CGRS;
- :mod:`~flowsim.institutions.reception`: Fedasil's reception network and its dispatching;
- :mod:`~flowsim.institutions.cgrs`: the CGRS's first-instance decisions;
- :mod:`~flowsim.institutions.call`: CALL, the appeals;
- :mod:`~flowsim.institutions.housing`: the municipalities (OCMW/CPAS) housing status
  holders;
- :mod:`~flowsim.institutions.returns`: return counsellors, ICAM coaches, removals;
- :mod:`~flowsim.institutions.resettlement`: the pledges, the CGRS's selection missions and
  IOM's transfers;
- :mod:`~flowsim.institutions.temporary_protection`: people fleeing Ukraine, outside the
  asylum procedure;
- :mod:`~flowsim.institutions.start_state`: no actor: what the institutions hold at the end
  of a run, written as the start state of the next.

May import the engine and the scenario; no institution imports another (what they share is
in the engine; a contract in ``pyproject.toml`` checks it). The model (``flowsim.model``)
is imported for annotations only: an agent is handed the model it belongs to.
"""
