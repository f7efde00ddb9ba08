"""The language server as an editor meets it: from an edit to the diagnostics it publishes.

``kpirules lsp`` runs as its own process; this script is the editor, speaking JSON-RPC over the
server's standard input and output (pygls' client). The file is 50 indicators of the shipped 2565
catalogue, repeated (Thai titles, descriptions and comments, 7 shapes of indicator), weights 2 each.
Each edit changes a threshold (``>= 25`` to ``>= 26`` and back) in one indicator, a different one
each time, so every edit leaves a valid file that the server parses and checks in full: the slow
case (a half-typed line fails to parse sooner). One edit at a time: the clock starts when the
``didChange`` is written and stops when the ``publishDiagnostics`` for that version arrives. The
server does not debounce, so nothing is waited for on purpose.

Beside it, in this process and interleaved with the edits (one of each after every edit, on the
same text, so that both see the same load on the machine), the file's bare :func:`kpirules.parse`
and :func:`kpirules.check` of the parsed rules: what the server does per edit, less the protocol.

Run ``python benchmarks/run.py --only lsp`` or ``python benchmarks/lsp_latency.py [--edits N]``
(needs ``pip install -e ".[lsp]"``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if (ROOT / "src" / "kpirules").is_dir():
    sys.path.insert(0, str(ROOT / "src"))

import kpirules  # noqa: E402

THRESHOLD = "  level 1 if developed_percent >= "


def fifty_indicators(count: int = 50) -> str:
    """The shipped catalogue's indicators repeated to ``count``, renumbered, weights 2 each."""
    from kpirules import catalogue

    text = catalogue.text("cdd-2565-r1")
    header, *blocks = re.split(r"\n(?=indicator )", text)
    out = [header]
    for number in range(1, count + 1):
        block = blocks[(number - 1) % len(blocks)]
        block = re.sub(r"^indicator \S+", f"indicator {number}", block)
        out.append(re.sub(r"(?m)^  weight \S+", "  weight 2", block))
    return "\n".join(out)


def median_ms(samples: Sequence[float]) -> str:
    return f"{statistics.median(samples) * 1e3:,.1f} ms"


def cpu_seconds(pid: int | None) -> float | None:
    """The processor time process ``pid`` has used (user + system), where /proc tells it."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


Timings = tuple[list[float], list[float], list[float], list[float], float | None]


async def _timings(text: str, edits: int) -> Timings:
    """Per edit: the round trip through the server, then a bare parse and check here (wall
    clock), and the parse's processor time here; and the server's processor time per edit."""
    from lsprotocol import types
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("kpirules-benchmark", "1")
    waiting: dict[int, asyncio.Future[list[types.Diagnostic]]] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        future = waiting.pop(params.version or 0, None)
        if future is not None and not future.done():
            future.set_result(list(params.diagnostics))

    await client.start_io(sys.executable, "-m", "kpirules", "lsp")
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
    client.initialized(types.InitializedParams())
    uri = "file:///fifty.kpi"
    loop = asyncio.get_running_loop()
    waiting[1] = loop.create_future()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="kpi", version=1, text=text)))
    opened = await asyncio.wait_for(waiting[1], 60)
    if opened:
        raise SystemExit(f"the benchmark file should be clean, but: {opened[0].message}")
    lines = [n for n, line in enumerate(text.split("\n")) if line.startswith(THRESHOLD)]
    # The server's process, to read its processor time (pygls keeps it on the client).
    server = getattr(client, "_server", None)
    pid = getattr(server, "pid", None)
    cpu_before = cpu_seconds(pid)
    parse_cpu: list[float] = []
    current = dict.fromkeys(lines, "25")
    rows = text.split("\n")
    times, parse_times, check_times = [], [], []
    for edit in range(edits):
        line = lines[edit % len(lines)]
        new = "26" if current[line] == "25" else "25"
        current[line] = new
        version = edit + 2
        future = waiting[version] = loop.create_future()
        start = time.perf_counter()
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangePartial(
                range=types.Range(types.Position(line, len(THRESHOLD)),
                                  types.Position(line, len(THRESHOLD) + 2)),
                text=new)]))
        found = await asyncio.wait_for(future, 60)
        times.append(time.perf_counter() - start)
        if found:
            raise SystemExit(f"edit {edit} should leave the file clean, but: {found[0].message}")
        rows[line] = THRESHOLD + new + rows[line][len(THRESHOLD) + 2 :]
        edited = "\n".join(rows)
        start, cpu = time.perf_counter(), time.process_time()
        rules = kpirules.parse(edited, source="fifty.kpi")
        middle = time.perf_counter()
        parse_cpu.append(time.process_time() - cpu)
        kpirules.check(rules)
        parse_times.append(middle - start)
        check_times.append(time.perf_counter() - middle)
    cpu_after = cpu_seconds(pid)
    per_edit = (None if cpu_before is None or cpu_after is None
                else (cpu_after - cpu_before) / edits)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return times, parse_times, check_times, parse_cpu, per_edit


def bench_lsp(edits: int) -> tuple[str, list[tuple[str, str, str, str]], tuple[str, ...]]:
    """The section's title, rows and header: median edit → diagnostics, beside parse and check
    of the same file."""
    text = fifty_indicators()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    round_trips, parse_times, check_times, parse_cpu, server_cpu = asyncio.run(_timings(text, edits))
    both = [p + c for p, c in zip(parse_times, check_times)]
    base = statistics.median(parse_times)

    def row(name: str, samples: list[float]) -> tuple[str, str, str, str]:
        return (name, median_ms(samples),
                f"{statistics.quantiles(samples, n=10)[-1] * 1e3:,.1f} ms",
                f"{statistics.median(samples) / base:.2f}x")

    rows = [
        row("didChange → publishDiagnostics (kpirules lsp)", round_trips),
        row("kpirules.parse (bare)", parse_times),
        row("kpirules.check (of the parsed rules)", check_times),
        row("parse + check", both),
        ("processor time used (time spent waiting for a busy processor left out):", "", "", ""),
        ("  kpirules lsp, per edit (mean, from /proc)",
         "n/a" if server_cpu is None else f"{server_cpu * 1e3:,.1f} ms", "", ""),
        ("  kpirules.parse (bare)", median_ms(parse_cpu), "", ""),
    ]
    size = len(text.encode())
    title = (f"6. Language server: a 50-indicator file ({size / 1024:,.0f} KiB, "
             f"{text.count(chr(10)):,} lines), median of {edits} edits "
             f"(load average {load:.1f} on {os.cpu_count()} cores)")
    return title, rows, ("step", "median", "90th percentile", "vs bare parse")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=200, help="edits to time (default 200)")
    args = parser.parse_args(argv)
    from run import table  # this folder is on the path when the script runs

    print(table(*bench_lsp(args.edits)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
