"""A live system's metrics: the exporter it serves while it runs, and metrics.prom after.

The runner calls the publisher after each decision; it builds a snapshot of the engine
(engine/metrics.py) at most once a second of wall time, in the engine's thread, and hands it
to the exporter's HTTP thread (obs/exporter.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from mmbot.artifacts.atomic import atomic_write_bytes
from mmbot.core.clock import WallClock
from mmbot.engine.metrics import BookExtras, EngineSampler, engine_samples
from mmbot.engine.rundir import METRICS_FILE
from mmbot.node.systems import Mode, System
from mmbot.obs.exporter import MetricsServer, exposition

PUBLISH_EVERY_NS: Final = 1_000_000_000


def book_extras(system: System, colour: str) -> BookExtras:
    """Return the values the engine does not own, for system now."""
    if system.mode is Mode.shadow:
        gate_open = 0  # shadow never sends an order
    elif system.canaries:  # canary/live: open while every symbol's gate is
        gate_open = int(all(canary.gate.is_open() for canary in system.canaries.values()))
    else:
        gate_open = 1
    hits = 0 if system.bridge is None else system.bridge.order_idem_hits_total
    elections = 0 if system.leader is None else system.leader.elections_total
    return BookExtras(canary_gate_open=gate_open, order_idem_hits_total=hits, colour=colour,
                      leader_elections_total=elections)  # fmt: skip


class _Publisher:
    """The runner's on_step hook: a fresh snapshot for the exporter, at most every_s."""

    def __init__(self, system: System, server: MetricsServer, colour: str) -> None:
        self._system, self._server, self._colour = system, server, colour
        self._sampler = EngineSampler(system.engine)
        self._wall = WallClock()  # paces publishing whatever the replay speed
        self._next_ns = 0

    def __call__(self, now_ns: int) -> None:
        wall_ns = self._wall.now_ns()
        if wall_ns >= self._next_ns:
            self._next_ns = wall_ns + PUBLISH_EVERY_NS
            self.publish()

    def publish(self) -> None:
        """Publish the engine's samples now."""
        system = self._system
        self._server.collector.publish(self._sampler.samples(book_extras(system, self._colour)))


@contextmanager
def serving_metrics(system: System, port: int | None, colour: str) -> Iterator[str | None]:
    """Serve system's metrics on 127.0.0.1:port while the block runs (port None: not at all;
    0: any free port); yield the URL. The server stops with the block: a scrape after the
    last publish is unlikely to land, so the run's final values are its metrics.prom."""
    if port is None:
        yield None
        return
    server = MetricsServer(port)
    publisher = _Publisher(system, server, colour)
    system.runner.on_step = publisher
    publisher.publish()  # counters exist at 0 from the start (FACTS.md: increase())
    try:
        yield server.url
    finally:
        server.close()


def write_metrics(system: System, out: Path, colour: str) -> Path:
    """Write system's final metric values as out/metrics.prom; return the path."""
    samples = engine_samples(system.engine, book_extras(system, colour))
    return atomic_write_bytes(out / METRICS_FILE, exposition(samples))
