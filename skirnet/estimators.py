"""IRNet, SRNet and plain-network regressors as scikit-learn estimators, trained by skorch.

The three estimators share :class:`ResidualNetRegressor`; they differ only in where the
skip connections go (see :mod:`skirnet.nn`). Each ``fit`` builds a fresh skorch net,
kept as ``net_``, so the estimator itself is a plain scikit-learn estimator: ``clone``,
``get_params``/``set_params``, pipelines and grid searches work as they do for
:class:`~sklearn.neural_network.MLPRegressor`.
"""

from __future__ import annotations

import contextlib
import functools
import numbers
import os
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.dataset import Dataset
from skorch.helper import predefined_split
from skorch.history import History
from torch.utils.data import DataLoader

from skirnet._estimator_docs import estimator_doc
from skirnet._fine_tuning import (
    beats_the_median,
    freeze_first_layers,
    initialise_from,
    rescale_output,
    source_for,
)
from skirnet._network_kinds import NETWORK_KINDS
from skirnet._training import (
    FLOAT_DTYPES,
    DeviceBatches,
    FastNeuralNetRegressor,
    SigintWatch,
    as_float32,
    drop_unfinished_epoch,
    reconfigure_net,
    seeded_torch,
    training_callbacks,
)
from skirnet._warnings import warn_at_caller
from skirnet.callbacks import TrainingDivergedError
from skirnet.device import resolve_device, resolve_precision
from skirnet.nn import ResidualMLP, cpu_copy, non_finite_tensors, parse_architecture, uncompiled
from skirnet.nn.losses import LOSSES, regression_loss
from skirnet.recipes import recipe_params

__all__ = [
    "NETWORKS",
    "IRNetRegressor",
    "PlainNetRegressor",
    "ResidualNetRegressor",
    "SRNetRegressor",
    "network_name",
]

_MAX_SEED = np.iinfo(np.int32).max
_OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


