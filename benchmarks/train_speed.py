"""Training speed: the fast in-memory path against skorch's standard DataLoader loop.

Usage::

    python benchmarks/train_speed.py [--rows 20000] [--models irnet17,irnet48]
                                     [--batch-sizes 32,256,1024,4096] [--epochs 2]

For each model and batch size, both paths train the same network on the same OQMD
formation-enthalpy rows (Magpie features, no validation) for ``--epochs`` epochs; the time
of the last epoch is reported (the first one pays for warm-up). Prints a table with epoch
seconds, samples per second, the fast/standard ratio, the arithmetic per epoch and the
fraction of the device's nominal peak it reaches, and writes
``benchmarks/results/train_speed_<device>.json``.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import cpu_model, format_table, write_result  # noqa: E402
from _oqmd_features import oqmd_split  # noqa: E402

from skirnet import IRNetRegressor  # noqa: E402

#: Dense (non-sparse) fp32 peaks in TFLOP/s from the vendors' data sheets; TF32/bf16 tensor
#: cores are faster, so these are the fair ceiling for fp32 training.
GPU_FP32_PEAK_TFLOPS = {"H100": 67.0, "H200": 67.0, "A100": 19.5, "V100": 15.7}


def nominal_peak_flops(device: str) -> tuple[float | None, str]:
    """The device's nominal fp32 peak in FLOP/s, and where the number comes from."""
    if device.startswith("cuda"):
        name = torch.cuda.get_device_name(0)
        for key, tflops in GPU_FP32_PEAK_TFLOPS.items():
            if key in name:
                return tflops * 1e12, f"{name} fp32 data sheet"
        return None, name
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    mhz = [float(m) for m in re.findall(r"cpu MHz\s*:\s*([\d.]+)", flags)]
    per_cycle = 64 if "avx512f" in flags else 32 if "fma" in flags else 8
    if not mhz:
        return None, cpu_model()
    cores = torch.get_num_threads()
    return cores * max(mhz) * 1e6 * per_cycle, (
        f"{cores} threads x {max(mhz):.0f} MHz x {per_cycle} fp32 FLOP/cycle "
        f"({'AVX-512' if per_cycle == 64 else 'AVX2 FMA'})"
    )


def train_flops_per_sample(model: torch.nn.Module) -> float:
    """Forward + backward arithmetic of one sample: 3 x (2 x multiply-adds of the Linears)."""
    macs = sum(
        m.in_features * m.out_features for m in model.modules() if isinstance(m, torch.nn.Linear)
    )
    return 6.0 * macs


def time_epoch(depth: int, batch_size: int, fast: bool, X, y, epochs: int, device: str):
    model = IRNetRegressor(
        depth=depth,
        batch_size=batch_size,
        max_epochs=epochs,
        validation_fraction=0.0,
        fast_path=fast,
        device=device,
        random_state=0,
    )
    start = time.perf_counter()
    model.fit(X, y)
    wall = time.perf_counter() - start
    return model.history_[-1]["dur"], wall, model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--models", default="irnet17,irnet48")
    parser.add_argument("--batch-sizes", default="32,256,1024,4096")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--paths", default="fast,standard")
    args = parser.parse_args(argv)

    X, y = oqmd_split("train")
    X = np.nan_to_num(X[: args.rows])
    X = (X - X.mean(0)) / (X.std(0) + 1e-12)
    y = y[: args.rows]
    device = (
        ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    )
    peak, peak_source = nominal_peak_flops(device)
    rows = []
    for name in args.models.split(","):
        depth = int(name.removeprefix("irnet"))
        for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
            timings = {}
            for path in args.paths.split(","):
                dur, wall, model = time_epoch(
                    depth, batch_size, path == "fast", X, y, args.epochs, device
                )
                timings[path] = dur
                flops = train_flops_per_sample(model.module_) * len(X)
                rows.append(
                    {
                        "model": f"IRNet-{depth}",
                        "batch": batch_size,
                        "path": path,
                        "epoch_s": dur,
                        "samples_per_s": len(X) / dur,
                        "tflop_per_epoch": flops / 1e12,
                        "pct_of_peak": None if peak is None else 100 * flops / dur / peak,
                        "fit_wall_s": wall,
                    }
                )
                print(f"IRNet-{depth} batch {batch_size} {path}: {dur:.2f} s/epoch", flush=True)
            if {"fast", "standard"} <= timings.keys():
                for row in rows[-2:]:
                    row["speedup_fast_vs_standard"] = timings["standard"] / timings["fast"]
    columns = [
        "model",
        "batch",
        "path",
        "epoch_s",
        "samples_per_s",
        "tflop_per_epoch",
        "pct_of_peak",
        "speedup_fast_vs_standard",
    ]
    print()
    print(f"{len(X)} rows, device {device}; peak = {peak_source}")
    print(format_table(rows, columns))
    path = write_result(
        f"train_speed_{device.split(':')[0]}",
        {
            "benchmark": "train_speed",
            "rows": len(X),
            "epochs": args.epochs,
            "device": device,
            "peak_flops": peak,
            "peak_source": peak_source,
            "results": rows,
            "command": "python benchmarks/train_speed.py " + " ".join(argv or sys.argv[1:]),
        },
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
