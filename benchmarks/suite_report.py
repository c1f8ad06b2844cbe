"""Tables and a plot of the extended benchmark, generated from the units' JSON.

Usage::

    python benchmarks/suite_report.py            # write the summary JSON, plot and docs tables
    python benchmarks/suite_report.py --check    # exit 1 if the docs page is out of date

Reads ``benchmarks/results/suite/<set>/<unit>.json`` (and the seeds' ``.npz`` predictions
for the ensemble) written by ``suite.py`` and the peers' published test MAEs
(``../shared/benchmarks/published_test_mae.csv``, a copy kept in
``benchmarks/results/suite/published_test_mae.csv``). Every choice follows
``benchmarks/PROTOCOL.md``: skirnet's best and the best classical model are chosen by
validation MAE; the test MAE chooses nothing. Writes ``benchmarks/results/suite_summary.json``,
the plot ``benchmarks/results/suite_ratios.png`` and the tables between the
``suite`` markers of ``docs/benchmarks.md``. A set whose units are not all done is shown
with what it has, and left out of the counts until it is complete.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
from pathlib import Path

import numpy as np
from _common import RESULTS, format_table, replace_section, write_json
from _splits import PUBLISHED, SUITE, load_split, planned_units, training_rows

PUBLISHED_COPY = SUITE / "published_test_mae.csv"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
README = Path(__file__).resolve().parents[1] / "README.md"
PEERS = {
    "roost": "Roost",
    "crabnet": "CrabNet",  # the better of its two published columns
    "elemnet": "ElemNet",
}
ENSEMBLE = "irnet17_x3"


def published(refresh: bool = True) -> dict[str, dict]:
    """The peers' published test MAEs per set (the copy in the results, refreshed if asked)."""
    if refresh and PUBLISHED.is_file():
        PUBLISHED_COPY.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PUBLISHED, PUBLISHED_COPY)
    with PUBLISHED_COPY.open() as handle:
        rows = {row["dataset"]: row for row in csv.DictReader(handle)}
    out = {}
    for name, row in rows.items():
        values = {k: float(v) for k, v in row.items() if k not in ("dataset", "unit")}
        values["crabnet"] = min(values["crabnet_mat2vec"], values["crabnet_onehot"])
        out[name] = {"unit": row["unit"], **values}
    return out


def load_set(dataset: str, store: bool = True) -> dict[str, dict]:
    """The set's finished units by name, with the seed ensemble when its three seeds are in.

    A seed ensemble scored here for the first time is stored as a unit (unless ``store`` is
    false: ``--check`` writes nothing).
    """
    folder = SUITE / dataset
    units = {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}
    seeds = [f"irnet17_s{s}" for s in range(3)]
    ready = all(s in units for s in seeds) and all((folder / f"{s}.npz").is_file() for s in seeds)
    if ready and ENSEMBLE not in units:
        # scored once, from the members' stored predictions, and kept as a unit of its own
        # (so that the tables can be rebuilt without the data)
        preds = [np.load(folder / f"{s}.npz") for s in seeds]
        truth = {split: _targets(dataset, split) for split in ("val", "test")}
        mean = {split: np.mean([p[split] for p in preds], axis=0) for split in truth}
        units[ENSEMBLE] = {
            "benchmark": "suite",
            "dataset": dataset,
            "unit": ENSEMBLE,
            "members": seeds,
            "val_mae": float(np.mean(np.abs(mean["val"] - truth["val"]))),
            "test_mae": float(np.mean(np.abs(mean["test"] - truth["test"]))),
            "wall_s": sum(units[s]["wall_s"] for s in seeds),
            "command": "python benchmarks/suite_report.py",
        }
        if store:
            write_json(folder / f"{ENSEMBLE}.json", units[ENSEMBLE])
    return units


def _targets(dataset: str, split: str) -> np.ndarray:
    return load_split(dataset, split)[1]


def best_of(units: dict[str, dict], names: list[str]) -> str | None:
    """The name among ``names`` with the lowest validation MAE (None if none is done)."""
    done = [n for n in names if n in units]
    return min(done, key=lambda n: units[n]["val_mae"]) if done else None


