"""scikit-learn's estimator contract, checked by sklearn itself for the three networks."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from skirnet import IRNetRegressor, PlainNetRegressor, SRNetRegressor


def _checked(cls):
    # Small, quick-to-train instances: at the paper's lr=1e-4 a few epochs cannot reach the
    # R² > 0.5 that check_regressors_train asks for.
    return cls(
        hidden_layer_sizes="16x2-8",
        lr=1e-2,
        batch_size=64,
        max_epochs=30,
        patience=5,
        random_state=0,
    )


def _expected_failures(estimator) -> dict[str, str]:
    # The check predicts 20 rows at once and then each row alone, and asks for agreement to
    # atol=1e-7. Predictions are float32 matrix products whose blocking BLAS picks by the
    # number of rows, so one row alone and the same row among 20 can differ in the last
    # bits (about 1e-7 of values near 1): it passes on most runs and fails on some (seen
    # once for PlainNetRegressor at 40 epochs); sklearn's xfail is not strict. A real batch
    # dependence (batch norm in training mode at predict) would show as differences of
    # 1e-2 and more: test_estimators.py's one-row test holds that to 1e-5.
    return {
        "check_methods_subset_invariance": (
            "float32 BLAS results depend on the batch's row count (last-bit differences)"
        )
    }


@parametrize_with_checks(
    [_checked(IRNetRegressor), _checked(SRNetRegressor), _checked(PlainNetRegressor)],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)
