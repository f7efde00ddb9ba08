"""``kpirules lsp``: a Language Server Protocol server for ``.kpi`` files, over standard input and
output (needs the ``lsp`` extra: ``pip install "kpirules[lsp]"``).

What it offers (see the editors page of the documentation for setting up VS Code, Neovim and
Helix):

- diagnostics as one types: a syntax error at its place, then the checker's findings, in the
  file's language, each with its code;
- hover: a measure's description, kind, range and unit; a level's condition and description; a
  ``let``'s expression and its value for the indicator's example records;
- completion of keywords (spelt in the file's language) and of the indicator's measure and ``let``
  names;
- go to definition, find references and rename for measures and ``let`` names; an outline of
  indicators, names and levels;
- formatting (:func:`kpirules.format`);
- code actions: the "did you mean" fix of a diagnostic, and every keyword rewritten in Thai or in
  English.

Every feature reads the tree :func:`kpirules.parse` builds; positions go through
:mod:`kpirules._positions`, the one place that turns characters into the protocol's UTF-16 units.

Diagnostics are not debounced: each change is parsed and checked at once. When changes arrive
faster than that, the ones waiting are folded into the newest, so the diagnostics published are
always for the latest text.
"""

from __future__ import annotations

import asyncio
import logging

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

import kpirules
from kpirules import _editor, _messages, nodes
from kpirules._check import Diagnostic
from kpirules._parser import keyword_language
from kpirules._positions import to_column, to_units
from kpirules.errors import KpiRulesError, ParseError
from kpirules.model import RuleSet

__all__ = ["create_server", "serve"]

_log = logging.getLogger(__name__)

_SOURCE = "kpirules"
_CONVERT = types.CodeActionKind.RefactorRewrite
_SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}


@attrs.define
class _Analysis:
    """What the server knows about one version of a document."""

    text: str
    version: int | None
    language: str
    rules: RuleSet | None  # None when the text does not parse
    diagnostics: list[types.Diagnostic]


