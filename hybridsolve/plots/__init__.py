"""Figures, each drawn from a :class:`~hybridsolve.History` — never by recomputing a run.

Submodules: ``style`` (shared look), ``poisson`` (Figures 1 and 4(a–c), error against time,
heat maps), ``hybrid`` (Figure 4(d) and the solver comparison), ``probes`` (Figures 2, 3, 5),
``compare`` (several runs overlaid, with a summary table: :func:`compare`).
Every figure is a :class:`matplotlib.figure.Figure` built through matplotlib's object API: no
pyplot state, and no backend is chosen (``matplotlib.use``) on import.
"""
from .style import METHOD_COLORS, PEAK_CMAP, new_figure, savefig
from .compare import Comparison, compare  # noqa: E402  (the function shadows its module's name here)

__all__ = ["new_figure", "savefig", "METHOD_COLORS", "PEAK_CMAP", "compare", "Comparison"]
