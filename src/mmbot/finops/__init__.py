"""FinOps: a day of the ledger exported per leg, and the ledger reconciled against a venue
statement (docs/FINOPS.md). Reads run directories; writes through mmbot.artifacts."""

from mmbot.finops.export import (
    EXPORT_FILES,
    FINOPS_JSON,
    PNL_COLUMNS,
    PNL_CSV,
    POSITION_COLUMNS,
    POSITIONS_CSV,
    DayExport,
    build_export,
    export_dir,
    write_export,
)
from mmbot.finops.ledger import FUNDING_NOTE, LegDay, UtcDay, day_legs, merge_legs, parse_day
from mmbot.finops.reconcile import (
    RECONCILE_CSV,
    RECONCILE_JSON,
    TOLERANCE,
    Line,
    Reconciliation,
    discrepancy_lines,
    ledger_executions,
    match,
    write_reconciliation,
)
from mmbot.finops.runs import find_run_dirs, load_runs
from mmbot.finops.statement import (
    BINANCE_USDM_COLUMNS,
    Execution,
    read_statement,
    venue_symbol,
    zone_offset_s,
)

__all__ = [
    "BINANCE_USDM_COLUMNS",
    "EXPORT_FILES",
    "FINOPS_JSON",
    "FUNDING_NOTE",
    "PNL_COLUMNS",
    "PNL_CSV",
    "POSITIONS_CSV",
    "POSITION_COLUMNS",
    "RECONCILE_CSV",
    "RECONCILE_JSON",
    "TOLERANCE",
    "DayExport",
    "Execution",
    "LegDay",
    "Line",
    "Reconciliation",
    "UtcDay",
    "build_export",
    "day_legs",
    "discrepancy_lines",
    "export_dir",
    "find_run_dirs",
    "ledger_executions",
    "load_runs",
    "match",
    "merge_legs",
    "parse_day",
    "read_statement",
    "venue_symbol",
    "write_export",
    "write_reconciliation",
    "zone_offset_s",
]
