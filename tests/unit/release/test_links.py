"""verify-links: planted broken links are each reported at their line; good links, code and
external URLs are not; the repo's own README and docs pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.release._release_cli import run_release

from mmbot.release import anchors_of, broken_links, slug

REPO_ROOT = Path(__file__).resolve().parents[3]

GUIDE = """# Guide

## Preflight and RC validation
## `mmbot go-nogo`: the verdict
## Go/no-go
## Go/no-go
## What's new?
Setext title
------------

<a id="custom-id"></a>
"""

# (line, link) pairs; the broken ones are marked in BROKEN below.
README = """# Readme
[guide](docs/GUIDE.md)
[section](docs/GUIDE.md#preflight-and-rc-validation)
[code heading](docs/GUIDE.md#mmbot-go-nogo-the-verdict)
[second duplicate](docs/GUIDE.md#gono-go-1)
[punctuation](docs/GUIDE.md#whats-new)
[setext](docs/GUIDE.md#setext-title)
[html id](docs/GUIDE.md#custom-id)
[self](#readme) and ![image](docs/pic%20one.svg "a title")
[external](https://example.com/nowhere) <https://example.com> [mail](mailto:x@example.com)
[missing file](docs/NOPE.md)
[missing anchor](docs/GUIDE.md#no-such-heading)
[third duplicate](docs/GUIDE.md#gono-go-2)
[self missing](#nowhere)
`[in a code span](docs/NOPE.md)`
```
[in a fence](docs/NOPE.md)
```
[ref]: docs/ALSO_NOPE.md
<a href="docs/HTML_NOPE.md">html</a>
[source line](src/app.py#L10)
A span `that wraps
over a line` hides nothing after it: [after a span](docs/AFTER_NOPE.md) but `a wrapped
[hidden](docs/HIDDEN_NOPE.md)` span hides what is in it.
"""

BROKEN = [
    "README.md:11: docs/NOPE.md",
    "README.md:12: docs/GUIDE.md#no-such-heading",
    "README.md:13: docs/GUIDE.md#gono-go-2",
    "README.md:14: #nowhere",
    "README.md:19: docs/ALSO_NOPE.md",
    "README.md:20: docs/HTML_NOPE.md",
    "README.md:23: docs/AFTER_NOPE.md",
]


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "docs" / "GUIDE.md").write_text(GUIDE)
    (tmp_path / "docs" / "pic one.svg").write_text("<svg/>")
    (tmp_path / "src" / "app.py").write_text("")
    (tmp_path / "README.md").write_text(README)
    return tmp_path


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Preflight and RC validation", "preflight-and-rc-validation"),
        ("`mmbot rc validate`", "mmbot-rc-validate"),
        ("Go/no-go", "gono-go"),
        ("What's new?", "whats-new"),
        ("Two  spaces", "two--spaces"),
        ("snake_case and-dash", "snake_case-and-dash"),
        ("[Linked](other.md) text", "linked-text"),
        ("<b>Bold</b> HTML", "bold-html"),
    ],
)
def test_slug_follows_github_rules(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_anchors_number_repeated_headings_and_skip_code_blocks() -> None:
    text = "# A\n## A\n```\n# B\n```\n## A\n"
    assert anchors_of(text) == {"a", "a-1", "a-2"}


def test_broken_links_reports_each_planted_one_at_its_line(planted: Path) -> None:
    found = [f"{link.file.relative_to(planted)}:{link.line}: {link.target}" for link in
             broken_links(planted)]  # fmt: skip
    assert found == BROKEN


def test_verify_links_prints_each_broken_link_and_exits_1(
    planted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_release("docs", "verify-links", "--root", str(planted)) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == BROKEN
    assert err.startswith("E_DOCS_LINK: 7 broken link(s)")


def test_verify_links_ok_once_the_links_are_fixed(
    planted: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = planted / "README.md"
    readme.write_text("\n".join(readme.read_text().splitlines()[:10]) + "\n")
    assert run_release("docs", "verify-links", "--root", str(planted)) == 0
    assert capsys.readouterr().out == "[OK] all links valid\n"


def test_verify_links_refuses_a_root_without_docs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_release("docs", "verify-links", "--root", str(tmp_path)) == 1
    assert capsys.readouterr().err.startswith("E_DOCS_LINK: root=")


def test_repo_readme_and_docs_have_no_broken_link(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_release("docs", "verify-links", "--root", str(REPO_ROOT)) == 0
    assert capsys.readouterr().out == "[OK] all links valid\n"
