"""How many CPU threads a ``skirnet`` command should use: the cores no other process keeps busy.

>>> from skirnet._threads import auto_threads
>>> 1 <= auto_threads() <= (os.cpu_count() or 1)
True
"""

from __future__ import annotations

import os
import time

__all__ = ["auto_threads", "busy_cores", "cpu_times"]


def cpu_times(path: str = "/proc/stat") -> tuple[int, int]:
    """Linux's CPU counters summed over all cores: ``(busy, total)`` in clock ticks."""
    with open(path) as stat:
        ticks = [int(v) for v in stat.readline().split()[1:9]]
    # user nice system idle iowait irq softirq steal: waiting for I/O is not work
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def busy_cores(interval: float = 0.25) -> float | None:
    """How many cores other processes kept busy over the last ``interval`` seconds.

    Measured from ``/proc/stat`` rather than the load average, which also counts processes
    waiting for I/O: on virtual machines it can stay near 1 while every core is idle, and a
    thread count taken from it halves the speed of an idle 2-core machine. (psutil would
    measure the same portably but is not a dependency.) ``None`` where there is no
    ``/proc/stat``.
    """
    try:
        busy0, total0 = cpu_times()
        time.sleep(interval)
        busy1, total1 = cpu_times()
    except (OSError, ValueError, IndexError):
        return None
    if total1 <= total0:
        return None
    return (os.cpu_count() or 1) * (busy1 - busy0) / (total1 - total0)


def auto_threads() -> int:
    """CPU cores not already busy with other processes (at least 1)."""
    cores = os.cpu_count() or 1
    busy = busy_cores()
    if busy is None:  # not Linux: the load average, where there is one
        try:
            busy = os.getloadavg()[0]
        except (AttributeError, OSError):  # Windows
            return cores
    return max(1, min(cores, cores - round(busy)))
