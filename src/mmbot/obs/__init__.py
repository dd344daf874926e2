"""Observability: logfmt logging now; the Prometheus registry comes with the metrics issue."""

from mmbot.obs.logging import ascii_single_line, configure_logging, get_logger

__all__ = ["ascii_single_line", "configure_logging", "get_logger"]
