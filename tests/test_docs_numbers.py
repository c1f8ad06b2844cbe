"""Every number on the benchmark pages comes from a result file.

``README.md`` and ``docs/benchmarks.md`` quote measurements. Each number on them (prose,
tables and headings; code blocks aside) must be found, at the precision the page shows
it, in the result files its section cites (``SOURCES``: JSON under
``benchmarks/results/`` and the peers' published table kept there), or be named in
``ALLOWED`` with the reason it is not a measurement. A number typed by hand that no result
holds, or a result re-run without the page, fails here, with the line and sentence of each.

A stored value matches a shown number when it rounds to it, as stored or through one of
the few conversions its unit allows (``UNITS``): a fraction or a ratio shown as a
percentage (``100 v``, ``100 (1 - v)``, ``100 (v - 1)``), seconds shown as minutes, hours
or milliseconds, MB as GB, MHz as GHz, FLOP/s as GFLOP/s. Dates, clock times (to the
minute), versions and architectures are looked up as text.

The tables between generated-section markers are written by report scripts;
``test_generated_sections_are_current`` runs each script's ``--check`` instead.
"""

from __future__ import annotations

import bisect
import csv
import functools
import itertools
import json
import math
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PUBLISHED = "suite/published_test_mae.csv"  # the peers' published test MAEs, as kept

#: The result files each section quotes, as globs under ``benchmarks/results/``; a section
#: is named by the start of its ``##`` heading (its ``###`` subsections quote the same) and
#: the title stands for the text before the first ``##``. A number is looked up only in its
#: section's files, so a figure cannot be vouched for by an unrelated result.
SOURCES: dict[str, dict[str, tuple[str, ...]]] = {
    "README.md": {
        "skirnet": ("pretrained/*.json", "full/*.json"),
        "Quick start": ("demo_sample*.json",),
        "Predict without training": (
            "pretrained/*.json",
            "pretrained_check.json",
            "screening*.json",
            "transfer.json",
        ),
        "Crystal structures": ("featurize_structure.json",),
        "What it does at full scale": (
            "full/*.json",
            "full_scale_summary.json",
            "full_scale_ensemble.json",
            PUBLISHED,
        ),
    },
    "docs/benchmarks.md": {
        "Benchmarks": ("**/*.json",),
        "Every property": ("suite/**/*.json", "suite_summary.json", PUBLISHED),
        "Full scale": (
            "full/*.json",
            "full_scale_summary.json",
            "full_scale_ensemble.json",
            "pretrained/oqmd-formation-enthalpy.json",
            PUBLISHED,
        ),
        "The demo": ("demo_sample*.json",),
        "Shipped models": (
            "pretrained/*.json",
            "pretrained_check.json",
            "full/*.json",
            "earlier/magpie_only_oqmd-formation-enthalpy.json",  # the model it replaced
            PUBLISHED,
        ),
        "Transfer learning": (
            "transfer.json",
            "transfer/*.json",
            "transfer_tuned/*.json",
            "transfer_ensemble/*.json",
            "transfer_sources/*.json",
            "earlier/magpie_only_transfer*.json",  # from the Magpie-only shipped model
        ),
        "Screening": ("screening*.json",),
        "Crystal structures": (
            "featurize_structures*.json",
            "structures.json",
            "structures/*.json",
            "pretrained/oqmd-formation-enthalpy.json",  # "the architecture of the shipped models"
        ),
        "Uncertainty": ("calibration.json",),
        "Prediction intervals": ("intervals.json",),
        "Featurizers": (
            "featurize.json",
            "featurize_composition.json",
            "featurize_structure.json",
        ),
        "Training speed": ("train_speed*.json",),
        "The paper's depth study": (
            "reproduce_paper_small.json",
            "reproduce_paper_full_recipes_paper.json",
        ),
        "Training recipes": ("reproduce_paper_full_recipes_*.json", "reproduce_paper_small.json"),
        "Literature anchors": (PUBLISHED,),
        "Not measured yet": ("full/*.json", "train_speed*.json"),
    },
}
PAGES = tuple(SOURCES)
#: The values of per-epoch curves (``curve``, ``curves``) vouch only for a number in a
#: sentence that quotes a point of a curve ("after epoch 4", "by epoch 25", "after 78 s"),
#: and only in the sections that do: their thousands of values would match almost anything.
CURVES = {("README.md", "What it does at full scale"), ("docs/benchmarks.md", "Full scale")}
CURVE_KEYS = {"curve", "curves"}
CURVE_POINT = re.compile(r"\b(?:after|by) epochs? \d|\bepoch \d+:|\bafter \d+ s\b")
#: Sections that quote no measurement at all, and why their numbers are not checked.
EXEMPT = {("README.md", "Citing"): "bibliographic references: volumes, pages and years"}
#: Sections written by a report script between ``<!-- name:start -->`` and
#: ``<!-- name:end -->``, and the script whose ``--check`` says each one is current.
GENERATED = {
    "suite": "benchmarks/suite_report.py",
    "suite-summary": "benchmarks/suite_report.py",
    "full-results": "benchmarks/full_scale_report.py",
    "full-depth": "benchmarks/full_scale_report.py",
    "full-trials": "benchmarks/full_scale_report.py",
    "intervals": "benchmarks/intervals.py",
}
MARKER = re.compile(r"<!-- ([\w-]+):(start|end) -->")

