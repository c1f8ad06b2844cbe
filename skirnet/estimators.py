"""IRNet, SRNet and plain-network regressors as scikit-learn estimators, trained by skorch.

The three estimators share :class:`ResidualNetRegressor`; they differ only in where the
skip connections go (see :mod:`skirnet.nn`). Each ``fit`` builds a fresh skorch net,
kept as ``net_``, so the estimator itself is a plain scikit-learn estimator: ``clone``,
``get_params``/``set_params``, pipelines and grid searches work as they do for
:class:`~sklearn.neural_network.MLPRegressor`.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping, LRScheduler, ProgressBar
from skorch.dataset import Dataset
from skorch.helper import predefined_split

from skirnet._warnings import warn_at_caller
from skirnet.nn import ResidualMLP, parse_architecture
from skirnet.training import (
    DivergenceGuard,
    FastNeuralNetRegressor,
    bf16_autocast_applies,
    resolve_device,
)

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

_PARAMETERS_DOC = """
    Parameters
    ----------
    depth : {10, 17, 24, 48}, default=17
        Total number of layers (hidden layers + output layer) of one of the paper's
        architectures, see :data:`skirnet.nn.ARCHITECTURES`. Ignored when
        ``hidden_layer_sizes`` is given.
    hidden_layer_sizes : str or tuple of int, default=None
        A custom architecture: ``"1024x4-512x3-256x3"`` (groups are the stacks SRNet puts
        its skips around) or one width per hidden layer (runs of equal widths form the
        stacks). Overrides ``depth``.
    lr : float, default=1e-4
        Learning rate (the paper's value).
    batch_size : int, default=32
        Mini-batch size (the paper's value), at least 2: batch normalisation cannot train
        on a single sample, which is also why a final training batch of one sample is
        dropped.
    max_epochs : int, default=300
        Upper bound on the passes over the training data. The paper trains for up to
        thousands of epochs; with early stopping (below) training ends when the validation
        loss has stalled, which on the paper's datasets happens well before 300 epochs at
        ``lr=1e-4``, while 300 keeps a run without validation within reach of a CPU.
    validation_fraction : float, default=0.1
        Fraction of the training data held out (at random, seeded by ``random_state``) to
        monitor the validation MAE for early stopping — the paper's 9:1 split. ``0``
        disables validation and early stopping. When holding out ``ceil(fraction * n)``
        samples would leave fewer than 2 to train on (tiny data), training uses all of
        them without validation or early stopping.
    patience : int, default=20
        Stop when the validation loss has not improved for this many epochs, then restore
        the weights of the best epoch. Twenty epochs rides out the noise of batch-32 Adam
        without paying for long plateaus.
    optimizer : {"adam", "adamw", "sgd"}, default="adam"
        The optimiser (Adam in the paper).
    weight_decay : float, default=0.0
        Weight decay of the optimiser.
    lr_schedule : {None, "cosine", "onecycle"}, default=None
        Learning-rate schedule. ``None`` keeps ``lr`` fixed (the paper); ``"cosine"``
        anneals it per epoch over ``max_epochs``; ``"onecycle"`` warms up to ``lr`` and
        anneals per batch — with ``optimizer="adamw"``, ``batch_size=1024`` and
        ``lr=2e-3`` the recommended recipe for large datasets. Each call to ``fit`` (warm
        start included) runs the whole schedule; ``partial_fit`` needs ``None``.
    precision : {"fp32", "bf16"}, default="fp32"
        ``"bf16"`` runs forward passes under bfloat16 autocast (weights, optimiser state,
        loss and the output layer stay float32) on GPUs and CPUs that compute bfloat16 in
        hardware (NVIDIA Ampere or later; AVX512-BF16 or AMX). Elsewhere, where PyTorch
        would only emulate it, ``fit`` warns and everything runs in float32. Results differ
        from ``"fp32"`` by rounding.
    fast_path : bool, default=True
        Serve mini-batches as slices of arrays moved to the device once per fit, instead of
        skorch's ``DataLoader``. Both give the same batches in the same order.
    compile : bool, default=False
        Compile the network with :func:`torch.compile` (skorch's ``compile=True``).
    callbacks : list of skorch callbacks, default=None
        Extra skorch callbacks, added after the built-in ones.
    warm_start : bool, default=False
        Keep the trained weights (and the optimiser's state) between calls to ``fit`` and
        continue from them, with the current ``lr``, ``batch_size``, ``max_epochs``,
        ``patience``, ``weight_decay``, ``lr_schedule``, ``precision``, ``fast_path`` and
        ``verbose``. The architecture, optimiser and device cannot change.
    device : str, default="auto"
        ``"auto"`` trains on CUDA when it is available and on the CPU otherwise; any torch
        device string (``"cpu"``, ``"cuda"``, ``"cuda:1"``) is used as given.
    random_state : int, RandomState instance or None, default=None
        Seeds the validation split, the weight initialisation and the batch order. An int
        gives identical predictions run after run on the CPU. Training never changes the
        global torch random state.
    verbose : int, default=0
        ``1`` prints skorch's table of per-epoch losses.
    progress_bar : bool, default=False
        Show a tqdm progress bar over the batches of each epoch.

    Attributes
    ----------
    net_ : skorch.NeuralNetRegressor
        The fitted skorch net (its ``history``, callbacks and module are all reachable).
    module_ : skirnet.nn.ResidualMLP
        The trained PyTorch module.
    history_ : skorch.History
        Per-epoch records: ``epoch``, ``train_loss``, ``valid_loss`` (with validation),
        ``dur`` and per-batch details.
    n_iter_ : int
        Number of epochs trained (over all ``fit`` calls when warm-starting).
    best_epoch_ : int or None
        Epoch whose weights were restored by early stopping (None without validation).
    device_ : str
        Device the network was trained on.
    architecture_ : tuple of (width, n_layers)
        Hidden stacks of the network.
    n_outputs_ : int
        Number of targets.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of str
        Names of the features seen during ``fit``; only when ``X`` had string column names.
"""


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
        "precision": [StrOptions({"fp32", "bf16"})],
        "fast_path": ["boolean"],
        "compile": ["boolean"],
        "callbacks": [None, list],
        "warm_start": ["boolean"],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "progress_bar": ["boolean"],
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
        precision: str = "fp32",
        fast_path: bool = True,
        compile: bool = False,
        callbacks: list | None = None,
        warm_start: bool = False,
        device: str = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        progress_bar: bool = False,
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
        self.precision = precision
        self.fast_path = fast_path
        self.compile = compile
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.progress_bar = progress_bar

    # ------------------------------------------------------------------ public API

    def fit(
        self, X: Any, y: Any, *, validation_data: tuple[Any, Any] | None = None
    ) -> ResidualNetRegressor:
        """Train the network on ``X`` and ``y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training features (float or int; NaN and inf are rejected).
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
        self._validate_params()
        warm = self.warm_start and hasattr(self, "net_")
        if warm:
            self._check_continuable()
        self._check_precision()
        X, y = self._validate_xy(X, y, reset=not warm)
        split_seed, torch_seed = self._seeds(continuing=warm)
        if validation_data is None:
            X_train, y_train, valid = self._split(X, y, split_seed)
        else:
            X_train, y_train, valid = X, y, self._validation_dataset(validation_data, y)
        with self._torch_rng(torch_seed):
            if warm:
                self._reconfigure(len(X_train), valid)
            else:
                self.net_ = self._new_net(X_train, y_train, valid)
            self.net_.partial_fit(X_train, y_train)
        self._record_fit()
        return self

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
        first = not hasattr(self, "net_")
        if first:
            self._validate_params()
        if self.lr_schedule is not None:
            raise ValueError(
                f"lr_schedule={self.lr_schedule!r} plans the learning rate over the "
                "max_epochs epochs of one call to fit; partial_fit trains one epoch per "
                "call. Use lr_schedule=None with partial_fit, or fit with warm_start=True."
            )
        if not first:
            self._check_continuable()
        self._check_precision()
        X, y = self._validate_xy(X, y, reset=first)
        _, torch_seed = self._seeds(continuing=not first)
        with self._torch_rng(torch_seed):
            if first:
                self.net_ = self._new_net(X, y, valid=None)
            else:
                self._reconfigure(len(X), None)
            self.net_.partial_fit(X, y, epochs=1)
        self._record_fit()
        return self

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
        X = validate_data(self, X, reset=False, dtype=np.float32)
        with torch.random.fork_rng(devices=[]):
            y_pred = self.net_.predict(X).astype(np.float64)
        return y_pred.ravel() if self._y_1d else y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.non_deterministic = False
        return tags

    # ------------------------------------------------------------------ helpers

    @property
    def architecture(self) -> tuple[tuple[int, int], ...]:
        """Hidden stacks this estimator will build, from ``hidden_layer_sizes`` or ``depth``."""
        spec = self.depth if self.hidden_layer_sizes is None else self.hidden_layer_sizes
        return parse_architecture(spec)

    def _validate_xy(self, X: Any, y: Any, reset: bool) -> tuple[np.ndarray, np.ndarray]:
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            multi_output=True,
            y_numeric=True,
            ensure_min_samples=2,
            dtype=np.float32,
        )
        y = np.asarray(y, dtype=np.float32)
        if reset:
            self._y_1d = y.ndim == 1
        # later calls may pass a single target as 1-D or (n, 1) alike; predictions keep
        # the shape of the first fit
        y = y.reshape(len(y), -1)
        if not reset and y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y.shape[1]} targets but the model was fitted on {self.n_outputs_}."
            )
        return X, y

    def _validation_dataset(
        self, validation_data: tuple[Any, Any], y_train: np.ndarray
    ) -> Dataset:
        X_val, y_val = validation_data
        X_val, y_val = validate_data(
            self, X_val, y_val, reset=False, multi_output=True, y_numeric=True, dtype=np.float32
        )
        y_val = np.asarray(y_val, dtype=np.float32).reshape(len(y_val), -1)
        if y_val.shape[1] != y_train.shape[1]:
            raise ValueError(
                f"validation_data has {y_val.shape[1]} targets but y has {y_train.shape[1]}."
            )
        return Dataset(X_val, y_val)

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
        n = len(X)
        n_valid = int(np.ceil(self.validation_fraction * n)) if self.validation_fraction else 0
        if n_valid == 0 or n - n_valid < 2:
            return X, y, None
        order = np.random.RandomState(seed).permutation(n)
        train, valid = order[n_valid:], order[:n_valid]
        return X[train], y[train], Dataset(X[valid], y[valid])

    def _resolve_device(self) -> str:
        return resolve_device(self.device)

    @contextlib.contextmanager
    def _torch_rng(self, seed: int) -> Iterator[None]:
        """Seed torch for this fit without touching the caller's global random state."""
        device = self._resolve_device()
        cuda = [torch.device(device).index or 0] if device.startswith("cuda") else []
        with torch.random.fork_rng(devices=cuda):
            torch.manual_seed(seed)
            yield

    def _drop_last(self, n_train: int) -> bool:
        return n_train % self.batch_size == 1

    def _early_stopping(self, validation: bool) -> EarlyStopping | None:
        if not validation:
            return None
        return EarlyStopping(monitor="valid_loss", patience=self.patience, load_best=True)

    def _check_precision(self) -> None:
        """Warn when bfloat16 is requested on a CPU that would only emulate it."""
        device = self._resolve_device()
        if self.precision != "bf16" or bf16_autocast_applies(device):
            return
        device_type = torch.device(device).type
        if device_type == "cpu":
            reason = (
                "this CPU has no bfloat16 instructions (AVX512-BF16 or AMX), and PyTorch's "
                "emulation is many times slower than float32"
            )
        elif device_type == "cuda":
            reason = "this GPU has no bfloat16 hardware (it needs NVIDIA Ampere or later)"
        else:
            reason = "PyTorch has no autocast for this device type"
        warn_at_caller(
            f"precision='bf16' is ignored on {device!r}: {reason}. Training and prediction "
            "run in float32.",
            UserWarning,
        )

    def _check_continuable(self) -> None:
        """Raise if the current parameters cannot continue training the fitted net."""
        fitted = self.architecture_
        if self.architecture != fitted:
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
        if self._resolve_device() != self.device_:
            raise ValueError(
                f"Cannot continue training on {self._resolve_device()!r}: the fitted network "
                f"lives on {self.device_!r}."
            )

    def _reconfigure(self, n_train: int, valid: Dataset | None) -> None:
        """Point an existing net at new data and the current parameters (warm start, partial_fit)."""
        net = self.net_
        net.set_params(lr=float(self.lr), optimizer__weight_decay=float(self.weight_decay))
        for group in net.optimizer_.param_groups:
            group.pop("initial_lr", None)  # a new schedule starts from the current lr
        net.batch_size = self.batch_size
        net.max_epochs = self.max_epochs
        net.verbose = self.verbose
        net.precision = self.precision
        net.device_batches = self.fast_path
        net.train_split = None if valid is None else predefined_split(valid)
        net.iterator_train__drop_last = self._drop_last(n_train)
        net.callbacks = self._callbacks(valid is not None, n_train)
        net.initialize_callbacks()

    def _callbacks(self, validation: bool, n_train: int) -> list:
        callbacks: list = [
            ("divergence_guard", DivergenceGuard()),
            ("early_stopping", self._early_stopping(validation)),
        ]
        if self.lr_schedule == "cosine":
            callbacks.append(
                (
                    "lr_schedule",
                    LRScheduler(
                        policy=torch.optim.lr_scheduler.CosineAnnealingLR,
                        T_max=self.max_epochs,
                        last_epoch=-1,
                    ),
                )
            )
        elif self.lr_schedule == "onecycle":
            steps = n_train // self.batch_size + (
                0 if self._drop_last(n_train) else int(n_train % self.batch_size > 0)
            )
            callbacks.append(
                (
                    "lr_schedule",
                    LRScheduler(
                        policy=torch.optim.lr_scheduler.OneCycleLR,
                        max_lr=float(self.lr),
                        total_steps=self.max_epochs * max(steps, 1),
                        step_every="batch",
                        last_epoch=-1,
                    ),
                )
            )
        if self.progress_bar:
            callbacks.append(("progress_bar", ProgressBar()))
        return callbacks + list(self.callbacks or [])

    def _build_net(
        self, n_features: int, n_outputs: int, n_train: int, valid: Dataset | None
    ) -> FastNeuralNetRegressor:
        """Create and initialise the skorch net (fresh weights, nothing trained)."""
        net = FastNeuralNetRegressor(
            ResidualMLP,
            module__n_features=n_features,
            module__stacks=self.architecture,
            module__n_outputs=n_outputs,
            module__shortcut=self._shortcut,
            criterion=torch.nn.L1Loss,
            optimizer=_OPTIMIZERS[self.optimizer],
            optimizer__weight_decay=float(self.weight_decay),
            lr=float(self.lr),
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            train_split=None if valid is None else predefined_split(valid),
            callbacks=self._callbacks(valid is not None, n_train),
            iterator_train__shuffle=True,
            iterator_train__drop_last=self._drop_last(n_train),
            device_batches=self.fast_path,
            precision=self.precision,
            compile=self.compile,
            device=self._resolve_device(),
            verbose=self.verbose,
        )
        return net.initialize()

    def _new_net(self, X_train: np.ndarray, y_train: np.ndarray, valid: Dataset | None):
        """Build a net for this data, its output bias at the median target.

        The median is the best constant under the L1 loss, so training does not spend its
        first epochs walking the bias to the data's offset (eV/atom, Å³/atom or GPa alike).
        """
        net = self._build_net(X_train.shape[1], y_train.shape[1], len(X_train), valid)
        bias = net.module_.output.bias
        with torch.no_grad():
            bias.copy_(torch.as_tensor(np.median(y_train, axis=0), device=bias.device))
        return net

    def _record_fit(self) -> None:
        self.module_ = self.net_.module_
        self.history_ = self.net_.history
        self.n_iter_ = len(self.history_)
        self.n_outputs_ = self.net_.module_.output.out_features
        self.device_ = str(self.net_.device)
        self.architecture_ = self.net_.module_.stacks
        early = dict(self.net_.callbacks_).get("early_stopping")
        self.best_epoch_ = getattr(early, "best_epoch_", None)
        # the validation set (and its copy on the device) is not needed after training;
        # keeping it would double the size of a pickled model and hold GPU memory
        self.net_.train_split = None


