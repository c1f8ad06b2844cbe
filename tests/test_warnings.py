"""skirnet._warnings: a warning names the user's line, through skirnet and scikit-learn."""

from __future__ import annotations

import warnings

from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skirnet._warnings import _is_internal, warn_at_caller
from skirnet.featurizers import CompositionFeaturizer, FeaturizationWarning


def test_direct_call_points_here():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_at_caller("careful", RuntimeWarning)
    assert caught[0].filename == __file__ and caught[0].category is RuntimeWarning


def test_through_a_pipeline_points_at_the_users_line():
    pipe = make_pipeline(CompositionFeaturizer(errors="nan"), StandardScaler())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipe.fit_transform(["NaCl", "Xx", "Fe2O3"])
        line = test_through_a_pipeline_points_at_the_users_line.__code__.co_firstlineno + 4
    ours = [w for w in caught if w.category is FeaturizationWarning]
    assert len(ours) == 1 and ours[0].filename == __file__ and ours[0].lineno == line


def test_what_counts_as_internal():
    import sklearn

    import skirnet

    assert _is_internal(skirnet.__file__) and _is_internal(sklearn.__file__)
    assert not _is_internal(__file__)
    assert not _is_internal("<stdin>") and not _is_internal("<frozen importlib._bootstrap>")
