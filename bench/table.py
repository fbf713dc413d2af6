"""The one table `make bench` ends with: a row per figure, a column per engine, each value
with its verdict against the target (PASS / MISS; a figure without a target has none)."""

from __future__ import annotations

from dataclasses import dataclass

FIGURE_WIDTH, TARGET_WIDTH, CELL_WIDTH = 46, 20, 24


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    value: str
    target: str = ""
    ok: bool | None = None

    @property
    def cell(self) -> str:
        verdict = "" if self.ok is None else (" PASS" if self.ok else " MISS")
        return self.value + verdict


def combined(by_engine: dict[str, list[Figure]]) -> list[str]:
    """Rows in the order the figures were first measured; a figure an engine did not measure
    shows '—'. Targets that differ by engine are shown side by side."""
    names: list[str] = []
    for figures in by_engine.values():
        names.extend(f.name for f in figures if f.name not in names)
    cells = {engine: {f.name: f for f in figures} for engine, figures in by_engine.items()}
    header = f"{'figure':<{FIGURE_WIDTH}} {'target':<{TARGET_WIDTH}}" + "".join(
        f" {engine:>{CELL_WIDTH}}" for engine in by_engine)
    lines = [header, "-" * len(header)]
    for name in names:
        targets = list(dict.fromkeys(c[name].target for c in cells.values()
                                     if name in c and c[name].target))
        row = f"{name:<{FIGURE_WIDTH}} {' / '.join(targets):<{TARGET_WIDTH}}"
        for engine in by_engine:
            found = cells[engine].get(name)
            row += f" {found.cell if found else '—':>{CELL_WIDTH}}"
        lines.append(row.rstrip())
    return lines
