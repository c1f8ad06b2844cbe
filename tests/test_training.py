"""The fast in-memory training path gives what skorch's standard DataLoader loop gives."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from skirnet import IRNetRegressor, PlainNetRegressor, SRNetRegressor
from skirnet.training import DeviceBatches


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


def test_device_batches_cover_every_sample_once_per_epoch():
    X = torch.arange(10.0)[:, None]
    batches = DeviceBatches(X, X.clone(), batch_size=4, shuffle=True)
    assert len(batches) == 3
    seen = torch.cat([xb for xb, _ in batches]).ravel()
    assert sorted(seen.tolist()) == list(range(10))
    assert [len(xb) for xb, _ in DeviceBatches(X, None, 4, False, drop_last=True)] == [4, 4]
    assert len(DeviceBatches(X, None, 4, False, drop_last=True)) == 2
    assert [len(xb) for xb, _ in DeviceBatches(X, None, -1, False)] == [10]


def test_device_batches_shuffle_like_a_dataloader():
    X = torch.arange(50.0)[:, None]
    torch.manual_seed(0)
    ours = torch.cat([xb for xb, _ in DeviceBatches(X, None, 8, shuffle=True)]).ravel()
    torch.manual_seed(0)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(X), batch_size=8, shuffle=True
    )
    theirs = torch.cat([b[0] for b in loader]).ravel()
    assert torch.equal(ours, theirs)
