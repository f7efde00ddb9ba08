"""Golden files: compare a message with the file that holds it, or rewrite the file.

With ``KPIRULES_REGENERATE=1`` in the environment, every golden test writes what the code now
produces into its ``.expected`` file instead of comparing, so that a deliberate change of wording is
one run and a ``git diff`` to review (CONTRIBUTING.md, "Golden files"). CI never regenerates: with
``CI`` set, the switch fails the test, so a pipeline cannot pass by rewriting its own expectations.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import engines

SWITCH = "KPIRULES_REGENERATE"


def regenerating() -> bool:
    """Whether this run rewrites golden files (the switch is on and this is not CI)."""
    if os.environ.get(SWITCH, "") in ("", "0"):
        return False
    if engines.in_ci():
        pytest.fail(f"{SWITCH} rewrites golden files; it is refused under CI, which only compares")
    return True


def compare(path: Path, actual: str, *, ending_newlines_matter: bool = True) -> None:
    """Assert that ``path`` holds ``actual``, or write ``actual`` there when regenerating.

    Error-message files are compared without their ending newlines (an editor may add one), so for
    them ``ending_newlines_matter`` is False and the file is written with exactly one.
    """
    if regenerating():
        text = actual if ending_newlines_matter else actual.rstrip("\n") + "\n"
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
        return
    expected = path.read_text(encoding="utf-8")
    if ending_newlines_matter:
        assert actual == expected, f"{path.name} differs (see CONTRIBUTING.md, 'Golden files')"
    else:
        assert actual.rstrip("\n") == expected.rstrip("\n"), (
            f"{path.name} differs (see CONTRIBUTING.md, 'Golden files')")
