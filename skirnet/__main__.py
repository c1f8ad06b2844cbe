"""``python -m skirnet``: the same as the ``skirnet`` command (see :mod:`skirnet.cli`)."""

import sys

from skirnet.cli import main

if __name__ == "__main__":
    sys.exit(main())
