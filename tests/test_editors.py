"""The editor files in ``editors/``: the TextMate grammar follows the keyword table, and the VS Code
extension starts ``kpirules lsp`` for ``.kpi`` files.

The grammar is tried with a small TextMate-style scanner over Python's ``re`` (the generator keeps
its patterns to what Oniguruma and ``re`` read alike): at each place the earliest match of the
top-level patterns wins, the first listed on a tie, as in a TextMate tokenizer; and once with VS
Code's own engine (``editors/vscode/test/tokenize.js``), which must give the same tokens.
"""

from __future__ import annotations

import json
import os
import re
import runpy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kpirules._keywords import THAI
from kpirules.cli import _parser

EDITORS = Path(__file__).resolve().parent.parent / "editors"
GRAMMAR_FILE = EDITORS / "vscode" / "syntaxes" / "kpi.tmLanguage.json"


@pytest.fixture(scope="module")
def grammar() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(GRAMMAR_FILE.read_text(encoding="utf-8"))
    return loaded


def test_the_grammar_is_what_the_generator_makes_from_the_keyword_table() -> None:
    generator = runpy.run_path(str(EDITORS / "make_grammar.py"))
    assert GRAMMAR_FILE.read_text(encoding="utf-8") == generator["text"](), (
        "editors/vscode/syntaxes/kpi.tmLanguage.json is out of date: run "
        "python editors/make_grammar.py")


def _rules(grammar: dict[str, Any]) -> list[dict[str, Any]]:
    """The top-level rules in order, includes written out."""
    out: list[dict[str, Any]] = []
    for pattern in grammar["patterns"]:
        rule = grammar["repository"][pattern["include"].lstrip("#")]
        out.extend(rule.get("patterns", [rule]) if "match" not in rule and "begin" not in rule
                   else [rule])
    return out


def tokens(grammar: dict[str, Any], line: str) -> list[tuple[str, str]]:
    """(text, scope) for each token of ``line`` that a rule matched (white space left out)."""
    rules = _rules(grammar)
    found: list[tuple[str, str]] = []
    at = 0
    while at < len(line):
        best: tuple[int, int, re.Match[str], dict[str, Any]] | None = None
        for order, rule in enumerate(rules):
            match = re.compile(rule.get("match") or rule["begin"]).search(line, at)
            if match and (best is None or match.start() < best[0]):
                best = (match.start(), order, match, rule)
        if best is None:
            break
        start, _, match, rule = best
        end = match.end()
        if "begin" in rule:  # a string: up to its closing quote, escapes skipped
            closing = re.compile(r'\\.|"').search(line, end)
            while closing and closing.group() != '"':
                closing = re.compile(r'\\.|"').search(line, closing.end())
            end = closing.end() if closing else len(line)
        found.append((line[start:end], rule["name"]))
        at = max(end, start + 1)
    return found


def test_english_and_thai_lines_tokenise_alike(grammar: dict[str, Any]) -> None:
    assert tokens(grammar, '  level 3 if developed_percent >= 55 "ร้อยละ 55"  # note') == [
        ("level", "keyword.declaration.kpi"),
        ("3", "constant.numeric.kpi"),
        ("if", "keyword.control.kpi"),
        ("developed_percent", "variable.other.kpi"),
        (">=", "keyword.operator.kpi"),
        ("55", "constant.numeric.kpi"),
        ('"ร้อยละ 55"', "string.quoted.double.kpi"),
        ("# note", "comment.line.number-sign.kpi"),
    ]
    assert tokens(grammar, "  ระดับ ๓ ถ้า ร้อยละ >= 55 และ ไม่ ธง") == [
        ("ระดับ", "keyword.declaration.kpi"),
        ("๓", "constant.numeric.kpi"),
        ("ถ้า", "keyword.control.kpi"),
        ("ร้อยละ", "variable.other.kpi"),
        (">=", "keyword.operator.kpi"),
        ("55", "constant.numeric.kpi"),
        ("และ", "keyword.operator.logical.kpi"),
        ("ไม่", "keyword.operator.logical.kpi"),
        ("ธง", "variable.other.kpi"),
    ]