#: Numbers that are not measurements: (the numbers as printed, a pattern that must match in
#: the same sentence or table row, why). Keep this short: a measured figure belongs in a
#: result file.
ALLOWED: list[tuple[tuple[str, ...], str, str]] = [
    (("11", "4244", "2021"), r"Sci\. Rep\. 11:4244, 2021", "the paper's reference"),
    (("7", "77", "2021"), r"npj Comput\. Mater\. 7:77, 2021", "Wang et al.'s reference"),
    (
        ("0.0382", "0.072", "47", "48", "435", "9"),
        r"paper|Jha et al",
        "Jha et al.'s published IRNet-48 and best forest on their own OQMD split, and the "
        "size of their OQMD-SC set",
    ),
    (("38.8",), r"MODNet", "the Matbench leaderboard's published MODNet result"),
    (("16",), r"16 sets of CrabNet", "the rows of the published table: a dataset fact"),
    (
        ("0.045", "45", "60", "2", "0.050", "10", "15", "100", "0.5"),
        r"\bgoals?\b",
        "goals set before the runs, not results",
    ),
    (("3.10",), r"Python ≥ 3\.10", "the Python versions the package supports"),
    (("3", "4"), r"Zen [34]\b", "machine names; the result files call both 'AMD EPYC'"),
    (
        ("145", "86", "231"),
        r"Magpie|fractions|inputs",
        "the column counts of the feature presets, fixed by their definition",
    ),
    (("100", "500"), r"\btrees\b|-tree\b", "how many trees a benchmark gives its forest"),
    (
        ("20,000",),
        r"under 20,000 rows",
        "the table size below which 'skirnet train' fine-tunes by default, a setting",
    ),
    (("7", "3.5", "13"), r"Å", "the cut-off radii of the Voronoi code, constants"),
    (("0.683", "0.954", "95"), r"Gaussian", "the coverage of ±1σ and ±2σ under a Gaussian"),
]

NUMBER = re.compile(
    r"(?<![\w.,/])(?P<sign>[−-](?=\d))?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?P<frac>\.\d+)?(?P<exp>e[-−]?\d+)?"
    r"(?P<unit>\s?(?:%|×|M\b|k\b|MB\b|GB\b|GHz\b|GFLOP/s|min\b|minutes\b|h\b|hours\b|"
    r"CPU-hours\b|s\b|seconds\b|ms\b))?"
)
#: Written on the page as text and looked up as text in the results: dates (the JSON's
#: ``machine.date``), clock times, version numbers and network architectures.
DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})(?:/(\d{2}))?\b")
CLOCK = re.compile(r"\b\d{2}:\d{2}\b")
VERSION = re.compile(r"(?<![\w.])\d+\.\d+\.\d+\b")
ARCHITECTURE = re.compile(r"\b\d+x\d+(?:-\d+x\d+)+\b")
#: The year of a cited paper ("Ward et al. 2016", "Jha et al. (2021)"): a reference, not a
#: result.
CITED_YEAR = re.compile(r"et al\.,? \(?(\d{4})\)?")

