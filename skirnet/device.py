"""Where and in which precision a network trains: the device and bfloat16 decisions.

:func:`resolve_device` turns a ``device`` setting (``"auto"``, ``"cpu"``, ``"cuda:1"``)
into the device to use; :func:`resolve_precision` decides whether ``precision="bf16"``
(or ``"auto"``) runs under bfloat16 autocast there, which :func:`bf16_autocast_applies`
and :func:`cpu_has_native_bf16` answer for a device and for this CPU.
"""

from __future__ import annotations

import functools

import torch

from skirnet._warnings import warn_at_caller

__all__ = [
    "bf16_autocast_applies",
    "cpu_has_native_bf16",
    "resolve_device",
    "resolve_precision",
]


@functools.cache
def cpu_has_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 matrix products in hardware (AVX512-BF16 or AMX).

    Elsewhere PyTorch emulates them, slower than float32 (far slower on an AVX2-only
    CPU).

    Returns
    -------
    bool
        True on CPUs with AVX512-BF16 (e.g. AMD Zen 4, Intel Cooper Lake) or AMX (Intel
        Sapphire Rapids and later).

    Examples
    --------
    It decides whether ``precision="bf16"`` runs under autocast on the CPU:

    >>> from skirnet.device import bf16_autocast_applies, cpu_has_native_bf16
    >>> bf16_autocast_applies("cpu") == cpu_has_native_bf16()
    True
    """
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def bf16_autocast_applies(device: str | torch.device) -> bool:
    """Whether ``precision="bf16"`` runs under bfloat16 autocast on ``device``.

    It does on GPUs that compute bfloat16 in hardware (NVIDIA Ampere and later) and on CPUs
    with bfloat16 instructions; elsewhere (older GPUs, other CPUs, device types autocast
    does not know) the setting falls back to float32.

    Parameters
    ----------
    device : str or torch.device
        The training device.

    Returns
    -------
    bool
        True where forward passes run under bfloat16 autocast.

    Examples
    --------
    >>> from skirnet.device import bf16_autocast_applies
    >>> bf16_autocast_applies("meta")
    False
    """
    device_type = torch.device(device).type
    if device_type == "cpu":
        return cpu_has_native_bf16()
    if device_type == "cuda":  # GPUs before Ampere (V100, T4) only emulate bfloat16
        return torch.cuda.is_bf16_supported(including_emulation=False)
    return torch.amp.is_autocast_available(device_type)


def resolve_precision(precision: str, device: str, *, warn: bool = True) -> str:
    """The precision that runs on ``device``: ``"bf16"`` only where autocast applies.

    Parameters
    ----------
    precision : {"fp32", "bf16", "auto"}
        The requested precision; ``"auto"`` is ``"bf16"`` where it runs in hardware and
        ``"fp32"`` elsewhere, without a warning.
    device : str
        The resolved training device.
    warn : bool, default=True
        Warn (at the user's line) when ``"bf16"`` falls back to ``"fp32"``.

    Returns
    -------
    str
        ``"bf16"`` or ``"fp32"``.

    Examples
    --------
    >>> from skirnet.device import resolve_precision
    >>> resolve_precision("fp32", "cpu")
    'fp32'
    >>> resolve_precision("bf16", "meta", warn=False)
    'fp32'
    >>> resolve_precision("auto", "meta")
    'fp32'
    """
    if precision == "auto":
        return "bf16" if bf16_autocast_applies(device) else "fp32"
    if precision != "bf16" or bf16_autocast_applies(device):
        return precision
    if warn:
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
    return "fp32"


def resolve_device(device: str, *, cpu_fallback: bool = False) -> str:
    """The torch device a ``device`` setting means on this machine.

    Parameters
    ----------
    device : str
        ``"auto"`` (CUDA when available, else the CPU) or any torch device string.
    cpu_fallback : bool, default=False
        When CUDA is asked for and is not available, use the CPU instead of raising (how
        :func:`skirnet.load` opens a model trained on a GPU).

    Returns
    -------
    str
        The device to use.

    Raises
    ------
    ValueError
        When CUDA is asked for, is not available and ``cpu_fallback`` is False.

    Examples
    --------
    >>> import torch
    >>> from skirnet.device import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    >>> resolve_device("cuda:1", cpu_fallback=True) == ("cuda:1" if torch.cuda.is_available() else "cpu")
    True
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if torch.device(device).type == "cuda" and not torch.cuda.is_available():
        if cpu_fallback:
            return "cpu"
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available; "
            "use device='auto' or 'cpu'."
        )
    return device
