"""The registry of every `E_*` error code and the exceptions that carry them.

An error is one ASCII line: `E_<AREA>_<WHAT>: <what was wrong, where, what to do>`.
Exceptions are grouped by who must act (a human fixing input, a retry, the strategy);
rejections the strategy is expected to handle are values, not exceptions.
"""

from __future__ import annotations

from typing import Final

from mmbot.core.text import ascii_single_line

# Every code the project may emit, with its one-line meaning. A repo test fails when a
# string literal under src/ looks like an error code that is not listed here.
REGISTRY: Final[dict[str, str]] = {
    # artifacts: the deterministic writer
    "E_ART_NONFINITE": "a NaN or Inf reached an artifact payload",
    "E_ART_NONASCII": "non-ASCII text reached an artifact",
    "E_ART_BADKEY": "an artifact payload has a non-string mapping key",
    "E_ART_BADTYPE": "an artifact payload holds a value the writer cannot serialize",
    "E_ART_CSV_SHAPE": "a CSV/Markdown row does not match the declared columns",
    "E_ART_NEWLINE": "a text artifact holds a CR or a cell holds a line break",
    # observability: metrics and their exporter
    "E_OBS_METRIC": "a metric sample names no metric of obs/catalog.py",
    "E_OBS_LABEL": "a metric sample's labels break the catalogue (names or a non-name value)",
    "E_OBS_PORT": "the metrics exporter cannot listen on the port given",
    "E_MON_DASHBOARD_STALE": "monitoring/grafana/mm_bot.json is not what the catalogue builds",
    "E_MON_PANEL_ID": "two dashboard panels would get the same id",
    "E_CI_INSTALL": "CI could not install a Debian package its tests need",
    # config: loading and validation
    "E_CFG_FILE_MISSING": "the config file does not exist or cannot be read",
    "E_CFG_YAML": "the config file is not well-formed YAML",
    "E_CFG_NOT_MAPPING": "the config document (or a section) is not a mapping",
    "E_CFG_LEGACY_KEY": "a removed legacy key is present; use its replacement",
    "E_CFG_UNKNOWN_KEY": "a key that the schema does not define",
    "E_CFG_MISSING_KEY": "a required key is absent",
    "E_CFG_TYPE": "a value has the wrong type",
    "E_CFG_RANGE": "a value is outside its allowed range",
    "E_CFG_ENUM": "a value is not one of the allowed choices",
    "E_CFG_RULE": "a cross-field rule does not hold",
    "E_CFG_PROFILE_UNKNOWN": "MM_PROFILE names a profile that is not shipped",
    "E_CFG_ENV": "MM_ENV is not one of dev, shadow, canary, prod",
    "E_CFG_DATA_MISMATCH": "config and data name different venue/symbol/tick/lot",
    "E_CFG_CREDENTIAL_KEY": "a credential in a config file; they come from the environment",
    # CLI
    "E_CLI_USAGE": "the command line is malformed",
    # market data: import, validation, replay
    "E_DATA_FILE_MISSING": "a data file does not exist or cannot be read",
    "E_DATA_DUPLICATE_SYMBOL": "two event files of a data set hold the same symbol",
    "E_DATA_FORMAT": "a data file is not of a recognised format",
    "E_DATA_MISSING_COLUMNS": "a data file lacks required columns",
    "E_DATA_NONMONOTONIC": "timestamps go backwards",
    "E_DATA_NEGATIVE_SIZE": "a size or quantity is negative",
    "E_DATA_BAD_VALUE": "a field cannot be parsed or is out of range",
    "E_DATA_OFF_GRID": "a price or size is not a multiple of the tick or lot size",
    "E_DATA_CROSSED": "a book snapshot is crossed (best bid >= best ask)",
    "E_DATA_UNKNOWN_KIND": "an event kind or side code is not in the schema",
    "E_DATA_TRUNCATED": "a data file ends in the middle of a record or block",
    "E_DATA_METADATA": "instrument metadata is missing or inconsistent",
    "E_DATA_EMPTY": "an event file (or an import or synth) holds no events",
    "E_DATA_TOO_SHORT": "an event file holds too few events to run over",
    "E_DATA_SEQUENCE_GAP": "a depth diff does not follow the one before (pu) or the snapshot",
    "E_DATA_NO_SNAPSHOT": "a depth stream recording has no snapshot to start the book from",
    "E_DATA_GAP": "consecutive event files of a symbol leave a gap longer than allowed",
    "E_DATA_OVERLAP": "an event file of a symbol starts before the previous one ends",
    "E_DATA_BOOK_MISMATCH": "the book rebuilt from depth diffs differs from the venue's top",
    # edge audit and run directories
    "E_AUDIT_MISSING_FILE": "a run directory lacks a file the audit needs",
    "E_AUDIT_BAD_VALUE": "a row of a run-directory file cannot be parsed",
    "E_AUDIT_UNKNOWN_ORDER": "a fill refers to an order the order log does not have",
    "E_AUDIT_MISSING_MIDS": "a filled symbol has no mid series",
    "E_AUDIT_UNSORTED": "fills or mids are not in time order",
    "E_AUDIT_NO_METADATA": "a symbol has no instrument metadata in run.json",
    "E_AUDIT_FEE_CURRENCY": "a fee is not in the quote currency",
    "E_RUN_INCOMPLETE": "a run directory has no manifest or a file differs from it; rerun",
    "E_RUN_OUT_NOT_DIR": "--out names a file, not a folder",
    "E_RUN_OUT_FOREIGN": "--out holds files no mmbot run wrote; a rerun would replace them",
    # finops: ledger export and reconciliation against a venue statement
    "E_FINOPS_NO_RUNS": "--runs is not a run directory and holds none",
    "E_FINOPS_DATE": "--date is not a UTC day written YYYYMMDD",
    "E_FINOPS_DAY_EMPTY": "no run has mids on the day asked for",
    "E_FINOPS_OUT_FOREIGN": "the export folder holds files finops export did not write",
    "E_FINOPS_STATEMENT_LAYOUT": "the statement's header is not a known venue trade-history export",
    "E_FINOPS_STATEMENT_VALUE": "a statement cell cannot be parsed",
    "E_FINOPS_FEE_ASSET": "a statement fee is not paid in a quote currency",
    "E_FINOPS_MISSING_FILL": "a ledger fill is not on the venue statement",
    "E_FINOPS_EXTRA_FILL": "a statement execution is not in the ledger",
    "E_FINOPS_DUPLICATE": "a statement row repeats an earlier row's trade id",
    "E_FINOPS_QTY_MISMATCH": "ledger and statement quantities of one fill differ beyond 1e-8",
    "E_FINOPS_PRICE_MISMATCH": "ledger and statement prices of one fill differ beyond 1e-8",
    "E_FINOPS_AMOUNT_MISMATCH": "ledger and statement notionals of one fill differ beyond 1e-8",
    "E_FINOPS_FEE_MISMATCH": "ledger and statement fees of one fill differ beyond 1e-8",
    # investor package: exports, deck, SOP
    "E_INVESTOR_CONFIG_MISMATCH": "the config is not the one the runs were made with (sha256)",
    "E_INVESTOR_SOURCE": "a document the SOP is built from is missing or not in its known shape",
    "E_INVESTOR_OUT_FOREIGN": "--out holds files that are not an earlier investor package",
    # walk-forward backtest
    "E_WF_GRID": "a --grid option is malformed or repeats a key",
    "E_WF_WINDOW": "train/test/step windows are not positive or do not fit the data",
    "E_WF_OBJECTIVE": "the objective is not one of the defined objectives",
    "E_WF_RAY": "the Ray executor could not start or a Ray task failed",
    # simulated venue
    "E_SIM_CONFIG": "simulator settings are inconsistent with the data",
    # risk gate: denials and after-step invariant records
    "E_RISK_POSITION": "worst-case or actual position is beyond the position limit",
    "E_RISK_SKEW": "the net position is beyond the skew limit",
    "E_RISK_INTRADAY_LOSS": "the day's loss reached its cap; reduce-only to flat",
    "E_RISK_INTRADAY_NOTIONAL": "the day's traded notional reached its cap; reduce-only to flat",
    "E_RISK_INTRADAY_ORDERS": "the day's order count reached its cap; trading halted",
    "E_RISK_REDUCE_ONLY": "REDUCING: the order adds to the position or reduces by too much",
    "E_RISK_TRADING_STATE": "the trading state changed (ACTIVE / REDUCING / HALTED)",
    "E_RISK_MIN_QTY": "the order is below the venue's minimum quantity (min_qty_lots)",
    "E_RISK_MIN_NOTIONAL": "the order is below the venue's minimum notional (min_notional_usd)",
    "E_RISK_THROTTLE_ORDERS": "the order token bucket is empty; order not sent",
    "E_RISK_THROTTLE_CANCELS": "the cancel token bucket is empty; cancel not sent",
    "E_RISK_REPLACE_TICKS": "a replace moved the price less than min_replace_ticks; skipped",
    "E_RISK_REPLACE_AGE": "a replace hit an order younger than min_order_age_ms; skipped",
    "E_RISK_REPLACE_TWICE": "a second replace of one order in one batch; denied",
    "E_RISK_UNKNOWN_ORDER": "a replace names an order that is not resting",
    "E_RISK_KILL_SWITCH": "the kill switch is tripped; only cancels pass",
    "E_RISK_BOOK_ORDERS": "the book's order count today reached its cap; every symbol halted",
    "E_RISK_BOOK_LOSS": "the book's loss today reached its cap; every symbol reduce-only to flat",
    "E_RISK_BOOK_GROSS": "the book's gross notional is over its cap; every symbol reduce-only",
    "E_RISK_BOOK_NET_DELTA": "the book's net USD delta is over its cap; the adding symbols reduce",
    "E_RISK_BOOK_HALT": "the book's caps halted this symbol; only cancels pass",
    "E_RISK_BOOK_LIMIT": "the order's worst case is beyond what the book's caps leave the symbol",
    # live venues: adapter, idempotency, guards
    "E_VENUE_TEMPORARY": "a venue call failed transiently (network, timeout, 5xx); retry",
    "E_VENUE_RATE_LIMIT": "the venue answered 429/418 or the weight budget is spent; wait",
    "E_VENUE_REJECTED": "the venue rejected an order; the strategy decides what next",
    "E_VENUE_NOT_PLACED": "an order of unknown outcome is not at the venue; it was fenced",
    "E_VENUE_OUTCOME_UNKNOWN": "an order's outcome is still unknown after querying the venue",
    "E_VENUE_OUTCOME_TIMEOUT": "an order stayed of unknown outcome past the limit; quoting stopped",
    "E_VENUE_UNKNOWN_ORDER": "the venue has no order with this client id",
    "E_VENUE_IDEM_CONFLICT": "a client id was reused for a different intent",
    "E_VENUE_AUTH": "venue API credentials are missing or refused",
    "E_VENUE_CLOCK_SKEW": "local and venue clocks differ by more than allowed; quoting blocked",
    "E_VENUE_STALE_BOOK": "the venue book has not updated within the allowed age; quoting blocked",
    "E_VENUE_DISCONNECTED": "a venue stream is down or not yet reconciled; quoting blocked",
    "E_VENUE_MARKET_DATA_ONLY": "an order or account call reached a market-data-only adapter",
    # reconciliation of local state against the venue
    "E_RECON_POSITION": "local position differs from the venue's; quoting refused",
    "E_RECON_OPEN_ORDERS": "local open orders differ from the venue's; quoting refused",
    "E_RECON_FILL": "a venue fill matches no order of ours; quoting refused",
    "E_RECON_INSTRUMENT": "configured tick/lot size differ from the venue's market; start refused",
    # high availability: leader lease and fencing (mmbot.ha, docs/HA.md)
    "E_HA_BACKEND": "the lease backend (SQLite file or Redis) could not be reached",
    "E_HA_SPEC": "--ha/--instance is not sqlite:PATH or redis://HOST:PORT/DB, or a bad name",
    "E_HA_LEASE_TIMING": "the lease's ttl, renew interval and margin do not fit together",
    "E_HA_EPOCH": "a fencing token is not past the order numbers already used",
    "E_HA_STANDBY": "this instance is a standby: another holds the leader lease",
    "E_HA_TAKEOVER": "an elected instance makes the venue its own (or failed to) before quoting",
    "E_HA_VENUE": "--ha on a venue needs a one-symbol order venue",
    # operations: canary record, soak, daily check and snapshot (mmbot.ops, docs/OPS.md)
    "E_OPS_MISSING_ARTIFACT": "a file an ops step needs is missing; the error names its maker",
    "E_OPS_STALE_ARTIFACT": "a daily artifact is older than the allowed age",
    "E_OPS_TEXT_FORMAT": "an artifact is not ASCII text with LF line ends and a final LF",
    "E_OPS_JSON_NOT_CANONICAL": "a JSON artifact differs from its canonical form (or is not JSON)",
    "E_OPS_PROM_HTTP": "the Prometheus HTTP API did not answer a JSON document with status success",
    "E_SOAK_ORPHAN_ORDERS": "orders still worked after the soak session's shutdown (S0)",
    "E_SOAK_VENUE_CLOSED": "the venue session ended the soak session (S1)",
    "E_SOAK_QUOTE_BLOCKED": "the venue guards blocked quoting at some decisions (S2)",
    "E_SOAK_CANARY_REFUSED": "the canary refused orders: gate closed or a cap (S3)",
    "E_SOAK_STOPPED_EARLY": "a signal stopped the soak session before its window ended (S3)",
    "E_SOAK_RUN_LOST": "a soak session never recorded its end: killed, or still running (S1)",
    "E_SOAK_NO_RUNS": "no soak session under --runs started on the requested day",
    "E_SOAK_BAD_RUN": "a soak run's soak.json or incidents.jsonl cannot be read as written",
    # regions: config, compare, switch and rollout (docs/REGIONS.md)
    "E_REGION_UNKNOWN_KEY": "the regions config holds a key its schema does not define",
    "E_REGION_MISSING_KEY": "the regions config lacks a required key",
    "E_REGION_TYPE": "a regions config value has the wrong type (enabled must be a bool)",
    "E_REGION_RANGE": "a regions config value is outside its allowed range",
    "E_REGION_ENUM": "a regions config value is not one of the allowed choices",
    "E_REGION_NAME": "a region name is not lowercase letters, digits and '-'",
    "E_REGION_DUPLICATE_NAME": "two regions of the regions config have the same name",
    "E_REGION_URL": "a region's venue endpoint is not an https:// or wss:// URL with a host",
    "E_REGION_WINDOW": "the change window repeats a day or does not start before it ends",
    "E_REGION_UNKNOWN": "a region named on the command line is not in the regions config",
    "E_REGION_RUN_MISSING": "a region has no run folder, report or metrics.prom under --runs",
    "E_REGION_RUN_UNKNOWN": "a folder under --runs is named after no configured region",
    "E_REGION_RUN_BAD": "a region's run report or metrics.prom lacks a figure or is malformed",
    "E_REGION_JOURNAL": "the regions journal holds a line that is not a journal entry",
    "E_REGION_STATE": "the active-region state file is not what region rollout writes",
    # release: preflight, rc validate, go-nogo, docs verify-links (docs/RUNBOOK.md)
    "E_RELEASE_SETTINGS": "the release settings file (--settings) breaks its schema",
    "E_PREFLIGHT_ENV": "MM_ENV, MM_CONFIG_PATH or the venue of an order-sending mode is not set",
    "E_PREFLIGHT_RULES": "the alert rules file is missing or fails promtool check rules",
    "E_PREFLIGHT_CLOCK": "the clock is reset, behind a file's write time or off its reference",
    "E_PREFLIGHT_DISK": "the disk has less free space than the release settings ask",
    "E_REPORT_MISSING": "a report or artifact the release reads does not exist",
    "E_REPORT_STALE": "a report or artifact is older than its age limit",
    "E_REPORT_BAD": "a report cannot be read or lacks a field the release judges",
    "E_REPORT_THRESHOLD": "a report's verdict or figure is outside its threshold",
    "E_RC_QUERY": "a Prometheus query failed (unreachable, refused, not JSON, bad query)",
    "E_RC_NO_DATA": "a release-candidate query returned no series",
    "E_RC_THRESHOLD": "a release-candidate query's value is outside its limit",
    "E_RC_ALERTS_FIRING": "alerts are firing (active, neither silenced nor inhibited)",
    "E_RC_ALERTMANAGER": "the Alertmanager API is unreachable or answered no alert list",
    "E_GOLDEN_MISMATCH": "a golden file differs from its sha256 in tests/golden/MANIFEST",
    "E_GOLDEN_MISSING": "a golden listed in tests/golden/MANIFEST does not exist",
    "E_GOLDEN_UNLISTED": "a golden file has no line in tests/golden/MANIFEST",
    "E_GOLDEN_NO_COMMAND": "a golden has no regenerating command in tests/golden/MANIFEST",
    "E_GOLDEN_MANIFEST_BAD": "tests/golden/MANIFEST is absent or has a malformed line",
    "E_GOLDEN_COMMAND_FAILED": "a golden's regenerating command failed",
    "E_GONOGO_GOLDENS": "the goldens cannot be checked against tests/golden/MANIFEST",
    "E_DOCS_LINK": "a relative link or anchor of README.md or docs/*.md does not resolve",
}