class ResidualNetRegressor(RegressorMixin, BaseEstimator):
    """Base class of the three networks; use a subclass.

    Subclasses set ``_shortcut`` to ``"individual"``, ``"stacked"`` or ``"none"``.
    """

    _shortcut: ClassVar[str] = "individual"
    #: The network's display name ("IRNet", "SRNet", "PlainNet").
    label: ClassVar[str] = "IRNet"

    _parameter_constraints: ClassVar[dict] = {
        "depth": [Interval(numbers.Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [None, str, "array-like"],
        "lr": [Interval(numbers.Real, 0, None, closed="neither")],
        "batch_size": [Interval(numbers.Integral, 2, None, closed="left")],
        "max_epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "patience": [Interval(numbers.Integral, 1, None, closed="left")],
        "optimizer": [StrOptions(set(_OPTIMIZERS))],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "lr_schedule": [None, StrOptions({"cosine", "onecycle"})],
        "ema_decay": [None, Interval(numbers.Real, 0, 1, closed="neither")],
        "loss": [StrOptions(set(LOSSES))],
        "huber_delta": [Interval(numbers.Real, 0, None, closed="neither")],
        "precision": [StrOptions({"fp32", "bf16", "auto"})],
        "fast_path": ["boolean"],
        "compile": ["boolean"],
        "callbacks": [None, list],
        "warm_start": ["boolean"],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "progress_bar": ["boolean"],
        "pretrained": [None, str, os.PathLike],
        "freeze_layers": [Interval(numbers.Integral, 0, None, closed="left")],
        "reset_output": ["boolean", StrOptions({"auto"})],
        "standardize_target": ["boolean"],
    }

    def __init__(
        self,
        depth: int = 17,
        *,
        hidden_layer_sizes: str | Sequence[int] | None = None,
        lr: float = 1e-4,
        batch_size: int = 32,
        max_epochs: int = 300,
        validation_fraction: float = 0.1,
        patience: int = 20,
        optimizer: str = "adam",
        weight_decay: float = 0.0,
        lr_schedule: str | None = None,
        ema_decay: float | None = None,
        loss: str = "absolute_error",
        huber_delta: float = 0.1,
        precision: str = "fp32",
        fast_path: bool = True,
        compile: bool = False,
        callbacks: list | None = None,
        warm_start: bool = False,
        device: str = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        progress_bar: bool = False,
        pretrained: str | os.PathLike[str] | None = None,
        freeze_layers: int = 0,
        reset_output: bool | str = "auto",
        standardize_target: bool = True,
    ) -> None:
        self.depth = depth
        self.hidden_layer_sizes = hidden_layer_sizes
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.lr_schedule = lr_schedule
        self.ema_decay = ema_decay
        self.loss = loss
        self.huber_delta = huber_delta
        self.precision = precision
        self.fast_path = fast_path
        self.compile = compile
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.progress_bar = progress_bar
        self.pretrained = pretrained
        self.freeze_layers = freeze_layers
        self.reset_output = reset_output
        self.standardize_target = standardize_target

    # ------------------------------------------------------------------ public API

    @classmethod
    def from_recipe(cls, name: str, **overrides: Any) -> ResidualNetRegressor:
        """An estimator with the parameters of a named training recipe.

        The recipe's values are ordinary constructor parameters: they all show in
        ``get_params``, and ``clone``, ``set_params`` and grid searches treat them as if
        they had been typed out.

        Parameters
        ----------
        name : {"paper", "large-batch"}
            The recipe, see :func:`skirnet.recipes.recipe_params`.
        **overrides
            Constructor parameters that replace or add to the recipe's.

        Returns
        -------
        estimator : ResidualNetRegressor
            A new, unfitted estimator of this class.

        Examples
        --------
        >>> from skirnet import IRNetRegressor
        >>> model = IRNetRegressor.from_recipe("large-batch", depth=48)
        >>> model.get_params()["batch_size"], model.optimizer, model.depth
        (1024, 'adamw', 48)
        """
        return cls(**{**recipe_params(name), **overrides})

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self, X: Any, y: Any, *, validation_data: tuple[Any, Any] | None = None
    ) -> ResidualNetRegressor:
        """Train the network on ``X`` and ``y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training features (float or int; NaN, inf and values beyond float32's range
            are rejected).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets. A 1-D ``y`` gives 1-D predictions, a 2-D one 2-D predictions.
        validation_data : tuple (X_val, y_val), default=None
            A fixed validation set for early stopping, such as a dataset's published
            validation split. When given, all of ``X`` is used for training and
            ``validation_fraction`` is ignored.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, validation_data=validation_data, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X: Any, y: Any) -> ResidualNetRegressor:
        """Train for a single epoch on ``X`` and ``y``, without validation.

        The first call builds the network; later calls continue from its weights and must
        see the same number of features.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training features.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.

        Returns
        -------
        self : object
            The updated estimator.
        """
        return self._fit(X, y, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """Predict targets for ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Features, with the columns seen in ``fit``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets), float64
            Predictions; 1-D when the model was fitted on a 1-D ``y``.
        """
        check_is_fitted(self, "net_")
        X = as_float32(validate_data(self, X, reset=False, dtype=FLOAT_DTYPES), "X")
        with torch.random.fork_rng(devices=[]):
            y_pred = self.net_.predict(X).astype(np.float64)
        y_pred = y_pred * self.target_scale_ + self.target_mean_
        return y_pred.ravel() if self._y_1d else y_pred

    def check_params(self) -> ResidualNetRegressor:
        """Validate the parameters now, as :meth:`fit` would.

        Useful when the parameters come from a file or a command line: a wrong value is
        reported before any data is read.

        Returns
        -------
        self : ResidualNetRegressor
            This estimator, unchanged.

        Raises
        ------
        ValueError or TypeError
            A parameter has a value the estimator does not take (scikit-learn's
            ``InvalidParameterError`` is both), or ``hidden_layer_sizes``/``depth``
            describe no network.

        Examples
        --------
        >>> from skirnet import IRNetRegressor
        >>> IRNetRegressor(optimizer="rmsprop").check_params()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        sklearn.utils._param_validation.InvalidParameterError: The 'optimizer' parameter ...
        """
        self._validate_params()
        self.architecture  # noqa: B018 - parses hidden_layer_sizes / depth
        return self

    def fitted_state(self) -> dict[str, Any]:
        """The fitted attributes a saved model needs besides its weights, as JSON values.

        :meth:`from_fitted_state` rebuilds the estimator from them; :func:`skirnet.save`
        writes them to ``skirnet.json``. The training history and the optimiser state
        are not included (they are saved as files of their own).

        Returns
        -------
        state : dict
            ``n_features_in_``, ``n_outputs_``, ``y_1d`` (whether predictions are 1-D),
            ``device_``, ``best_epoch_``, ``seed_stream`` (the random stream that
            shuffles continued training), ``architecture_``, ``target_mean_``,
            ``target_scale_``, ``output_kept_`` and, when the model was fitted on a DataFrame,
            ``feature_names_in_``.

        Examples
        --------
        >>> import numpy as np
        >>> from skirnet import IRNetRegressor
        >>> X = np.random.RandomState(0).normal(size=(40, 3)); y = X.sum(axis=1)
        >>> model = IRNetRegressor(hidden_layer_sizes="8x2", max_epochs=1, random_state=0)
        >>> model.fit(X, y).fitted_state()["architecture_"]
        [[8, 2]]
        """
        check_is_fitted(self)
        seed_state = getattr(self, "_seed_state", None)
        seed_stream = None
        if seed_state is not None:
            base, stream = seed_state
            name, keys, pos, has_gauss, cached_gaussian = stream.get_state()
            seed_stream = {
                "base": base,
                "state": [name, keys.tolist(), pos, has_gauss, cached_gaussian],
            }
        state = {
            "n_features_in_": self.n_features_in_,
            "n_outputs_": self.n_outputs_,
            "y_1d": self._y_1d,
            "device_": self.device_,
            "best_epoch_": self.best_epoch_,
            "seed_stream": seed_stream,
            # the parameters may not say it: a fine-tuned net has its source's architecture
            "architecture_": [list(stack) for stack in self.architecture_],
            "target_mean_": [float(v) for v in self.target_mean_],
            "target_scale_": [float(v) for v in self.target_scale_],
            # None for an estimator unpickled from before the attribute existed
            "output_kept_": getattr(self, "output_kept_", None),
        }
        if hasattr(self, "feature_names_in_"):
            state["feature_names_in_"] = [str(n) for n in self.feature_names_in_]
        return state

    @classmethod
    def from_fitted_state(
        cls,
        params: dict[str, Any],
        state: dict[str, Any],
        module_state: dict[str, torch.Tensor],
        *,
        history: Sequence[dict[str, Any]] = (),
        device: str | None = None,
    ) -> ResidualNetRegressor:
        """A fitted estimator rebuilt from its parameters, fitted state and weights.

        The inverse of ``get_params``, :meth:`fitted_state` and the module's
        ``state_dict``; :func:`skirnet.load` calls it with what it read from a folder.

        Parameters
        ----------
        params : dict
            Constructor parameters (as ``get_params`` gives them).
        state : dict
            The fitted attributes, as :meth:`fitted_state` gives them. A missing
            ``seed_stream``, ``feature_names_in_``, target scale or ``output_kept_`` (files
            written before they were recorded) leaves the stream fresh, the names unset,
            the target unscaled and ``output_kept_`` None; a missing ``architecture_``
            falls back to the parameters'.
        module_state : dict of str to Tensor
            The network's weights, ``state_dict`` of a :class:`~skirnet.nn.ResidualMLP`
            of that architecture (any floating dtype; they are copied into float32).
        history : sequence of dict, default=()
            Per-epoch training history.
        device : str, default=None
            Device for the network. None uses the ``device`` parameter, falling back to
            the CPU when it asks for CUDA and none is available.

        Returns
        -------
        estimator : ResidualNetRegressor
            A fitted estimator of this class, ready to ``predict`` and to continue
            training (with a fresh optimiser state: load one into ``net_.optimizer_``).

        Raises
        ------
        ValueError or TypeError
            ``params`` are not this estimator's (see :meth:`check_params`).
        RuntimeError
            ``module_state`` does not fit the architecture.

        Examples
        --------
        >>> import numpy as np
        >>> from skirnet import IRNetRegressor
        >>> X = np.random.RandomState(0).normal(size=(40, 3)); y = X.sum(axis=1)
        >>> model = IRNetRegressor(hidden_layer_sizes="8x2", max_epochs=1, random_state=0)
        >>> model.fit(X, y)  # doctest: +ELLIPSIS
        IRNetRegressor(...)
        >>> copy = IRNetRegressor.from_fitted_state(
        ...     model.get_params(), model.fitted_state(), model.module_.state_dict()
        ... )
        >>> bool(np.array_equal(copy.predict(X), model.predict(X)))
        True
        """
        estimator = cls(**params).check_params()
        if device is None:  # the saved setting; a model trained on CUDA opens on the CPU
            saved = estimator.device
            device = saved if saved == "auto" else resolve_device(saved, cpu_fallback=True)
        estimator.set_params(device=device)
        resolved = resolve_device(device)
        precision = resolve_precision(estimator.precision, resolved, warn=False)
        stacks = state.get("architecture_")
        net = estimator._build_net(
            state["n_features_in_"],
            state["n_outputs_"],
            estimator._net_params(0, None, resolved, precision),
            resolved,
            None if stacks is None else [tuple(s) for s in stacks],
        )
        # copy_ turns float16 storage back into the module's float32
        uncompiled(net.module_).load_state_dict(module_state)
        net.module_.to(net.device)
        net.history = History(list(history))
        estimator.n_features_in_ = state["n_features_in_"]
        estimator._y_1d = state["y_1d"]
        n_outputs = state["n_outputs_"]
        estimator.target_mean_ = np.asarray(state.get("target_mean_", [0.0] * n_outputs))
        estimator.target_scale_ = np.asarray(state.get("target_scale_", [1.0] * n_outputs))
        if "feature_names_in_" in state:
            estimator.feature_names_in_ = np.asarray(state["feature_names_in_"], dtype=object)
        seed_stream = state.get("seed_stream")
        if seed_stream is not None:
            name, keys, pos, has_gauss, cached_gaussian = seed_stream["state"]
            stream = np.random.RandomState()
            keys = np.asarray(keys, dtype=np.uint32)
            stream.set_state((name, keys, pos, has_gauss, cached_gaussian))
            estimator._seed_state = (seed_stream["base"], stream)
        estimator._commit(net, output_kept=state.get("output_kept_"))
        estimator.best_epoch_ = state["best_epoch_"]
        return estimator

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.non_deterministic = False
        return tags

    # ------------------------------------------------------------------ training

    @property
    def architecture(self) -> tuple[tuple[int, int], ...]:
        """Hidden stacks this estimator will build, from ``hidden_layer_sizes`` or ``depth``."""
        spec = self.depth if self.hidden_layer_sizes is None else self.hidden_layer_sizes
        return parse_architecture(spec)

    def _fit(
        self,
        X: Any,
        y: Any,
        *,
        validation_data: tuple[Any, Any] | None = None,
        incremental: bool,
    ) -> ResidualNetRegressor:
        """The one training path of ``fit`` (``incremental=False``) and ``partial_fit``.

        A fresh fit builds its net aside and commits it only when training succeeds; a
        continued one (warm start, ``partial_fit``) is rolled back when it fails, so a
        failure never leaves a half-trained or half-recorded model.
        """
        if incremental and self.lr_schedule is not None:
            raise ValueError(
                f"lr_schedule={self.lr_schedule!r} plans the learning rate over the "
                "max_epochs epochs of one call to fit; partial_fit trains one epoch per "
                "call. Use lr_schedule=None with partial_fit, or fit with warm_start=True."
            )
        continuing = hasattr(self, "net_") and (incremental or self.warm_start)
        device = resolve_device(self.device)
        if continuing:
            self._check_continuable(device)
        precision = resolve_precision(self.precision, device)
        with self._rollback_on_failure(continuing):
            X, y = self._validate_xy(
                X, y, reset=not continuing, n_outputs=self.n_outputs_ if continuing else None
            )
            split_seed, torch_seed = self._seeds(continuing=continuing)
            if incremental:
                X_train, y_train, valid = X, y, None
            elif validation_data is None:
                X_train, y_train, valid = self._split(X, y, split_seed)
            else:
                X_val, y_val = self._validate_xy(
                    *validation_data, reset=False, n_outputs=y.shape[1], what="validation "
                )
                X_train, y_train, valid = X, y, Dataset(X_val, y_val)
            if not continuing:
                self._fit_target_scale(y_train)
            y_train = self._scaled_target(y_train)
            if valid is not None:
                valid = Dataset(valid.X, self._scaled_target(valid.y))
            params = self._net_params(len(X_train), valid, device, precision)
            with seeded_torch(torch_seed, device), SigintWatch() as sigint:
                if continuing:
                    net, kept_output = self.net_, getattr(self, "output_kept_", None)
                    reconfigure_net(net, params)
                else:
                    net, kept_output = self._new_net(X_train, y_train, params, device)
                net.partial_fit(X_train, y_train, epochs=1 if incremental else None)
            # the validation set (and its copy on the device) is not needed after
            # training; keeping it would double a pickled model and hold GPU memory
            net.train_split = None
            interrupted_at = None
            if sigint.interrupted:
                interrupted_at = drop_unfinished_epoch(net.history, valid is not None)
            broken = non_finite_tensors(net.module_)
            if broken:
                raise TrainingDivergedError(
                    f"Training left non-finite values in the network's {broken[0]!r} "
                    f"({len(broken)} tensor(s) in all) after epoch {len(net.history)}. Lower "
                    "the learning rate (lr), check the inputs for extreme values, or scale "
                    "the features."
                )
        self._commit(net, interrupted=interrupted_at is not None, output_kept=kept_output)
        if interrupted_at is not None:
            kept = "its best epoch's weights" if self.best_epoch_ else "the weights it had then"
            message = f"Training was interrupted at epoch {interrupted_at} (KeyboardInterrupt)"
            warn_at_caller(
                f"{message}: the model keeps {kept}, n_iter_={self.n_iter_} completed epochs "
                "and interrupted_=True.",
                UserWarning,
            )
        return self

    @contextlib.contextmanager
    def _rollback_on_failure(self, continuing: bool) -> Iterator[None]:
        """Restore the estimator (and a continued net's weights) when training fails."""
        saved = dict(vars(self))
        seed_state = getattr(self, "_seed_state", None)
        stream = None if seed_state is None else seed_state[1].get_state()
        net = self.net_ if continuing else None
        if net is not None:
            weights = cpu_copy(net.module_.state_dict())
            optimizer = cpu_copy(net.optimizer_.state_dict())
            n_epochs = len(net.history)
        try:
            yield
        except BaseException:
            vars(self).clear()
            vars(self).update(saved)
            if seed_state is not None:
                seed_state[1].set_state(stream)
            if net is not None:
                net.module_.load_state_dict(weights)
                net.optimizer_.load_state_dict(optimizer)
                del net.history[n_epochs:]
                net.train_split = None
            raise

    def _validate_xy(
        self, X: Any, y: Any, *, reset: bool, n_outputs: int | None = None, what: str = ""
    ) -> tuple[np.ndarray, np.ndarray]:
        """Validated float32 ``X`` and 2-D ``y`` (``what="validation "`` for validation_data)."""
        # training needs two rows (batch norm); a validation set may have one
        min_rows = 1 if what else 2
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            multi_output=True,
            y_numeric=True,
            dtype=FLOAT_DTYPES,
            ensure_min_samples=min_rows,
        )
        X, y = as_float32(X, f"{what}X"), as_float32(np.asarray(y), f"{what}y")
        if reset:
            self._y_1d = y.ndim == 1
        # later calls may pass a single target as 1-D or (n, 1) alike; predictions keep
        # the shape of the first fit
        y = y.reshape(len(y), -1)
        if n_outputs is not None and y.shape[1] != n_outputs:
            raise ValueError(
                f"{what}y has {y.shape[1]} targets but the model is trained on {n_outputs}."
            )
        return X, y

    def _fit_target_scale(self, y: np.ndarray) -> None:
        """Record ``target_mean_`` and ``target_scale_`` of the training targets ``y``.

        With ``standardize_target=False`` they are 0 and 1, so the network sees ``y`` as
        given. A target that does not vary (or a single row) keeps a scale of 1.
        """
        y = np.asarray(y, dtype=np.float64)
        if not self.standardize_target:
            self.target_mean_ = np.zeros(y.shape[1])
            self.target_scale_ = np.ones(y.shape[1])
            return
        mean = y.mean(axis=0)
        scale = y.std(axis=0)
        usable = np.isfinite(scale) & (scale > 0)
        self.target_mean_ = mean
        self.target_scale_ = np.where(usable, scale, 1.0)

    def _scaled_target(self, y: np.ndarray) -> np.ndarray:
        """``y`` in the units the network trains on: standardised when so configured."""
        scaled = (np.asarray(y, dtype=np.float64) - self.target_mean_) / self.target_scale_
        return scaled.astype(np.float32)

    def _seeds(self, continuing: bool) -> tuple[int, int]:
        """Seeds of the validation split and of torch for this call.

        A fresh fit draws one seed from ``random_state`` and uses it for both. Calls that
        continue training (warm start, ``partial_fit``) keep the validation split of the
        first and draw new torch seeds from a stream, so each epoch shuffles anew.
        """
        state = getattr(self, "_seed_state", None)
        if not continuing or state is None:
            base = int(check_random_state(self.random_state).randint(_MAX_SEED))
            self._seed_state = (base, np.random.RandomState(base))
            return base, base
        base, stream = state
        return base, int(stream.randint(_MAX_SEED))

    def _split(
        self, X: np.ndarray, y: np.ndarray, seed: int
    ) -> tuple[np.ndarray, np.ndarray, Dataset | None]:
        n_valid = int(np.ceil(self.validation_fraction * len(X)))
        if n_valid == 0 or len(X) - n_valid < 2:
            return X, y, None
        order = np.random.RandomState(seed).permutation(len(X))
        valid, train = order[:n_valid], order[n_valid:]
        return X[train], y[train], Dataset(X[valid], y[valid])

    def _drop_last(self, n_train: int) -> bool:  # a last batch of 1 breaks batch norm
        return n_train % self.batch_size == 1

    def _check_continuable(self, device: str) -> None:
        """Raise if the current parameters cannot continue training the fitted net."""
        fitted = self.architecture_
        # a fine-tuned net has its source's architecture, whatever depth says
        if self.pretrained is None and self.architecture != fitted:
            raise ValueError(
                f"Cannot continue training: the fitted network has hidden stacks {fitted}, "
                f"but depth/hidden_layer_sizes now give {self.architecture}. Set "
                "warm_start=False (fit) or start from a new estimator (partial_fit) to train "
                "a new network."
            )
        if not isinstance(self.net_.optimizer_, _OPTIMIZERS[self.optimizer]):
            raise ValueError(
                f"Cannot continue training with optimizer={self.optimizer!r}: the fitted "
                f"network was trained with {type(self.net_.optimizer_).__name__}."
            )
        if device != self.device_:
            raise ValueError(
                f"Cannot continue training on {device!r}: the fitted network lives on "
                f"{self.device_!r}."
            )

    def _net_params(
        self, n_train: int, valid: Dataset | None, device: str, precision: str
    ) -> dict[str, Any]:
        """The skorch arguments that follow this estimator's parameters.

        One dict serves both a new net (:meth:`_build_net`) and a net that continues
        training (``skirnet._training.reconfigure_net``), so they cannot drift apart.
        """
        iterator = (
            functools.partial(DeviceBatches, device=device) if self.fast_path else DataLoader
        )
        return {
            "criterion": regression_loss(self.loss, self.huber_delta),
            "lr": float(self.lr),
            "optimizer__weight_decay": float(self.weight_decay),
            "batch_size": self.batch_size,
            "max_epochs": self.max_epochs,
            "verbose": self.verbose,
            "precision": precision,
            "train_split": None if valid is None else predefined_split(valid),
            "callbacks": self._callbacks(valid is not None, n_train),
            "iterator_train": iterator,
            "iterator_valid": iterator,
            "iterator_train__shuffle": True,
            "iterator_train__drop_last": self._drop_last(n_train),
        }

    def _callbacks(self, validation: bool, n_train: int) -> list:
        drop = self._drop_last(n_train)
        steps = n_train // self.batch_size + (0 if drop else int(n_train % self.batch_size > 0))
        own = ("patience", "lr_schedule", "lr", "max_epochs", "progress_bar", "ema_decay")
        callbacks = training_callbacks(
            validation=validation, steps_per_epoch=steps, **{k: getattr(self, k) for k in own}
        )
        return callbacks + list(self.callbacks or [])

    def _build_net(
        self,
        n_features: int,
        n_outputs: int,
        params: dict[str, Any],
        device: str,
        stacks: Sequence[tuple[int, int]] | None = None,
    ) -> FastNeuralNetRegressor:
        """Create and initialise the skorch net (fresh weights, nothing trained).

        ``stacks`` overrides the architecture of the parameters (a pretrained network's).
        """
        net = FastNeuralNetRegressor(
            ResidualMLP,
            module__n_features=n_features,
            module__stacks=self.architecture if stacks is None else tuple(map(tuple, stacks)),
            module__n_outputs=n_outputs,
            module__shortcut=self._shortcut,
            optimizer=_OPTIMIZERS[self.optimizer],
            compile=self.compile,
            device=device,
            **params,
        )
        return net.initialize()

    def _new_net(
        self, X_train: np.ndarray, y_train: np.ndarray, params: dict[str, Any], device: str
    ) -> tuple[FastNeuralNetRegressor, bool | None]:
        """Build a net for this data: fresh, or from the ``pretrained`` network's weights.

        A new output layer's bias starts at the median target, the best constant under the
        L1 loss: training does not spend epochs walking it to the data's offset. Returns
        the net and whether it kept the pretrained network's output layer (None without
        one).
        """
        source = source_for(self, X_train.shape[1])
        stacks = None if source is None else source.architecture_
        net = self._build_net(X_train.shape[1], y_train.shape[1], params, device, stacks)
        kept_head = None
        if source is not None:
            # "auto", or a boolean of any kind (numpy's from a parameter grid too)
            reset = "auto" if isinstance(self.reset_output, str) else bool(self.reset_output)
            fresh_head = {k: v.clone() for k, v in net.module_.output.state_dict().items()}
            initialise_from(net.module_, source.module_, reset is True)
            kept_head = reset is not True and source.n_outputs_ == y_train.shape[1]
            if kept_head:
                # the source's output layer predicts in the source's target units: restate
                # it in this fit's, so that the fine-tuned net starts from the source's
                # predictions whatever either target's scale
                rescale_output(
                    net.module_.output,
                    source.target_scale_ / self.target_scale_,
                    (source.target_mean_ - self.target_mean_) / self.target_scale_,
                )
                if reset == "auto" and not beats_the_median(net.module_, X_train, y_train):
                    # another property: its predictions, restated, would be a worse start
                    # than a constant (for a target in 1/K, off by orders of magnitude)
                    net.module_.output.load_state_dict(fresh_head)
                    kept_head = False
            freeze_first_layers(net.module_, self.freeze_layers)
        if not kept_head:
            bias = net.module_.output.bias
            with torch.no_grad():
                bias.copy_(torch.as_tensor(np.median(y_train, axis=0), device=bias.device))
        return net, kept_head

    def _commit(
        self,
        net: FastNeuralNetRegressor,
        interrupted: bool = False,
        output_kept: bool | None = None,
    ) -> None:
        """Make a trained (or loaded) net this estimator's model and record its attributes."""
        self.net_ = net
        self.output_kept_ = output_kept
        self.module_ = net.module_
        self.history_ = net.history
        self.n_iter_ = len(self.history_)
        self.n_outputs_ = net.module_.output.out_features
        self.device_ = str(net.device)
        self.architecture_ = net.module_.stacks
        early = dict(net.callbacks_).get("early_stopping")
        self.best_epoch_ = getattr(early, "best_epoch_", None)
        self.interrupted_ = interrupted


