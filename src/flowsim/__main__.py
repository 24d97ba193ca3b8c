"""``python -m flowsim``: the ``flowsim`` command (:mod:`flowsim.cli`)."""

from flowsim.cli import main

raise SystemExit(main())
