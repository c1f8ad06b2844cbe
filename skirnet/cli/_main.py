"""The ``skirnet`` parser, assembled from the command modules, and :func:`main`, which runs one.

:data:`COMMANDS` is the registry: each command module adds its subparser, its options and
its handler (``register``); ``skirnet --help`` lists them in this order. :func:`main`
runs the handler with torch's thread count set, a Ctrl-C turned into one line, and bad
input reported as one line.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import NoReturn

from skirnet._threads import auto_threads
from skirnet._version import __version__
from skirnet.cli import compare, demo, predict, screen, train
from skirnet.cli._common import CLIError
from skirnet.cli._interrupts import Interrupted, doing, interrupted_message, on_sigint
from skirnet.cli._options import PROG, RECIPE_NOTE

__all__ = ["COMMANDS", "build_parser", "main"]

#: The commands, in the order ``skirnet --help`` lists them.
COMMANDS = (demo, compare, train, predict, screen)
# ValueError includes sklearn's InvalidParameterError and skirnet.pipeline.PipelineFileError,
# OSError a missing file, IsADirectoryError, PermissionError, a full disk, ...
_EXPECTED = (CLIError, ValueError, KeyError, ImportError, FloatingPointError, OSError, EOFError)


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line: ``skirnet: error: ...``."""

    def error(self, message: str) -> NoReturn:
        sub = self.prog.split(" ", 1)[1] + " " if " " in self.prog else ""
        self.exit(2, f"{PROG}: error: {message} (see '{PROG} {sub}--help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skirnet`` command.

    Returns
    -------
    argparse.ArgumentParser

    Examples
    --------
    >>> build_parser().parse_args(["train", "--data", "t.csv", "--out", "m"]).recipe is None
    True
    """
    parser = _Parser(
        prog=PROG,
        description="Deep residual regressors (IRNet, SRNet, PlainNet) for materials "
        "properties from chemical formulas and crystal structures (Jha et al., Sci. Rep. "
        "11:4244, 2021).",
        epilog=RECIPE_NOTE,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        command.register(commands)
    return parser


def _one_line(exc: BaseException) -> str:
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    return " ".join(str(text).split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skirnet`` command line.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status: 0 on success, 2 on bad input or without a command (one line on
        stderr), 130 when interrupted by Ctrl-C (one line saying what was interrupted).

    Examples
    --------
    >>> main([])  # doctest: +ELLIPSIS
    usage: skirnet [-h] [--version] COMMAND ...
    ...
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        names = ", ".join(command.NAME for command in COMMANDS)
        print(f"{PROG}: error: no command given ({names})", file=sys.stderr)
        return 2
    import torch

    args.start, threads = time.perf_counter(), torch.get_num_threads()
    # a command without --threads (or without a value for it) gets the cores not busy
    torch.set_num_threads(getattr(args, "threads", None) or auto_threads())
    handler = signal.getsignal(signal.SIGINT)
    ours = threading.current_thread() is threading.main_thread()
    ours = ours and handler is signal.default_int_handler  # not where Ctrl-C is ignored
    if ours:
        signal.signal(signal.SIGINT, on_sigint)
    doing("starting")
    try:
        return args.handler(args)
    except (Interrupted, KeyboardInterrupt):
        if getattr(args, "debug", False):
            raise
        sys.stdout.flush()
        print(f"\n{interrupted_message()}", file=sys.stderr)
        return 130
    except _EXPECTED as exc:
        if getattr(args, "debug", False):
            raise
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    finally:
        if ours:
            signal.signal(signal.SIGINT, handler)
        torch.set_num_threads(threads)  # main() may run in-process (tests, notebooks)
