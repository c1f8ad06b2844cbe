"""Tables and plots of the full-scale OQMD units in ``benchmarks/results/full/``.

Usage::

    python benchmarks/full_scale_report.py            # summary JSON, plots and docs tables
    python benchmarks/full_scale_report.py --check    # exit 1 if the docs page is out of date

Reads every unit JSON written by ``reproduce_paper.py --scale full``, prints

- the results table (test MAE on all 51,255 test rows, epochs, training time, threads);
- the best validation MAE each network had reached after 15, 30 and 60 minutes of training
  (the recipe comparison: accuracy per CPU-hour);
- the time from the start of ``fit`` until a network's test MAE first fell below the random
  forest's (the per-epoch test MAE is recorded for this figure only; it chooses nothing);
- the recipe trials (IRNet-17 on the 8-epoch schedule, one change to the recipe each):
  validation MAE after 2, 4 and 8 epochs and after 15 and 30 minutes, test MAE, and the
  plot ``recipe_trials_full.png``;
- the best IRNet's test MAE, the forest's, and how far below the forest IRNet is, and
  the same against the best classical model of the units (the forest or gradient boosting),

and writes ``benchmarks/results/full_scale_summary.json``, the validation-MAE-against-time
plot ``full_scale_curves.png`` and, once two or more depths are there for one schedule
(recipe and epochs), the depth-study plot ``depth_study_full.png`` of that schedule's
units. The tables of ``docs/benchmarks.md`` between the ``full-results``, ``full-depth``
and ``full-trials`` markers are written from the same JSON (and the ensemble's,
``full_scale_ensemble.json``); ``--check`` only compares them with the page.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from _common import NET_LABELS, RESULTS, format_table, replace_section, write_json

UNITS = RESULTS / "full"
ENSEMBLE = RESULTS / "full_scale_ensemble.json"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
MARKS_MIN = (15, 30, 60)
#: The short unit that measured the time to the forest's MAE on 2 cores.
TIME_TO_FOREST_UNIT = "irnet10_large-batchshort_e8_s0"
#: The 8-epoch units of the results table: the time to the forest's MAE, before the recipe
#: trials (2 threads) and with the recipe they chose (one thread).
FAST_UNITS = (TIME_TO_FOREST_UNIT, "irnet10_large-batchshortema_irnet-fractions_e8_s0")


def load_units() -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(UNITS.glob("*.json"))]


def best_val_by(curve: list[dict], seconds: float) -> float | None:
    seen = [p["val_mae"] for p in curve if p["wall_s"] <= seconds]
    return min(seen) if seen else None


def time_to_reach(curve: list[dict], target: float) -> float | None:
    for point in curve:
        if point.get("test_mae") is not None and point["test_mae"] <= target:
            return point["wall_s"]
    return None


def label(unit: dict) -> str:
    if unit["depth"] is None:
        name = {"random_forest": "RandomForest", "hgb": "HistGradientBoosting"}[unit["model"]]
        if unit.get("params", {}).get("loss") == "absolute_error":
            name += " (L1)"
        if unit.get("features", "irnet") != "irnet":
            name += f", {unit['features']}"
        return name
    return f"{NET_LABELS[unit['model']]}-{unit['depth']}"


def summarise(units: list[dict]) -> dict:
    forest = next((u for u in units if u["model"] == "random_forest"), None)
    rows, curves = [], []
    for u in units:
        row = {
            "model": label(u),
            "recipe": u.get("recipe") or "",
            "test_mae": u["test_mae"],
            "val_mae": u.get("val_mae"),
            "epochs": u.get("epochs"),
            "best_epoch": u.get("best_epoch"),
            "train_min": u["wall_s"] / 60,
            "threads": u.get("threads"),
            "unit": u["unit"],
        }
        if forest:
            row["below_forest_pct"] = 100 * (1 - u["test_mae"] / forest["test_mae"])
        rows.append(row)
        if u.get("curve"):
            c = {"unit": u["unit"], "model": label(u), "recipe": u.get("recipe")}
            for m in MARKS_MIN:
                c[f"val_mae_{m}min"] = best_val_by(u["curve"], m * 60)
            c["s_to_forest"] = time_to_reach(u["curve"], forest["test_mae"]) if forest else None
            curves.append(c)
    # the best network is the one with the lowest *validation* MAE: the test split
    # chooses nothing, not even which run a report calls the best
    irnets = [u for u in units if u["model"] == "irnet" and u.get("val_mae") is not None]
    best = min(irnets, key=lambda u: u["val_mae"]) if irnets else None
    headline = {}
    if best and forest:
        headline = {
            "best_irnet": best["unit"],
            "best_irnet_chosen_by": "validation MAE",
            "best_irnet_val_mae": best["val_mae"],
            "best_irnet_test_mae": best["test_mae"],
            "forest_test_mae": forest["test_mae"],
            "ratio": best["test_mae"] / forest["test_mae"],
            "below_forest_pct": 100 * (1 - best["test_mae"] / forest["test_mae"]),
        }
        # the forest is the paper's baseline; every classical unit is compared, none is
        # picked (their runs recorded no validation MAE to choose by)
        headline["classical"] = [
            {
                "unit": u["unit"],
                "test_mae": u["test_mae"],
                "below_pct": 100 * (1 - best["test_mae"] / u["test_mae"]),
            }
            for u in units
            if u["depth"] is None
        ]
    if ENSEMBLE.is_file():  # the mean of networks chosen beforehand, against the same units
        ensemble = json.loads(ENSEMBLE.read_text())
        headline["ensemble"] = {
            "units": ensemble["units"],
            "test_mae": ensemble["ensemble_test_mae"],
            "below_pct": {
                u["unit"]: 100 * (1 - ensemble["ensemble_test_mae"] / u["test_mae"])
                for u in units
                if u["depth"] is None
            },
        }
    return {"rows": rows, "curves": curves, "trials": trials(units), "headline": headline}


#: The values a trial may change, as the trials' baseline had them (the large-batch recipe
#: of 2026-12-02, float32), and how the table names a change.
TRIAL_BASE = {"lr": 2e-3, "batch_size": 1024, "precision": "fp32"}
TRIAL_PARAMS = {"lr": "peak lr {}", "batch_size": "batch {}", "precision": "{}"}


def trial_change(unit: dict) -> str:
    """What a recipe trial changed against the large-batch recipe, in words."""
    params = unit.get("params", {})
    changes = [
        text.format(params[key])
        for key, text in TRIAL_PARAMS.items()
        if key in params and params[key] != TRIAL_BASE[key]
    ]
    if params.get("ema_decay") is not None:
        changes.append(f"EMA of the weights, decay {params['ema_decay']}")
    if params.get("loss", "absolute_error") != "absolute_error":
        changes.append(f"Huber loss, delta {params['huber_delta']}")
    if unit.get("features", "irnet") != "irnet":
        changes.append({"fractions": "element fractions only"}.get(
            unit["features"], "Magpie + element fractions"
        ))  # fmt: skip
    if unit.get("clean_train"):
        changes.append("cleaned training rows")
    return ", ".join(changes) or "none (the recipe)"


def trials(units: list[dict]) -> list[dict]:
    """The recipe trials: IRNet-17 on the 8-epoch schedule, one change each.

    Validation MAE after epochs 2, 4 and 8 compares trials across machines; the minutes
    compare them only on one machine (see ``s_per_epoch`` and the date).
    """
    rows = []
    for u in units:
        if u["model"] != "irnet" or u["depth"] != 17 or u.get("epochs") != 8:
            continue
        by_epoch = {p["epoch"]: p["val_mae"] for p in u["curve"]}
        row = {"change": trial_change(u), "unit": u["unit"]}
        for epoch in (2, 4, 8):
            row[f"val_e{epoch}"] = min(v for e, v in by_epoch.items() if e <= epoch)
        for m in MARKS_MIN:
            row[f"val_{m}min"] = best_val_by(u["curve"], m * 60)
        row["test_mae"] = u["test_mae"]
        row["s_per_epoch"] = u["wall_s"] / u["epochs"]
        row["date"] = u["machine"].get("date", "")[:10]
        rows.append(row)
    return rows


def plot_trials(units: list[dict], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    names = {t["unit"]: t["change"] for t in trials(units)}
    for u in units:
        if u["unit"] in names:
            epochs = [p["epoch"] for p in u["curve"]]
            ax.plot(epochs, [p["val_mae"] for p in u["curve"]], marker=".", label=names[u["unit"]])
    ax.set_yscale("log")
    ax.set_xlabel("epoch (of the 8-epoch one-cycle schedule)")
    ax.set_ylabel("validation MAE (eV/atom)")
    ax.set_title("Recipe trials: IRNet-17, all 239,190 OQMD training rows")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def plot_curves(units: list[dict], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5))
    ax = fig.add_subplot()
    # the long runs; of the 8-epoch units (trials and depth studies, their own plots) only
    # the recipe, its best change and the 2-thread time-to-forest unit
    kept = ("none (the recipe)", "Magpie + element fractions")
    shown = {t["unit"] for t in trials(units) if t["change"] in kept} | {TIME_TO_FOREST_UNIT}
    for u in units:
        if u.get("curve") and (u.get("epochs", 0) > 8 or u["unit"] in shown):
            t = [p["wall_s"] / 60 for p in u["curve"]]
            ax.plot(t, [p["val_mae"] for p in u["curve"]], marker=".", label=u["unit"])
    for u in units:
        if u["depth"] is None:
            ax.axhline(u["test_mae"], ls="--", color="gray")
            ax.annotate(f"{label(u)} (test)", (0, u["test_mae"]), fontsize=8, va="bottom")
    ax.set_xlabel("training time (min, as run; see threads in the JSON)")
    ax.set_ylabel("validation MAE (eV/atom)")
    ax.set_title("OQMD ΔH, all 239,190 training rows")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def depth_groups(units: list[dict]) -> dict[tuple, list[dict]]:
    """Network units by schedule and inputs (recipe, epochs, features, cleaning).

    Depths are compared at equal training, never across schedules, inputs or machines; a
    group counts as a depth study once it holds two depths and more than one network.
    """
    groups: dict[tuple, list[dict]] = {}
    for u in units:
        if u["depth"] is not None:
            key = (
                u.get("recipe"),
                u.get("epochs"),
                u.get("features", "irnet"),
                u.get("clean_train"),
            )
            groups.setdefault(key, []).append(u)
    return {
        key: members
        for key, members in groups.items()
        if len({u["depth"] for u in members}) >= 2 and len({u["model"] for u in members}) >= 2
    }


def seed_means(members: list[dict]) -> dict[tuple[str, int], float]:
    """Test MAE per (network, depth), the mean over the seeds that ran."""
    maes: dict[tuple[str, int], list[float]] = {}
    for u in members:
        maes.setdefault((u["model"], u["depth"]), []).append(u["test_mae"])
    return {key: sum(v) / len(v) for key, v in maes.items()}


def depth_table(members: list[dict]) -> list[dict]:
    """One row per network, test MAE per depth (mean over seeds; the paper's Table 2)."""
    means = seed_means(members)
    rows = []
    for model in ("plain", "srnet", "irnet"):
        row = {"network": NET_LABELS[model]}
        for (kind, depth), mae in sorted(means.items(), key=lambda item: item[0][1]):
            if kind == model:
                row[str(depth)] = mae
        if len(row) > 1:
            rows.append(row)
    return rows


def plot_depths(units: list[dict], path: Path) -> bool:
    import pandas as pd
    from matplotlib.figure import Figure

    from skirnet.plotting import plot_depth_study

    groups = depth_groups(units)
    if not groups:
        return False
    forest = next((u["test_mae"] for u in units if u["model"] == "random_forest"), None)
    fig = Figure(figsize=(6 * len(groups), 4.5))
    axes = fig.subplots(1, len(groups), sharey=True, squeeze=False)[0]
    for ax, ((recipe, epochs, features, _), members) in zip(axes, groups.items(), strict=True):
        nets = pd.DataFrame(
            [
                {"net": NET_LABELS[kind], "depth": depth, "mae": mae}
                for (kind, depth), mae in seed_means(members).items()
            ]
        )
        plot_depth_study(
            nets,
            ax=ax,
            baseline=forest,
            units="eV/atom",
            title=f"{FEATURE_NAMES.get(features, features)}, {recipe}, {epochs} epochs",
        )
    fig.suptitle("OQMD ΔH, all 239,190 training rows, test MAE on 51,255 rows")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return True


#: How the plots name a feature preset.
FEATURE_NAMES = {
    "irnet": "Magpie",
    "fractions": "fractions",
    "irnet+fractions": "Magpie + fractions",
}


# -- the tables of docs/benchmarks.md -------------------------------------------------------


def _f(value: float | None, digits: int = 4) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.1f} min"


