"""The dashboard of results: finding, loading, shaping and drawing what runs and sweeps
wrote, and the notebook page showing it.

``notebooks/dashboard.ipynb`` (served by ``make dashboard``) is a thin shell around
:func:`build_app`; ``flowsim report`` draws its fan charts and sensitivity charts with
:func:`fan_figure` and :func:`sensitivity_figure`, and ``figures.overview`` its bands with
:func:`draw_fan`, so one figure is drawn by one piece of code. Nothing here writes into a
results folder.

Modules, one job each (this package re-exports their public names):

- :mod:`~flowsim.results.folders`: finding and classifying results folders (never
  raising: a folder that cannot be shown is listed with the reason);
- :mod:`~flowsim.results.loading`: reading a run or a sweep (read only), kept between
  picks until its files change (:data:`CACHE`);
- :mod:`~flowsim.dashboard.views`: the catalogue of views (what each one shows);
- :mod:`~flowsim.dashboard.series_tables`, :mod:`~flowsim.dashboard.series_charts`: daily
  series shaped into tables (pure functions on frames) and drawn as fan charts;
- :mod:`~flowsim.dashboard.sweep_tables`, :mod:`~flowsim.experiments.charts`: a
  sweep's outcomes shaped into tables and drawn;
- :mod:`~flowsim.results.colours`: one colour per scenario;
- :mod:`~flowsim.dashboard.series_views`, :mod:`~flowsim.dashboard.sweep_views`: one view
  built for a pick of folders;
- :mod:`~flowsim.dashboard.page`: :func:`show` (one view, whatever was picked) and the
  ipywidgets page :func:`build_app` (ipywidgets imported only there).

The package holds no numba kernel: ``numba_cache`` leaves it out of the compiled-source
hash. Units: counts are persons unless named (places, cases, euros); flows are persons per
day, shown as 30-day means; stocks at the end of the day; dates are calendar days.
"""

from flowsim.dashboard.page import (
    build_app,
    colour_map,
    download_links,
    figure_png,
    prim_start,
    show,
)
from flowsim.dashboard.series_charts import (
    BANDS,
    breakdown_figure,
    draw_fan,
    fan_figure,
    region_figure,
)
from flowsim.dashboard.series_tables import (
    QUANTILES,
    breakdown_table,
    derive,
    fan_quantiles,
    fan_table,
    observed_points,
    region_table,
)
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
    WINDOW,
    Breakdown,
    Panel,
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
from flowsim.results.folders import (
    MANIFEST_VERSION,
    DashboardError,
    Folder,
    classify,
    default_root,
    discover,
)
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
