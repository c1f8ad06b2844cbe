"""The saved network's folder format, read without building an estimator.

A network saved by :func:`skirnet.save` is a folder of ``skirnet.json`` (class,
parameters, fitted attributes, history, the SHA-256 of the other files),
``weights.safetensors`` and, optionally, ``optimizer.safetensors``. This module reads and
checks those files (each read once, the same bytes checked and used) and gives the network
as a bare :class:`~skirnet.nn.ResidualMLP` (:func:`read_network`), which is all
fine-tuning needs from a source; :mod:`skirnet.persistence` builds the estimator on top.
It imports no estimator, so the estimators can read a pretrained source through it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.torch
import torch

from skirnet._atomic import read_whole
from skirnet._network_kinds import NETWORK_KINDS, NetworkKind
from skirnet.nn import ResidualMLP, parse_architecture

__all__ = [
    "CONFIG_FILE",
    "FORMAT_VERSION",
    "OPTIMIZER_FILE",
    "WEIGHTS_FILE",
    "ModelFileError",
    "SavedNetwork",
    "read_network",
]

FORMAT_VERSION = 1
WEIGHTS_FILE = "weights.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
CONFIG_FILE = "skirnet.json"


class ModelFileError(ValueError):
    """A model folder is damaged, tampered with, or of another format.

    The message is one line naming the file and the problem.
    """


def read_files(path: Path) -> dict[str, bytes]:
    """The bytes of the model folder ``path``'s files, each read once, by file name.

    The optimiser state is left out where the folder has none.
    """
    files = {}
    for name in (CONFIG_FILE, WEIGHTS_FILE, OPTIMIZER_FILE):
        try:
            files[name] = (path / name).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            if name != OPTIMIZER_FILE:
                raise FileNotFoundError(f"No skirnet model at {path} (missing {name}).") from None
    return files


def read_config(path: Path, data: bytes) -> dict[str, Any]:
    """``skirnet.json`` (its bytes ``data``), checked for the keys ``load`` reads.

    Errors name the file.
    """
    file = path / CONFIG_FILE
    try:
        config = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{file}: not valid JSON ({exc})") from None
    if not isinstance(config, dict):
        raise ModelFileError(f"{file}: expected a JSON object, found {type(config).__name__}")
    version = config.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{file}: model format {version!r} is not one this skirnet reads "
            f"(format {FORMAT_VERSION})"
        )
    for key, kind in (("class", str), ("params", dict), ("fitted", dict), ("history", list)):
        if not isinstance(config.get(key), kind):
            problem = "missing" if key not in config else f"not a {kind.__name__}"
            raise ModelFileError(f"{file}: key {key!r} is {problem}")
    saved = config["fitted"].get("architecture_")
    if saved is not None and not (
        isinstance(saved, list)
        and saved
        and all(
            isinstance(s, list)
            and len(s) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in s)
            for s in saved
        )
    ):
        raise ModelFileError(
            f"{file}: fitted architecture_ must be a list of [width, layers], got {saved!r}"
        )
    for key in ("n_features_in_", "n_outputs_"):
        value = config["fitted"].get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ModelFileError(f"{file}: fitted {key} must be a positive integer, got {value!r}")
    return config


def first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def architecture_of(config: dict[str, Any], path: Path) -> tuple[tuple[int, int], ...]:
    """The saved network's stacks: recorded since fine-tuning, else from its parameters.

    The recorded form is checked by :func:`read_config`; parameters that give no
    architecture raise :class:`ModelFileError` naming the file.
    """
    saved = config["fitted"].get("architecture_")
    if saved is not None:
        return tuple(tuple(s) for s in saved)
    params = config["params"]
    sizes = params.get("hidden_layer_sizes")
    if isinstance(sizes, dict):
        sizes = sizes.get("widths")
    try:
        return parse_architecture(params.get("depth", 17) if sizes is None else sizes)
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{path / CONFIG_FILE}: params: {first_line(exc)}") from None


def kind_of(config: dict[str, Any], path: Path) -> NetworkKind:
    """The kind of network ``skirnet.json`` names, or :class:`ModelFileError`."""
    kind = NETWORK_KINDS.get(config["class"])
    if kind is None:
        raise ModelFileError(
            f"{path / CONFIG_FILE}: unknown estimator class {config['class']!r}; expected one "
            f"of {sorted(NETWORK_KINDS)}"
        )
    return kind


def unmatched(path: Path, files: dict[str, bytes]) -> Exception | None:
    """The error for a file whose SHA-256 differs from the one ``skirnet.json`` records.

    None when they all match. Files of folders written before a checksum was recorded are
    not checked. A ``skirnet.json`` that is wrong on its own raises its error first.
    """
    config = read_config(path, files[CONFIG_FILE])
    for name, key, what in (
        (WEIGHTS_FILE, "weights", "the weights were"),
        (OPTIMIZER_FILE, "optimizer", "the optimiser state was"),
    ):
        entry = config.get(key)
        recorded = entry.get("sha256") if isinstance(entry, dict) else None
        if recorded is None or name not in files:
            continue
        digest = hashlib.sha256(files[name]).hexdigest()
        if digest != recorded:
            return ModelFileError(
                f"{path / name}: SHA-256 {digest[:12]}... does not match the "
                f"{str(recorded)[:12]}... recorded in {CONFIG_FILE}; {what} changed or damaged"
            )
    return None


def checked_weights(path: Path, config: dict[str, Any], data: bytes) -> dict[str, torch.Tensor]:
    """The weights ``data`` read from the folder, their shapes checked against the network.

    Checked before the network is allocated: ``skirnet.json`` could ask for terabytes.
    """
    file = path / WEIGHTS_FILE
    try:
        state = safetensors.torch.load(data)
    except safetensors.SafetensorError as exc:
        raise ModelFileError(f"{file}: damaged weights ({first_line(exc)})") from None
    shapes = {key: tuple(value.shape) for key, value in state.items()}
    fitted = config["fitted"]
    with torch.device("meta"):  # shapes only: nothing is allocated
        expected_module = ResidualMLP(
            fitted["n_features_in_"],
            architecture_of(config, path),
            fitted["n_outputs_"],
            kind_of(config, path).shortcut,
        )
    expected = {k: tuple(v.shape) for k, v in expected_module.state_dict().items()}
    if shapes != expected:
        wrong = sorted(set(shapes) ^ set(expected)) or sorted(
            k for k in expected if shapes[k] != expected[k]
        )
        key = wrong[0]
        raise ModelFileError(
            f"{file}: the weights do not fit the network {CONFIG_FILE} describes "
            f"({config['class']} {architecture_of(config, path)}, {fitted['n_features_in_']} "
            f"features): tensor {key!r} is {shapes.get(key, 'missing')}, expected "
            f"{expected.get(key, 'no such tensor')}"
        )
    return state


def target_scale(config: dict[str, Any], path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The saved ``target_mean_`` and ``target_scale_``; 0 and 1 in files written before."""
    fitted = config["fitted"]
    n_outputs = fitted["n_outputs_"]
    if "target_mean_" not in fitted and "target_scale_" not in fitted:
        return np.zeros(n_outputs), np.ones(n_outputs)
    values = []
    for key in ("target_mean_", "target_scale_"):
        value = fitted.get(key)
        if not (
            isinstance(value, list)
            and len(value) == n_outputs
            and all(isinstance(v, (int, float)) and np.isfinite(v) for v in value)
        ):
            raise ModelFileError(
                f"{path / CONFIG_FILE}: fitted {key} must be a list of {n_outputs} finite "
                f"number(s), got {value!r}"
            )
        values.append(np.asarray(value, dtype=np.float64))
    if np.any(values[1] <= 0):
        raise ModelFileError(
            f"{path / CONFIG_FILE}: fitted target_scale_ must be positive, got {values[1].tolist()}"
        )
    return values[0], values[1]


