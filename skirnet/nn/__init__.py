"""PyTorch building blocks of skirnet. Nothing here knows of scikit-learn."""

from skirnet.nn.architectures import ARCHITECTURES, depth_of, parse_architecture
from skirnet.nn.losses import LOSSES, regression_loss
from skirnet.nn.residual_mlp import SHORTCUTS, DenseUnit, ResidualBlock, ResidualMLP
from skirnet.nn.state import cpu_copy, non_finite_tensors, uncompiled

__all__ = [
    "ARCHITECTURES",
    "LOSSES",
    "SHORTCUTS",
    "DenseUnit",
    "ResidualBlock",
    "ResidualMLP",
    "cpu_copy",
    "depth_of",
    "non_finite_tensors",
    "parse_architecture",
    "regression_loss",
    "uncompiled",
]
