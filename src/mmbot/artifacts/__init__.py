"""The deterministic artifact writer: the only way the project writes a file.

Same inputs, same bytes: JSON is ASCII with sorted keys and compact separators, text is
ASCII with LF endings, every write is atomic (temp file, fsync, rename, fsync folder);
a folder that must change as a whole is built aside and renamed into place (atomic_dir);
a log that grows while a process lives is appended to line by line (appendlog).
"""

from mmbot.artifacts.appendlog import AppendLog
from mmbot.artifacts.archive import tar_gz_bytes, write_tar_gz, write_tar_gz_of_files
from mmbot.artifacts.atomic import atomic_output, atomic_write_bytes, sweep_stale_temps
from mmbot.artifacts.atomic_dir import (
    discard_stage,
    move_files_into,
    replace_folder,
    stage_folder,
)
from mmbot.artifacts.fill_log import write_fill_log
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
    "AppendLog",
    "Cell",
    "JsonValue",
    "atomic_output",
    "atomic_write_bytes",
    "canonical_json_bytes",
    "csv_text",
    "discard_stage",
    "fmt6",
    "fmt_exact",
    "format_cell",
    "markdown_table",
    "move_files_into",
    "replace_folder",
    "stage_folder",
    "sweep_stale_temps",
    "tar_gz_bytes",
    "text_bytes",
    "utc_day",
    "utc_iso",
    "write_csv",
    "write_fill_log",
    "write_json",
    "write_tar_gz",
    "write_tar_gz_of_files",
    "write_text",
]