@dataclass
class SavedNetwork:
    """A saved network as fine-tuning needs it: its module and what it was fitted on.

    The attributes are named as the estimator's, so code that takes a fitted estimator as
    a source takes this too.
    """

    class_name: str
    module_: ResidualMLP
    architecture_: tuple[tuple[int, int], ...]
    n_features_in_: int
    n_outputs_: int
    target_mean_: np.ndarray
    target_scale_: np.ndarray
    feature_names_in_: np.ndarray | None = None


def read_network(path: str | Path) -> SavedNetwork:
    """The network saved in the folder ``path``, on the CPU, without its estimator.

    Parameters
    ----------
    path : str or Path
        A folder written by :func:`skirnet.save`.

    Returns
    -------
    SavedNetwork

    Raises
    ------
    FileNotFoundError
        ``path`` holds no saved model.
    ModelFileError
        A file is damaged, of another format, or does not fit the others.

    Examples
    --------
    >>> from skirnet._network_file import read_network
    >>> from skirnet.pretrained import resolve
    >>> read_network(resolve("oqmd-band-gap") / "net").architecture_[0]
    (320, 4)
    """
    path = Path(path)
    files = read_whole(path, lambda: read_files(path), lambda files: unmatched(path, files))
    config = read_config(path, files[CONFIG_FILE])
    kind = kind_of(config, path)
    state = checked_weights(path, config, files[WEIGHTS_FILE])
    fitted = config["fitted"]
    architecture = architecture_of(config, path)
    module = ResidualMLP(
        fitted["n_features_in_"], architecture, fitted["n_outputs_"], kind.shortcut
    )
    module.load_state_dict(state)
    mean, scale = target_scale(config, path)
    names = fitted.get("feature_names_in_")
    return SavedNetwork(
        class_name=config["class"],
        module_=module,
        architecture_=architecture,
        n_features_in_=fitted["n_features_in_"],
        n_outputs_=fitted["n_outputs_"],
        target_mean_=mean,
        target_scale_=scale,
        feature_names_in_=None if names is None else np.asarray(names, dtype=object),
    )
