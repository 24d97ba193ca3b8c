"""The dashboard of results: the notebook page showing what runs and sweeps wrote.

``notebooks/dashboard.ipynb`` (served by ``make dashboard``) is a thin shell around
:func:`build_app`. What the page reads and draws is shared with the commands below it, so
that one figure is drawn by one piece of code: results folders are found and read by
:mod:`flowsim.results.folders` and :mod:`flowsim.results.loading`, daily series shaped by
:mod:`flowsim.results.frames` and drawn as fan charts by :mod:`flowsim.results.fan_charts`
(``flowsim run``'s overview and ``flowsim report`` draw with them too), a sweep's outcomes
drawn by :mod:`flowsim.experiments.charts` (as in ``flowsim report``), one colour per
scenario given by :mod:`flowsim.results.colours`. Nothing here writes into a results folder.

Modules, one job each (this package re-exports their public names, and those of the
shared modules above):

- :mod:`~flowsim.dashboard.views`: the catalogue of views (what each one shows);
- :mod:`~flowsim.dashboard.series_tables`, :mod:`~flowsim.dashboard.series_charts`: the
  tables behind the fan charts and the breakdowns, and the breakdowns drawn;
- :mod:`~flowsim.dashboard.sweep_tables`: a sweep's outcomes shaped into tables;
- :mod:`~flowsim.dashboard.interactive`: the charts as interactive Plotly figures;
- :mod:`~flowsim.dashboard.series_views`, :mod:`~flowsim.dashboard.sweep_views`,
  :mod:`~flowsim.dashboard.comparison_view`: one view built for a pick of folders;
- :mod:`~flowsim.dashboard.what_if`, :mod:`~flowsim.dashboard.what_if_panel`: a scenario
  changed and run from the page;
- :mod:`~flowsim.dashboard.page`: :func:`show` (one view, whatever was picked) and the
  ipywidgets page :func:`build_app` (ipywidgets imported only there);
- :mod:`~flowsim.dashboard.serve`: the page served by Voila on this machine.

The top layer with the command line: may import every layer below it. It holds no numba
kernel, so editing it recompiles none (:mod:`flowsim.engine.numba_cache`).
Units: counts are persons unless named (places, cases, euros); flows are persons per day,
shown as 30-day means; stocks at the end of the day; dates are calendar days.
"""

from flowsim.dashboard.page import (
    build_app,
    colour_map,
    download_links,
    figure_png,
    prim_start,
    show,
)
from flowsim.dashboard.series_charts import breakdown_figure, region_figure
from flowsim.dashboard.series_tables import breakdown_table, fan_table, region_table
from flowsim.dashboard.series_views import (
    hindcast_groups,
    hindcast_options,
    hindcast_points,
    load_scenarios,
)
from flowsim.dashboard.sweep_tables import (
    DENSITY,
    default_discovery,
    difference_display,
    outcome_display,
    outcome_summary,
    outcome_unit,
    scatter_table,
)
from flowsim.dashboard.sweep_views import load_sweeps, sweep_choices
from flowsim.dashboard.views import (
    BREAKDOWNS,
    COMPARISON_VIEW,
    HINDCAST_VIEW,
    ONE_FOLDER_VIEWS,
    PLACE_TYPES,
    PRIM_VIEW,
    SWEEP_VIEWS,
    VIEWS,
    Breakdown,
    Shown,
    view_names,
)
from flowsim.experiments.charts import (
    MAX_INTERVAL_ROWS,
    outcome_interval_figure,
    prim_figure,
    scatter_figure,
    sensitivity_figure,
)
from flowsim.results.colours import LINESTYLES, PALETTE, scenario_colours
from flowsim.results.fan_charts import BANDS, Panel, draw_fan, fan_figure
from flowsim.results.folders import (
    MANIFEST_VERSION,
    DashboardError,
    Folder,
    classify,
    default_root,
    discover,
)
from flowsim.results.frames import QUANTILES, WINDOW, derive, fan_quantiles, observed_points
from flowsim.results.loading import (
    CACHE,
    MAX_SCENARIOS,
    FolderCache,
    Scenario,
    Sweep,
    load_run,
    load_sweep,
    point_label,
    sweep_points,
    sweep_scenarios,
)

__all__ = [
    "BANDS",
    "BREAKDOWNS",
    "CACHE",
    "DENSITY",
    "COMPARISON_VIEW",
    "HINDCAST_VIEW",
    "LINESTYLES",
    "MANIFEST_VERSION",
    "MAX_INTERVAL_ROWS",
    "MAX_SCENARIOS",
    "ONE_FOLDER_VIEWS",
    "PALETTE",
    "PLACE_TYPES",
    "PRIM_VIEW",
    "QUANTILES",
    "SWEEP_VIEWS",
    "VIEWS",
    "WINDOW",
    "Breakdown",
    "DashboardError",
    "Folder",
    "FolderCache",
    "Panel",
    "Scenario",
    "Shown",
    "Sweep",
    "breakdown_figure",
    "breakdown_table",
    "build_app",
    "classify",
    "colour_map",
    "default_discovery",
    "difference_display",
    "default_root",
    "derive",
    "discover",
    "download_links",
    "draw_fan",
    "fan_figure",
    "fan_quantiles",
    "fan_table",
    "figure_png",
    "hindcast_groups",
    "hindcast_options",
    "hindcast_points",
    "load_run",
    "load_scenarios",
    "load_sweep",
    "load_sweeps",
    "observed_points",
    "outcome_display",
    "outcome_interval_figure",
    "outcome_summary",
    "outcome_unit",
    "point_label",
    "prim_figure",
    "prim_start",
    "region_figure",
    "region_table",
    "scatter_figure",
    "scatter_table",
    "scenario_colours",
    "sensitivity_figure",
    "show",
    "sweep_choices",
    "sweep_points",
    "sweep_scenarios",
    "view_names",
]
