"""The deterministic artifact writer: the only way the project writes a file.

Same inputs, same bytes: JSON is ASCII with sorted keys and compact separators, text is
ASCII with LF endings, every write is atomic (temp file, fsync, rename, fsync folder).
"""

from mmbot.artifacts.archive import tar_gz_bytes, write_tar_gz, write_tar_gz_of_files
from mmbot.artifacts.atomic import atomic_output, atomic_write_bytes, sweep_stale_temps
from mmbot.artifacts.formats import fmt6, fmt_exact, utc_day, utc_iso
from mmbot.artifacts.jsonio import JsonValue, canonical_json_bytes, write_json
from mmbot.artifacts.text import (
    TOTAL_LABEL,
    Cell,
    csv_text,
    format_cell,
    markdown_table,
    text_bytes,
    write_csv,
    write_text,
)

__all__ = [
    "TOTAL_LABEL",
    "Cell",
    "JsonValue",
    "atomic_output",
    "atomic_write_bytes",
    "canonical_json_bytes",
    "csv_text",
    "fmt6",
    "fmt_exact",
    "format_cell",
    "markdown_table",
    "sweep_stale_temps",
    "tar_gz_bytes",
    "text_bytes",
    "utc_day",
    "utc_iso",
    "write_csv",
    "write_json",
    "write_tar_gz",
    "write_tar_gz_of_files",
    "write_text",
]