#: How a stored value may be shown: each conversion is value × a + b.
CONVERSIONS = {
    "as stored": (1.0, 0.0),
    "a fraction as a percentage": (100.0, 0.0),
    "a ratio as a percentage below": (-100.0, 100.0),
    "a ratio as a percentage above": (100.0, -100.0),
    "MB as GB": (1e-3, 0.0),
    "MHz as GHz": (1e-3, 0.0),
    "FLOP/s as GFLOP/s": (1e-9, 0.0),
    "seconds as ms": (1e3, 0.0),
    "seconds as minutes": (1 / 60, 0.0),
    "seconds as hours": (1 / 3600, 0.0),
}
PERCENT = ("as stored", "a fraction as a percentage", "a ratio as a percentage below",
           "a ratio as a percentage above")  # fmt: skip
MINUTES = ("as stored", "seconds as minutes")
HOURS = ("as stored", "seconds as hours")
#: Per unit written after a number: (its factor, the conversions that may show a value).
UNITS: dict[str, tuple[float, tuple[str, ...]]] = {
    "": (1.0, ("as stored",)),
    "×": (1.0, ("as stored",)),
    "%": (1.0, PERCENT),
    "M": (1e6, ("as stored",)),
    "k": (1e3, ("as stored",)),
    "MB": (1.0, ("as stored",)),
    "GB": (1.0, ("as stored", "MB as GB")),
    "GHz": (1.0, ("as stored", "MHz as GHz")),
    "GFLOP/s": (1.0, ("as stored", "FLOP/s as GFLOP/s")),
    "s": (1.0, ("as stored",)),
    "seconds": (1.0, ("as stored",)),
    "ms": (1.0, ("as stored", "seconds as ms")),
    "min": (1.0, MINUTES),
    "minutes": (1.0, MINUTES),
    "h": (1.0, HOURS),
    "hours": (1.0, HOURS),
    "CPU-hours": (1.0, HOURS),
}
#: What joins the numbers of a range or a list that share the last one's unit
#: ("1.34–1.57 M", "18.7 / 20.8 / 19.4 min").
SHARED_UNIT = re.compile(r"\s?[–/]\s?")


@dataclass(frozen=True)
class Figure:
    page: str
    section: str  # the heading of its section
    line: int
    text: str  # as printed, with its unit
    number: str  # as printed, without sign or unit
    value: float  # the shown number times its unit's factor
    decimals: int  # decimal places of ``value``'s last shown digit
    unit: str
    sentence: str  # the sentence or table row it stands in


# -- the results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pool:
    """The numbers (sorted), those of per-epoch curves (sorted) and the text of a section's
    result files."""

    values: list[float]
    curve_values: list[float]
    text: str

    @functools.cached_property
    def minutes(self) -> set[str]:
        """Every clock time of the text, to the minute (as written and rounded)."""
        out = set()
        for h, m, sec in re.findall(r"\b(\d{2}):(\d{2})(?::(\d{2}))?", self.text):
            out.add(f"{h}:{m}")
            total = (int(h) * 60 + int(m) + (int(sec or 0) >= 30)) % (24 * 60)
            out.add(f"{total // 60:02d}:{total % 60:02d}")
        return out


#: A number written inside a string of a result (a command's option, a setting, a label
#: such as "IRNet-17") counts as a value too.
STRING_NUMBER = re.compile(r"(?<![\w.])(?<!\d-)\d+(?:\.\d+)?(?:e-?\d+)?(?![\w.]*\d)")


#: The depth in a full-scale unit's name ("irnet17_large-batchema_irnet-fractions_e40_s0").
UNIT_DEPTH = re.compile(r"\b(?:irnet|srnet|plain)(\d+)_")


def _walk(obj, values: list[float], strings: list[str], curves: list[float] | None) -> None:
    """Collect ``obj``'s numbers into ``values``, those under a curve key into ``curves``."""
    if isinstance(obj, dict):
        for key, item in obj.items():
            if key.endswith("ids"):
                continue  # lists of material ids: names, not numbers
            if key in CURVE_KEYS and curves is not None:
                _walk(item, curves, strings, None)
            else:
                _walk(item, values, strings, curves)
    elif isinstance(obj, list):
        for item in obj:
            _walk(item, values, strings, curves)
    elif isinstance(obj, str):
        strings.append(obj)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool) and math.isfinite(obj):
        values.append(float(obj))


