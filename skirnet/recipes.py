"""Named training recipes: sets of estimator parameters, measured on OQMD.

A recipe is a plain dict of constructor parameters, so a model built from one shows every
value in ``get_params`` and can be tuned like any other estimator::

    IRNetRegressor(**recipe_params("large-batch"))
    IRNetRegressor.from_recipe("large-batch", depth=48)

``"paper"`` is Jha et al.'s recipe exactly (Adam, batch 32, lr 1e-4, patience 20).
``"large-batch"`` is the recipe for big tables (tens of thousands of rows and more):
AdamW with a one-cycle schedule at batch 1024, bfloat16 where the hardware computes it and
a moving average of the weights, which reaches a lower validation MAE per CPU-hour on the
full OQMD training set (the numbers, and the trials behind each choice, are in the
benchmarks page).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "RECIPES",
    "SMALL_TABLE_SOURCE",
    "formula_features_for_rows",
    "pretrained_for_rows",
    "recipe_for_rows",
    "recipe_params",
]

RECIPES: dict[str, dict[str, Any]] = {
    "paper": {
        "optimizer": "adam",
        "lr": 1e-4,
        "batch_size": 32,
        "lr_schedule": None,
        "weight_decay": 0.0,
        "max_epochs": 300,
        "patience": 20,
    },
    "large-batch": {
        "optimizer": "adamw",
        "lr": 2e-3,
        "batch_size": 1024,
        "lr_schedule": "onecycle",
        "weight_decay": 0.0,
        "max_epochs": 40,
        # the one-cycle schedule anneals to zero: let it finish, keep the best epoch
        "patience": 40,
        # bfloat16 where the hardware has it: the same accuracy in half the time per epoch
        "precision": "auto",
        # a moving average of the weights: far better while the learning rate is high
        # (a run cut short by a time budget), level at the end of the schedule
        "ema_decay": 0.995,
    },
}

#: Below this many training rows a batch of 1024 leaves too few steps per epoch.
LARGE_TABLE_ROWS = 20_000

#: The shipped model a network for a small table of formulas fine-tunes by default.
SMALL_TABLE_SOURCE = "oqmd-formation-enthalpy"


def recipe_params(name: str) -> dict[str, Any]:
    """The estimator parameters of the recipe ``name`` (a new dict each call).

    Parameters
    ----------
    name : {"paper", "large-batch"}
        The recipe.

    Returns
    -------
    params : dict
        Keyword arguments for :class:`~skirnet.IRNetRegressor` and its siblings.

    Examples
    --------
    >>> from skirnet.recipes import recipe_params
    >>> recipe_params("large-batch")["batch_size"]
    1024
    """
    try:
        return dict(RECIPES[name])
    except KeyError:
        raise ValueError(
            f"Unknown recipe {name!r}; choose from {', '.join(sorted(RECIPES))}."
        ) from None


def recipe_for_rows(n_rows: int) -> str:
    """The recipe a table of ``n_rows`` training rows should use by default.

    Parameters
    ----------
    n_rows : int
        Number of training rows.

    Returns
    -------
    name : str
        ``"large-batch"`` from ``LARGE_TABLE_ROWS`` (20,000) rows on, else ``"paper"``.

    Examples
    --------
    >>> from skirnet.recipes import recipe_for_rows
    >>> recipe_for_rows(239_190), recipe_for_rows(3_000)
    ('large-batch', 'paper')
    """
    return "large-batch" if n_rows >= LARGE_TABLE_ROWS else "paper"


def formula_features_for_rows(n_rows: int) -> str:
    """The features a formula table of ``n_rows`` training rows should use by default.

    On all 239,190 OQMD training rows, adding ElemNet's 86 element fractions to the 145
    Magpie attributes lowered IRNet-17's test MAE from 0.0737 to 0.0539 eV/atom on the
    same 8-epoch schedule (the benchmarks page); small tables keep the paper's inputs.

    Parameters
    ----------
    n_rows : int
        Number of training rows.

    Returns
    -------
    features : str
        ``"composition+fractions"`` from ``LARGE_TABLE_ROWS`` (20,000) rows on, else
        ``"composition"`` (see :func:`skirnet.featurizers.featurizer_for`).

    Examples
    --------
    >>> from skirnet.recipes import formula_features_for_rows
    >>> formula_features_for_rows(239_190), formula_features_for_rows(3_000)
    ('composition+fractions', 'composition')
    """
    return "composition+fractions" if n_rows >= LARGE_TABLE_ROWS else "composition"


def pretrained_for_rows(n_rows: int) -> str | None:
    """The shipped model an IRNet for a formula table of ``n_rows`` rows starts from.

    On the nine sets of CrabNet's extended benchmark with fewer than 20,000 training rows
    fine-tuned from this model (elastic moduli, Debye temperature, thermal conductivity
    and expansion and elastic anisotropy with 3,421 to 4,431 rows; AFLOW's energy per atom
    with 19,346), an IRNet fine-tuned with the paper's recipe had a lower validation MAE
    than IRNet-17 trained from scratch on every one, in about a quarter of the training
    time (the benchmarks page; AFLOW's band gap, fine-tuned from the shipped band-gap
    model, too). On all nine the target was another property and the output layer
    started afresh (``reset_output="auto"``). Bigger tables train from scratch with the
    large-batch recipe.

    Parameters
    ----------
    n_rows : int
        Number of training rows.

    Returns
    -------
    name : str or None
        :data:`SMALL_TABLE_SOURCE` below ``LARGE_TABLE_ROWS`` (20,000) rows, else None.

    Examples
    --------
    >>> from skirnet.recipes import pretrained_for_rows
    >>> pretrained_for_rows(19_000), pretrained_for_rows(239_190)
    ('oqmd-formation-enthalpy', None)
    """
    return SMALL_TABLE_SOURCE if n_rows < LARGE_TABLE_ROWS else None