def summarise(dataset: str, units: dict[str, dict], peers: dict) -> dict:
    """One set's row: our entries, the choices made on validation, the comparisons."""
    # the units record it; the data is read only for a set with no unit yet
    recorded = [u["train_rows"] for u in units.values() if "train_rows" in u]
    n_train = recorded[0] if recorded else training_rows(dataset)
    planned = [u.name for u in planned_units(dataset, n_train)]
    candidates = ["irnet17_s0", "irnet48_s0", "irnet17ft_s0"]
    if n_train < 50_000:
        candidates.append(ENSEMBLE)
    candidates = [c for c in candidates if c == ENSEMBLE or c in planned]
    complete = all(n in units for n in planned)
    best = best_of(units, candidates)
    classical = best_of(units, ["rf_s0", "hgb_s0"])
    row: dict = {
        "dataset": dataset,
        "unit": peers["unit"],
        "train_rows": n_train,
        "complete": complete,
        "missing": [n for n in planned if n not in units],
        "test_mae": {n: u["test_mae"] for n, u in units.items()},
        "val_mae": {n: u["val_mae"] for n, u in units.items()},
        "wall_s": {n: u["wall_s"] for n, u in units.items()},
        "best": best,
        "best_classical": classical,
        "published": {k: peers[k] for k in (*PEERS, "random_forest")},
    }
    if n_train < 50_000:
        seeds = [units[f"irnet17_s{s}"]["test_mae"] for s in range(3) if f"irnet17_s{s}" in units]
        row["irnet17_seed_test_mae"] = seeds
    if best is not None:
        ours = units[best]["test_mae"]
        best_peer = min(PEERS, key=lambda k: peers[k])
        row["best_test_mae"] = ours
        row["best_peer"] = best_peer
        row["ratio_to_best_peer"] = ours / peers[best_peer]
        row["ratio_to_crabnet"] = ours / peers["crabnet"]
        row["ratio_to_published_forest"] = ours / peers["random_forest"]
        row["beats"] = {k: ours < peers[k] for k in PEERS}
    return row


def table_one(rows: list[dict]) -> dict:
    """The paper's Table 1 claims, checked on the complete sets."""

    def holds(row: dict, a: str, b: str) -> bool | None:
        mae = row["test_mae"]
        return None if a not in mae or b not in mae else mae[a] < mae[b]

    big = [r for r in rows if r["train_rows"] >= 10_000]
    small = [r for r in rows if r["train_rows"] < 10_000]
    return {
        "irnet17_below_plain17_big": {
            r["dataset"]: holds(r, "irnet17_s0", "plain17_s0") for r in big
        },
        "irnet17_below_best_classical_big": {
            r["dataset"]: None
            if r["best_classical"] is None
            else holds(r, "irnet17_s0", r["best_classical"])
            for r in big
        },
        "fine_tuned_below_rf_small": {
            r["dataset"]: holds(r, "irnet17ft_s0", "rf_s0") for r in small
        },
        "irnet48_below_irnet17": {
            r["dataset"]: holds(r, "irnet48_s0", "irnet17_s0") for r in rows
        },
    }


def fine_tuning_effect(rows: list[dict]) -> dict | None:
    """Fine-tuned IRNet against IRNet-17 from scratch (seed 0) where both have run.

    Not part of Table 1: what the numbers say about making fine-tuning the default for
    small tables (wins on validation and on test, the geometric mean of the test MAE
    ratios, the mean training minutes), and the fine-tuned net against the better tree
    model chosen on validation.
    """
    pairs = [r for r in rows if {"irnet17ft_s0", "irnet17_s0"} <= set(r["test_mae"])]
    if not pairs:
        return None

    def below(r: dict, split: str, other: str) -> bool:
        return r[split]["irnet17ft_s0"] < r[split][other]

    ratios = [r["test_mae"]["irnet17ft_s0"] / r["test_mae"]["irnet17_s0"] for r in pairs]
    trees = [r for r in pairs if r["best_classical"] is not None]
    return {
        "sets": [r["dataset"] for r in pairs],
        "below_scratch_val": sum(below(r, "val_mae", "irnet17_s0") for r in pairs),
        "below_scratch_test": sum(below(r, "test_mae", "irnet17_s0") for r in pairs),
        "test_ratio_geomean": float(np.exp(np.mean(np.log(ratios)))),
        "minutes_fine_tuned": float(np.mean([r["wall_s"]["irnet17ft_s0"] for r in pairs]) / 60),
        "minutes_scratch": float(np.mean([r["wall_s"]["irnet17_s0"] for r in pairs]) / 60),
        "below_best_classical_test": sum(below(r, "test_mae", r["best_classical"]) for r in trees),
        "with_classical": len(trees),
    }


