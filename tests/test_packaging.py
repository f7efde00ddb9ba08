"""What a package index, a citation and a contributor read: the version stated once, the licence
text the metadata names, the project's addresses and classifiers, the changelog's form, the sdist
carrying every file the tests read, and the golden-file switch (CONTRIBUTING.md)."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
from importlib import metadata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpirules
from tests import engines, golden

ROOT = Path(__file__).resolve().parents[1]


def test_the_installed_version_is_the_one_in_the_source() -> None:
    assert metadata.version("kpirules") == kpirules.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?(?:\.dev\d+)?", kpirules.__version__)


def test_the_version_is_written_once() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^dynamic = \["version"\]$', pyproject, re.M)
    assert not re.search(r"^version\s*=", pyproject, re.M)


def test_the_licence_is_the_mit_text_the_metadata_names() -> None:
    meta = metadata.metadata("kpirules")
    assert meta["License-Expression"] == "MIT"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) ")
    assert "kpirules developers" in text.splitlines()[2]
    assert "Permission is hereby granted, free of charge, to any person obtaining a copy" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text
    # PEP 639: beside a licence expression, a "License ::" classifier may be refused.
    assert not [c for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]


def test_the_project_addresses_are_all_there() -> None:
    urls = dict(entry.split(", ", 1) for entry in metadata.metadata("kpirules").get_all("Project-URL") or [])
    assert {"Documentation", "Source", "Changelog", "Issues"} <= set(urls)
    assert all(url.startswith("https://") for url in urls.values())


def test_the_classifiers_name_every_python_that_requires_python_allows() -> None:
    meta = metadata.metadata("kpirules")
    classifiers = meta.get_all("Classifier") or []
    versions = sorted(int(c.rsplit(".", 1)[1]) for c in classifiers
                      if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    assert versions == [10, 11, 12, 13]
    assert meta["Requires-Python"] == ">=3.10"
    assert "Operating System :: OS Independent" in classifiers
    assert any(c.startswith("Intended Audience ::") for c in classifiers)
    assert any(c.startswith("Topic ::") for c in classifiers)
    assert meta.get_all("Keywords") or meta["Keywords"]


def test_the_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    assert "https://keepachangelog.com/en/1.1.0/" in text
    releases = re.findall(r"^## (.+)$", text, re.M)
    assert releases[0] == "[Unreleased]"
    for release in releases[1:]:
        assert re.fullmatch(r"\[\d+\.\d+\.\d+\] - \d{4}-\d{2}-\d{2}", release), release
    kinds = set(re.findall(r"^### (.+)$", text, re.M))
    assert kinds and kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    # Every release heading is a link, defined at the bottom.
    for release in releases:
        name = release.split("]")[0] + "]"
        assert re.search(rf"^{re.escape(name)}: https://", text, re.M), name


# --- golden files ------------------------------------------------------------------------------


def test_a_golden_file_that_differs_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(golden.SWITCH, raising=False)
    path = tmp_path / "case.expected"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(AssertionError, match=r"case\.expected differs"):
        golden.compare(path, "new\n")
    golden.compare(path, "old\n")
    golden.compare(path, "old", ending_newlines_matter=False)
    with pytest.raises(AssertionError):
        golden.compare(path, "old")


def test_the_switch_rewrites_golden_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(golden.SWITCH, "1")
    monkeypatch.delenv("CI", raising=False)
    path = tmp_path / "case.expected"
    path.write_text("old\n", encoding="utf-8")
    golden.compare(path, "new")
    assert path.read_bytes() == b"new"
    golden.compare(path, "message\nline\n", ending_newlines_matter=False)
    assert path.read_bytes() == b"message\nline\n"
    created = tmp_path / "new_case.expected"
    golden.compare(created, "first", ending_newlines_matter=False)
    assert created.read_bytes() == b"first\n"


# Golden files are text with "\n" line ends, read with universal newlines (as a checkout on any
# system has them), so a message is any text without a carriage return.
MESSAGES = st.text(st.characters(blacklist_characters="\r", blacklist_categories=("Cs",)))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=MESSAGES, loose=st.booleans())
def test_what_the_switch_writes_the_comparison_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, message: str, loose: bool
) -> None:
    path = tmp_path / "case.expected"
    path.write_text("something else\n", encoding="utf-8")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv(golden.SWITCH, "1")
    golden.compare(path, message, ending_newlines_matter=not loose)
    monkeypatch.delenv(golden.SWITCH)
    golden.compare(path, message, ending_newlines_matter=not loose)


@pytest.mark.parametrize("off", ["", "0"])
def test_the_switch_is_off_unless_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, off: str) -> None:
    monkeypatch.setenv(golden.SWITCH, off)
    monkeypatch.delenv("CI", raising=False)
    path = tmp_path / "case.expected"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(AssertionError):
        golden.compare(path, "new\n")
    assert path.read_text(encoding="utf-8") == "old\n"


def test_ci_refuses_the_switch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(golden.SWITCH, "1")
    monkeypatch.setenv("CI", "true")
    path = tmp_path / "case.expected"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match="refused under CI"):
        golden.compare(path, "new\n")
    assert path.read_text(encoding="utf-8") == "old\n"


# --- the sdist -------------------------------------------------------------------------------------

# What the test suite, the documentation and the benchmarks read from the source tree.
CARRIED = ("src", "grammar", "catalogues", "tests", "docs", "examples", "benchmarks")
LEFT_OUT = re.compile(r"(^|/)(__pycache__|\.hypothesis|\.pytest_cache|_build)(/|$)|\.py[co]$")


@pytest.mark.slow
def test_the_sdist_carries_every_file_the_tests_and_docs_read(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    (archive,) = tmp_path.glob("kpirules-*.tar.gz")
    with tarfile.open(archive) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    wanted = {path.relative_to(ROOT).as_posix() for folder in CARRIED
              for path in (ROOT / folder).rglob("*") if path.is_file()}
    wanted = {name for name in wanted if not LEFT_OUT.search(name)}
    wanted |= {"pyproject.toml", "README.md", "CHANGELOG.md", "CONTRIBUTING.md", "LICENSE", "noxfile.py"}
    assert wanted - names == set()
    assert "grammar/kpirules.lark" in names
    assert any(name.startswith("catalogues/") and name.endswith(".kpi") for name in names)


# --- engines only the system brings -------------------------------------------------------------


def test_a_missing_engine_skips_on_a_contributors_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"Chromium is not installed \(install it with: apt"):
        engines.missing("Chromium", "apt-get install chromium")


@pytest.mark.parametrize("value", ["true", "1", "True"])
def test_a_missing_engine_fails_in_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI must run this test"):
        engines.missing("PostgreSQL", "apt-get install postgresql")
