"""Pages are a face, not a second application: no module under api/pages touches the
database or the models itself; they call the vetting services as the API does."""

from __future__ import annotations

import ast
from pathlib import Path

PAGES = Path(__file__).resolve().parents[2] / "api" / "pages"
FORBIDDEN = ("sqlalchemy", "vetting.models")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_page_module_imports_sqlalchemy_or_the_models() -> None:
    modules = sorted(PAGES.rglob("*.py"))
    assert len(modules) >= 5
    wrong = [f"{path.relative_to(PAGES)}: {name}" for path in modules
             for name in _imports(path)
             if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)]
    assert not wrong, wrong


def test_the_check_sees_an_offending_import(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from vetting.models import Worker\nimport sqlalchemy.orm\n")
    assert {"vetting.models", "sqlalchemy.orm"} <= set(_imports(sample))