def _estimator_doc(summary: str, skips: str, example_cls: str) -> str:
    return f"""{summary}

    {skips}

    Every hidden layer is ``Linear → BatchNorm1d → ReLU``, the output a bare ``Linear``
    (no activation); training minimises the mean absolute error with Adam, as in Jha et
    al., "Enabling deeper learning on big data for materials informatics applications",
    Sci. Rep. 11:4244 (2021).
{_PARAMETERS_DOC}
    See Also
    --------
    IRNetRegressor, SRNetRegressor, PlainNetRegressor

    Examples
    --------
    >>> import numpy as np
    >>> from skirnet import {example_cls}
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 8))
    >>> y = X[:, 0] - 2 * X[:, 1]
    >>> model = {example_cls}(hidden_layer_sizes="32x2-16", lr=1e-2, max_epochs=20,
    ...                      random_state=0).fit(X, y)
    >>> model.predict(X[:3]).shape
    (3,)
    """


class IRNetRegressor(ResidualNetRegressor):
    _shortcut = "individual"
    label = "IRNet"
    __doc__ = _estimator_doc(
        "Individual residual network (IRNet): a skip connection around every layer.",
        "A depth-``d`` IRNet has ``d - 1`` skips; where a layer changes width, its skip is a "
        "linear projection.",
        "IRNetRegressor",
    )


class SRNetRegressor(ResidualNetRegressor):
    _shortcut = "stacked"
    label = "SRNet"
    __doc__ = _estimator_doc(
        "Stacked residual network (SRNet): a skip connection around each stack of layers.",
        "A stack is a run of equally wide layers (a group of ``hidden_layer_sizes``); the "
        "48-layer SRNet has 12 skips.",
        "SRNetRegressor",
    )


class PlainNetRegressor(ResidualNetRegressor):
    _shortcut = "none"
    label = "PlainNet"
    __doc__ = _estimator_doc(
        "Plain deep network: the same layers as IRNet, with no skip connection.",
        "It is the paper's control: without skips, deeper plain networks train worse.",
        "PlainNetRegressor",
    )


#: The networks by short name (the command line's ``--models irnet,srnet,plain``).
NETWORKS: dict[str, type[ResidualNetRegressor]] = {
    "irnet": IRNetRegressor,
    "srnet": SRNetRegressor,
    "plain": PlainNetRegressor,
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