@functools.cache
def _file(path: Path) -> tuple[tuple[float, ...], tuple[float, ...], tuple[str, ...]]:
    values: list[float] = []
    curves: list[float] = []
    strings: list[str] = []
    if path.suffix == ".json":
        _walk(json.loads(path.read_text()), values, strings, curves)
    else:
        with path.open() as handle:
            for row in csv.reader(handle):
                for cell in row:
                    try:
                        values.append(float(cell))
                    except ValueError:
                        strings.append(cell)
    for string in strings:
        values.extend(float(m[0]) for m in STRING_NUMBER.finditer(string))
        values.extend(float(m[1]) for m in UNIT_DEPTH.finditer(string))
    return tuple(values), tuple(curves), tuple(strings)


@functools.cache
def pool(page: str, section: str) -> Pool:
    """What the section's result files hold."""
    paths = sorted({p for g in SOURCES[page][section] for p in RESULTS.glob(g)})
    values: list[float] = []
    curves: list[float] = []
    strings: list[str] = []
    for path in paths:
        v, c, t = _file(path)
        values.extend(v)
        curves.extend(c)
        strings.extend(t)
    if (page, section) not in CURVES:
        curves = []
    return Pool(sorted(values), sorted(curves), "\n".join(strings))


# -- the pages -----------------------------------------------------------------------------


def section_key(page: str, heading: str) -> str | None:
    """The ``SOURCES`` key of a section's heading, or None when it has none."""
    return next((key for key in SOURCES[page] if heading.startswith(key)), None)


def exempt(page: str, heading: str) -> bool:
    return any(p == page and heading.startswith(h) for p, h in EXEMPT)


def prose_lines(page: str) -> list[tuple[str, int, str]]:
    """(section heading, line number, line) of the page's prose, tables and headings.

    Code blocks, fenced or indented, are left out: they are commands, not results. So are
    the generated sections, which their report scripts check
    (``test_generated_sections_are_current``), and image lines (a path).
    """
    out = []
    section = ""
    fence = generated = False
    previous_blank, in_code = True, False
    for number, line in enumerate((ROOT / page).read_text().splitlines(), start=1):
        stripped = line.strip()
        marker = MARKER.fullmatch(stripped)
        if marker:
            generated = marker[2] == "start"
            continue
        if stripped.startswith("```"):
            fence = not fence
            continue
        if generated or fence:
            continue
        if line.startswith("    ") and (previous_blank or in_code):
            in_code = True  # an indented code block, until the next blank line
            continue
        in_code = False
        previous_blank = not stripped
        heading = re.match(r"#{1,2} (.*)", line)
        if heading:
            section = heading[1]
        if not stripped.startswith("!["):
            out.append((section, number, line))
    return out


def blocks(lines: list[tuple[str, int, str]]) -> list[list[tuple[str, int, str]]]:
    """The page's paragraphs, list items, headings and table rows, each a list of lines."""
    out: list[list[tuple[str, int, str]]] = []
    for item in lines:
        _, number, line = item
        stripped = line.strip()
        if not stripped:
            continue
        previous = out[-1][-1] if out else None
        if (
            previous is None
            or previous[1] != number - 1
            or stripped.startswith(("|", "- ", "#"))
            or previous[2].lstrip().startswith(("|", "#"))
        ):
            out.append([])
        out[-1].append(item)
    return out


def _blank(match: re.Match) -> str:
    return " " * len(match[0])


def _mask(line: str) -> str:
    """``line`` with its text-like numbers (dates, versions, …) blanked out."""
    for pattern in (DATE, CLOCK, VERSION, ARCHITECTURE):
        line = pattern.sub(_blank, line)
    return CITED_YEAR.sub(_blank_year, line)


def _blank_year(match: re.Match) -> str:
    start, end = match.start(1) - match.start(), match.end(1) - match.start()
    return match[0][:start] + " " * (end - start) + match[0][end:]


