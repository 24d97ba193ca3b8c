"""flowsim: an agent-based simulation of Belgium's asylum, reception and return flows."""

from __future__ import annotations

from flowsim.engine import numba_cache

numba_cache.configure()

from flowsim.model import ProtectionSystem, simulate  # noqa: E402
from flowsim.scenario import ConfigError, Scenario, load_config  # noqa: E402

__version__ = "0.1.0"
__all__ = ["ConfigError", "ProtectionSystem", "Scenario", "load_config", "simulate"]
