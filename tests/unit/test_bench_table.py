"""The table `make bench` ends with: a row per figure, a column per engine."""

from __future__ import annotations

from bench.table import Figure, combined


def test_one_row_per_figure_and_a_column_per_engine() -> None:
    lines = combined({
        "SQLite": [Figure("registrations/s", "26", ">= 400", False),
                   Figure("ratio", "0.520", ">= 0.5", True),
                   Figure("only here", "7")],
        "PostgreSQL": [Figure("registrations/s", "41", ">= 600", False),
                       Figure("ratio", "0.503", ">= 0.5", True)],
    })
    header, rule, *rows = lines
    assert header.split() == ["figure", "target", "SQLite", "PostgreSQL"]
    assert set(rule) == {"-"}
    assert [row.split()[0] for row in rows] == ["registrations/s", "ratio", "only"]
    registrations, ratio, only = rows
    assert ">= 400 / >= 600" in registrations  # targets that differ by engine, side by side
    assert registrations.endswith("26 MISS                  41 MISS")
    assert ratio.split()[-4:] == ["0.520", "PASS", "0.503", "PASS"]
    assert only.split()[-2:] == ["7", "—"]  # measured on one engine only, no verdict