def figures(page: str) -> list[Figure]:
    """Every number of the page's prose, tables and headings."""
    found = []
    for block in blocks(prose_lines(page)):
        lines = [line.strip() for _, _, line in block]
        joined = " ".join(lines)  # a unit may stand after a line break
        starts = list(itertools.accumulate((len(line) + 1 for line in lines), initial=0))
        matches = list(NUMBER.finditer(_mask(joined)))
        units = [(m["unit"] or "").strip() for m in matches]
        for i in range(len(matches) - 2, -1, -1):  # a range shares its last number's unit
            between = joined[matches[i].end() : matches[i + 1].start()]
            if not units[i] and SHARED_UNIT.fullmatch(between):
                units[i] = units[i + 1]
        for m, unit in zip(matches, units, strict=True):
            section, number, _ = block[bisect.bisect_right(starts, m.start()) - 1]
            mantissa = float(m["num"].replace(",", "") + (m["frac"] or ""))
            exponent = int(m["exp"][1:].replace("−", "-")) if m["exp"] else 0
            found.append(
                Figure(
                    page=page,
                    section=section,
                    line=number,
                    text=m[0].strip(),
                    number=m["num"] + (m["frac"] or "") + (m["exp"] or ""),
                    value=(-1 if m["sign"] else 1) * mantissa * 10.0**exponent * UNITS[unit][0],
                    decimals=(len(m["frac"]) - 1 if m["frac"] else 0) - exponent,
                    unit=unit,
                    sentence=_sentence(joined, m.start()),
                )
            )
    return found


#: Words whose full stop ends no sentence.
ABBREVIATIONS = {"al", "Sci", "Rep", "Comput", "Mater", "Phys", "Rev", "e.g", "i.e", "vs"}


def _sentence(text: str, at: int) -> str:
    """The sentence of ``text`` around position ``at``, or the whole of a table row."""
    if text.lstrip().startswith("|"):
        return " ".join(text.split())
    ends = [
        m.end() for m in re.finditer(r"(\S+)\. ", text) if m[1].strip("*`(") not in ABBREVIATIONS
    ]
    start = max((e for e in ends if e <= at), default=0)
    end = min((e for e in ends if e > at), default=len(text))
    return " ".join(text[start:end].split())


def texts(page: str) -> list[tuple[str, int, str, str]]:
    """(section, line, kind, text) of every date, clock time, version and architecture."""
    out = []
    for section, number, line in prose_lines(page):
        for m in DATE.finditer(line):
            out.append((section, number, "date", m[1]))
            if m[2]:
                out.append((section, number, "date", m[1][:-2] + m[2]))
        out += [(section, number, "clock", m[0]) for m in CLOCK.finditer(line)]
        out += [(section, number, "text", m[0]) for m in VERSION.finditer(line)]
        out += [(section, number, "text", m[0]) for m in ARCHITECTURE.finditer(line)]
    return out


# -- matching ------------------------------------------------------------------------------


def traced(figure: Figure, values: list[float]) -> bool:
    """Whether some stored value shows as ``figure`` at its precision, in its unit."""
    factor, conversions = UNITS[figure.unit]
    half = 0.5 * 10.0 ** (-figure.decimals) * factor * (1 + 1e-9)
    for name in conversions:
        a, b = CONVERSIONS[name]
        ends = (figure.value - half - b) / a, (figure.value + half - b) / a
        lo, hi = min(ends), max(ends)
        i = bisect.bisect_left(values, lo - 1e-12 * abs(lo))
        while i < len(values) and values[i] <= hi + 1e-12 * abs(hi):
            if abs(a * values[i] + b - figure.value) <= half:
                return True
            i += 1
    return False


def _in_pool(figure: Figure, found: Pool) -> bool:
    if traced(figure, found.values):
        return True
    return bool(CURVE_POINT.search(figure.sentence)) and traced(figure, found.curve_values)


def allowed(figure: Figure) -> bool:
    return any(
        figure.number in numbers and re.search(pattern, figure.sentence)
        for numbers, pattern, _ in ALLOWED
    )


def untraced(page: str) -> list[tuple[Figure, str]]:
    """The page's numbers that neither their section's results nor ``ALLOWED`` hold."""
    out = []
    for figure in figures(page):
        key = section_key(page, figure.section)
        if exempt(page, figure.section) or allowed(figure):
            continue
        if key is None:
            out.append((figure, "its section names no result files in SOURCES"))
        elif not _in_pool(figure, pool(page, key)):
            out.append((figure, "in none of " + ", ".join(SOURCES[page][key])))
    return out


def texts_untraced(page: str) -> list[tuple[int, str]]:
    """Dates, clock times, versions and architectures that their section's results lack."""
    out = []
    for section, number, kind, text in texts(page):
        key = section_key(page, section)
        if exempt(page, section):
            continue
        if key is None:
            out.append((number, text))
        elif kind == "clock":
            if text not in pool(page, key).minutes:
                out.append((number, text))
        elif kind == "date":
            if not re.search(rf"\b{text}\b", pool(page, key).text):
                out.append((number, text))
        elif text not in pool(page, key).text:
            out.append((number, text))
    return out


