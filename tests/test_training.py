"""The fast in-memory training path gives what skorch's standard DataLoader loop gives."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from skirnet import IRNetRegressor, PlainNetRegressor, SRNetRegressor
from skirnet._training import DeviceBatches


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(3)
    X = rng.normal(size=(301, 7))
    y = np.column_stack([X[:, 0] * X[:, 1], np.sin(X[:, 2])])
    return X, y


@pytest.mark.parametrize("cls", [IRNetRegressor, SRNetRegressor, PlainNetRegressor])
@pytest.mark.parametrize("batch_size", [32, 64, 300])
def test_fast_path_matches_the_standard_loop(cls, batch_size, data):
    X, y = data
    params = dict(
        hidden_layer_sizes="32x2-16", lr=3e-3, batch_size=batch_size, max_epochs=8, random_state=42
    )
    fast = cls(**params, fast_path=True).fit(X, y)
    standard = cls(**params, fast_path=False).fit(X, y)
    assert fast.n_iter_ == standard.n_iter_
    np.testing.assert_allclose(
        fast.history_[:, "train_loss"], standard.history_[:, "train_loss"], rtol=1e-5
    )
    np.testing.assert_allclose(
        fast.history_[:, "valid_loss"], standard.history_[:, "valid_loss"], rtol=1e-5
    )
    np.testing.assert_allclose(fast.predict(X), standard.predict(X), rtol=1e-5, atol=1e-6)


def test_fast_path_uses_device_batches(data):
    X, y = data
    model = IRNetRegressor(hidden_layer_sizes="8", max_epochs=1, random_state=0).fit(X, y)
    iterator = model.net_.get_iterator(model.net_.get_dataset(X, y), training=True)
    assert isinstance(iterator, DeviceBatches)
    standard = IRNetRegressor(
        hidden_layer_sizes="8", max_epochs=1, fast_path=False, random_state=0
    ).fit(X, y)
    iterator = standard.net_.get_iterator(standard.net_.get_dataset(X, y), training=True)
    assert isinstance(iterator, torch.utils.data.DataLoader)


def test_fast_path_plugs_into_skorchs_iterator_seam(data):
    """The batches come through skorch's iterator_train/iterator_valid, not an override."""
    from skirnet._training import FastNeuralNetRegressor

    assert "get_iterator" not in vars(FastNeuralNetRegressor)
    X, y = data
    model = IRNetRegressor(hidden_layer_sizes="8", max_epochs=1, random_state=0).fit(X, y)
    for name in ("iterator_train", "iterator_valid"):
        iterator = getattr(model.net_, name)
        assert iterator.func is DeviceBatches and iterator.keywords == {"device": "cpu"}
    assert model.net_.iterator_train__shuffle is True
    standard = IRNetRegressor(hidden_layer_sizes="8", max_epochs=1, fast_path=False).fit(X, y)
    assert standard.net_.iterator_train is torch.utils.data.DataLoader


def _dataset(X, y=None):
    from skorch.dataset import Dataset

    return Dataset(X.numpy(), None if y is None else y.numpy())


def test_device_batches_cover_every_sample_once_per_epoch():
    X = torch.arange(10.0)[:, None]
    batches = DeviceBatches(_dataset(X, X.clone()), batch_size=4, shuffle=True)
    assert len(batches) == 3
    seen = torch.cat([xb for xb, _ in batches]).ravel()
    assert sorted(seen.tolist()) == list(range(10))
    dropping = DeviceBatches(_dataset(X), 4, shuffle=False, drop_last=True)
    assert [len(xb) for xb, _ in dropping] == [4, 4] and len(dropping) == 2
    with pytest.raises(TypeError, match="fast_path=False"):
        DeviceBatches(torch.utils.data.TensorDataset(X), 4)


def test_device_batches_copy_to_the_device_once_per_dataset():
    dataset = _dataset(torch.arange(6.0)[:, None])
    first = DeviceBatches(dataset, batch_size=4)
    assert DeviceBatches(dataset, batch_size=2).X is first.X


def test_device_batches_shuffle_like_a_dataloader():
    X = torch.arange(50.0)[:, None]
    torch.manual_seed(0)
    ours = torch.cat([xb for xb, _ in DeviceBatches(_dataset(X), 8, shuffle=True)]).ravel()
    torch.manual_seed(0)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(X), batch_size=8, shuffle=True
    )
    theirs = torch.cat([b[0] for b in loader]).ravel()
    assert torch.equal(ours, theirs)