def _count(verdicts: dict) -> str:
    known = [v for v in verdicts.values() if v is not None]
    return f"{sum(known)} of {len(known)} measured" + (
        f" ({len(verdicts) - len(known)} pending)" if len(known) < len(verdicts) else ""
    )


LABELS = {
    "irnet17_s0": "IRNet-17",
    ENSEMBLE: "IRNet-17 ×3",
    "plain17_s0": "PlainNet-17",
    "irnet48_s0": "IRNet-48",
    "irnet17ft_s0": "IRNet fine-tuned",
    "rf_s0": "RF",
    "hgb_s0": "HGB",
}


def _fmt(value: float | None) -> str:
    return "…" if value is None else f"{value:.4g}"


def markdown(rows: list[dict], claims: dict, cost_s: float | None, n_cost: int) -> str:
    """The docs section: the main table, Table 1's claims and the peers' counts."""
    table = []
    for r in rows:
        mae = r["test_mae"]
        entry = {"set": r["dataset"], "unit": r["unit"], "train": f"{r['train_rows']:,}"}
        for key, label in LABELS.items():
            entry[label] = (
                _fmt(mae.get(key)) if key != ENSEMBLE or r["train_rows"] < 50_000 else "–"
            )
            if key == "irnet17ft_s0" and r["train_rows"] >= 20_000:
                entry[label] = "–"
        for key, label in PEERS.items():
            entry[label] = _fmt(r["published"][key])
        entry["RF (pub.)"] = _fmt(r["published"]["random_forest"])
        wall = r["wall_s"].get("irnet17_s0")
        entry["IRNet-17 min"] = "…" if wall is None else f"{wall / 60:.1f}"
        entry["our best (by val)"] = (
            LABELS[r["best"]] + ("" if r["complete"] else " so far") if r["best"] else "…"
        )
        entry["best / best peer"] = (
            f"{r['ratio_to_best_peer']:.2f}" if "ratio_to_best_peer" in r else "…"
        )
        table.append(entry)
    columns = list(table[0])
    complete = [r for r in rows if r["complete"]]
    lines = [
        "Test MAE in each set's unit on the published test split; our entries are seed 0"
        ' except the three-seed ensemble (×3); "…" is a unit not run yet, "–" one the'
        " protocol does not include. Published columns: Wang et al. 2021 (CrabNet: the better"
        ' of its mat2vec and one-hot columns). "Our best" is chosen on the validation split.',
        "",
        format_table(table, columns),
        "",
        f"Sets with every unit done: {len(complete)} of {len(rows)}.",
        "",
    ]
    if complete:
        for key, label in PEERS.items():
            wins = sum(r["beats"][key] for r in complete)
            lines.append(
                f"- skirnet's best below {label}: {wins} of {len(complete)} complete sets."
            )
        lines.append("")
    lines += [
        "Table 1 of the paper, on the sets measured so far (test MAE, seed 0):",
        "",
        f"- IRNet-17 below PlainNet-17 (≥ 10k training rows): {_count(claims['irnet17_below_plain17_big'])}.",
        f"- IRNet-17 below the best classical model chosen on validation (≥ 10k rows): "
        f"{_count(claims['irnet17_below_best_classical_big'])}.",
        f"- Fine-tuned IRNet below RF (< 10k rows): {_count(claims['fine_tuned_below_rf_small'])}.",
        f"- IRNet-48 below IRNet-17 (every set): {_count(claims['irnet48_below_irnet17'])}.",
        "",
    ]
    tuned = fine_tuning_effect(rows)
    if tuned is not None:
        n = len(tuned["sets"])
        lines += [
            f"Fine-tuning against training from scratch, on the {n} sets where both have run"
            f" (< 20k rows): the fine-tuned IRNet is below IRNet-17 (seed 0) on"
            f" {tuned['below_scratch_val']} of {n} on validation and"
            f" {tuned['below_scratch_test']} of {n} on test, with"
            f" {tuned['test_ratio_geomean']:.2f}× its test MAE (geometric mean), in"
            f" {tuned['minutes_fine_tuned']:.1f} minutes of training against"
            f" {tuned['minutes_scratch']:.1f} (mean); it is below the better tree model"
            f" (chosen on validation) on {tuned['below_best_classical_test']} of"
            f" {tuned['with_classical']}.",
            "",
        ]
    if cost_s is not None:
        lines.append(
            f"Cost: IRNet-17 (seed 0) trained in {cost_s / 3600:.2f} CPU-hours in all on the "
            f"{n_cost} sets where it has run (one thread each; per-unit times in "
            "`benchmarks/results/suite_summary.json`)."
        )
    return "\n".join(lines)


