"""Featurizers turning materials data into fixed-length numeric features (no torch)."""

from skirnet.featurizers.composition import CompositionFeaturizer

__all__ = ["CompositionFeaturizer"]
