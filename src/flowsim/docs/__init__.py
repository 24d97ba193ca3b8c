"""The documentation generated from the code: the scenario file reference
(``docs/reference.md``, :mod:`~flowsim.docs.reference`) and the JSON Schemas editors check
scenario and experiment files with (``docs/schema/``, :mod:`~flowsim.docs.schema`).

Run as ``python -m flowsim.docs.reference`` and ``python -m flowsim.docs.schema``; tests
keep both current. May import every layer below the dashboard.
"""