def readme_summary(rows: list[dict]) -> str:
    """The README's paragraph: how far the benchmark is, and the counts against each peer."""
    complete = [r for r in rows if r["complete"]]
    started = [r for r in rows if "irnet17_s0" in r["test_mae"]]
    text = (
        f"**Every property, every dataset** (CrabNet's 16-set benchmark, the peers' own "
        f"splits, protocol fixed before the first run): IRNet-17 has run on {len(started)} of "
        f"16 sets and every unit of the protocol on {len(complete)}."
    )
    if complete:
        counts = ", ".join(
            f"{label} on {sum(r['beats'][key] for r in complete)}" for key, label in PEERS.items()
        )
        text += f" On the complete sets skirnet's best (chosen on validation) is below {counts}."
    scored = [r for r in rows if "beats" in r]
    if len(complete) < len(scored):
        counts = ", ".join(
            f"{label} on {sum(r['beats'][key] for r in scored)}" for key, label in PEERS.items()
        )
        text += (
            f" So far (the best of the entries run on each set, chosen on validation) skirnet"
            f" is below {counts} of the {len(scored)} sets."
        )
    behind = [
        r for r in started if r["test_mae"]["irnet17_s0"] > min(r["published"][k] for k in PEERS)
    ]
    if started:
        text += (
            f" IRNet-17 alone is behind the best published peer on {len(behind)} of the "
            f"{len(started)} sets it has run on."
        )
    tuned = fine_tuning_effect(rows)
    if tuned is not None:
        n = len(tuned["sets"])
        text += (
            f" On small tables, fine-tuning a shipped OQMD model beats training IRNet-17 from"
            f" scratch on {tuned['below_scratch_val']} of the {n} sets measured (validation)"
            f" and the better tree model on {tuned['below_best_classical_test']} (test)."
        )
    return text + " Tables and the protocol: `docs/benchmarks.md`."


def plot(rows: list[dict], path: Path) -> None:
    """Each set's best entry as a ratio to CrabNet and to the published forest."""
    from matplotlib.figure import Figure

    shown = [r for r in rows if "ratio_to_crabnet" in r]
    fig = Figure(figsize=(8, 0.35 * max(len(shown), 4) + 1.2))
    ax = fig.subplots()
    ys = np.arange(len(shown))
    ax.barh(ys - 0.2, [r["ratio_to_crabnet"] for r in shown], 0.4, label="to CrabNet")
    ax.barh(ys + 0.2, [r["ratio_to_published_forest"] for r in shown], 0.4, label="to the forest")
    ax.axvline(1.0, color="black", lw=1)
    ax.set_yticks(ys, [r["dataset"] for r in shown])
    ax.invert_yaxis()
    ax.set_xlabel("skirnet's best test MAE / published test MAE (below 1: skirnet better)")
    # above the bars: no bar hides under it
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the docs page")
    args = parser.parse_args(argv)
    peers = published(refresh=not args.check)  # a check writes nothing
    rows = [
        summarise(d, load_set(d, store=not args.check), peers[d])
        for d in peers
        if (SUITE / d).is_dir()
    ]
    rows.sort(key=lambda r: (r["train_rows"], r["dataset"]))
    if not rows:
        print("no suite results yet")
        return 0
    claims = table_one(rows)
    costs = [r["wall_s"]["irnet17_s0"] for r in rows if "irnet17_s0" in r["wall_s"]]
    text = markdown(rows, claims, sum(costs) if costs else None, len(costs))
    summary_text = readme_summary(rows)
    if args.check:
        stale = [
            page
            for page, name, body in (
                (DOCS, "suite", text),
                (README, "suite-summary", summary_text),
            )
            if replace_section(page.read_text(), name, body) != page.read_text()
        ]
        for page in stale:
            print(f"{page} is out of date: run python benchmarks/suite_report.py")
        return 1 if stale else 0
    summary = {
        "sets": rows,
        "table_one": claims,
        "fine_tuning": fine_tuning_effect(rows),
        "irnet17_cost_s": sum(costs) if costs else None,
    }
    write_json(RESULTS / "suite_summary.json", summary)
    plot(rows, RESULTS / "suite_ratios.png")
    DOCS.write_text(replace_section(DOCS.read_text(), "suite", text))
    README.write_text(replace_section(README.read_text(), "suite-summary", summary_text))
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