def _context(figure: Figure, width: int = 110) -> str:
    """The part of the figure's sentence or table row around it."""
    at = max(figure.sentence.find(figure.text), 0)
    start, end = max(at - width, 0), at + len(figure.text) + width
    return (
        ("…" if start else "")
        + figure.sentence[start:end]
        + ("…" if end < len(figure.sentence) else "")
    )


def _report(missing: list[tuple[Figure, str]]) -> str:
    return "\n".join(
        f"  line {f.line}: {f.text!r} ({why})\n      in: {_context(f)}" for f, why in missing
    )


@pytest.mark.parametrize("page", PAGES)
def test_every_number_has_a_result(page):
    missing = untraced(page)
    assert not missing, (
        f"{len(missing)} number(s) on {page} not in the results their section cites, at the "
        "precision shown (correct each from its result file, remove it, or allow it in "
        "ALLOWED with the reason it is not a measurement):\n" + _report(missing)
    )


@pytest.mark.parametrize("page", PAGES)
def test_every_date_version_and_architecture_has_a_result(page):
    missing = texts_untraced(page)
    assert not missing, f"on {page}, in no result of their section (line, text): {missing}"


def test_sources_exist():
    for page, sections in SOURCES.items():
        headings = re.findall(r"^#{1,2} (.*)$", (ROOT / page).read_text(), flags=re.M)
        for key, globs in sections.items():
            assert any(h.startswith(key) for h in headings), f"{page}: no section {key!r}"
            for g in globs:
                assert list(RESULTS.glob(g)), f"{page}, section {key!r}: no result file {g}"
    for page, heading in EXEMPT:
        assert re.search(rf"^#{{1,2}} {re.escape(heading)}", (ROOT / page).read_text(), re.M)


def test_generated_sections_are_current():
    names = {m[1] for page in PAGES for m in MARKER.finditer((ROOT / page).read_text())}
    assert names == set(GENERATED), "every generated section needs the script that checks it"
    for script in sorted(set(GENERATED.values())):
        done = subprocess.run(
            [sys.executable, str(ROOT / script), "--check"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"{script} --check: {done.stdout}{done.stderr}"


def _figure(text: str) -> Figure:
    (found,) = [f for f in _figures_of(text)]
    return found


def _figures_of(text: str) -> list[Figure]:
    m = NUMBER.search(text)
    assert m
    unit = (m["unit"] or "").strip()
    frac = m["frac"] or ""
    exponent = int(m["exp"][1:]) if m["exp"] else 0
    value = float(m["num"].replace(",", "") + frac) * 10.0**exponent * UNITS[unit][0]
    decimals = (len(frac) - 1 if frac else 0) - exponent
    return [Figure("p", "s", 1, text, m["num"] + frac, value, decimals, unit, text)]


def test_matching_rules():
    values = sorted([0.03600597, 0.5747, 0.425, 1248.0, 1338339.0, 1137.0, 2.5e-10])
    assert traced(_figure("0.0360"), values)
    assert not traced(_figure("0.0361"), values)
    assert traced(_figure("57.5 %"), values)  # the fraction 0.5747, or 1 - 0.425 below
    assert traced(_figure("20.8 min"), values)  # 1248 s
    assert not traced(_figure("20.8"), values)  # no unit, no conversion
    assert traced(_figure("1.34 M"), values)
    assert not traced(_figure("1.2 M"), values)
    assert traced(_figure("1.14 GB"), values)  # 1137 MB
    assert traced(_figure("2.5e-10"), values)
    assert not traced(_figure("2.6e-10"), values)
    ranges = [f for f in figures("docs/benchmarks.md") if f.text == "1.34"]
    assert [f.unit for f in ranges] == ["M"]  # "1.34–1.57 M": the range's unit


if __name__ == "__main__":  # list what is missing, page by page
    for name in PAGES:
        for f, _ in untraced(name):
            print(f"{f.page}:{f.line}: {f.text!r}  | {f.sentence[:150]}")
        for line, text in texts_untraced(name):
            print(f"{name}:{line}: {text!r} (date, clock, version or architecture)")
