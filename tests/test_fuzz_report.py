"""Fuzz: a run folder corrupted at random is refused in one line per problem, or read with every untouched
row intact and no impossible number; never a traceback, never a blamed row the corruption did not touch."""

from __future__ import annotations

import csv
import io
import random
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.harness.plan import load_experiment
from report.analysis.load import DataProblems, ResultsError, load_results
from report.page.build import render_report
from tests.support.synthetic import io_grid, write_experiment, write_run

SEED = 20261202
CASES = 200
#: Cases whose page is rendered and compared with the page of the clean folder minus the rows left out.
PAGES = 2
FILES = ("io_vs_cpu.csv", "capacity.csv", "deadlock.csv")
VALUES = ("negative", "inf", "-inf", "nan", "empty", "text", "huge")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A small clean run folder, loaded: (folder, Results)."""
    root = tmp_path_factory.mktemp("fuzz-template")
    grid = [p for p in io_grid(workers_cpu=(1, 2), workers_io=(1, 4)) if p[1] in ("sequential", "thread")]
    folder = write_run(root, seed=3, repeats=3, grid=grid, demo=False)
    write_experiment(folder, load_experiment("deadlock").module, repeats=2, seed=3)
    clean = load_results(folder)
    assert not clean.problems
    return folder, clean


class Corrupted:
    """One CSV as rows of fields, each row remembering the clean row it came from (its index)."""

    def __init__(self, text: str):
        rows = list(csv.reader(io.StringIO(text)))
        self.header = rows[0]
        self.rows = [[i, fields, None] for i, fields in enumerate(rows[1:])]  # [origin, fields, raw]
        self.touched: set = set()
        self.column_dropped = False

    def text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.header)
        for _, fields, raw in self.rows:
            if raw is None:
                writer.writerow(fields)
            else:
                out.write(raw)
        return out.getvalue()

    def apply(self, rng: random.Random) -> str:
        kind = rng.choice(
            ["duplicate", "value", "value", "value", "cut", "join", "drop_field", "drop_column"]
        )
        if kind == "drop_column":
            c = rng.randrange(len(self.header))
            del self.header[c]
            for row in self.rows:
                if row[2] is None and c < len(row[1]):
                    del row[1][c]
            self.column_dropped = True
            return kind
        k = rng.randrange(len(self.rows))
        origin, fields, raw = self.rows[k]
        self.touched.add(origin)
        if kind == "duplicate":
            self.rows.insert(rng.randrange(k + 1, len(self.rows) + 1), [origin, list(fields), raw])
        elif kind == "value" and raw is None:
            c = rng.randrange(len(fields))
            fields[c] = _bad_value(rng, fields[c])
            kind += ":" + self.header[c]
        elif kind in ("cut", "join") and raw is None:
            line = _line(fields)
            cut = line[: rng.randrange(1, len(line) - 2)]
            if kind == "join" and k + 1 < len(self.rows):
                # The line lost its end and its newline: the next row runs on from it.
                self.touched.add(self.rows[k + 1][0])
                nxt = self.rows.pop(k + 1)
                cut += nxt[2] if nxt[2] is not None else _line(nxt[1])
                self.rows[k][2] = cut
            else:
                self.rows[k][2] = cut + "\r\n"
        elif kind == "drop_field" and raw is None:
            del fields[rng.randrange(len(fields))]
        return kind


def _line(fields: list) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(fields)
    return out.getvalue()


def _bad_value(rng: random.Random, old: str) -> str:
    kind = rng.choice(VALUES)
    if kind == "negative":
        try:
            x = float(old)
        except ValueError:
            return "-1"
        return repr(-abs(x)) if x else "-1"
    return {"inf": "inf", "-inf": "-inf", "nan": "nan", "empty": "", "text": "garbage", "huge": "1e308"}[kind]


def _check_untouched_rows_intact(clean: pd.DataFrame, got: pd.DataFrame, touched: set, name: str) -> None:
    """Every clean row the corruption did not touch is read back with the very same values."""
    where = {(c, int(r)): i for i, (c, r) in enumerate(zip(got["cell_id"], got["repeat"]))}
    got_rows = got.to_dict("records")
    for i, row in enumerate(clean.to_dict("records")):
        if i in touched:
            continue
        key = (row["cell_id"], int(row["repeat"]))
        assert key in where, "%s: untouched row %d (%s) was left out" % (name, i + 2, key)
        back = got_rows[where[key]]
        for column, x in row.items():
            y = back[column]
            if isinstance(x, (str, bool)) or isinstance(y, (str, bool)):
                x, y = str(x), str(y)  # a column a corruption made text holds "True" for True
            same = (pd.isna(x) and pd.isna(y)) or x == y
            assert same, "%s: untouched row %d, %s: %r became %r" % (name, i + 2, column, x, y)


def _check_cells_are_real(clean: pd.DataFrame, got: pd.DataFrame, params: list, name: str) -> None:
    """Every row read, touched or not, is a repetition of a cell of the clean file, with its parameters."""
    cells = {row["cell_id"]: row for row in clean.to_dict("records")}
    for row in got.to_dict("records"):
        assert row["cell_id"] in cells, "%s: a row of unknown cell %r was kept" % (name, row["cell_id"])
        for p in params:
            x, y = cells[row["cell_id"]][p], row[p]
            assert (pd.isna(x) and pd.isna(y)) or str(x) == str(y), (name, row["cell_id"], p, y)


def _check_physical(results, name: str) -> None:
    """No number the report is handed is impossible for its column's declared unit (the schema's rule),
    and no repetition is counted twice."""
    for experiment, df in results.frames.items():
        assert not df.duplicated(["run_id", "cell_id", "repeat"]).any(), (name, experiment)
        info = results.info(experiment)
        for column in df.columns:
            declared = info.metric_info(column)
            if declared is None or not declared.numeric:
                continue
            x = df[column].to_numpy(dtype=float, na_value=np.nan)
            x = x[~np.isnan(x)]
            low = -np.inf if declared.low is None else declared.low
            high = np.inf if declared.high is None else declared.high
            ok = np.isfinite(x) & (x >= low) & (x <= high) & (np.abs(x) < 1e15)
            assert ok.all(), (name, experiment, column, x[~ok][:3])


def _corrupt(template_folder: Path, work: Path, rng: random.Random):
    """Copy the template, corrupt one of its CSVs one to three times; (file name, Corrupted, kinds)."""
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(template_folder, work)
    name = rng.choice(FILES)
    corrupted = Corrupted((work / name).read_bytes().decode())
    kinds = [corrupted.apply(rng) for _ in range(rng.randint(1, 3))]
    (work / name).write_text(corrupted.text())
    return name, corrupted, kinds


def test_random_corruption_is_refused_or_leaves_untouched_rows_intact(template, tmp_path):
    folder, clean = template
    rng = random.Random(SEED)
    outcomes = {"refused": 0, "read": 0, "unreadable": 0}
    for case in range(CASES):
        work = tmp_path / folder.name
        name, corrupted, kinds = _corrupt(folder, work, rng)
        label = "case %d, %s: %s" % (case, name, kinds)
        path = work / name
        try:
            lenient = load_results(work, lenient=True)
        except ResultsError as exc:
            # A file the report cannot read at all (a column gone): one line naming it.
            assert not isinstance(exc, DataProblems) and "\n" not in str(exc) and str(path) in str(exc), label
            assert corrupted.column_dropped, (label, str(exc))
            outcomes["unreadable"] += 1
            continue
        assert not corrupted.column_dropped, label
        # The rows left out are named by line, and only rows the corruption touched are blamed.
        origin_of_line = {n + 2: row[0] for n, row in enumerate(corrupted.rows)}
        for problem in lenient.problems:
            text = str(problem)
            assert "\n" not in text and text.startswith("%s:%d: " % (path, problem.line)), (label, text)
            assert origin_of_line[problem.line] in corrupted.touched, (label, text)
        experiment = name[: -len(".csv")]
        got = lenient.run(clean.runs[0].run_id).tables.get(
            experiment, pd.DataFrame(columns=["cell_id", "repeat"])
        )
        _check_untouched_rows_intact(clean.runs[0].tables[experiment], got, corrupted.touched, label)
        params = list(clean.info(experiment).params)
        _check_cells_are_real(clean.runs[0].tables[experiment], got, params, label)
        _check_physical(lenient, label)
        if lenient.problems:
            outcomes["refused"] += 1
            if case % 4 == 0:  # strict mode refuses with exactly those problems
                with pytest.raises(DataProblems) as refused:
                    load_results(work)
                assert [str(p) for p in refused.value.problems] == [str(p) for p in lenient.problems]
        else:
            outcomes["read"] += 1
    # The corruptions reached every outcome: refused rows, harmless changes, unreadable files.
    assert all(outcomes.values()), outcomes


def _page_text(html: str) -> str:
    """The page without its generation time and its data problems box."""
    html = re.sub(r"Generated [^.<]*\.", "", html)
    return re.sub(r'<div class="warn" id="data-problems">.*?</ul></div>', "", html, flags=re.S)


def test_lenient_page_equals_the_page_of_the_clean_rows_it_kept(template, tmp_path):
    """Where every touched row was left out, the page is the clean folder's page without those rows:
    the numbers of every untouched cell, and everything computed from them, are the clean ones."""
    folder, clean = template
    rng = random.Random(SEED + 1)
    rendered = 0
    for case in range(200):
        if rendered == PAGES:
            break
        work = tmp_path / "work" / folder.name
        name, corrupted, kinds = _corrupt(folder, work, rng)
        if corrupted.column_dropped:
            continue
        lenient = load_results(work, lenient=True)
        kept_origins = {
            row[0] for n, row in enumerate(corrupted.rows) if n + 2 not in {p.line for p in lenient.problems}
        }
        if not lenient.problems or corrupted.touched & kept_origins:
            continue  # a touched row was kept (a harmless change): no clean page to compare with
        expected = tmp_path / "expected" / folder.name
        if expected.exists():
            shutil.rmtree(expected)
        shutil.copytree(folder, expected)
        lines = (folder / name).read_bytes().decode().split("\r\n")
        keep = [lines[0]] + [ln for i, ln in enumerate(lines[1:-1]) if i not in corrupted.touched]
        (expected / name).write_text("\r\n".join(keep) + "\r\n")
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # no overflow or invalid-value warning
            page = render_report(lenient)
        assert 'id="data-problems"' in page and "%s:%d" % (name, lenient.problems[0].line) in page
        assert not re.search(r">\s*-?(nan|inf)\b", page, flags=re.I), (case, kinds)
        assert _page_text(page) == _page_text(render_report(load_results(expected))), (case, name, kinds)
        rendered += 1
    assert rendered == PAGES
