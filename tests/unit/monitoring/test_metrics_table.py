"""docs/OBSERVABILITY.md's Metrics table lists exactly the catalogue, in its order."""

from __future__ import annotations

from tests.unit.monitoring._monitoring import OBSERVABILITY_DOC

from mmbot.obs.catalog import METRICS

Row = tuple[str, str, tuple[str, ...], str]


def metrics_table(doc: str) -> list[Row]:
    """Return the rows of the table in the doc's "## Metrics" section (up to its first
    subsection): (name, type, labels, meaning)."""
    section = doc.split("\n## Metrics\n", 1)[1].split("\n#", 1)[0]
    cells = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| `")
    ]
    return [
        (name.strip("`"), kind, () if labels == "-" else tuple(labels.split(", ")), meaning)
        for name, kind, labels, meaning in cells
    ]


def catalogue_rows() -> list[Row]:
    return [(spec.name, spec.type, spec.labels, spec.help) for spec in METRICS]


def test_docs_metrics_table_is_the_catalogue() -> None:
    assert metrics_table(OBSERVABILITY_DOC.read_text()) == catalogue_rows()


def test_docs_metrics_section_is_filled_in() -> None:
    assert "(filled by the exporter's author)" not in OBSERVABILITY_DOC.read_text()


def test_table_check_sees_a_dropped_metric_and_a_wrong_label() -> None:
    doc = OBSERVABILITY_DOC.read_text()
    dropped = doc.replace("| `decisions_total` | counter | - | decision points run |\n", "")
    relabeled = doc.replace(
        "| `pos_skew_breach_total` | counter | symbol |",
        "| `pos_skew_breach_total` | counter | symbol, strategy |",
    )
    expected = catalogue_rows()
    assert [row[0] for row in metrics_table(dropped)] == [
        name for name, *_ in expected if name != "decisions_total"
    ]
    changed = [row for row in metrics_table(relabeled) if row not in expected]
    assert changed == [
        (
            "pos_skew_breach_total",
            "counter",
            ("symbol", "strategy"),
            "position or skew limit breaches",
        )
    ]
