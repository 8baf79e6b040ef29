"""Figures drawn off screen, once, when they are saved."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


class _DrawnWhenSaved(FigureCanvasAgg):
    """An Agg canvas whose ``draw_idle`` does nothing. GeoPandas' ``plot``
    ends with ``canvas.draw_idle()``, which a non-interactive Agg canvas
    carries out at once, rendering the whole figure after every layer
    plotted; ``savefig`` draws the figure itself, so nothing is lost."""

    def draw_idle(self, *args, **kwargs) -> None:
        pass


def offscreen_figure(figsize: tuple[float, float], dpi: float) -> Figure:
    """A matplotlib ``Figure`` outside pyplot (none of pyplot's global
    state), rendered only by ``savefig``."""
    fig = Figure(figsize=figsize, dpi=dpi)
    _DrawnWhenSaved(fig)
    return fig
