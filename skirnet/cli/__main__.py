"""``python -m skirnet.cli``: the same as the ``skirnet`` command."""

import sys

from skirnet.cli._main import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
