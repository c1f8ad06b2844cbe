"""The fully connected residual network of Jha et al. (2021) in plain PyTorch.

Every hidden layer is ``Linear → BatchNorm1d → ReLU``; the output layer is a bare ``Linear``
(which stays in float32 under autocast).
Skip connections are added after the activation and come in three modes:

``"individual"`` (IRNet)
    a skip around every hidden layer;
``"stacked"`` (SRNet)
    a skip around each stack of equally wide layers;
``"none"`` (plain network)
    no skip at all.

A skip is the identity when the widths on both ends match, and otherwise a linear
projection (no batch norm, no activation) of the block's input; the first block therefore
projects the input features.
"""

from __future__ import annotations

import torch
from torch import nn

from skirnet.nn.architectures import Stacks

__all__ = [
    "SHORTCUTS",
    "DenseUnit",
    "ResidualBlock",
    "ResidualMLP",
]

SHORTCUTS = ("individual", "stacked", "none")


class DenseUnit(nn.Sequential):
    """One hidden layer: ``Linear → BatchNorm1d → ReLU``."""

    def __init__(self, in_features: int, out_features: int) -> None:
        super().__init__(
            nn.Linear(in_features, out_features),
            nn.BatchNorm1d(out_features),
            nn.ReLU(),
        )


class ResidualBlock(nn.Module):
    """A sequence of hidden layers with one skip connection around it.

    ``forward(x) = body(x) + shortcut(x)``, where ``shortcut`` is the identity when the
    widths match and a bias-carrying linear projection otherwise.
    """

    def __init__(self, body: nn.Sequential, in_features: int, out_features: int) -> None:
        super().__init__()
        self.body = body
        self.shortcut = (
            nn.Identity() if in_features == out_features else nn.Linear(in_features, out_features)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + self.shortcut(x)


class ResidualMLP(nn.Module):
    """A fully connected regression network with IRNet, SRNet or no skip connections.

    Parameters
    ----------
    n_features : int
        Number of input features.
    stacks : tuple of (width, n_layers)
        Hidden architecture, see :func:`skirnet.nn.parse_architecture`.
    n_outputs : int, default=1
        Number of regression targets (width of the final linear layer).
    shortcut : {"individual", "stacked", "none"}, default="individual"
        Where the skip connections go.

    Attributes
    ----------
    stacks : tuple of (width, n_layers)
        The hidden architecture, as built.
    hidden : torch.nn.Sequential
        The hidden layers (residual blocks, or plain stacks for ``shortcut="none"``).
    output : torch.nn.Linear
        The final linear layer.

    Examples
    --------
    >>> import torch
    >>> from skirnet.nn import ResidualMLP, parse_architecture
    >>> net = ResidualMLP(145, parse_architecture("64x2-32"), shortcut="individual")
    >>> net.eval()(torch.zeros(4, 145)).shape
    torch.Size([4, 1])
    >>> net.n_skips
    3
    """

    def __init__(
        self,
        n_features: int,
        stacks: Stacks,
        n_outputs: int = 1,
        shortcut: str = "individual",
    ) -> None:
        super().__init__()
        if shortcut not in SHORTCUTS:
            raise ValueError(f"shortcut must be one of {SHORTCUTS}, got {shortcut!r}.")
        self.shortcut = shortcut
        self.stacks = tuple((int(width), int(count)) for width, count in stacks)
        blocks: list[nn.Module] = []
        width_in = n_features
        for width, count in stacks:
            if shortcut == "individual":
                for _ in range(count):
                    blocks.append(
                        ResidualBlock(nn.Sequential(DenseUnit(width_in, width)), width_in, width)
                    )
                    width_in = width
            else:
                units = []
                for i in range(count):
                    units.append(DenseUnit(width_in if i == 0 else width, width))
                body = nn.Sequential(*units)
                blocks.append(
                    ResidualBlock(body, width_in, width) if shortcut == "stacked" else body
                )
                width_in = width
        self.hidden = nn.Sequential(*blocks)
        self.output = nn.Linear(width_in, n_outputs)

    @property
    def n_skips(self) -> int:
        """Number of skip connections (residual additions) in one forward pass."""
        return sum(isinstance(m, ResidualBlock) for m in self.modules())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.hidden(x)
        device_type = hidden.device.type
        if torch.amp.is_autocast_available(device_type) and torch.is_autocast_enabled(device_type):
            # Under mixed precision the hidden layers run in low precision, but the output
            # layer does not: a bfloat16 prediction would keep only 8 significant bits.
            with torch.autocast(device_type, enabled=False):
                return self.output(hidden.to(self.output.weight.dtype))
        return self.output(hidden)
