"""Sphinx configuration for the kpirules documentation.

Build from the repository root, with warnings as errors, as CI does::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
    python -m sphinx -W --keep-going -b doctest docs docs/_build/doctest
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# The project's own source comes first, so that the documentation describes this checkout even
# when another kpirules is installed; the local extension lives in docs/_ext.
sys.path[:0] = [str(ROOT / "src"), str(DOCS / "_ext")]

import kpirules  # noqa: E402

project = "kpirules"
author = "kpirules developers"
copyright = "kpirules developers"
release = kpirules.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
    "kpidocs",  # the kpi lexer, the keyword table, the catalogue page and the CLI usage
    "myst_parser",  # CONTRIBUTING.md, included as it is by contributing.rst
]

language = "en"
exclude_patterns = ["_build"]
templates_path: list[str] = []
html_static_path = ["_static"]
html_css_files = ["kpirules.css"]
html_theme = "furo"
html_title = f"kpirules {release}"
pygments_style = "default"
pygments_dark_style = "monokai"

# -- autodoc ----------------------------------------------------------------------------------------
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "exclude-members": "__init__, __new__"}
# Users get these objects from the library rather than constructing them, so a class is shown
# without its constructor's internal arguments.
autodoc_class_signature = "separated"

# -- doctest ----------------------------------------------------------------------------------------
# Every example on these pages runs: `.. doctest::` and `.. testcode::` blocks, with the rule files
# of docs/rules/ as the working directory, so that an example can `kpirules.load("first.kpi")`
# exactly as a reader would. The `>>>` examples inside docstrings are run by pytest
# (--doctest-modules), so they are not run a second time here.
doctest_test_doctest_blocks = ""
# Hypothesis (used by the property-test examples) keeps its example database in the working
# directory; it goes under docs/_build instead of among the rule files.
doctest_global_setup = f"""
import os as _os
import kpirules
from decimal import Decimal
try:
    from hypothesis.configuration import set_hypothesis_home_dir as _set_hypothesis_home
except ImportError:
    pass
else:
    _set_hypothesis_home({str(DOCS / "_build" / ".hypothesis")!r})
_previous_directory = _os.getcwd()
_os.chdir({str(DOCS / "rules")!r})
"""
doctest_global_cleanup = """
_os.chdir(_previous_directory)
"""