def test_a_keyword_inside_a_name_is_part_of_the_name(grammar: dict[str, Any]) -> None:
    # `integer` begins with `in`, `ระดับ3` with ระดับ, `ถ้าร้อยละ` with ถ้า: all are names.
    assert tokens(grammar, "integer ระดับ3 ถ้าร้อยละ x2") == [
        ("integer", "variable.other.kpi"), ("ระดับ3", "variable.other.kpi"),
        ("ถ้าร้อยละ", "variable.other.kpi"), ("x2", "variable.other.kpi")]


def test_ranges_and_escapes(grammar: dict[str, Any]) -> None:
    assert tokens(grammar, 'measure p number in 0..100 unit "a \\"b\\""') == [
        ("measure", "keyword.declaration.kpi"), ("p", "variable.other.kpi"),
        ("number", "storage.type.kpi"), ("in", "keyword.other.kpi"),
        ("0", "constant.numeric.kpi"), ("..", "keyword.operator.kpi"),
        ("100", "constant.numeric.kpi"), ("unit", "keyword.other.kpi"),
        ('"a \\"b\\""', "string.quoted.double.kpi")]


@pytest.mark.parametrize("english", sorted(THAI))
def test_every_keyword_in_both_spellings_is_a_keyword(grammar: dict[str, Any], english: str) -> None:
    for word in (english, THAI[english]):
        [(text, scope)] = tokens(grammar, word)
        assert text == word
        assert scope.startswith(("keyword.", "storage.type.", "constant.language.")), (word, scope)


LINES = [
    '  level 3 if developed_percent >= 55 "ร้อยละ 55"  # note',
    "  ระดับ ๓ ถ้า ร้อยละ >= 55 และ ไม่ ธง",
    "integer ระดับ3 ถ้าร้อยละ x2 (a+b)*2/3-1 != 1_000.5",
    'measure p number in 0..100 unit "a \\"b\\" \\q"',
    '"an unclosed string',
    " ".join(f"{english} {thai}" for english, thai in THAI.items()),
]


def test_vscode_tokenises_as_the_scanner_here(grammar: dict[str, Any]) -> None:
    """The grammar in VS Code's own engine (vscode-textmate, Oniguruma) gives the tokens the
    scanner above gives: the patterns mean the same in both."""
    folder = EDITORS / "vscode"
    if shutil.which("node") is None or not (folder / "node_modules" / "vscode-textmate").is_dir():
        message = "VS Code's tokenizer is not installed: cd editors/vscode && npm install"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    run = subprocess.run(["node", str(folder / "test" / "tokenize.js"), str(GRAMMAR_FILE)],
                         input="\n".join(LINES), capture_output=True, text=True, timeout=120,
                         check=False, encoding="utf-8")
    assert run.returncode == 0, run.stderr
    expected = [[text, scope] for line in LINES for text, scope in tokens(grammar, line)]
    assert json.loads(run.stdout) == expected


def test_the_vscode_extension_starts_kpirules_lsp_for_kpi_files() -> None:
    folder = EDITORS / "vscode"
    package = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    [language] = package["contributes"]["languages"]
    assert language["id"] == "kpi" and language["extensions"] == [".kpi"]
    [grammar] = package["contributes"]["grammars"]
    assert (folder / grammar["path"]).resolve() == GRAMMAR_FILE
    assert grammar["scopeName"] == "source.kpi"
    assert (folder / language["configuration"]).is_file()
    json.loads((folder / language["configuration"]).read_text(encoding="utf-8"))
    command = package["contributes"]["configuration"]["properties"]["kpirules.server.command"]
    assert command["default"] == ["kpirules", "lsp"]
    assert "onLanguage:kpi" in package["activationEvents"]
    assert (folder / package["main"]).is_file()
    # ... and the command line has that command.
    assert _parser().parse_args(["lsp"]).command == "lsp"


def test_lsp_without_pygls_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from kpirules.cli import main

    monkeypatch.setitem(sys.modules, "kpirules.lsp", None)  # as if the lsp extra were missing
    assert main(["lsp"]) == 2
    assert 'pip install "kpirules[lsp]"' in capsys.readouterr().err
