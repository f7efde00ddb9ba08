"""Make the screenshots of docs/web.rst: ``python docs/screenshots.py``.

Starts the web face on a free port over a temporary folder holding one Thai rule file, drives
Debian's Chromium through it with Playwright (as tests/test_web_e2e.py does) and writes the PNGs to
``docs/_static/web/``. Needs ``pip install -e ".[dev]"`` and ``apt-get install chromium`` (and a Thai
font such as ``fonts-thai-tlwg`` or ``fonts-noto-core`` for the text to show).
"""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from kpirules.web import create_app  # noqa: E402

OUT = HERE / "_static" / "web"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--hide-scrollbars"]
RULES = """\
ชื่อ "ตัวชี้วัดของสำนักงาน"
ปี 2566
รอบ 1

ตัวชี้วัด 1 "ร้อยละของครัวเรือนที่ได้รับการพัฒนา"
  ยุทธศาสตร์ "สร้างสรรค์ชุมชนให้พึ่งตนเองได้"
  น้ำหนัก 100
  ตัววัด ร้อยละ "ครัวเรือนที่ได้รับการพัฒนา" ตัวเลข ช่วง 0..100
  ระดับ 1 ถ้า ร้อยละ >= 60 "ไม่น้อยกว่าร้อยละ 60"
  ระดับ 2 ถ้า ร้อยละ >= 70 "ไม่น้อยกว่าร้อยละ 70"
  ระดับ 3 ถ้า ร้อยละ >= 80 "ไม่น้อยกว่าร้อยละ 80"
"""


def shoot(page: Page, name: str, full: bool = False) -> None:
    page.wait_for_timeout(300)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=full)
    print(f"wrote {OUT / name}.png")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    # A fixed folder, so that the home page's picture does not change from run to run.
    folder = Path(tempfile.gettempdir()) / "kpi"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    (folder / "สำนักงาน.kpi").write_text(RULES, encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(folder), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 760})
            page.goto(base + "/")
            shoot(page, "1-home")
            page.goto(base + "/catalogues/cdd-2565-r1")
            page.set_viewport_size({"width": 1200, "height": 900})
            shoot(page, "2-catalogue")
            page.goto(base + "/score?rules=cdd-2565-r1")
            page.set_input_files("#records", str(ROOT / "examples" / "records.csv"))
            page.set_viewport_size({"width": 1200, "height": 700})
            shoot(page, "3-score-form")
            page.click("#run-score")
            page.wait_for_selector("#ranking-chart")
            page.set_viewport_size({"width": 1200, "height": 1000})
            shoot(page, "4-results")
            page.locator("details.scorecard").nth(1).locator("summary").click()
            page.locator("details.scorecard").nth(1).scroll_into_view_if_needed()
            shoot(page, "5-explanation")
            page.set_viewport_size({"width": 1200, "height": 640})
            page.goto(base + "/edit/สำนักงาน")
            page.wait_for_selector("#problems li.ok")
            page.locator("#source").click()
            page.keyboard.press("Control+End")
            page.keyboard.type("  ระดับ 4 ถ้า ร้อยละ => 90")
            page.wait_for_selector("#highlight .mark-error")
            page.wait_for_timeout(300)
            shoot(page, "6-editor-error", full=True)
            phone = browser.new_page(viewport={"width": 390, "height": 760})
            phone.goto(base + "/catalogues/cdd-2565-r1")
            shoot(phone, "7-phone")
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


if __name__ == "__main__":
    main()
