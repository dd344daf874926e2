"""A real Prometheus on 127.0.0.1 for the tests that read its HTTP API: skipped, with the
reason shown, only where the binary is absent (.ci/run installs the Debian package)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

needs_prometheus = pytest.mark.skipif(
    shutil.which("prometheus") is None,
    reason="prometheus not installed (Debian package prometheus; .ci/run installs it)",
)
START_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _targets(url: str) -> list[object]:
    try:
        with urllib.request.urlopen(f"{url}/api/v1/targets", timeout=2) as response:
            return list(json.loads(response.read())["data"]["activeTargets"])
    except OSError:
        return []


@contextmanager
def running_prometheus(folder: Path) -> Iterator[str]:
    """Run Prometheus scraping itself every second; yield its URL once the target is listed."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    config = folder / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: prometheus\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
    )
    with (folder / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
             f"--storage.tsdb.path={folder / 'tsdb'}"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _targets(url):
            assert process.poll() is None, (folder / "prometheus.log").read_text()
            assert time.monotonic() < deadline, "prometheus listed no target in time"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
