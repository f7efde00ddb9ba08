"""The web face's check endpoint against the library it calls: ``python benchmarks/web.py``.

A real uvicorn serving ``kpirules serve``'s application runs in a separate process on 127.0.0.1;
this process sends ``POST /api/check`` with the text of the shipped catalogue ``cdd-2565-r1``,
1,000 requests in all, over one kept-alive connection (one person's editor) and over four at once
(an office). Beside it, in this process, ``kpirules.check(kpirules.parse(text))`` called directly,
which is the work the endpoint does for each request. Engines take turns in interleaved rounds
(the order rotating) and each figure is the median over the rounds. Every answer is checked first:
the catalogue checks clean, so the endpoint must answer ``[]``.

Needs the web extra: ``pip install -e ".[web]"``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if (ROOT / "src" / "kpirules").is_dir():
    sys.path.insert(0, str(ROOT / "src"))

import kpirules  # noqa: E402
from kpirules import catalogue  # noqa: E402

SERVER = """
import sys, uvicorn
from kpirules.web import create_app
uvicorn.run(create_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(HERE), str(port)],
                               env=environment)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the server did not start")


def checker(port: int, body: bytes) -> Callable[[int], None]:
    """``count`` requests over one kept-alive connection, each answer checked."""

    def run(count: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            for _ in range(count):
                connection.request("POST", "/api/check", body,
                                   {"Content-Type": "text/plain; charset=utf-8"})
                answer = connection.getresponse()
                data = answer.read()
                if answer.status != 200 or json.loads(data) != []:
                    raise SystemExit(f"unexpected answer {answer.status}: {data[:200]!r}")
        finally:
            connection.close()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per engine (1000)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (5)")
    args = parser.parse_args()
    text = catalogue.text("cdd-2565-r1")
    body = text.encode("utf-8")
    assert kpirules.check(kpirules.parse(text)) == []
    per_round = args.requests // args.rounds

    port = free_port()
    server = start_server(port)
    try:
        one = checker(port, body)
        one(5)  # warm up: templates, the lexer, the parser's tables

        def four(count: int) -> None:
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(one, [count // 4] * 4))

        def direct(count: int) -> None:
            for _ in range(count):
                kpirules.check(kpirules.parse(text))

        engines: dict[str, Callable[[int], None]] = {
            "kpirules.check(kpirules.parse(text)), in process": direct,
            "POST /api/check, 1 connection": one,
            "POST /api/check, 4 connections": four,
        }
        seconds: dict[str, list[float]] = {name: [] for name in engines}
        names = list(engines)
        for round_ in range(args.rounds):
            for name in names[round_ % len(names):] + names[:round_ % len(names)]:
                start = time.perf_counter()
                engines[name](per_round)
                seconds[name].append(time.perf_counter() - start)
    finally:
        server.terminate()
        server.wait(timeout=10)

    print(f"kpirules {kpirules.__version__}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores")
    print(f"{args.rounds} rounds × {per_round} = {args.rounds * per_round} requests per engine, "
          f"the shipped catalogue ({len(body):,} bytes of rule text), median per round\n")
    base = per_round / statistics.median(seconds[names[0]])
    print(f"{'engine':<52} {'requests/s':>11} {'ms each':>8} {'vs direct':>10}")
    for name in names:
        rate = per_round / statistics.median(seconds[name])
        print(f"{name:<52} {rate:>11,.0f} {1000 / rate:>8.2f} {rate / base:>9.2f}×")


if __name__ == "__main__":
    main()
