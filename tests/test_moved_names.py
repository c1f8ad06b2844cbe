"""Names that moved between modules keep working for one release, with a warning."""

import importlib
import re

import pytest

from skirnet._warnings import moved_names

MOVED = [
    ("skirnet.training", "TimeBudget", "skirnet.callbacks", "TimeBudget"),
    ("skirnet.training", "EpochProgress", "skirnet.callbacks", "EpochProgress"),
    ("skirnet.baselines", "compare_models", "skirnet.comparison", "compare_models"),
    ("skirnet.baselines", "summarize_comparison", "skirnet.comparison", "summarize_comparison"),
    ("skirnet.workflow", "NET_CLASSES", "skirnet.estimators", "NETWORKS"),
    ("skirnet.workflow", "train_pipeline", "skirnet.pipeline", "train_pipeline"),
    ("skirnet.workflow", "run_comparison", "skirnet.comparison", "run_comparison"),
    ("skirnet.workflow", "TimeBudget", "skirnet.callbacks", "TimeBudget"),
    ("skirnet.training", "DivergenceGuard", "skirnet.callbacks", "DivergenceGuard"),
    ("skirnet.training", "TrainingDivergedError", "skirnet.callbacks", "TrainingDivergedError"),
    ("skirnet.training", "resolve_device", "skirnet.device", "resolve_device"),
    ("skirnet.training", "resolve_precision", "skirnet.device", "resolve_precision"),
    ("skirnet.training", "bf16_autocast_applies", "skirnet.device", "bf16_autocast_applies"),
    ("skirnet.training", "cpu_has_native_bf16", "skirnet.device", "cpu_has_native_bf16"),
    ("skirnet.checkpoint", "TrainingCheckpoint", "skirnet.callbacks", "TrainingCheckpoint"),
]

# internals that were public: the warning says where they live and that they are internal
INTERNAL = [
    ("skirnet.training", name, "skirnet._training")
    for name in ("DeviceBatches", "FastNeuralNetRegressor", "reconfigure_net", "SigintWatch")
] + [
    ("skirnet.transfer", name, "skirnet._fine_tuning")
    for name in ("initialise_from", "freeze_first_layers", "rescale_output", "source_for")
]


@pytest.mark.parametrize(("old_module", "old", "new_module", "new"), MOVED)
def test_old_name_resolves_with_a_warning_naming_the_new_place(old_module, old, new_module, new):
    module = importlib.import_module(old_module)
    expected = f"{old_module}.{old} moved to {new_module}.{new}; the old name will be removed"
    with pytest.warns(DeprecationWarning, match=expected.replace(".", r"\.")) as caught:
        value = getattr(module, old)
    assert value is getattr(importlib.import_module(new_module), new)
    assert caught[0].filename == __file__  # the warning points at the caller's line


@pytest.mark.parametrize(("old_module", "old", "new_module"), INTERNAL)
def test_former_public_internal_resolves_with_a_warning_saying_it_is_internal(
    old_module, old, new_module
):
    module = importlib.import_module(old_module)
    expected = f"{old_module}.{old} moved to {new_module}.{old} (internal); the old name"
    with pytest.warns(DeprecationWarning, match=re.escape(expected)):
        value = getattr(module, old)
    assert value is getattr(importlib.import_module(new_module), old)
    assert old not in getattr(module, "__all__", ())


def test_workflow_featurize_names_the_featurizer_and_still_featurizes():
    workflow = importlib.import_module("skirnet.workflow")
    with pytest.warns(DeprecationWarning, match=r"CompositionFeaturizer\(\)\.fit_transform"):
        featurize = workflow.featurize
    X = featurize(["NaCl", "Fe2O3"], progress=False)
    assert X.shape == (2, 145)


@pytest.mark.parametrize(
    "module",
    [
        "skirnet.training",
        "skirnet.baselines",
        "skirnet.workflow",
        "skirnet.checkpoint",
        "skirnet.transfer",
    ],
)
def test_unknown_names_still_raise_attribute_error(module):
    with pytest.raises(AttributeError, match=f"module '{module}' has no attribute 'nope'"):
        _ = importlib.import_module(module).nope


def test_moved_names_leaves_unlisted_names_alone():
    getter = moved_names("pkg.old", {"a": "math.pi"})
    with pytest.raises(AttributeError, match="'pkg.old' has no attribute 'b'"):
        getter("b")
    with pytest.warns(DeprecationWarning, match=r"pkg\.old\.a moved to math\.pi"):
        assert getter("a") == pytest.approx(3.141592653589793)
