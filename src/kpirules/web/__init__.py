"""``kpirules serve``: the catalogues, the scoring and an editor for rule files, in a browser.

Needs the ``web`` extra (``pip install "kpirules[web]"``). :func:`create_app` builds the ASGI
application (Starlette) for any ASGI server; :func:`serve` runs it with uvicorn, as the command
line does. The docs' web page (``docs/web.rst``) shows the pages and lists the safety rules.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys

from kpirules.errors import KpiRulesError
from kpirules.web._app import LOOPBACK, create_app, diagnostics

__all__ = ["create_app", "diagnostics", "is_loopback", "serve"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_port(host: str, port: int) -> None:
    """Refuse a port another program holds before saying where the server is (uvicorn would only
    log the failure after the address had been printed)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as error:
            hint = "check --host" if isinstance(error, socket.gaierror) else "try another --port"
            raise KpiRulesError(f"cannot listen on {host} port {port}: "
                                f"{error.strerror or error}; {hint}") from None


def serve(folder: str | os.PathLike[str] = ".", host: str = "127.0.0.1", port: int = 8000,
          language: str = "th") -> None:
    """Serve the shipped catalogues and the ``.kpi`` files of ``folder`` until interrupted, the
    pages in ``language`` until a reader switches.

    Listening on anything but a loopback address prints a warning: the server has no log-in, so
    anyone who can reach the address can read the catalogues and save rule files into ``folder``.
    """
    import uvicorn

    if is_loopback(host):
        hosts: tuple[str, ...] | None = (*LOOPBACK, host)
    else:
        hosts = None
        print(f"kpirules: warning: listening on {host}: anyone who can reach this address can read "
              f"the rules and save files into {os.path.abspath(folder)} (there is no log-in); "
              "use --host 127.0.0.1 to keep it to this computer\n"
              f"kpirules: คำเตือน: เปิดให้เครื่องอื่นเข้าถึงได้ที่ {host} ใครก็ตามที่เข้าถึงที่อยู่นี้ได้"
              "จะอ่านกฎและบันทึกไฟล์ลงโฟลเดอร์ได้ (ไม่มีการเข้าสู่ระบบ)", file=sys.stderr)
    _check_port(host, port)
    app = create_app(folder, allowed_hosts=hosts, language=language)
    shown = f"[{host}]" if ":" in host else host
    print(f"kpirules: http://{shown}:{port}/  (Ctrl+C to stop / กด Ctrl+C เพื่อหยุด)", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning")
