"""Input files that look like something else: every reader takes them alike, or says why not.

Each test writes the file that showed a fault and runs the command line on it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skirnet.cli import main
from skirnet.datasets import read_table
from skirnet.user_data import read_user_data

MODEL = "oqmd-formation-enthalpy"  # shipped: no training needed


def _errors(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if "error:" in line]


def _predict(tmp_path: Path, data: Path) -> pd.DataFrame:
    out = tmp_path / "pred.csv"
    argv = ["predict", "--model", MODEL, "--data", str(data), "--output", str(out)]
    assert main([*argv, "--threads", "1"]) == 0
    return pd.read_csv(out, keep_default_na=False, dtype={"formula": str, "id": str})


def _screen(tmp_path: Path, data: Path, *extra: str) -> pd.DataFrame:
    out = tmp_path / "screen.parquet"
    argv = ["screen", "--model", MODEL, "--data", str(data), "--output", str(out)]
    assert main([*argv, *extra, "--threads", "1"]) == 0
    return pd.read_parquet(out)


# --------------------------------------------------------------------------- formulas as text

TEXTS = ["NaCl", "NaN", "NA", "None", "Inf", "True"]


def test_predict_and_screen_read_formula_cells_as_text(tmp_path, capsys):
    table = tmp_path / "candidates.csv"
    table.write_text("formula\n" + "\n".join(TEXTS) + "\n")
    predicted = _predict(tmp_path, table)
    screened = _screen(tmp_path, table)
    assert predicted["formula"].tolist() == screened["formula"].tolist() == TEXTS
    # NaN (sodium nitride) is predicted by both; NA, None, Inf and True fail in both alike
    assert predicted["error"].ne("").tolist() == [False, False, True, True, True, True]
    assert screened["error"].notna().tolist() == predicted["error"].ne("").tolist()
    np.testing.assert_allclose(
        screened["prediction"].to_numpy(),
        pd.to_numeric(predicted["prediction"]).to_numpy(),
        rtol=1e-6,
    )
    assert "'A'" in predicted["error"][2] and "'A'" in screened["error"][2]


def test_training_tables_and_id_prop_read_formulas_and_ids_as_text(tmp_path):
    table = tmp_path / "train.csv"
    table.write_text("formula,target\n" + "".join(f"{t},{i}\n" for i, t in enumerate(TEXTS)))
    assert read_table(table).data.tolist() == TEXTS
    assert read_user_data(table).inputs == TEXTS
    assert read_user_data(table, target=False).inputs == TEXTS
    gz = tmp_path / "named.csv.gz"
    pd.DataFrame({"material": TEXTS, "y": range(6)}).to_csv(gz, index=False)
    assert read_table(gz, formula_col="material").data.tolist() == TEXTS

    from skirnet.datasets import load_id_prop_folder

    poscar = "Po\n1.0\n3.35 0 0\n0 3.35 0\n0 0 3.35\nPo\n1\ndirect\n0 0 0\n"
    folder = tmp_path / "folder"
    folder.mkdir()
    for name in ("NA", "None"):
        (folder / f"{name}.vasp").write_text(poscar)
    (folder / "id_prop.csv").write_text("NA,0.5\nNone,1.5\n")
    bunch = load_id_prop_folder(folder, parse=False)
    assert bunch.ids.tolist() == ["NA", "None"] and bunch.target.tolist() == [0.5, 1.5]


# --------------------------------------------------------------------------- blank lines


def test_a_blank_line_is_a_row_in_predict_and_screen_alike(tmp_path, capsys):
    table = tmp_path / "one-column.csv"
    table.write_text("formula\nNaCl\n\nFe2O3\n\nMgO\n")
    predicted = _predict(tmp_path, table)
    assert "2 of 5 row(s) could not be featurized" in capsys.readouterr().err
    screened = _screen(tmp_path, table, "--chunk-size", "2")
    assert predicted["formula"].tolist() == screened["formula"].tolist()
    assert predicted["formula"].tolist() == ["NaCl", "", "Fe2O3", "", "MgO"]
    assert predicted["error"].ne("").tolist() == [False, True, False, True, False]
    assert screened["error"].notna().tolist() == [False, True, False, True, False]
    assert "empty formula" in predicted["error"][1] and "empty formula" in screened["error"][3]

    two_columns = tmp_path / "two-columns.csv"
    two_columns.write_text("id,formula\n1,NaCl\n\n2,MgO\n")
    assert len(_predict(tmp_path, two_columns)) == len(_screen(tmp_path, two_columns)) == 3


def test_a_blank_line_in_a_training_table_is_named_by_its_line(tmp_path, capsys):
    table = tmp_path / "train.csv"
    rows = "".join(f"NaCl,{i}\n" for i in range(12))
    table.write_text(f"formula,target\n{rows}\n{rows}")
    argv = ["compare", "--data", str(table), "--models", "rf", "--out", str(tmp_path / "o")]
    assert main(argv) == 2
    (line,) = _errors(capsys)
    assert "missing value at data row 12 (file line 14)" in line and str(table) in line


def test_a_blank_first_line_says_where_the_header_goes(tmp_path, capsys):
    table = tmp_path / "late-header.csv"
    table.write_text("\nformula\nNaCl\n")
    for argv in (
        ["predict", "--model", MODEL, "--data", str(table)],
        ["screen", "--model", MODEL, "--data", str(table), "--output", str(tmp_path / "o.pq")],
    ):
        assert main(argv) == 2
        (line,) = _errors(capsys)
        assert f"the first line of {table} is blank" in line


# --------------------------------------------------------------------------- element grids


def _screen_fails(tmp_path, capsys, *grid: str) -> str:
    out = tmp_path / "grid.parquet"
    assert main(["screen", "--model", MODEL, *grid, "--output", str(out)]) == 2
    (line,) = _errors(capsys)
    assert "Traceback" not in line and not out.exists()
    return line


@pytest.mark.parametrize("elements", ["", ",", " , "])
def test_screen_without_elements_is_refused(tmp_path, capsys, elements):
    line = _screen_fails(tmp_path, capsys, "--elements", elements, "--max-atoms", "3")
    assert "no element symbols given" in line and "e.g. Li,Fe,O" in line


@pytest.mark.parametrize(
    ("grid", "why"),
    [
        (["--elements", "Li,O", "--min-elements", "3"], "asks for more elements than the 2"),
        (["--elements", "Na,Cl", "--max-atoms", "1", "--min-elements", "2"],
         "compositions of 2 elements need --max-atoms 2 or more"),
        (["--elements", "O,F", "--charge-balanced"], "none balances"),
    ],
)  # fmt: skip
def test_screen_of_an_empty_grid_is_refused(tmp_path, capsys, grid, why):
    grid = grid if "--max-atoms" in grid else [*grid, "--max-atoms", "4"]
    line = _screen_fails(tmp_path, capsys, *grid)
    assert "gives no composition to screen" in line and why in line


@pytest.mark.parametrize("max_atoms", ["100000", "1000000000000"])
def test_screen_of_a_grid_too_large_says_which_max_atoms_fits(tmp_path, capsys, max_atoms):
    from skirnet.screening import MAX_GENERATED, check_grid_size

    line = _screen_fails(tmp_path, capsys, "--elements", "Li,Fe,O", "--max-atoms", max_atoms)
    assert f"--max-atoms {max_atoms} gives " in line and "more than one screen generates" in line
    fits = int(line.split("use --max-atoms ")[1].split()[0])
    assert check_grid_size(["Li", "Fe", "O"], fits) <= MAX_GENERATED
    with pytest.raises(ValueError, match="over the limit"):
        check_grid_size(["Li", "Fe", "O"], fits + 1)


def test_grids_are_counted_and_generated_without_holding_them():
    import itertools
    import math

    from skirnet.screening import _iter_amounts, count_compositions, generate_compositions

    # one element has one composition at any size; a huge grid starts at once
    assert count_compositions(["Fe"], 10**12) == 1
    assert list(generate_compositions(["Fe"], 10**12)) == ["Fe1"]
    first = itertools.islice(generate_compositions(["Li", "O"], 10**9), 4)
    assert list(first) == ["Li1", "O1", "Li1O1", "Li1O2"]
    # amounts enumerated one by one, in the order of the filtered product (a grid too large
    # to keep between element subsets)
    product = [
        a for a in itertools.product(range(1, 89), repeat=3) if sum(a) <= 90 and math.gcd(*a) == 1
    ]
    assert list(_iter_amounts(3, 90)) == product
    assert count_compositions(["Li", "Fe", "O"], 90, min_elements=3) == len(product)
    for n, atoms in [(2, 1), (3, 7), (4, 12), (5, 9)]:
        elements = ["Li", "Fe", "P", "O", "Mn"][:n]
        assert count_compositions(elements, atoms) == len(
            list(generate_compositions(elements, atoms))
        )


# --------------------------------------------------------------------------- structure folders


@pytest.fixture(scope="module")
def cif_folder(shared_data, tmp_path_factory) -> Path:
    """14 CIF files of Materials Project crystals and their id_prop.csv."""
    frame = pd.read_csv(shared_data / "structure" / "mp_2018_36737.csv.gz", nrows=14)
    folder = tmp_path_factory.mktemp("cifs") / "folder"
    folder.mkdir()
    for ident, cif in zip(frame["material_id"], frame["cif"], strict=True):
        (folder / f"{ident}.cif").write_text(cif)
    frame[["material_id", "e_form"]].to_csv(folder / "id_prop.csv", header=False, index=False)
    return folder


@pytest.fixture(autouse=True)
def _data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("SKIRNET_DATA", str(tmp_path / "data-home"))  # the feature cache


@pytest.fixture(scope="module")
def structure_model(cif_folder, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "model"
    argv = ["train", "--data", str(cif_folder), "--features", "composition", "--out", str(out)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SKIRNET_DATA", str(out.parent / "data-home"))
        assert main([*argv, "--epochs", "2", "--hidden-layer-sizes", "16", "--threads", "1"]) == 0
    return out


def _damaged_copy(cif_folder: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    import shutil

    folder = tmp_path / "damaged"
    shutil.copytree(cif_folder, folder)
    ids = pd.read_csv(folder / "id_prop.csv", header=None)[0].tolist()
    (folder / f"{ids[2]}.cif").write_text("data_broken\n_cell_length_a oops\n")
    (folder / f"{ids[5]}.cif").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (folder / f"{ids[7]}.cif").unlink()
    return folder, ids


def test_predict_on_a_folder_keeps_unreadable_structures_as_error_rows(
    cif_folder, structure_model, tmp_path, capsys
):
    folder, ids = _damaged_copy(cif_folder, tmp_path)
    with open(folder / "id_prop.csv", "a") as fh:
        fh.write("\n")  # a blank line: a row without an id
    capsys.readouterr()
    predicted = _predict_with(structure_model, folder, tmp_path)
    assert predicted["id"].tolist() == [*ids, ""]
    failed = predicted["error"].ne("")
    assert failed.tolist() == [i in (2, 5, 7, 14) for i in range(15)]
    assert "4 of 15 row(s)" in capsys.readouterr().err
    assert f"id '{ids[2]}'" in predicted["error"][2] and "Invalid CIF" in predicted["error"][2]
    binary = predicted["error"][5]
    assert f"id '{ids[5]}'" in binary and str(folder / f"{ids[5]}.cif") in binary
    assert "not UTF-8 text" in binary
    assert f"no structure file for id '{ids[7]}'" in predicted["error"][7]
    assert "line 15 of" in predicted["error"][14] and "has no id" in predicted["error"][14]
    assert np.isfinite(pd.to_numeric(predicted["prediction"][~failed])).all()


def test_training_on_a_folder_names_the_unreadable_structure(cif_folder, tmp_path, capsys):
    folder, ids = _damaged_copy(cif_folder, tmp_path)
    for good in (ids[2], ids[7]):  # only the binary file is left damaged
        (folder / f"{good}.cif").write_text((cif_folder / f"{good}.cif").read_text())
    argv = ["train", "--data", str(folder), "--features", "composition", "--epochs", "1"]
    assert main([*argv, "--out", str(tmp_path / "m")]) == 2
    (line,) = _errors(capsys)
    assert f"cannot read the structure of id '{ids[5]}' ({folder / f'{ids[5]}.cif'})" in line
    assert "not UTF-8 text" in line and "codec" not in line


def _predict_with(model: Path, data: Path, tmp_path: Path) -> pd.DataFrame:
    out = tmp_path / "pred.csv"
    argv = ["predict", "--model", str(model), "--data", str(data), "--output", str(out)]
    assert main(argv) == 0
    return pd.read_csv(out, keep_default_na=False, dtype={"id": str})


def test_predict_on_a_cif_table_keeps_an_empty_cell_as_an_error_row(
    cif_folder, structure_model, tmp_path
):
    ids = pd.read_csv(cif_folder / "id_prop.csv", header=None)[0].tolist()[:3]
    cifs = [(cif_folder / f"{i}.cif").read_text() for i in ids]
    table = tmp_path / "cifs.csv"
    pd.DataFrame({"cif": [cifs[0], None, cifs[2]]}).to_csv(table, index=False)
    predicted = _predict_with(structure_model, table, tmp_path)
    assert predicted["error"].ne("").tolist() == [False, True, False]
    assert "no structure" in predicted["error"][1]


# --------------------------------------------------------------------------- model names


@pytest.mark.parametrize("command", ["predict", "screen"])
def test_a_misspelt_model_name_lists_the_shipped_models(tmp_path, capsys, command):
    from skirnet.pretrained import list_models

    table = tmp_path / "q.csv"
    table.write_text("formula\nNaCl\n")
    argv = [command, "--model", "oqmd-formation-enthalpi", "--data", str(table)]
    argv += ["--output", str(tmp_path / ("o.csv" if command == "predict" else "o.parquet"))]
    assert main(argv) == 2
    (line,) = _errors(capsys)
    assert "no such model folder: oqmd-formation-enthalpi, nor a pretrained model" in line
    assert f"(shipped models: {', '.join(list_models())})" in line
    assert not list(tmp_path.glob("o.*"))


# --------------------------------------------------------------------------- duplicate columns


def _duplicated_tables(tmp_path: Path) -> dict[str, Path]:
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [("NaCl", float(i), "MgO") for i in range(12)]
    csv = tmp_path / "dup.csv"
    csv.write_text("formula,target,formula\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows))
    parquet = tmp_path / "dup.parquet"
    columns = [pa.array([r[i] for r in rows]) for i in range(3)]
    pq.write_table(pa.table(columns, names=["formula", "target", "formula"]), parquet)
    js = tmp_path / "dup.json"
    js.write_text(json.dumps({"columns": ["formula", "target", "formula"], "data": rows}))
    return {"csv": csv, "parquet": parquet, "json": js}


@pytest.mark.parametrize("kind", ["csv", "parquet", "json"])
def test_two_columns_of_one_name_are_refused_by_every_command(tmp_path, capsys, kind):
    path = _duplicated_tables(tmp_path)[kind]
    commands = [
        ["compare", "--data", str(path), "--models", "rf", "--out", str(tmp_path / "c")],
        ["train", "--data", str(path), "--out", str(tmp_path / "m")],
        ["predict", "--model", MODEL, "--data", str(path)],
        ["screen", "--model", MODEL, "--data", str(path), "--output", str(tmp_path / "s.pq")],
    ]
    for argv in commands[:3] if kind == "json" else commands:  # screen reads CSV, Parquet
        assert main(argv) == 2, argv
        (line,) = _errors(capsys)
        assert f"{path} has 2 columns named 'formula' (columns 1 and 3)" in line, line
        assert "ambiguous" in line
    assert not (tmp_path / "s.pq").exists() and not (tmp_path / "m").exists()


# --------------------------------------------------------------------------- candidate files


def _bad_candidate_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    header = tmp_path / "header.csv"
    header.write_text("formula,id\n")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("formula,id\nNaCl,1\nMgO,2,3,4\nFe2O3,5\n")
    parquet = tmp_path / "fake.parquet"
    parquet.write_text("formula\nNaCl\n")
    return {
        "header only": (header, f"the file {header} has a header but no data rows"),
        "more cells than the header": (ragged, "Expected 2 fields in line 3, saw 4"),
        "not Parquet": (parquet, f"cannot read {parquet} as a Parquet file"),
    }


def test_screen_refuses_a_bad_candidate_file_as_predict_does(tmp_path, capsys):
    out = tmp_path / "s.parquet"
    for case, (path, needle) in _bad_candidate_files(tmp_path).items():
        lines = []
        for argv in (
            ["predict", "--model", MODEL, "--data", str(path)],
            ["screen", "--model", MODEL, "--data", str(path), "--output", str(out)],
        ):
            assert main(argv) == 2, (case, argv)
            (line,) = _errors(capsys)
            assert needle in line and str(path) in line, (case, line)
            lines.append(line)
        assert lines[0] == lines[1], case  # the same message from both
        assert not out.exists()
    assert main(["screen", "--model", MODEL, "--data", str(tmp_path), "--output", str(out)]) == 2
    assert f"--data {tmp_path} is a folder" in _errors(capsys)[0]


def test_columns_differing_only_in_case_are_refused_as_ambiguous(tmp_path, capsys):
    table = tmp_path / "case.csv"
    table.write_text("Formula,formula,target\n" + "".join(f"NaCl,MgO,{i}\n" for i in range(12)))
    out = tmp_path / "s.parquet"
    commands = [
        ["compare", "--data", str(table), "--models", "rf", "--out", str(tmp_path / "c")],
        ["predict", "--model", MODEL, "--data", str(table)],
        ["screen", "--model", MODEL, "--data", str(table), "--output", str(out)],
    ]
    for argv in commands:
        assert main(argv) == 2, argv
        (line,) = _errors(capsys)
        assert f"columns ['Formula', 'formula'] of {table} could each be" in line, line
        assert "pass --formula-col to name one" in line
    screened = _screen(tmp_path, table, "--formula-col", "formula")
    assert screened["formula"].tolist() == ["MgO"] * 12


def test_screen_finds_the_formula_column_predict_finds(tmp_path):
    table = tmp_path / "mp.csv"
    table.write_text("material_id,pretty_formula\nmp-1,NaCl\nmp-2,MgO\n")
    assert _screen(tmp_path, table)["formula"].tolist() == ["NaCl", "MgO"]
    assert _predict(tmp_path, table)["formula"].tolist() == ["NaCl", "MgO"]


# --------------------------------------------------------------------------- unreadable tables


def test_unreadable_tables_are_named_with_what_is_wrong(tmp_path, capsys):
    import json

    rows = "".join(f"NaCl,{i}\n" for i in range(12))
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(f"formula,target\n{rows}Fé,1\n".encode("latin-1"))
    wide = tmp_path / "wide.json"
    wide.write_text(json.dumps({"columns": ["formula", "target"], "data": [["NaCl", 1, 3]]}))
    short_index = tmp_path / "index.json"
    payload = {"index": [0], "columns": ["formula", "target"], "data": [["NaCl", 1]] * 2}
    short_index.write_text(json.dumps(payload))
    cases = {
        latin1: "not UTF-8 text (it holds the byte 0xe9)",
        wide: "'columns', 'index' and 'data' do not fit",
        short_index: "'columns', 'index' and 'data' do not fit",
    }
    for path, needle in cases.items():
        for argv in (
            ["compare", "--data", str(path), "--models", "rf", "--out", str(tmp_path / "o")],
            ["predict", "--model", MODEL, "--data", str(path)],
        ):
            assert main(argv) == 2, argv
            (line,) = _errors(capsys)
            assert str(path) in line and needle in line, line
            assert "codec" not in line


def test_rows_of_json_and_parquet_tables_are_not_called_file_lines(tmp_path):
    frame = pd.DataFrame({"formula": ["NaCl", "MgO", "LiF"], "target": [1.0, None, 2.0]})
    for path in (tmp_path / "t.parquet", tmp_path / "t.json"):
        if path.suffix == ".json":
            frame.to_json(path, orient="split")
        else:
            frame.to_parquet(path)
        with pytest.raises(ValueError, match="missing value") as info:
            read_table(path)
        assert str(info.value).endswith("the first at data row 1"), info.value
