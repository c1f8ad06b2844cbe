"""PyTorch building blocks of skirnet. Nothing here knows of scikit-learn."""

from skirnet.nn.architectures import ARCHITECTURES, depth_of, parse_architecture
from skirnet.nn.residual_mlp import SHORTCUTS, DenseUnit, ResidualBlock, ResidualMLP

__all__ = [
    "ARCHITECTURES",
    "SHORTCUTS",
    "DenseUnit",
    "ResidualBlock",
    "ResidualMLP",
    "depth_of",
    "parse_architecture",
]
