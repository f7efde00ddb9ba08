"""``python -m kpirules``: the same command line as the ``kpirules`` script."""

import sys

from kpirules.cli import main

if __name__ == "__main__":
    sys.exit(main())
