"""What a test does when something only the system can bring is missing (CONTRIBUTING.md, "Tests:
markers and rules"): under CI it fails, so that a pipeline never passes by skipping what it was
meant to run; on a contributor's machine it skips, saying what to install.

    chromium = shutil.which("chromium")
    if chromium is None:
        engines.missing("Chromium", "apt-get install chromium")
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """Whether this run is CI's (the ``CI`` environment variable, as CI services set it)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str, install: str) -> NoReturn:
    """Stop the test because ``what`` is not on this machine: fail under CI, skip elsewhere."""
    message = f"{what} is not installed (install it with: {install})"
    if in_ci():
        pytest.fail(f"{message}; CI must run this test")
    pytest.skip(message)