class IRNetRegressor(ResidualNetRegressor):
    _shortcut = NETWORK_KINDS["IRNetRegressor"].shortcut
    label = NETWORK_KINDS["IRNetRegressor"].label
    __doc__ = estimator_doc(
        "Individual residual network (IRNet): a skip connection around every layer.",
        "A depth-``d`` IRNet has ``d - 1`` skips; where a layer changes width, its skip is a "
        "linear projection.",
        "IRNetRegressor",
    )


class SRNetRegressor(ResidualNetRegressor):
    _shortcut = NETWORK_KINDS["SRNetRegressor"].shortcut
    label = NETWORK_KINDS["SRNetRegressor"].label
    __doc__ = estimator_doc(
        "Stacked residual network (SRNet): a skip connection around each stack of layers.",
        "A stack is a run of equally wide layers (a group of ``hidden_layer_sizes``); the "
        "48-layer SRNet has 12 skips.",
        "SRNetRegressor",
    )


class PlainNetRegressor(ResidualNetRegressor):
    _shortcut = NETWORK_KINDS["PlainNetRegressor"].shortcut
    label = NETWORK_KINDS["PlainNetRegressor"].label
    __doc__ = estimator_doc(
        "Plain deep network: the same layers as IRNet, with no skip connection.",
        "It is the paper's control: without skips, deeper plain networks train worse.",
        "PlainNetRegressor",
    )


#: The networks by short name (the command line's ``--models irnet,srnet,plain``), one per
#: entry of the registry of network kinds, each the class of this module it names.
NETWORKS: dict[str, type[ResidualNetRegressor]] = {
    kind.name: globals()[class_name] for class_name, kind in NETWORK_KINDS.items()
}
_ALIASES = {"plainnet": "plain"}


def network_name(name: str) -> str:
    """The short name of a network, from its short name, alias or label (any case).

    Parameters
    ----------
    name : str
        ``"irnet"``, ``"IRNet"``, ``"PlainNet"``, ``"plainnet"``, ...

    Returns
    -------
    str
        A key of :data:`NETWORKS`.

    Raises
    ------
    KeyError
        When ``name`` names no network.

    Examples
    --------
    >>> from skirnet.estimators import network_name
    >>> network_name("PlainNet"), network_name("irnet")
    ('plain', 'irnet')
    """
    key = name.lower()
    key = _ALIASES.get(key, key)
    if key not in NETWORKS:
        raise KeyError(name)
    return key
