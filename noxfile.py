"""The project's tasks, run the same way by a contributor and by CI (CONTRIBUTING.md).

    python -m pip install nox          # or: pip install -e ".[dev]", which brings it
    nox                                # the quick loop: lint, types, tests, docs
    nox -s tests_full e2e sdist        # what CI adds
    nox -l                             # every session, with what it does

Each session has its own virtual environment under ``.nox/``, kept between runs (``reuse_venv``);
``nox -R`` reuses it without reinstalling, for the fastest loop. CI runs the same sessions in its one
environment, where everything is already installed (``nox --no-venv --no-install``, see ``.ci/run``).
Arguments after ``--`` go to the session's command: ``nox -s tests -- -x tests/test_sql.py``.
"""

from __future__ import annotations

import glob
import os
import re
import tarfile
import tempfile
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")

nox.options.sessions = ["lint", "types", "tests", "docs"]
nox.options.reuse_venv = "yes"
# A session fails when a command it needs is missing from its environment, rather than finding one
# elsewhere on PATH that may be another version.
nox.options.error_on_external_run = True

# The default test selection: everything but the slow tests (large inputs, building packages) and
# the end-to-end tests (a browser, a database server, Spark), which tests_full and e2e run.
FAST = "not slow and not e2e"


def _pinned(*names: str) -> list[str]:
    """The requirements of the dev extra for ``names``, as pyproject.toml pins them (one place)."""
    wanted = {name.lower() for name in names}
    found = [requirement for requirement in PYPROJECT["project"]["optional-dependencies"]["dev"]
             if re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower() in wanted]
    if len(found) != len(wanted):
        raise ValueError(f"pyproject.toml's dev extra does not list all of {sorted(wanted)}")
    return found


@nox.session
def lint(session: nox.Session) -> None:
    """ruff over the source, the tests, the benchmarks and this file."""
    session.install(*_pinned("ruff"))
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py", *session.posargs)


@nox.session
def types(session: nox.Session) -> None:
    """mypy --strict over the library."""
    session.install("-e", ".[dev]")
    session.run("mypy", "--strict", "src", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """The quick suite: every test not marked slow or e2e."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", "-m", FAST, *session.posargs)


@nox.session
def tests_full(session: nox.Session) -> None:
    """The whole suite, slow and end-to-end tests included: the README's test command."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def e2e(session: nox.Session) -> None:
    """The end-to-end tests only (marker ``e2e``): the installed package, browsers, servers."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", "-m", "e2e", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """The Sphinx site with warnings as errors, and every example on it run as a doctest."""
    session.install("-e", ".[docs]")
    for builder in ("html", "doctest"):
        session.run("python", "-m", "sphinx", "-W", "--keep-going", "-b", builder, "docs",
                    f"docs/_build/{builder}", "-q", *session.posargs)


@nox.session
def benchmarks(session: nox.Session) -> None:
    """benchmarks/run.py --quick: does every engine still run and agree (posargs replace it).

    ``nox -s benchmarks -- --only sql`` runs one section at full size.
    """
    session.install("-e", ".", "-r", "benchmarks/requirements.txt")
    session.run("python", "benchmarks/run.py", *(session.posargs or ["--quick"]))
    if not session.posargs:
        # The command line's section (not in the default run): that it runs and agrees.
        session.run("python", "benchmarks/run.py", "--quick", "--only", "cli")


@nox.session
def sdist(session: nox.Session) -> None:
    """Build sdist and wheel, twine check them, and run the sdist's own tests installed afresh.

    The sdist is unpacked into a temporary folder and installed with its dev extra into a new
    virtual environment; its tests run from another directory against the installed package, so a
    file the sdist lacks fails them. Posargs go to that pytest run (default: the quick suite).
    """
    session.install(*_pinned("build", "twine"))
    with tempfile.TemporaryDirectory(prefix="kpirules-sdist-") as scratch:
        work = Path(scratch)
        dist = work / "dist"
        session.run("python", "-m", "build", "--outdir", str(dist), ".")
        built = sorted(glob.glob(str(dist / "*")))
        session.run("twine", "check", "--strict", *built)
        (archive,) = dist.glob("kpirules-*.tar.gz")
        with tarfile.open(archive) as tar:
            # The "data" filter (refuse links and paths out of the folder) where Python has it.
            if hasattr(tarfile, "data_filter"):
                tar.extractall(work / "unpacked", filter="data")
            else:
                tar.extractall(work / "unpacked")
        (source,) = (work / "unpacked").iterdir()
        # What the system brings for the tests is lent to the unpacked sdist as it would lend a
        # browser or a database server: VS Code's tokenizer, installed by npm in this checkout.
        modules = ROOT / "editors" / "vscode" / "node_modules"
        if modules.is_dir() and (source / "editors" / "vscode").is_dir():
            (source / "editors" / "vscode" / "node_modules").symlink_to(modules)

        env_dir = work / "env"
        session.run("python", "-m", "venv", str(env_dir))
        bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
        python = str(bin_dir / "python")
        # The environment's own scripts come first on PATH: the CLI tests run `kpirules` by name.
        env = {"PATH": os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")]),
               "VIRTUAL_ENV": str(env_dir)}
        session.run(python, "-m", "pip", "install", "-q", "--upgrade", "pip", env=env,
                    external=True)
        session.run(python, "-m", "pip", "install", "-q", f"kpirules[dev] @ {archive.as_uri()}",
                    env=env, external=True)

        elsewhere = work / "elsewhere"
        elsewhere.mkdir()
        session.chdir(elsewhere)
        imported = session.run(python, "-c", "import kpirules; print(kpirules.__file__)", env=env,
                               external=True, silent=True)
        if "site-packages" not in str(imported):
            session.error(f"the tests would import kpirules from {imported}, not the installed one")
        session.run(python, "-m", "pytest", "-p", "no:cacheprovider", str(source / "tests"),
                    *(session.posargs or ["-m", FAST]), env=env, external=True)
        # The examples in the installed modules' docstrings, which the checkout runs from src/.
        session.run(python, "-m", "pytest", "-p", "no:cacheprovider", "--doctest-modules",
                    "--pyargs", "kpirules", env=env, external=True)
        session.chdir(ROOT)
