"""The web face driven as a person uses it, in a real Chromium (Debian's ``chromium`` package,
driven by Playwright for Python; no browser is downloaded): open a catalogue, make a mistake in a
rule file and see it marked at its line in Thai, fix it, save, score a records file, see the
charts, download the workbook and open it with openpyxl.

Without Chromium these tests skip, saying what to install; in CI (``CI`` set) they fail instead,
since ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = os.environ.get("KPIRULES_CHROMIUM", "/usr/bin/chromium")
# The flags this machine's sandbox needs: no sandbox as root, no GPU, and no background network
# traffic (the network is closed, and Chromium would retry its own services at every start).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[1]
THAI_RULES = """\
ตัวชี้วัด 1 "ครัวเรือนที่ได้รับการพัฒนา"
  น้ำหนัก 100
  ตัววัด ร้อยละ ตัวเลข ช่วง 0..100
  ระดับ 1 ถ้า ร้อยละ >= 60
  ระดับ 2 ถ้า ร้อยละ >= 80
"""


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must have it: .ci/run installs it)")
    pytest.skip(f"{reason}: apt-get install -y chromium chromium-driver, "
                'pip install -e ".[dev]"')


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python is not installed")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _missing(f"Chromium is not installed ({CHROMIUM})")
    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real uvicorn serving a fresh folder with one Thai rule file, on a free port."""
    import uvicorn

    from kpirules.web import create_app

    (tmp_path / "กฎ.kpi").write_text(THAI_RULES, encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(tmp_path), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", tmp_path
    running.should_exit = True
    thread.join(timeout=10)


def test_from_a_catalogue_through_the_editor_to_a_downloaded_workbook(
        browser: Any, server: tuple[str, Path], tmp_path_factory: Any) -> None:
    import openpyxl

    base, folder = server
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.set_default_timeout(15_000)

    # The front page lists the shipped catalogue; its page is the source page's table.
    page.goto(base + "/")
    page.click("text=cdd-2565-r1")
    page.wait_for_url("**/catalogues/cdd-2565-r1")
    assert page.locator("table.catalogue tbody tr").count() == 7
    assert page.locator("table.catalogue tfoot td.total").inner_text() == "100"

    # Open the folder's Thai rule file in the editor; it checks clean.
    page.goto(base + "/")
    page.locator(".card", has_text="กฎ").get_by_role("link", name="แก้ไข").click()
    page.wait_for_selector("#problems li.ok")

    # A mistake typed at the end: line 6, `=>` after `  ระดับ 3 ถ้า ร้อยละ ` (2 + 5 + 1 + 1 + 1 +
    # 3 + 1 + 6 + 1 = 21 characters), so column 22. The finding is shown in Thai at that place.
    editor = page.locator("#source")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("  ระดับ 3 ถ้า ร้อยละ => 90")
    finding = page.locator("#problems li.diagnostic.error")
    finding.wait_for()
    assert finding.get_attribute("data-line") == "6"
    assert finding.get_attribute("data-column") == "22"
    assert "บรรทัด 6 ตำแหน่ง 22" in finding.inner_text()
    assert "`>=`" in finding.inner_text() and "ข้อผิดพลาด" in finding.inner_text()
    page.wait_for_selector("#highlight .mark-error")
    # The highlighter's token there (it reads `=>` as `=` then `>`) is underlined.
    assert page.locator("#highlight .mark-error").first.inner_text().startswith("=")

    # Fixed, the finding goes away; saved, the file on disk is the text typed.
    for _ in range(len("=> 90")):
        page.keyboard.press("Backspace")
    page.keyboard.type(">= 90")
    page.wait_for_selector("#problems li.ok")
    page.click("#save")
    page.wait_for_selector("#status.ok")
    assert "บันทึกแล้ว" in page.locator("#status").inner_text()
    saved = (folder / "กฎ.kpi").read_text(encoding="utf-8")
    assert saved == THAI_RULES + "  ระดับ 3 ถ้า ร้อยละ >= 90"

    # Score the example records against the shipped catalogue, from its own page.
    page.goto(base + "/catalogues/cdd-2565-r1")
    page.locator("main").get_by_role("link", name="ให้คะแนน", exact=True).click()
    page.wait_for_url("**/score?rules=cdd-2565-r1")
    page.set_input_files("#records", str(ROOT / "examples" / "records.csv"))
    page.click("#run-score")
    page.wait_for_selector("#ranking-chart")
    assert page.locator("#ranking-chart rect").count() == 6  # one bar per province
    assert page.locator("#levels-chart g rect").count() > 7
    with page.expect_download() as waiting:
        page.click("#download-xlsx")
    download = waiting.value
    target = tmp_path_factory.mktemp("downloads") / download.suggested_filename
    download.save_as(target)
    assert target.suffix == ".xlsx"
    sheet = openpyxl.load_workbook(target).worksheets[0]
    totals = {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    # examples/README.md: เชียงใหม่ 100, ขอนแก่น 52, สงขลา 49, นครราชสีมา 46, อุบลราชธานี 37, พิษณุโลก 16.
    assert totals == {"เชียงใหม่": 100, "ขอนแก่น": 52, "สงขลา": 49, "นครราชสีมา": 46,
                      "อุบลราชธานี": 37, "พิษณุโลก": 16}
    page.close()


def test_a_save_over_a_file_changed_on_disk_keeps_the_typed_text(
        browser: Any, server: tuple[str, Path]) -> None:
    base, folder = server
    page = browser.new_page()
    page.set_default_timeout(15_000)
    page.goto(base + "/edit/" + "กฎ")
    page.wait_for_selector("#problems li")
    (folder / "กฎ.kpi").write_text(THAI_RULES + "# someone else\n", encoding="utf-8")
    page.locator("#source").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("# mine")
    page.click("#save")
    page.wait_for_selector("#status.problem-text")
    assert "ถูกแก้ไขบนดิสก์" in page.locator("#status").inner_text()
    assert page.locator("#source").input_value().endswith("# mine")
    assert (folder / "กฎ.kpi").read_text(encoding="utf-8").endswith("# someone else\n")
    page.close()


def test_the_catalogue_reads_on_a_phone(browser: Any, server: tuple[str, Path]) -> None:
    base, _ = server
    page = browser.new_page(viewport={"width": 390, "height": 800})
    page.goto(base + "/catalogues/cdd-2565-r1?lang=en")
    # No sideways scrolling: the table's rows become cards as wide as the screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert page.locator("a.lang").inner_text() == "ภาษาไทย"
    page.close()


def test_the_catalogue_prints_on_a4_landscape(browser: Any, server: tuple[str, Path]) -> None:
    base, _ = server
    page = browser.new_page()
    page.goto(base + "/catalogues/cdd-2565-r1")
    page.emulate_media(media="print")
    assert not page.locator("header.bar").is_visible()
    assert not page.locator("p.actions").is_visible()
    pdf = page.pdf(prefer_css_page_size=True)
    boxes = {tuple(float(n) for n in box.split()) for box in
             re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)}
    # A4 is 210 × 297 mm, 595.3 × 841.9 points; landscape puts the long side across.
    assert boxes and all(abs(box[2] - 841.9) < 1 and abs(box[3] - 595.3) < 1 for box in boxes)
    page.close()


def test_the_editors_buttons_format_translate_and_run_examples(
        browser: Any, server: tuple[str, Path]) -> None:
    from playwright.sync_api import expect

    base, _ = server
    page = browser.new_page()
    page.set_default_timeout(15_000)
    page.goto(base + "/edit/กฎ")
    page.wait_for_selector("#problems li.ok")
    source = page.locator("#source")
    page.click("#to-en")
    expect(source).to_have_value(re.compile(r"^indicator 1 .*\n  level 2 if ร้อยละ >= 80\n", re.S))
    page.click("#to-th")
    expect(source).to_have_value(THAI_RULES)
    # Messy spacing, formatted back to the canonical layout.
    source.fill(THAI_RULES.replace("  น้ำหนัก 100", "น้ำหนัก    100"))
    page.click("#format")
    expect(source).to_have_value(THAI_RULES)
    # The file has no examples, so none fails.
    page.click("#examples")
    expect(page.locator("#status.ok")).to_have_text("ตัวอย่างทุกข้อผ่าน")
    # An example that the rules do not give (60 is level 1, not 2) is listed at its line, 6.
    source.fill(THAI_RULES + "  ตัวอย่าง ระดับ 2: ร้อยละ = 60\n")
    page.click("#examples")
    expect(page.locator("#status.problem-text")).to_have_text("ตัวอย่างไม่ผ่าน 1 ข้อ")
    failed = page.locator("#problems li.diagnostic")
    expect(failed).to_have_count(1)
    assert failed.get_attribute("data-code") == "example-fails"
    assert failed.get_attribute("data-line") == "6"
    page.close()
