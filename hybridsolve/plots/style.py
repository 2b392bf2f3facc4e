"""The shared look of hybridsolve figures: one colour per method, one colormap for frequencies.

Figures are plain :class:`matplotlib.figure.Figure` objects (matplotlib's object API): no pyplot,
no global figure registry, no backend chosen at import, so importing these modules changes no
process-wide setting and figures are freed like any other object.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

__all__ = ["new_figure", "savefig", "METHOD_COLORS", "PEAK_CMAP", "peak_colors", "colormap"]

METHOD_COLORS = {
    "jacobi": "#1f77b4",
    "gauss_seidel": "#17becf",
    "multigrid": "#2ca02c",
    "direct": "#7f7f7f",
    "spsolve": "#bcbd22",
    "dnn": "#d62728",
    "deep_ritz": "#d62728",
    "hybrid": "#ff7f0e",
    "adaptive": "#9467bd",
    "alternating": "#8c564b",
}
PEAK_CMAP = "viridis"


def colormap(name: str):
    """The registered matplotlib colormap ``name`` (no pyplot involved).

    >>> colormap("viridis")(0.0)[:3] != colormap("viridis")(1.0)[:3]
    True
    """
    return matplotlib.colormaps[name]


def peak_colors(count: int):
    """``count`` colours from low (dark) to high (bright) frequency.

    >>> len(peak_colors(3))
    3
    """
    cmap = colormap(PEAK_CMAP)
    return [cmap(0.1 + 0.8 * i / max(count - 1, 1)) for i in range(count)]


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 4.2, height: float = 3.2, **kw):
    """``(fig, axes)``: a :class:`~matplotlib.figure.Figure` with a consistent size per panel and a
    constrained layout; ``kw`` go to :meth:`Figure.subplots` (``sharex``, ``subplot_kw``, …).

    >>> fig, ax = new_figure()
    >>> type(fig).__name__, len(fig.axes)
    ('Figure', 1)
    """
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, **kw)
    return fig, axes


def savefig(fig, path, dpi: int = 130) -> Path:
    """Save as PNG (atomically); a figure that pyplot manages is closed there too.

    >>> import tempfile, pathlib
    >>> fig, ax = new_figure(); _ = ax.plot([0, 1], [1, 0])
    >>> with tempfile.TemporaryDirectory() as d:
    ...     savefig(fig, pathlib.Path(d) / "line.png").stat().st_size > 0
    True
    """
    import io

    from ..history import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    if getattr(fig.canvas, "manager", None) is not None:  # made by pyplot (user code): release it there
        import matplotlib.pyplot as plt

        plt.close(fig)
    return atomic_write_bytes(Path(path), buf.getvalue())
