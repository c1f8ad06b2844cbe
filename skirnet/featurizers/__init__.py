"""Featurizers turning materials data into fixed-length numeric features (no torch)."""

from skirnet.featurizers.composition import CompositionFeaturizer
from skirnet.featurizers.structure import StructureFeaturizer

__all__ = ["CompositionFeaturizer", "StructureFeaturizer"]
