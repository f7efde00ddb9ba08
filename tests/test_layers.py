"""The layers of the package, seen in its imports.

nodes ← scoring core ← {compiler, SQL, checker, explanation, formatter} ← model ← {command line,
testing, web, language server}: a module never imports one above it, not even inside a function,
and no two modules import each other, directly or round a circle. Imports under ``if
TYPE_CHECKING:`` are for the type checker only and are left out. Each module also imports on its
own, in a fresh interpreter, without an import error.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import kpirules

PACKAGE = Path(kpirules.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = sorted(_module_name(path) for path in PACKAGE.rglob("*.py"))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(module: str) -> set[str]:
    """The kpirules modules ``module`` imports at run time (anywhere in its code)."""
    path = PACKAGE.parent.joinpath(*module.split("."))
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("kpirules"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            if base.startswith("kpirules"):
                for alias in node.names:
                    candidate = f"{base}.{alias.name}"
                    found.add(candidate if candidate in MODULES else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(module)
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target):], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        stack.pop()
        state[module] = 2
        return None

    for module in MODULES:
        if module not in state and (found := visit(module)) is not None:
            return found
    return None


def test_no_module_imports_round_a_circle() -> None:
    # The package itself re-exports the public API and imports its layers; it is the top.
    assert "kpirules" in MODULES
    cycle = _cycle()
    assert cycle is None, " → ".join(cycle or [])


# Each group must not import any module of the groups that come after it.
LAYERS: list[set[str]] = [
    {"kpirules.nodes", "kpirules._keywords", "kpirules._numbers", "kpirules._width",
     "kpirules._resources", "kpirules._positions"},
    {"kpirules._messages", "kpirules.errors"},
    {"kpirules._scoring"},
    {"kpirules._parser", "kpirules._semantics", "kpirules._values"},
    {"kpirules._compile", "kpirules._explain", "kpirules._format", "kpirules.result", "kpirules._columns",
     "kpirules._check", "kpirules._intervals",
     *(m for m in MODULES if m == "kpirules.sql" or m.startswith("kpirules.sql."))},
    {"kpirules.model"},
    # Reading and scoring records files, shared by the command line and the web face.
    {"kpirules._records", "kpirules._output", "kpirules._engine_output"},
    {"kpirules.cli", "kpirules.testing", "kpirules", "kpirules._editor", "kpirules.lsp",
     *(module for module in MODULES if module.startswith("kpirules.web"))},
]


@pytest.mark.parametrize("index", range(len(LAYERS)))
def test_a_layer_imports_nothing_above_it(index: int) -> None:
    above = set().union(*LAYERS[index + 1:])
    for module in sorted(LAYERS[index]):
        assert not GRAPH[module] & above, (module, sorted(GRAPH[module] & above))


def test_the_scoring_rules_are_read_from_the_core() -> None:
    # The engines translate the core's description; none re-derives it from the tree.
    for module in ("kpirules._compile", "kpirules._explain", "kpirules.sql._writer"):
        assert "kpirules._scoring" in GRAPH[module], module
        source = PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py").read_text(
            encoding="utf-8")
        assert "is_milestone" not in source and ".policy" not in source, module


def test_result_does_not_know_the_model() -> None:
    assert "kpirules.model" not in GRAPH["kpirules.result"]
    assert "kpirules.model" not in GRAPH["kpirules._explain"]


def test_every_module_imports_on_its_own() -> None:
    code = (
        "import importlib, sys\n"
        f"failed = []\nfor name in {MODULES!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'kpirules' or m.startswith('kpirules.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ImportError as error:\n"
        "        if 'No module named' in str(error) and 'kpirules' not in str(error):\n"
        "            continue  # an optional extra that is not installed here\n"
        "        failed.append(f'{name}: {error!r}')\n"
        "print('\\n'.join(failed))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
