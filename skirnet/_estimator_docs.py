"""The parameter and attribute documentation the three network regressors share."""

from __future__ import annotations

__all__ = ["PARAMETERS_DOC", "estimator_doc"]

PARAMETERS_DOC = """
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
    ema_decay : float in (0, 1), default=None
        Keep an exponential moving average of the weights, updated after every batch
        with this decay (:class:`~skirnet.callbacks.WeightEMA`): validation, early
        stopping and the fitted model use the averaged weights. ``None`` uses the weights
        as trained (the paper).
    loss : {"absolute_error", "huber"}, default="absolute_error"
        The training loss: the mean absolute error (L1, the paper's and the metric
        reported everywhere), or the Huber loss, quadratic for errors below
        ``huber_delta`` and linear above. Early stopping monitors the same loss.
    huber_delta : float, default=0.1
        Where the Huber loss turns from quadratic to linear, in the units the network
        trains on: standard deviations of the target with ``standardize_target=True``,
        the target's own units otherwise. Ignored for ``loss="absolute_error"``.
    precision : {"fp32", "bf16", "auto"}, default="fp32"
        ``"bf16"`` runs forward passes under bfloat16 autocast (weights, optimiser state,
        loss and the output layer stay float32) on GPUs and CPUs that compute bfloat16 in
        hardware (NVIDIA Ampere or later; AVX512-BF16 or AMX). Elsewhere, where PyTorch
        would only emulate it, ``fit`` warns and everything runs in float32. ``"auto"``
        takes bfloat16 where it runs in hardware and float32 elsewhere, silently. Results
        differ from ``"fp32"`` by rounding (on full OQMD: 0.0736 against 0.0737 eV/atom,
        in half the time per epoch).
    fast_path : bool, default=True
        Serve mini-batches as slices of arrays moved to the device once per fit
        (``skirnet._training.DeviceBatches`` as skorch's batch iterator), instead of
        skorch's ``DataLoader``. Both give the same batches in the same order.
    compile : bool, default=False
        Compile the network with :func:`torch.compile` (skorch's ``compile=True``).
    callbacks : list of skorch callbacks, default=None
        Extra skorch callbacks, added after the built-in ones.
    warm_start : bool, default=False
        Keep the trained network between calls to ``fit`` and continue from it: its
        weights, the optimiser's state (Adam's moments and step counts), the history
        (``n_iter_`` counts on), the first fit's validation split and the stream that
        shuffles the batches, with the current ``lr``, ``batch_size``, ``max_epochs``,
        ``patience``, ``weight_decay``, ``lr_schedule``, ``ema_decay``, ``loss``,
        ``huber_delta``, ``precision``, ``fast_path`` and ``verbose``. Each call is a
        training run of its own: early stopping counts afresh and restores the best epoch
        *of that call*, the learning-rate schedule runs again from its start and the
        weight average (``ema_decay``) restarts from the current weights, so two
        warm-started fits of 50 epochs are not one fit of 100. The architecture, optimiser and device cannot change. ``partial_fit``
        continues the same state one epoch per call, on all the data it is given (no
        validation, early stopping or schedule) and with a new shuffling seed per call, so
        ``k`` calls are not ``fit(max_epochs=k)`` either.
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
    pretrained : str or path-like, default=None
        Fine-tune a trained network instead of starting from random weights: a name from
        :func:`skirnet.pretrained.list_models` or a folder written by :func:`skirnet.save`
        (or ``skirnet train``). Its architecture replaces ``depth`` and
        ``hidden_layer_sizes``; it must be of this estimator's class, and ``X`` must be
        the features it was trained on (a clear ``ValueError`` otherwise; see
        :func:`skirnet.transfer.make_fine_tuning_pipeline`). Used by a fresh ``fit`` only.
    freeze_layers : int, default=0
        With ``pretrained``: keep the first this many hidden layers as they were
        trained (their batch-norm statistics still follow the new data).
    reset_output : bool or "auto", default="auto"
        With ``pretrained``: whether the output layer starts afresh (its bias at the
        median target) or is kept, restated in the new target's units so that the net
        starts from the source's predictions. ``"auto"`` keeps it when those predictions
        fit the training rows better (mean absolute error) than the median target does
        — the same property measured elsewhere — and starts afresh otherwise (another
        property), judged on the rows of the first fit (or ``partial_fit`` call) and, for
        several targets, on their standardised errors together; ``output_kept_``
        records the choice. ``True`` always starts afresh,
        ``False`` always keeps it. The output layer is always new when the number of
        targets differs.
    standardize_target : bool, default=True
        Train on the targets standardised with the training rows' mean and standard
        deviation (``target_mean_``, ``target_scale_``); ``predict`` undoes it. A target
        in 1/K (1e-5) or in K (1e3) then trains as well as one in eV/atom, with no
        rescaling by hand: the network, its optimiser and its losses see the same numbers
        either way. The losses in ``history_`` are in the standardised units (multiply by
        ``target_scale_`` for the target's). A fine-tuned network that keeps its
        source's output layer has that layer restated in the new standardised units, so
        it starts from the source's predictions. ``False`` trains on ``y`` as given (as
        models saved before this parameter existed do).

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
        Number of epochs trained (over all ``fit`` calls when warm-starting); an epoch cut
        short by an interruption is not counted.
    best_epoch_ : int or None
        Epoch whose weights were restored by early stopping (None without validation).
    device_ : str
        Device the network was trained on.
    interrupted_ : bool
        True when the last ``fit`` or ``partial_fit`` was cut short by a Ctrl-C (SIGINT,
        caught in the main thread): the call then returns normally with a warning naming
        the epoch, keeps the best epoch's weights (with validation; otherwise the weights
        as they were) and drops the unfinished epoch from ``history_`` and ``n_iter_``.
        False after a fit that ran its course or was ended by early stopping or a
        callback.
    target_mean_ : ndarray of shape (n_outputs,)
        Mean of each training target (0 with ``standardize_target=False``).
    target_scale_ : ndarray of shape (n_outputs,)
        Standard deviation of each training target (1 with ``standardize_target=False``,
        or where a target does not vary).
    output_kept_ : bool or None
        With ``pretrained``: True when the fit kept the pretrained network's output
        layer, False when it started a new one (see ``reset_output``); None otherwise,
        and for a fine-tuned model saved before it was recorded.
    architecture_ : tuple of (width, n_layers)
        Hidden stacks of the network.
    n_outputs_ : int
        Number of targets.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of str
        Names of the features seen during ``fit``; only when ``X`` had string column names.
"""


def estimator_doc(summary: str, skips: str, example_cls: str) -> str:
    """The docstring of one of the three networks."""
    return f"""{summary}

    {skips}

    Every hidden layer is ``Linear → BatchNorm1d → ReLU``, the output a bare ``Linear``
    (no activation); training minimises the mean absolute error with Adam, as in Jha et
    al., "Enabling deeper learning on big data for materials informatics applications",
    Sci. Rep. 11:4244 (2021).
{PARAMETERS_DOC}
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
