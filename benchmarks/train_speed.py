"""Training speed: the fast in-memory path against skorch's standard DataLoader loop.

Usage::

    python benchmarks/train_speed.py [--rows 20000] [--models irnet17,irnet48]
                                     [--batch-sizes 32,256,1024,4096] [--epochs 2]
                                     [--paths fast,standard,bare,fast-bf16]
                                     [--repeats 1] [--tag NAME]

For each model and batch size, every path trains the same network from the same seed on the
same OQMD formation-enthalpy rows (Magpie features, no validation) for ``--epochs`` epochs;
the time of the last epoch is reported (the first one pays for warm-up), as the median over
``--repeats`` runs; the paths take turns going first, from one round and one table row to
the next. The paths:

``fast``
    the estimators' default: batches sliced from arrays moved to the device once per fit;
``standard``
    skorch's own ``DataLoader`` loop (``fast_path=False``);
``bare``
    a hand-written PyTorch loop (forward, L1 loss, backward, Adam step and nothing else) on
    the same network and optimiser: the floor for fp32 training on the device (it draws its
    own initial weights and batch order, so its MAE is only a sanity check);
``fast-bf16``
    the fast path with ``precision="bf16"`` (bfloat16 autocast);
``fast-compile``, ``fast-bf16-compile`` (not run by default)
    the same with ``compile=True`` (:func:`torch.compile`; its compile time is in
    ``fit_wall_s`` of the JSON, not in the epoch time).

Prints a table with epoch seconds, samples per second, the speed-up over the standard loop,
the arithmetic per epoch, the fraction of the device's nominal fp32 peak it reaches and the
MAE on 10,000 rows of the OQMD validation split, and writes
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
from _common import cpu_model, format_table, write_result
from _oqmd_features import oqmd_split

from skirnet import IRNetRegressor

#: Dense (non-sparse) fp32 peaks in TFLOP/s from the vendors' data sheets; TF32/bf16 tensor
#: cores are faster, so these are the fair ceiling for fp32 training.
GPU_FP32_PEAK_TFLOPS = {"H100": 67.0, "H200": 67.0, "A100": 19.5, "V100": 15.7}


PATHS = ("fast", "standard", "bare", "fast-bf16", "fast-compile", "fast-bf16-compile")


def nominal_peak_flops(device: str) -> tuple[float | None, str]:
    """The device's nominal fp32 peak in FLOP/s, and where the number comes from."""
    if device.startswith("cuda"):
        name = torch.cuda.get_device_name(0)
        for key, tflops in GPU_FP32_PEAK_TFLOPS.items():
            if key in name:
                return tflops * 1e12, f"{name} fp32 data sheet"
        return None, name
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    mhz = [float(m) for m in re.findall(r"cpu MHz\s*:\s*([\d.]+)", cpuinfo)]
    if not mhz:
        return None, cpu_model()
    per_cycle, units = cpu_fp32_flop_per_cycle(cpuinfo)
    cores = torch.get_num_threads()
    return cores * max(mhz) * 1e6 * per_cycle, (
        f"{cores} threads x {max(mhz):.0f} MHz x {per_cycle} fp32 FLOP/cycle ({units})"
    )


def cpu_fp32_flop_per_cycle(cpuinfo: str) -> tuple[int, str]:
    """fp32 FLOP per cycle and core: FMA units x vector lanes x 2, from /proc/cpuinfo.

    Two FMA units are assumed. AMD cores before Zen 5 (family 26) execute AVX-512 on
    256-bit units, so they peak like AVX2.
    """
    flags = re.search(r"^flags\s*:(.*)$", cpuinfo, re.MULTILINE)
    flags = set(flags.group(1).split()) if flags else set()
    family = re.search(r"^cpu family\s*:\s*(\d+)", cpuinfo, re.MULTILINE)
    amd_256_bit = "AuthenticAMD" in cpuinfo and family is not None and int(family.group(1)) < 26
    if "avx512f" in flags and not amd_256_bit:
        return 64, "2 x 512-bit FMA"
    if "fma" in flags:
        return 32, "2 x 256-bit FMA" + (", AVX-512 on 256-bit units" if "avx512f" in flags else "")
    return 8, "no FMA"


def train_flops_per_sample(model: torch.nn.Module) -> float:
    """Forward + backward arithmetic of one sample: 3 x (2 x multiply-adds of the Linears)."""
    macs = sum(
        m.in_features * m.out_features for m in model.modules() if isinstance(m, torch.nn.Linear)
    )
    return 6.0 * macs


def time_epoch(depth: int, batch_size: int, path: str, X, y, epochs: int, device: str):
    """Train with one path; return (last epoch's seconds, fit wall seconds, estimator)."""
    model = IRNetRegressor(
        depth=depth,
        batch_size=batch_size,
        max_epochs=epochs,
        validation_fraction=0.0,
        fast_path=path != "standard",
        precision="bf16" if "bf16" in path else "fp32",
        compile="compile" in path,
        device=device,
        random_state=0,
    )
    start = time.perf_counter()
    if path == "bare":
        model.set_params(max_epochs=1).fit(X[:batch_size], y[:batch_size])  # build the net
        durations = bare_torch_loop(model, X, y, epochs)
    else:
        model.fit(X, y)
        durations = [row["dur"] for row in model.history_]
    return durations[-1], time.perf_counter() - start, model


