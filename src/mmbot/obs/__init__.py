"""Observability: logfmt logging now; the Prometheus registry comes with the metrics issue."""

from mmbot.obs.logging import configure_logging, get_logger

__all__ = ["configure_logging", "get_logger"]