class KpiServer(LanguageServer):
    """The server: a pygls :class:`LanguageServer` plus the latest analysis of each document."""

    def __init__(self, language: str | None = None) -> None:
        super().__init__("kpirules", kpirules.__version__)
        # The language chosen for every file (``--lang``), or None for each file's own.
        self.fixed = language
        self.analyses: dict[str, _Analysis] = {}
        # The last tree that parsed, per document: completion still offers names while the text
        # in the editor is half typed and does not parse.
        self.last_good: dict[str, RuleSet] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.memos: dict[str, _editor.CheckMemo] = {}

    # positions

    @property
    def encoding(self) -> str:
        """The position encoding agreed at start-up: "utf-16" unless the editor asked for
        "utf-8" or "utf-32"."""
        encoding = self.workspace.position_encoding
        return str(getattr(encoding, "value", encoding) or "utf-16")

    def position(self, lines: list[str], line: int, column: int) -> types.Position:
        """The protocol's position of kpirules' (line, column)."""
        if line < 1:
            return types.Position(0, 0)
        if line > len(lines):
            return types.Position(len(lines) - 1, to_units(lines[-1], len(lines[-1]) + 1,
                                                           self.encoding))
        text = lines[line - 1]
        if line == 1 and text.startswith("\ufeff"):
            column += 1  # kpirules reads the text without its byte order mark
        return types.Position(line - 1, to_units(text, column, self.encoding))

    def span_range(self, lines: list[str], span: nodes.Span) -> types.Range:
        return types.Range(self.position(lines, span.line, span.column),
                           self.position(lines, span.end_line, span.end_column))

    def place(self, lines: list[str], position: types.Position) -> tuple[int, int]:
        """kpirules' (line, column) of a protocol position."""
        text = lines[position.line] if position.line < len(lines) else ""
        column = to_column(text, position.character, self.encoding)
        if position.line == 0 and text.startswith("\ufeff"):
            column -= 1
        return position.line + 1, max(column, 1)

    def word_range(self, lines: list[str], line: int, column: int) -> types.Range:
        """The range of the word at kpirules' (line, column): where a diagnostic points."""
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        if line == 1 and text.startswith("\ufeff"):
            text = text[1:]
        return types.Range(self.position(lines, line, column),
                           self.position(lines, line, _editor.word_end(text, column)))

    # analysis

    def analyse(self, uri: str) -> _Analysis:
        """The analysis of the document's current text, made now if it is not up to date, and
        published when it is new."""
        document = self.workspace.get_text_document(uri)
        text = document.source
        known = self.analyses.get(uri)
        if known is not None and known.text == text:
            return known
        analysis = self.diagnose(uri, text, document.version)
        self.analyses[uri] = analysis
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version, diagnostics=analysis.diagnostics))
        return analysis

    def diagnose(self, uri: str, text: str, version: int | None) -> _Analysis:
        lines = text.split("\n")
        language = self.fixed or keyword_language(text)
        try:
            rules = kpirules.parse(text, source=uri, language=self.fixed)
        except ParseError as error:
            diagnostic = self.diagnostic("error", _code_of(error), error.message, lines,
                                         error.line, error.column,
                                         _editor.fix_of(error.problem, error.language))
            return _Analysis(text, version, language, None, [diagnostic])
        except Exception as error:  # a bug: say so where the person is looking, and keep serving
            _log.exception("parsing %s", uri)
            said = _messages.text("lsp-internal-error", language, version=kpirules.__version__,
                                  error=f"{type(error).__name__}: {error}")
            diagnostic = self.diagnostic("error", "internal-error", said, lines, 1, 1)
            return _Analysis(text, version, language, None, [diagnostic])
        language = rules.language
        self.last_good[uri] = rules
        try:
            found = self.check(uri, rules, lines, language)
        except Exception as error:  # a bug in the checker: keep serving, and log why
            _log.exception("checking %s", uri)
            found = []
            self.window_log_message(types.LogMessageParams(
                type=types.MessageType.Error,
                message=f"{uri}: the checker stopped ({type(error).__name__}: {error})"))
        diagnostics = [self.diagnostic(d.severity, d.code, d.message, lines, d.line, d.column,
                                       _editor.fix_of(d.problem, d.language)) for d in found]
        return _Analysis(text, version, language, rules, diagnostics)

    def check(self, uri: str, rules: RuleSet, lines: list[str], language: str
              ) -> list[Diagnostic]:
        """The checker's findings in ``language``, reusing those of the indicators that did not
        change."""
        memo = self.memos.setdefault(uri, _editor.CheckMemo())
        return memo.findings(rules, lines, language)

    def diagnostic(self, severity: str, code: str, message: str, lines: list[str], line: int,
                   column: int, fix: str | None = None) -> types.Diagnostic:
        """One of our diagnostics; ``fix`` is the word a "did you mean" code action puts in place of
        the one the diagnostic points at."""
        return types.Diagnostic(
            range=self.word_range(lines, line, column),
            message=message,
            severity=_SEVERITY.get(severity, types.DiagnosticSeverity.Error),
            code=code,
            source=_SOURCE,
            data={"fix": fix} if fix is not None else None,
        )

    def schedule(self, uri: str) -> None:
        """Analyse ``uri`` once the changes already received have been applied."""
        if uri in self.pending:
            return
        self.pending[uri] = asyncio.get_running_loop().create_task(self._analyse_soon(uri))

    async def _analyse_soon(self, uri: str) -> None:
        try:
            await asyncio.sleep(0)  # let changes that have already arrived be applied first
        finally:
            self.pending.pop(uri, None)
        if uri in self.workspace.text_documents:
            self.analyse(uri)

    def tree_for_completion(self, uri: str) -> RuleSet | None:
        analysis = self.analyse(uri)
        return analysis.rules or self.last_good.get(uri)


def _code_of(error: ParseError) -> str:
    """The error's stable code; ``syntax`` (as ``kpirules check --format json`` says) for an
    error that has no code of its own yet."""
    return "syntax" if error.code == "error" else error.code