def bare_torch_loop(model: IRNetRegressor, X, y, epochs: int) -> list[float]:
    """Retrain ``model``'s network from fresh weights with nothing but PyTorch calls."""
    net = model.net_
    module = net.module_
    torch.manual_seed(0)
    for layer in module.modules():
        if hasattr(layer, "reset_parameters"):
            layer.reset_parameters()
    optimizer = torch.optim.Adam(module.parameters(), lr=model.lr)
    device = torch.device(net.device)
    X_t = torch.as_tensor(X, dtype=torch.float32, device=device)
    y_t = torch.as_tensor(y, dtype=torch.float32, device=device).reshape(len(y), -1)
    module.train()
    durations = []
    for _ in range(epochs):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        order = torch.randperm(len(X_t), device=device)
        for begin in range(0, len(X_t), model.batch_size):
            idx = order[begin : begin + model.batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = torch.nn.functional.l1_loss(module(X_t[idx]), y_t[idx])
            loss.backward()
            optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        durations.append(time.perf_counter() - start)
    module.eval()
    return durations


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--models", default="irnet17,irnet48")
    parser.add_argument("--batch-sizes", default="32,256,1024,4096")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--paths", default="fast,standard,bare,fast-bf16")
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="train every path this many times, the paths taking turns, and report the "
        "median epoch time (a VM's run-to-run noise is about 20 %%)",
    )
    parser.add_argument("--tag", default="", help="suffix of the JSON file name")
    args = parser.parse_args(argv)
    unknown = set(args.paths.split(",")) - set(PATHS)
    if unknown:
        parser.error(f"unknown paths {sorted(unknown)}; choose from {', '.join(PATHS)}")

    X, y = oqmd_split("train")
    X_val, y_val = oqmd_split("val")
    X = np.nan_to_num(X[: args.rows])
    mean, std = X.mean(0), X.std(0) + 1e-12
    X, y = (X - mean) / std, y[: args.rows]
    X_val, y_val = (np.nan_to_num(X_val[:10000]) - mean) / std, y_val[:10000]
    device = (
        ("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else args.device
    )
    peak, peak_source = nominal_peak_flops(device)
    rows = []
    for name in args.models.split(","):
        depth = int(name.removeprefix("irnet"))
        for batch_size in [int(b) for b in args.batch_sizes.split(",")]:
            timings, first = {}, len(rows)
            paths = args.paths.split(",")
            runs: dict[str, list] = {path: [] for path in paths}
            for repeat in range(args.repeats):
                # the paths take turns going first, so that no path is always timed first
                turn = (len(rows) // max(len(paths), 1) + repeat) % len(paths)
                for path in paths[turn:] + paths[:turn]:
                    run = time_epoch(depth, batch_size, path, X, y, args.epochs, device)
                    runs[path].append(run)
                    label = f"IRNet-{depth} batch {batch_size} {path}"
                    print(f"{label} (run {repeat + 1}): {run[0]:.2f} s/epoch", flush=True)
            for path in paths:
                durations = [run[0] for run in runs[path]]
                dur, model = float(np.median(durations)), runs[path][-1][2]
                timings[path] = dur
                flops = train_flops_per_sample(model.module_) * len(X)
                rows.append(
                    {
                        "model": f"IRNet-{depth}",
                        "batch": batch_size,
                        "path": path,
                        "epoch_s": dur,
                        "epoch_s_runs": durations,
                        "samples_per_s": len(X) / dur,
                        "tflop_per_epoch": flops / 1e12,
                        "pct_of_peak": None if peak is None else 100 * flops / dur / peak,
                        "val_mae": float(np.abs(model.predict(X_val) - y_val).mean()),
                        "fit_wall_s": runs[path][-1][1],
                    }
                )
            if "standard" in timings:
                for row in rows[first:]:
                    row["speedup_vs_standard"] = timings["standard"] / row["epoch_s"]
    columns = [
        "model",
        "batch",
        "path",
        "epoch_s",
        "samples_per_s",
        "tflop_per_epoch",
        "pct_of_peak",
        "speedup_vs_standard",
        "val_mae",
    ]
    print()
    print(f"{len(X)} rows, device {device}, median of {args.repeats} run(s); peak = {peak_source}")
    print(format_table(rows, columns))
    path = write_result(
        f"train_speed_{device.split(':')[0]}" + (f"_{args.tag}" if args.tag else ""),
        {
            "benchmark": "train_speed",
            "rows": len(X),
            "epochs": args.epochs,
            "repeats": args.repeats,
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