class MmError(Exception):
    """An error a person or a caller must act on; renders as one ASCII line."""

    exit_code: int = 1

    def __init__(self, code: str, detail: str) -> None:
        if code not in REGISTRY:
            raise ValueError(f"unregistered error code {code!r}; add it to mmbot.core.errors")
        self.code = code
        self.detail = detail
        super().__init__(self.line())

    def line(self) -> str:
        """Return the error as exactly one ASCII line, without a trailing newline."""
        return ascii_single_line(f"{self.code}: {self.detail}")


class ConfigError(MmError):
    """Bad configuration: a human must fix the file or the environment."""

    exit_code = 2


class DataError(MmError):
    """Bad market data (missing, malformed, inconsistent): a human must fix or re-fetch it."""

    exit_code = 2


class AuditError(MmError):
    """A run directory cannot be audited as it is: a human must fix or regenerate it."""

    exit_code = 2


class ArtifactError(MmError):
    """A payload cannot be written deterministically: a bug in the caller's data."""

    exit_code = 3


class ObsError(MmError):
    """A metric the catalogue does not allow, or an exporter that cannot serve: a bug in the
    caller's samples, or a human picking another port."""

    exit_code = 2


class UsageError(MmError):
    """Bad command-line use: a human must fix the invocation."""

    exit_code = 2
