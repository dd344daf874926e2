"""Deterministic SVG charts: fixed hash salt, no dates in metadata, text kept as text."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

_RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "mmbot",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "figure.figsize": (8.0, 3.2),
    "figure.dpi": 100,
    "axes.grid": True,
    "axes.unicode_minus": False,
    "grid.alpha": 0.3,
}
_MAX_POINTS = 2000


class RegimePanel(NamedTuple):
    """One symbol's mux over time: its active regime (as a level) and each strategy's weight."""

    symbol: str
    hours: Sequence[float]
    regime_levels: Sequence[float]
    weights: Mapping[str, Sequence[float]]


def _thin(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Keep at most _MAX_POINTS evenly spaced points (charts, not data, so thinning is fine)."""
    if len(x) <= _MAX_POINTS:
        return x, y
    index = np.linspace(0, len(x) - 1, _MAX_POINTS).round().astype(np.int64)
    return x[index], y[index]


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    metadata = {"Date": None, "Creator": "mmbot"}
    figure.savefig(buffer, format="svg", metadata=metadata)  # atomic-writer: in-memory
    plt.close(figure)
    return buffer.getvalue()


def line_chart_svg(
    title: str, x_hours: npt.NDArray[np.float64], y: npt.NDArray[np.float64], y_label: str
) -> bytes:
    """Return an SVG line chart of y over hours since the start of the run."""
    with plt.rc_context(_RC):
        figure, axes = plt.subplots()
        xs, ys = _thin(x_hours, y)
        axes.plot(xs, ys, linewidth=1.0, color="#1f77b4")
        axes.set_title(title)
        axes.set_xlabel("hours since start")
        axes.set_ylabel(y_label)
        figure.tight_layout()
        return _svg(figure)


def waterfall_svg(title: str, labels: Sequence[str], values_bps: Sequence[float]) -> bytes:
    """Return an SVG waterfall: each component from the running total, then the net bar."""
    with plt.rc_context(_RC):
        figure, axes = plt.subplots()
        running = 0.0
        for index, value in enumerate(values_bps):
            color = "#2ca02c" if value >= 0 else "#d62728"
            axes.bar(index, value, bottom=running, color=color)
            running += value
            axes.text(index, running, f"{value:.2f}", ha="center", va="bottom", fontsize=8)
        axes.bar(len(labels), running, color="#1f77b4")
        axes.text(len(labels), running, f"{running:.2f}", ha="center", va="bottom", fontsize=8)
        axes.set_xticks(range(len(labels) + 1), [*labels, "net"])
        axes.axhline(0.0, color="black", linewidth=0.8)
        axes.set_title(title)
        axes.set_ylabel("bps of traded notional")
        figure.tight_layout()
        return _svg(figure)


def regime_weights_svg(title: str, panels: Sequence[RegimePanel], regimes: Sequence[str]) -> bytes:
    """Return an SVG with one panel per symbol: its strategies' weights (left axis, 0-1) and
    its active regime (right axis, one level per name of regimes) over hours since start."""
    with plt.rc_context(_RC):
        figure, rows = plt.subplots(
            len(panels), 1, sharex=True, squeeze=False, figsize=(8.0, 1.0 + 2.2 * len(panels))
        )
        for axes, panel in zip(rows[:, 0], panels, strict=True):
            hours = np.asarray(panel.hours, dtype=np.float64)
            for strategy_id, weights in panel.weights.items():
                xs, ys = _thin(hours, np.asarray(weights, dtype=np.float64))
                axes.step(xs, ys, where="post", linewidth=1.2, label=f"weight {strategy_id}")
            axes.set_ylim(-0.05, 1.05)
            axes.set_ylabel(f"{panel.symbol}\nweight")
            regime_axes = axes.twinx()
            xs, ys = _thin(hours, np.asarray(panel.regime_levels, dtype=np.float64))
            regime_axes.step(xs, ys, where="post", linewidth=0.8, color="black", alpha=0.5,
                             label="regime")  # fmt: skip
            regime_axes.set_yticks(range(len(regimes)), list(regimes))
            regime_axes.set_ylim(-0.2, len(regimes) - 0.8)
            axes.legend(fontsize=7, loc="upper left")
        rows[0, 0].set_title(title)
        rows[-1, 0].set_xlabel("hours since start")
        figure.tight_layout()
        return _svg(figure)


def bar_chart_svg(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    y_label: str,
    reference: float | None = None,
) -> bytes:
    """Return an SVG bar chart (green >= 0, red < 0) with an optional dashed line at
    reference (a limit)."""
    with plt.rc_context(_RC):
        figure, axes = plt.subplots()
        colors = ["#2ca02c" if value >= 0 else "#d62728" for value in values]
        axes.bar(range(len(values)), values, color=colors)
        axes.set_xticks(range(len(labels)), list(labels), rotation=20, ha="right", fontsize=8)
        axes.axhline(0.0, color="black", linewidth=0.8)
        if reference is not None:
            axes.axhline(reference, color="#d62728", linewidth=1.0, linestyle="--")
        axes.set_title(title)
        axes.set_ylabel(y_label)
        figure.tight_layout()
        return _svg(figure)
