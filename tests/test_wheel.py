"""The wheel carries the grammar and the catalogues: installed into a fresh virtual environment and
used from another directory, it parses rules and loads the shipped catalogue."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

USE = """
import kpirules, pathlib
from kpirules import catalogue
rules = kpirules.parse('indicator 1 "t"\\n  level 1 if x >= 1\\n')
assert rules["1"].evaluate({"x": 1}).level == 1
assert "cdd-2565-r1" in catalogue.names(), catalogue.names()
card = catalogue.load("cdd-2565-r1")
assert len(card) == 7 and card.year == 2565
assert "site-packages" in kpirules.__file__, kpirules.__file__
try:
    kpirules.parse('indicator 1 "t"\\n  level 1 if x => 1\\n')
except kpirules.ParseError as error:
    assert error.line == 2
print("ok")
"""


@pytest.mark.slow
@pytest.mark.e2e
def test_wheel_installs_and_works_from_another_directory(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
    )
    (wheel,) = dist.glob("kpirules-*.whl")
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run([str(python), "-c", USE], cwd=elsewhere, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    script = env_dir / "bin" / "kpirules"
    listed = subprocess.run([str(script), "catalogues"], cwd=elsewhere, capture_output=True,
                            text=True)
    assert listed.returncode == 0, listed.stderr
    assert "cdd-2565-r1" in listed.stdout