def _machine(unit: dict) -> str:
    cpu = unit["machine"]["cpu"]
    return f"{'Intel Xeon' if 'Xeon' in cpu else cpu}, {unit['machine']['date'][:10]}"


def _inputs(unit: dict) -> str:
    name = FEATURE_NAMES.get(unit.get("features", "irnet"), unit.get("features"))
    if unit["depth"] is None:
        return name
    precision = unit.get("precision_effective") or unit.get("params", {}).get("precision")
    average = ", weight average" if unit.get("params", {}).get("ema_decay") else ""
    return f"{name}, {precision}{average}"


def _label(unit: dict) -> str:
    if unit["depth"] is None:
        loss = unit.get("params", {}).get("loss", "squared_error")
        name = {"random_forest": "random forest", "hgb": "gradient boosting"}[unit["model"]]
        return f"{name} ({loss})" if unit["model"] == "hgb" else name
    return f"{label(unit)}, seed {unit.get('seed', 0)}"


def _markdown(header: list[str], align: str, rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def results_markdown(units: list[dict], ensemble: dict | None) -> str:
    """The full-scale table: every 40-epoch-or-longer network, the classical units, the
    ensemble and the unit that timed the way to the forest's MAE."""
    forest = next((u for u in units if u["model"] == "random_forest"), None)
    nets = [
        u
        for u in units
        if u["depth"] is not None and (u.get("epochs", 0) >= 40 or u["unit"] in FAST_UNITS)
    ]
    # the 40-epoch schedule first, by validation MAE; then the 80- and the 8-epoch units
    nets.sort(key=lambda u: (u["epochs"] < 40, u["epochs"] > 40, u["val_mae"]))
    classical = sorted((u for u in units if u["depth"] is None), key=lambda u: u["test_mae"])
    rows = []
    for u in nets:
        past = time_to_reach(u["curve"], forest["test_mae"]) if forest else None
        marks = [best_val_by(u["curve"], m * 60) for m in MARKS_MIN]
        rows.append(
            [_label(u), _inputs(u), str(u["epochs"]), _f(u["test_mae"]), _f(u["val_mae"])]
            + [_f(v, 3) for v in marks]
            + [_minutes(u["wall_s"]), _minutes(past), f"{_machine(u)}, {u['threads']}"]
        )
    if ensemble:
        members = [next(u for u in units if u["unit"] == m) for m in ensemble["units"]]
        names = " and ".join(_label(u) for u in members)
        rows.append(
            [f"mean of {names}", _inputs(members[0]), "–", _f(ensemble["ensemble_test_mae"]),
             _f(ensemble["ensemble_val_mae"]), "–", "–", "–",
             _minutes(ensemble["training_wall_s"]), "–", "–"]
        )  # fmt: skip
    for u in classical:
        rows.append(
            [_label(u), _inputs(u), "–", _f(u["test_mae"]), "–", "–", "–", "–",
             _minutes(u["wall_s"]), "–", f"{_machine(u)}, {u['threads']}"]
        )  # fmt: skip
    header = ["model", "inputs, precision", "epochs", "test MAE", "best val MAE",
              *(f"val MAE at {m} min" for m in MARKS_MIN), "training",
              "test MAE below the forest's after", "machine, date, threads"]  # fmt: skip
    intro = (
        "Test MAE on all 51,255 test rows and best validation MAE (eV/atom); the best "
        "validation MAE reached within 15, 30 and 60 minutes of training (a dash: the run "
        "had ended); the training time; and when the per-epoch test MAE first fell below "
        "the random forest's"
        + (f" ({forest['test_mae']:.4f})" if forest else "")
        + ". One row per unit in `benchmarks/results/full/`, written by "
        "`python benchmarks/full_scale_report.py`:"
    )
    return intro + "\n\n" + _markdown(header, ["---"] * 3 + ["---:"] * 8, rows)


def depth_markdown(units: list[dict], features: str = "irnet+fractions", epochs: int = 8) -> str:
    """The depth table of the units of one schedule on ``features`` (mean over seeds)."""
    groups = {k: v for k, v in depth_groups(units).items() if k[1:3] == (epochs, features)}
    if not groups:
        return ""
    (members,) = groups.values()
    depths = sorted({u["depth"] for u in members})
    params = {(u["model"], u["depth"]): u.get("parameters") for u in members}
    rows = []
    for row in depth_table(members):
        kind = next(k for k, v in NET_LABELS.items() if v == row["network"])
        sizes = [params.get((kind, d)) for d in depths]
        rows.append(
            [row["network"]]
            + [_f(row.get(str(d))) for d in depths]
            + [" / ".join("–" if n is None else f"{n / 1e6:.1f}" for n in sizes) + " M"]
        )
    forest = next((u for u in units if u["model"] == "random_forest"), None)
    if forest:
        rows.append(["random forest (Magpie)", _f(forest["test_mae"])] + [""] * len(depths))
    header = ["network", *(f"{d} layers" for d in depths),
              f"parameters ({' / '.join(map(str, depths))})"]  # fmt: skip
    return _markdown(header, ["---"] + ["---:"] * len(depths) + ["---"], rows)


def trials_markdown(units: list[dict]) -> str:
    """The recipe trials: validation MAE after epochs 2, 4 and 8, test MAE, s per epoch."""
    # the trials' baseline is the large-batch recipe of their day, not the one that ships
    baseline = "none (large-batch, float32, Magpie: the trials' baseline)"
    rows = []
    for t in trials(units):
        unit = next(u for u in units if u["unit"] == t["unit"])
        change = baseline if t["change"] == "none (the recipe)" else t["change"]
        maes = [_f(t[k]) for k in ("val_e2", "val_e4", "val_e8", "test_mae")]
        rows.append([change, *maes, f"{t['s_per_epoch']:.0f}", _machine(unit)])
    header = ["change to the recipe", "val MAE, epoch 2", "epoch 4", "epoch 8", "test MAE",
              "s per epoch", "machine, date"]  # fmt: skip
    return _markdown(header, ["---"] + ["---:"] * 5 + ["---"], rows)


def docs_sections(units: list[dict]) -> dict[str, str]:
    ensemble = json.loads(ENSEMBLE.read_text()) if ENSEMBLE.is_file() else None
    return {
        "full-results": results_markdown(units, ensemble),
        "full-depth": depth_markdown(units),
        "full-trials": trials_markdown(units),
    }


def write_docs(units: list[dict], check: bool) -> bool:
    """Write the page's generated tables; with ``check``, only say whether they are current."""
    current = DOCS.read_text()
    text = current
    for name, body in docs_sections(units).items():
        text = replace_section(text, name, body)
    if check:
        return text == current
    DOCS.write_text(text)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the docs page")
    args = parser.parse_args(argv)
    units = load_units()
    if not units:
        raise SystemExit(f"no unit results in {UNITS}")
    if args.check:
        if not write_docs(units, check=True):
            print(f"{DOCS} is out of date: run python benchmarks/full_scale_report.py")
            return 1
        return 0
    summary = summarise(units)
    columns = [
        "model",
        "recipe",
        "test_mae",
        "val_mae",
        "epochs",
        "best_epoch",
        "train_min",
        "threads",
    ]
    print(format_table(summary["rows"], columns))
    print()
    curve_columns = ["unit", *(f"val_mae_{m}min" for m in MARKS_MIN), "s_to_forest"]
    print(format_table(summary["curves"], curve_columns))
    trial_columns = ["change", "val_e2", "val_e4", "val_e8", "val_15min", "val_30min"]
    print()
    print(format_table(summary["trials"], [*trial_columns, "test_mae", "s_per_epoch", "date"]))
    for (recipe, epochs, features, clean), members in depth_groups(units).items():
        rows = depth_table(members)
        depths = sorted({u["depth"] for u in members})
        print(f"\ndepth study: {features} features, {recipe}, {epochs} epochs, clean={clean}")
        print(format_table(rows, ["network", *map(str, depths)]))
    if summary["headline"].get("best_irnet"):
        h = summary["headline"]
        print(
            f"\nbest IRNet by validation MAE: {h['best_irnet']} (val {h['best_irnet_val_mae']:.4f}), "
            f"test {h['best_irnet_test_mae']:.4f}; forest {h['forest_test_mae']:.4f}: ratio "
            f"{h['ratio']:.3f} ({h['below_forest_pct']:.1f} % below the forest)"
        )
        for c in h["classical"]:
            print(f"  against {c['unit']} ({c['test_mae']:.4f}): {c['below_pct']:.1f} % below")
    write_json(RESULTS / "full_scale_summary.json", summary, end="")
    plot_curves(units, RESULTS / "full_scale_curves.png")
    plot_trials(units, RESULTS / "recipe_trials_full.png")
    wrote = ["full_scale_summary.json", "full_scale_curves.png", "recipe_trials_full.png"]
    if plot_depths(units, RESULTS / "depth_study_full.png"):
        wrote.append("depth_study_full.png")
    write_docs(units, check=False)
    print("wrote " + ", ".join(f"benchmarks/results/{w}" for w in wrote) + f" and {DOCS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
