"""The shared look of hybridsolve figures: one colour per method, one colormap for frequencies."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["new_figure", "savefig", "METHOD_COLORS", "PEAK_CMAP", "peak_colors"]

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


def peak_colors(count: int):
    """``count`` colours from low (dark) to high (bright) frequency."""
    cmap = plt.get_cmap(PEAK_CMAP)
    return [cmap(0.1 + 0.8 * i / max(count - 1, 1)) for i in range(count)]


def new_figure(ncols: int = 1, nrows: int = 1, width: float = 4.2, height: float = 3.2, **kw):
    """``(fig, axes)`` with a consistent size per panel and a tight layout.

    >>> fig, ax = new_figure()
    >>> plt.close(fig)
    """
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), layout="constrained", **kw)
    return fig, axes


def savefig(fig, path, dpi: int = 130) -> Path:
    """Save as PNG (atomically) and close the figure."""
    import io

    from ..history import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return atomic_write_bytes(Path(path), buf.getvalue())
