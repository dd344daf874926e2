"""The investor package: exports, a deck (Markdown and HTML with SVG charts) and an SOP, made
from run directories byte for byte reproducibly (docs/INVESTOR.md)."""

from mmbot.investor.figures import Book, Period, audit_book, day_key, headline, month_key, periods
from mmbot.investor.limits import LIMIT_COLUMNS, LimitUse, limit_uses
from mmbot.investor.package import (
    DECK_HTML,
    DECK_MD,
    KIND,
    MANIFEST,
    PACKAGE_JSON,
    SOP_MD,
    PackageRequest,
    check_config,
    package_files,
    write_package,
)
from mmbot.investor.sop import render_sop

__all__ = [
    "DECK_HTML",
    "DECK_MD",
    "KIND",
    "LIMIT_COLUMNS",
    "MANIFEST",
    "PACKAGE_JSON",
    "SOP_MD",
    "Book",
    "LimitUse",
    "PackageRequest",
    "Period",
    "audit_book",
    "check_config",
    "day_key",
    "headline",
    "limit_uses",
    "month_key",
    "package_files",
    "periods",
    "render_sop",
    "write_package",
]
