"""`mmbot docs verify-links`: every relative link and anchor of README.md and docs/*.md resolves.

A link is an inline link or image `[text](target)`, a reference definition `[label]: target`
or an HTML `href="..."`/`src="..."`, outside fenced code blocks and code spans. Targets with a
scheme (https:, mailto:) are not checked. A target's path is relative to the linking file
(a leading `/`: to the root); it must exist. Its `#anchor`, when it names a Markdown file
(or none: the linking file), must be a heading's GitHub anchor or an HTML id/name there.

GitHub's anchors (github-slugger): the heading's text as rendered (links as their text,
code without backticks, no HTML tags), lower-cased, every character that is not a letter,
digit, space, `-` or `_` dropped, each space turned into `-`; a repeated anchor gets `-1`,
`-2`, ... in document order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import unquote

_FENCE: Final = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# A code span: a run of backticks, text without a blank line, the same run again.
_CODE_SPAN: Final = re.compile(r"(`+)((?:(?!\n[ \t]*\n).)+?)\1", re.DOTALL)
# [text](target "title"): the text may hold one level of brackets, the target no space.
_INLINE_LINK: Final = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]"  # [text] or ![alt]
    r"\(\s*<?([^\s<>()]*)>?(?:\s+[\"'(][^)]*)?\)"  # (target "optional title")
)
_REFERENCE: Final = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_HTML_TARGET: Final = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']*)["']""")
_HTML_ANCHOR: Final = re.compile(r"""<[a-zA-Z][^>]*\b(?:id|name)\s*=\s*["']([^"']+)["']""")
_SCHEME: Final = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")
_ATX: Final = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT: Final = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_NOT_PARAGRAPH: Final = re.compile(r"^ {0,3}(?:[#>|*+-]|\d+[.)]|$)")
_IMAGE_OR_LINK: Final = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_HTML_TAG: Final = re.compile(r"</?[a-zA-Z][^>]*>")
_NOT_SLUG: Final = re.compile(r"[^a-z0-9 _-]")


@dataclass(frozen=True, slots=True)
class Link:
    """A link as written: the file, its 1-based line and the target."""

    file: Path
    line: int
    target: str


def _prose_lines(text: str) -> list[str]:
    """Return the lines of text with fenced code blocks (fences included) blanked, so that
    list index + 1 is still the line number."""
    lines, fence = [], ""
    for line in text.split("\n"):
        match = _FENCE.match(line)
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = ""
            lines.append("")
            continue
        if match:
            fence = match.group(1)
        lines.append("" if match else line)
    return lines


def _visible_lines(text: str) -> list[str]:
    """Return _prose_lines with code spans blanked too (a span may run over line breaks
    within a paragraph)."""
    prose = "\n".join(_prose_lines(text))
    blanked = _CODE_SPAN.sub(lambda match: re.sub(r"[^\n]", " ", match.group(0)), prose)
    return blanked.split("\n")


def links_of(path: Path, text: str) -> list[Link]:
    """Return every link of a Markdown text, in order."""
    found = []
    for number, line in enumerate(_visible_lines(text), 1):
        targets = [m.group(1) for m in _INLINE_LINK.finditer(line)]
        targets += [m.group(1) for m in _REFERENCE.finditer(line)]
        targets += [m.group(1) for m in _HTML_TARGET.finditer(line)]
        found += [Link(path, number, target) for target in targets]
    return found


def slug(heading: str) -> str:
    """Return GitHub's anchor of a heading's Markdown text (before de-duplication)."""
    text = _IMAGE_OR_LINK.sub(r"\1", heading)
    text = _HTML_TAG.sub("", text.replace("`", ""))
    return _NOT_SLUG.sub("", text.lower()).replace(" ", "-")


def _headings(text: str) -> list[str]:
    """Return the text of every ATX and setext heading outside code blocks, in order."""
    headings, previous = [], ""
    for line in _prose_lines(text):
        atx = _ATX.match(line)
        if atx:
            headings.append(atx.group(2) or "")
            previous = ""
            continue
        if _SETEXT.match(line) and previous and not _NOT_PARAGRAPH.match(previous):
            headings.append(previous.strip())
            previous = ""
            continue
        previous = line
    return headings


def anchors_of(text: str) -> set[str]:
    """Return every anchor GitHub gives a Markdown text: headings (de-duplicated) and HTML
    id/name attributes."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for heading in _headings(text):
        base = slug(heading)
        anchor = base
        while anchor in anchors:
            seen[base] = seen.get(base, 0) + 1
            anchor = f"{base}-{seen[base]}"
        anchors.add(anchor)
    for line in _visible_lines(text):
        anchors.update(m.group(1) for m in _HTML_ANCHOR.finditer(line))
    return anchors


def is_broken(link: Link, root: Path, anchors: dict[Path, set[str]]) -> bool:
    """Return whether a relative link's file or anchor does not resolve (anchors: a cache of
    each Markdown file's anchors, filled as files are read)."""
    if _SCHEME.match(link.target):
        return False
    raw_path, _, anchor = link.target.partition("#")
    path = unquote(raw_path)
    if not path:
        target = link.file
    elif path.startswith("/"):
        target = root / path.lstrip("/")
    else:
        target = link.file.parent / path
    if not target.exists():
        return True
    if not anchor or target.suffix.lower() != ".md" or not target.is_file():
        return False
    key = target.resolve()
    if key not in anchors:
        anchors[key] = anchors_of(target.read_text(encoding="utf-8"))
    return unquote(anchor) not in anchors[key]


def documents(root: Path) -> list[Path]:
    """Return README.md and docs/*.md under root, sorted."""
    readme = [root / "README.md"] if (root / "README.md").is_file() else []
    return readme + sorted((root / "docs").glob("*.md"))


def broken_links(root: Path) -> list[Link]:
    """Return every broken relative link of root's README.md and docs/*.md, in file order."""
    anchors: dict[Path, set[str]] = {}
    broken = []
    for path in documents(root):
        text = path.read_text(encoding="utf-8")
        broken += [link for link in links_of(path, text) if is_broken(link, root, anchors)]
    return broken