def create_server(language: str | None = None) -> KpiServer:
    """A server with every feature registered, not yet started; ``language`` ("en" or "th")
    for every file's messages, or None for each file's own."""
    server = KpiServer(language)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: KpiServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.analyse(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: KpiServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: KpiServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.analyses.pop(uri, None)
        ls.last_good.pop(uri, None)
        ls.memos.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: KpiServer, params: types.HoverParams) -> types.Hover | None:
        analysis = ls.analyse(params.text_document.uri)
        if analysis.rules is None:
            return None
        lines = analysis.text.split("\n")
        line, column = ls.place(lines, params.position)
        found = _editor.hover_text(analysis.rules, line, column, analysis.language)
        if found is None:
            return None
        text, span = found
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
            range=ls.span_range(lines, span))

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions())
    def completion(ls: KpiServer, params: types.CompletionParams) -> types.CompletionList:
        uri = params.text_document.uri
        rules = ls.tree_for_completion(uri)
        analysis = ls.analyses[uri]
        items = [types.CompletionItem(label=word, kind=types.CompletionItemKind.Keyword,
                                      detail=english if word != english else None)
                 for word, english in _editor.keyword_items(analysis.language)]
        if rules is not None:
            line, _ = ls.place(analysis.text.split("\n"), params.position)
            indicator = _editor.indicator_at(rules.node, line)
            if indicator is not None:
                for name, item in _editor.name_items(indicator):
                    description = getattr(item, "description", None)
                    items.append(types.CompletionItem(
                        label=name,
                        kind=(types.CompletionItemKind.Variable if isinstance(item, nodes.Measure)
                              else types.CompletionItemKind.Constant),
                        detail=description,
                        sort_text=f"0{name}"))  # the indicator's own names before keywords
        return types.CompletionList(is_incomplete=False, items=items)

    def symbol_at(ls: KpiServer, uri: str, position: types.Position
                  ) -> tuple[_Analysis, _editor.Symbol] | None:
        analysis = ls.analyse(uri)
        if analysis.rules is None:
            return None
        line, column = ls.place(analysis.text.split("\n"), position)
        symbol = _editor.symbol_at(analysis.rules.node, line, column)
        return None if symbol is None else (analysis, symbol)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: KpiServer, params: types.DefinitionParams) -> types.Location | None:
        uri = params.text_document.uri
        found = symbol_at(ls, uri, params.position)
        if found is None:
            return None
        analysis, symbol = found
        item = _editor.declaration(symbol.indicator, symbol.name)
        if item is None:
            return None
        return types.Location(uri, ls.span_range(analysis.text.split("\n"), item.name_span))

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(ls: KpiServer, params: types.ReferenceParams) -> list[types.Location] | None:
        uri = params.text_document.uri
        found = symbol_at(ls, uri, params.position)
        if found is None:
            return None
        analysis, symbol = found
        lines = analysis.text.split("\n")
        return [types.Location(uri, ls.span_range(lines, span))
                for span in _editor.references(symbol, params.context.include_declaration)]

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(ls: KpiServer, params: types.PrepareRenameParams) -> types.Range | None:
        found = symbol_at(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        analysis, symbol = found
        return ls.span_range(analysis.text.split("\n"), symbol.span)

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    def rename(ls: KpiServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
        uri = params.text_document.uri
        found = symbol_at(ls, uri, params.position)
        if found is None:
            return None
        analysis, symbol = found
        spans = _editor.references(symbol)
        # The new name must make a file that still loads (a name, not a keyword, not one the
        # indicator already has): the parser is asked, rather than its rules written again here.
        renamed = _editor.replace_spans(analysis.text, spans, params.new_name)
        try:
            kpirules.parse(renamed, source=uri)
        except ParseError as error:
            refused = _messages.text("lsp-rename-refused", analysis.language, name=params.new_name,
                           reason=error.message)
            raise JsonRpcException(refused, code=types.LSPErrorCodes.RequestFailed) from None
        lines = analysis.text.split("\n")
        return types.WorkspaceEdit(changes={uri: [
            types.TextEdit(ls.span_range(lines, span), params.new_name) for span in spans]})

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(ls: KpiServer, params: types.DocumentSymbolParams
                        ) -> list[types.DocumentSymbol] | None:
        analysis = ls.analyse(params.text_document.uri)
        if analysis.rules is None:
            return None
        lines = analysis.text.split("\n")
        outline = []
        for indicator in analysis.rules.node.indicators:
            children = []
            for item in _editor.declared(indicator):
                kind = (types.SymbolKind.Variable if isinstance(item, nodes.Measure)
                        else types.SymbolKind.Constant)
                children.append(types.DocumentSymbol(
                    name=item.name, kind=kind, range=ls.span_range(lines, item.span),
                    selection_range=ls.span_range(lines, item.name_span),
                    detail=getattr(item, "description", None)))
            for level in indicator.levels:
                children.append(types.DocumentSymbol(
                    name=f"{_editor.keyword('level', analysis.language)} {level.number}",
                    kind=types.SymbolKind.EnumMember, range=ls.span_range(lines, level.span),
                    selection_range=ls.span_range(lines, level.span), detail=level.description))
            whole = ls.span_range(lines, indicator.span)
            outline.append(types.DocumentSymbol(
                name=f"{indicator.id_text} {indicator.title}", kind=types.SymbolKind.Module,
                range=whole, selection_range=whole, detail=indicator.strategy,
                children=children))
        return outline

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: KpiServer, params: types.DocumentFormattingParams
                   ) -> list[types.TextEdit] | None:
        return _rewrite(ls, params.text_document.uri, None)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, _CONVERT]))
    def code_action(ls: KpiServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        analysis = ls.analyse(uri)
        actions = [action for diagnostic in params.context.diagnostics
                   for action in _fixes(ls, uri, analysis, diagnostic)]
        if analysis.rules is not None:
            target = "en" if analysis.language == "th" else "th"
            edits = _rewrite(ls, uri, target)
            if edits:
                actions.append(types.CodeAction(
                    title=_messages.text(f"lsp-keywords-{target}", analysis.language), kind=_CONVERT,
                    edit=types.WorkspaceEdit(changes={uri: edits})))
        return actions

    return server


def _rewrite(ls: KpiServer, uri: str, keywords: str | None) -> list[types.TextEdit] | None:
    """One edit that replaces the whole text with :func:`kpirules.format`'s (keywords in
    ``keywords`` when given); no edit when it would change nothing, None when the text does not
    parse (the diagnostics say why)."""
    analysis = ls.analyse(uri)
    if analysis.rules is None:
        return None
    text = analysis.text
    try:
        new = kpirules.format(text, keywords=keywords, source=uri)  # type: ignore[arg-type]
    except KpiRulesError:
        return None
    if "\r\n" in text:
        new = new.replace("\n", "\r\n")
    if text.startswith("\ufeff"):
        new = "\ufeff" + new
    if new == text:
        return []
    lines = text.split("\n")
    end = types.Position(len(lines) - 1, to_units(lines[-1], len(lines[-1]) + 1, ls.encoding))
    return [types.TextEdit(types.Range(types.Position(0, 0), end), new)]


def _fixes(ls: KpiServer, uri: str, analysis: _Analysis, diagnostic: types.Diagnostic
           ) -> list[types.CodeAction]:
    """The "did you mean" fix of one of our diagnostics: the suggested word in place of the one
    the diagnostic points at; for a name used without a declaration, in every place the indicator
    uses it."""
    data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
    fix = data.get("fix")
    if diagnostic.source != _SOURCE or not isinstance(fix, str):
        return []
    ranges = [diagnostic.range]
    lines = analysis.text.split("\n")
    if diagnostic.code == "implicit-measure" and analysis.rules is not None:
        line, column = ls.place(lines, diagnostic.range.start)
        symbol = _editor.symbol_at(analysis.rules.node, line, column)
        if symbol is not None:
            ranges = [ls.span_range(lines, span) for span in _editor.references(symbol)]
    return [types.CodeAction(
        title=_messages.text("lsp-fix", analysis.language, name=fix),
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=True,
        edit=types.WorkspaceEdit(changes={uri: [types.TextEdit(r, fix) for r in ranges]}))]


def serve(language: str | None = None) -> None:
    """Run the server on standard input and output until the editor shuts it down (``language``
    as for :func:`create_server`)."""
    create_server(language).start_io()
