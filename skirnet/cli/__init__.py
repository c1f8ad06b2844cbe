"""The ``skirnet`` command line: ``demo``, ``compare``, ``train``, ``predict`` and ``screen``.

Run ``skirnet --help`` or ``python -m skirnet --help``. Bad input (a missing file or
column, a non-numeric target, an unknown model name, a damaged model folder, ...) ends with
a one-line message ``skirnet: error: ...`` on stderr and exit status 2; ``--debug`` shows
the traceback. Ctrl-C stops a command at once with one line saying what it interrupted and
exit status 130; nothing half-written is left looking complete.

The command line parses and prints; the library decides: training values come from the
named recipes of :mod:`skirnet.recipes`, the estimators validate their parameters, and
:mod:`skirnet.comparison`, :mod:`skirnet.pipeline` and :mod:`skirnet.screening` do the
work. Each command is one module of this package (``demo``, ``compare``, ``train``,
``predict``, ``screen``) that declares its options, help texts and defaults and holds its
handler; ``_options`` declares the options several commands share, ``_main`` assembles
the parser from the command registry and runs a command.
"""

from skirnet.cli._common import CLIError
from skirnet.cli._main import build_parser, main

__all__ = ["CLIError", "build_parser", "main"]
