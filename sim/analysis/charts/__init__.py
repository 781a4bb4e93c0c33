"""Charts: pure functions from result tables (and the scenario) to plotly figures. No I/O.

Every figure uses `TEMPLATE` (white background, 16 px text, a colour-blind-safe palette,
thousands separators) so it reads on a projector and prints on paper. One module per kind
of chart; the names are re-exported here (`charts.fan_chart`, ...).
"""

from sim.analysis.charts.analysis import (
    drivers_chart,
    sensitivity_ranking,
    tornado,
    variant_comparison,
    variant_fans,
)
from sim.analysis.charts.maps import (
    _label_positions,
    control_map,
    control_map_of,
    control_probabilities,
    probabilities_from_counts,
)
from sim.analysis.charts.outcomes import outcome_bars, quantity_ranges
from sim.analysis.charts.relations import STANCE_STYLE, circle_layout, relations_network
from sim.analysis.charts.style import (
    NONE_COLOR,
    OKABE_ITO,
    TEMPLATE,
    actor_colors,
    short_name,
)
from sim.analysis.charts.timeseries import (
    fan_chart,
    fan_from_quantiles,
    series_quantiles,
    survival_chart,
)

__all__ = ["NONE_COLOR", "OKABE_ITO", "STANCE_STYLE", "TEMPLATE", "_label_positions",
           "actor_colors", "circle_layout", "control_map", "control_map_of",
           "control_probabilities", "drivers_chart", "fan_chart", "fan_from_quantiles",
           "outcome_bars", "probabilities_from_counts", "quantity_ranges", "relations_network",
           "sensitivity_ranking", "series_quantiles", "short_name", "survival_chart", "tornado",
           "variant_comparison", "variant_fans"]
