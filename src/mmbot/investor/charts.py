"""The deck's charts: the deterministic SVG charts of backtest/charts.py (fixed hash salt, no
dates, text kept as text), one module for every chart the project draws."""

from __future__ import annotations

from mmbot.backtest.charts import bar_chart_svg, line_chart_svg, waterfall_svg

__all__ = ["bar_chart_svg", "line_chart_svg", "waterfall_svg"]
