"""The layout of :mod:`kpirules.sql`: each module imports on its own, none reads the model or
the results at import time, and only the dialect classes know which database they write for."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import kpirules.sql

PACKAGE = Path(kpirules.sql.__file__).parent
MODULES = sorted(f"kpirules.sql.{info.name}" for info in pkgutil.iter_modules([str(PACKAGE)]))
DIALECT_CLASSES = {"_DuckDB", "_SQLite", "_Postgres", "_Spark"}


def test_the_package_has_its_seams() -> None:
    # Worked out from the design: one module per concern, plus the command line's engine.
    assert {m.rsplit(".", 1)[1] for m in MODULES} >= {
        "_text", "_rational", "_stages", "_dialects", "_types", "_writer", "_inputs", "_query",
        "engine"}


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_on_its_own(module: str) -> None:
    """In a fresh interpreter, so that an import circle (which the order of imports in one
    process can hide) fails."""
    done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr


def _module_level_imports(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom) and statement.module:
            found.add(statement.module)
            found.update(f"{statement.module}.{alias.name}" for alias in statement.names)
        elif isinstance(statement, ast.Import):
            found.update(alias.name for alias in statement.names)
    return found


@pytest.mark.parametrize("module", MODULES)
def test_sql_reads_syntax_trees_not_the_model(module: str) -> None:
    path = PACKAGE / (module.rsplit(".", 1)[1] + ".py")
    imports = _module_level_imports(ast.parse(path.read_text(encoding="utf-8")))
    for forbidden in ("kpirules.model", "kpirules.result", "kpirules._records", "kpirules.cli"):
        assert not any(name == forbidden or name.startswith(forbidden + ".")
                       for name in imports), (module, forbidden)


@pytest.mark.parametrize("module", [m for m in MODULES if not m.endswith("._dialects")])
def test_only_the_dialect_classes_know_their_database(module: str) -> None:
    """No ``isinstance(dialect, _DuckDB)`` and no ``dialect.name == "..."`` outside the
    dialect classes (the engine names DuckDB because it runs DuckDB)."""
    path = PACKAGE / (module.rsplit(".", 1)[1] + ".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "isinstance":
            named = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
            assert not named & DIALECT_CLASSES, (module, ast.unparse(node))
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            names = [s for s in sides if isinstance(s, ast.Attribute) and s.attr == "name"]
            texts = {s.value for s in sides if isinstance(s, ast.Constant)}
            assert not (names and texts & {"duckdb", "sqlite", "postgres", "spark"}), (
                module, ast.unparse(node))
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) \
                and node.left.id == "dialect":
            texts = {s.value for s in node.comparators if isinstance(s, ast.Constant)}
            assert not texts & {"duckdb", "sqlite", "postgres", "spark"}, (
                module, ast.unparse(node))


def test_the_public_names_still_import() -> None:
    from kpirules.sql import (  # noqa: F401
        DEFAULT_SCALE,
        DIALECTS,
        column_name,
        indicator_sql,
        milestone_column,
        quote,
        ruleset_sql,
        string,
    )

    assert DEFAULT_SCALE == 4
    assert column_name("1", "target") == "1.target"
    assert milestone_column("4", 2) == "4.milestones.2"


def test_the_query_takes_a_syntax_tree_as_well_as_an_indicator() -> None:
    rules = kpirules.parse('indicator 1 "x"\n  measure a\n  level 1 if a >= 1\n')
    indicator = rules["1"]
    assert kpirules.sql.indicator_sql(indicator.node) == kpirules.sql.indicator_sql(indicator)
    assert kpirules.sql.ruleset_sql([indicator.node]) == kpirules.sql.ruleset_sql(rules)
