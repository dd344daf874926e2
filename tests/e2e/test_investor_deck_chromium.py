"""The deck of a real book run opened in headless Chromium: it renders (a screenshot of the
page, kept under the test's tmp dir as an artifact) without a console message, and every
image it shows exists. Skipped, with the reason shown, where Chromium is not installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image
import pytest
from tests.unit.finops.statements import make_book_run
from tests.unit.investor.book_runs import make_package

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not found (Debian package chromium; .ci/run installs it)"
)
WINDOW = (1280, 3000)
# Chromium logs every console message (console.*, uncaught errors) as `...:INFO:CONSOLE(n)]`
# or `...:INFO:CONSOLE:n]` with --enable-logging=stderr --v=0.
CONSOLE_RE = re.compile(r":CONSOLE[(:]\d*\)?\]")


def render(page: Path, screenshot: Path) -> list[str]:
    """Screenshot page with headless Chromium; return its console lines (none expected)."""
    assert CHROMIUM is not None
    profile = screenshot.parent / f"{screenshot.stem}-profile"
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--no-first-run",
         f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
         f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={screenshot}", page.as_uri()],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert screenshot.is_file(), done.stderr[-2000:]
    return [line for line in done.stderr.splitlines() if CONSOLE_RE.search(line)]


def test_render_reports_a_page_s_console_error(tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><body><p>x</p><script>console.error("boom");'
                    "missingFunction();</script></body></html>\n")  # fmt: skip
    lines = render(page, tmp_path / "broken.png")
    assert any('"boom"' in line for line in lines)
    assert any("missingFunction is not defined" in line for line in lines)


def test_deck_renders_in_chromium_without_console_messages(tmp_path: Path) -> None:
    package = make_package(make_book_run(tmp_path / "book"), tmp_path / "package")
    page = package / "deck" / "deck.html"
    sources = re.findall(r'<img src="([^"]+)"', page.read_text(encoding="ascii"))
    assert len(sources) == 5 and all((page.parent / src).is_file() for src in sources)
    screenshot = tmp_path / "deck.png"  # the test's artifact: pytest keeps recent tmp dirs
    assert render(page, screenshot) == []
    pixels = matplotlib.image.imread(screenshot)
    assert pixels.shape[:2] == (WINDOW[1], WINDOW[0])
    assert float(pixels[..., :3].std()) > 0.05  # text, tables and charts, not a blank page
