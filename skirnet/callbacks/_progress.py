"""A progress bar over the epochs."""

from __future__ import annotations

from typing import Any

from skorch.callbacks import Callback

__all__ = ["EpochProgress"]


class EpochProgress(Callback):
    """A tqdm bar over epochs showing the training and validation loss.

    Parameters
    ----------
    label : str
        Bar description (the model's name).
    """

    def __init__(self, label: str = "training") -> None:
        self.label = label

    def on_train_begin(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        from tqdm.auto import tqdm

        self.bar_ = tqdm(total=net.max_epochs, desc=self.label, unit="epoch", leave=False)

    def on_epoch_end(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        row = net.history[-1]
        post = {"train": f"{row['train_loss']:.4f}"}
        if "valid_loss" in row:
            post["valid"] = f"{row['valid_loss']:.4f}"
        self.bar_.set_postfix(post)
        self.bar_.update(1)

    def on_train_end(self, net: Any, **kwargs: Any) -> None:  # noqa: D102
        self.bar_.close()
