"""Ctrl-C on the command line: what the command was doing, for the one line it prints.

:func:`main <skirnet.cli.main>` installs :func:`on_sigint` for the time a command runs;
the command says what it is doing with :func:`doing` as it goes (and
:func:`epoch_tracker` notes the epoch of a network in training), so that
:func:`interrupted_message` can say what a Ctrl-C interrupted and what was saved.
"""

from __future__ import annotations

import signal
from typing import Any

from skirnet.cli._options import PROG

__all__ = ["Interrupted", "doing", "epoch_tracker", "interrupted_message", "on_sigint"]

#: What the command is doing, for the message of a Ctrl-C.
_DOING: dict[str, Any] = {}


class Interrupted(BaseException):
    """Ctrl-C, raised by the command's SIGINT handler.

    Not a KeyboardInterrupt: skorch ends training quietly on those (it is how a time
    budget stops a fit), so a real Ctrl-C would only skip to the next model.
    """


def doing(what: str, *details: str, saved: str = "nothing was saved") -> None:
    """Note what the command does now, and what a Ctrl-C would leave saved.

    Parameters
    ----------
    what : str
        The step, as in "interrupted while <what>", e.g. ``"training IRNet-17"``.
    *details : str
        Said in brackets after it (``"fold 2 of 5"``).
    saved : str, default="nothing was saved"
        What is on disk if the command stops now.

    Examples
    --------
    >>> doing("featurizing 10 formulas")
    >>> interrupted_message()
    'skirnet: interrupted while featurizing 10 formulas; nothing was saved'
    """
    _DOING.update(what=what, details=list(details), epoch=None, saved=saved)


def epoch_tracker() -> Any:
    """A skorch callback noting the epoch in progress (for the message of a Ctrl-C).

    Returns
    -------
    skorch.callbacks.Callback
    """
    from skorch.callbacks import Callback

    class EpochTracker(Callback):
        def on_epoch_begin(self, net: Any, **kwargs: Any) -> None:
            _DOING["epoch"] = len(net.history)

    return EpochTracker()


def on_sigint(signum: int, frame: Any) -> None:
    """The SIGINT handler of a running command: ignore further Ctrl-C, raise Interrupted.

    Parameters
    ----------
    signum : int
        The signal's number.
    frame : frame or None
        The frame it interrupted.

    Raises
    ------
    Interrupted
        Always.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the clean-up finish
    raise Interrupted


def interrupted_message() -> str:
    """The line a Ctrl-C prints: what the command was doing and what was saved.

    Returns
    -------
    str
        ``skirnet: interrupted while <what> (<details>, epoch N); <saved>``.

    Examples
    --------
    >>> doing("training IRNet-17", "fold 1 of 5", saved="results.json was not written")
    >>> interrupted_message()
    'skirnet: interrupted while training IRNet-17 (fold 1 of 5); results.json was not written'
    """
    details = _DOING["details"] + ([f"epoch {_DOING['epoch']}"] if _DOING["epoch"] else [])
    where = f" ({', '.join(details)})" if details else ""
    return f"{PROG}: interrupted while {_DOING['what']}{where}; {_DOING['saved']}"
