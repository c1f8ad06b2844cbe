"""The layer widths of the networks of Jha et al. (2021), and a parser for custom ones.

An architecture is a tuple of *stacks*; a stack is a ``(width, n_layers)`` pair of equally
wide fully connected layers. The output layer (one linear unit per target) is not part of
it, so a depth-``d`` network has ``d - 1`` hidden layers.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Sequence

__all__ = [
    "ARCHITECTURES",
    "depth_of",
    "parse_architecture",
]

Stacks = tuple[tuple[int, int], ...]

#: Hidden stacks of the paper's networks by total depth (hidden layers + output layer).
#: 17, 24 and 48 are the paper's Table 4. The paper's 10-layer table is not available to us;
#: our 10-layer net keeps the paper's funnel (1024 → 32) with the 17-layer net's stacks
#: halved where they can be, which gives 9 hidden layers.
ARCHITECTURES: dict[int, Stacks] = {
    10: ((1024, 2), (512, 2), (256, 2), (128, 1), (64, 1), (32, 1)),
    17: ((1024, 4), (512, 3), (256, 3), (128, 3), (64, 2), (32, 1)),
    24: ((1024, 4), (512, 4), (256, 4), (128, 4), (64, 3), (32, 2), (16, 2)),
    48: (
        (1024, 4),
        (1024, 4),
        (512, 4),
        (512, 4),
        (256, 4),
        (256, 4),
        (128, 4),
        (128, 4),
        (64, 4),
        (64, 4),
        (32, 4),
        (16, 3),
    ),
}

_GROUP = re.compile(r"^\s*(\d+)\s*(?:[x×*]\s*(\d+))?\s*$")


def parse_architecture(spec: int | str | Sequence[int]) -> Stacks:
    """Turn a depth, a ``"1024x4-512x3"`` string or a tuple of widths into stacks.

    Parameters
    ----------
    spec : int, str or sequence of int
        - an int: one of the paper's depths (10, 17, 24, 48);
        - a str: groups ``WIDTHxCOUNT`` (or a bare ``WIDTH``) joined by ``-``; each group is
          one stack, so ``"64x2-64x2"`` gives two stacks of two 64-wide layers;
        - a sequence of ints: one width per hidden layer; runs of equal consecutive widths
          form the stacks.

    Returns
    -------
    stacks : tuple of (width, n_layers)

    Raises
    ------
    ValueError
        For an unknown depth, an empty specification or a non-positive width or count.

    Examples
    --------
    >>> parse_architecture("1024x2-512")
    ((1024, 2), (512, 1))
    >>> parse_architecture((64, 64, 32))
    ((64, 2), (32, 1))
    >>> sum(n for _, n in parse_architecture(48)) + 1
    48
    """
    if isinstance(spec, bool):
        raise ValueError(f"Invalid architecture {spec!r}.")
    if isinstance(spec, numbers.Integral):
        spec = int(spec)
        if spec not in ARCHITECTURES:
            raise ValueError(
                f"depth must be one of {sorted(ARCHITECTURES)}, got {spec}; "
                "pass hidden_layer_sizes for other architectures."
            )
        return ARCHITECTURES[spec]
    if isinstance(spec, str):
        stacks = []
        for group in spec.split("-"):
            match = _GROUP.match(group)
            if match is None:
                raise ValueError(
                    f"Cannot parse architecture group {group!r} in {spec!r}; "
                    "expected groups like '1024x4' joined by '-'."
                )
            width, count = int(match[1]), int(match[2] or 1)
            stacks.append((width, count))
        stacks_t = tuple(stacks)
    else:
        widths = [int(w) for w in spec]
        if len(widths) != len(list(spec)) or not widths:
            raise ValueError("hidden_layer_sizes must not be empty.")
        runs: list[list[int]] = []
        for width in widths:
            if runs and runs[-1][0] == width:
                runs[-1][1] += 1
            else:
                runs.append([width, 1])
        stacks_t = tuple((w, n) for w, n in runs)
    if not stacks_t:
        raise ValueError("An architecture needs at least one hidden layer.")
    for width, count in stacks_t:
        if width < 1 or count < 1:
            raise ValueError(
                f"Widths and layer counts must be positive, got {width}x{count} in {spec!r}."
            )
    return stacks_t


def depth_of(stacks: Stacks) -> int:
    """Total depth of a network: its hidden layers plus the output layer.

    Examples
    --------
    >>> depth_of(ARCHITECTURES[17])
    17
    """
    return sum(count for _, count in stacks) + 1
