"""The archive of results (issue #15 item 1): one copy per county × framework × year,
a killed write leaves it as it was (or, past its commit point, rolls forward), plain
Parquet readers read it, and its schema file is the tables' own."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import eduscore
from eduscore import archive
from eduscore.demo import demo_inputs
from eduscore.errors import InputError, OutputError
from eduscore.model.framework import load_schema
from eduscore.synthetic import national
from helpers import run_cli

ROOT = Path(__file__).resolve().parents[1]
FW = "quality-balance-2017"


@pytest.fixture(scope="module")
def province() -> eduscore.Result:
    """28 synthetic counties of 2024 (several provinces)."""
    data = national(0.01, seed=3, year=2024)
    return eduscore.evaluate(schools=data["schools"], counties=data["counties"])


@pytest.fixture(scope="module")
def demo() -> eduscore.Result:
    return eduscore.evaluate(**demo_inputs())


def per_county_year(folder: Path, table: str) -> Counter[tuple[str, int]]:
    t = archive.read(folder, table)
    return Counter(zip(t.column("county_code").to_pylist(), t.column("year").to_pylist(), strict=True))


def result_counts(result: eduscore.Result, table: str) -> Counter[tuple[str, int]]:
    t = getattr(result, table)
    return Counter(zip(t.column("county_code").to_pylist(), t.column("year").to_pylist(), strict=True))


def data_files(folder: Path) -> dict[str, str]:
    """Every file a ``*.parquet`` glob finds, with its sha256."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.glob("*/*/*/*.parquet"))
    }


def snapshot(folder: Path) -> dict[str, list[dict[str, Any]]]:
    return {t: sorted_rows(archive.read(folder, t)) for t in archive.ALL_TABLES}


def sorted_rows(table: pa.Table, drop: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    rows = table.drop_columns([c for c in drop if c in table.column_names]).to_pylist()
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str, ensure_ascii=False))


# ---------------------------------------------------------------------------- replacing


def test_the_same_county_year_twice_leaves_one_copy(tmp_path: Path, demo: eduscore.Result) -> None:
    first = demo.archive(tmp_path / "a")
    second = demo.archive(tmp_path / "a")
    assert first.replaced == ()
    assert second.counties_replaced == ("990101",) and second.replaced_runs == (first.run_id,)
    for table in archive.TABLES:
        assert per_county_year(tmp_path / "a", table) == result_counts(demo, table), table
        assert set(archive.read(tmp_path / "a", table).column("run_id").to_pylist()) == {second.run_id}
    runs = archive.runs(tmp_path / "a")
    assert runs.num_rows == 1 and runs.column("run_id")[0].as_py() == second.run_id
    assert [r["run_id"] for r in runs.column("replaced")[0].as_py()] == [first.run_id]
    # the first run's files are gone, not left empty
    assert all(first.run_id not in name for name in data_files(tmp_path / "a"))


def test_a_county_rewritten_after_its_province_is_there_once_from_the_new_run(
    tmp_path: Path, province: eduscore.Result
) -> None:
    folder = tmp_path / "a"
    whole = province.archive(folder)
    code = province.verdicts.column("county_code")[3].as_py()
    data = national(0.01, seed=3, year=2024)
    one = eduscore.evaluate(schools=data["schools"], counties=data["counties"], county=code)
    assert one.verdicts.num_rows == 1
    again = one.archive(folder)
    assert again.counties_replaced == (code,) and again.replaced_runs == (whole.run_id,)
    for table in archive.TABLES:
        assert per_county_year(folder, table) == result_counts(province, table), table
        t = archive.read(folder, table)
        by_run = dict(zip(t.column("county_code").to_pylist(), t.column("run_id").to_pylist(), strict=False))
        assert by_run.pop(code) == again.run_id
        assert set(by_run.values()) == {whole.run_id}
    runs = archive.runs(folder)
    assert sorted(runs.column("county_code").to_pylist()) == sorted(
        province.verdicts.column("county_code").to_pylist()
    )
    # the province's file was rewritten without the county, not deleted
    old = pq.ParquetFile(
        folder / "verdicts" / f"framework={FW}" / "year=2024" / f"{whole.run_id}.parquet"
    ).read()
    assert (
        code not in old.column("county_code").to_pylist() and old.num_rows == province.verdicts.num_rows - 1
    )


def test_two_years_are_both_kept(tmp_path: Path) -> None:
    results = {}
    for year in (2023, 2024):
        data = national(0.005, seed=1, year=year)
        results[year] = eduscore.evaluate(schools=data["schools"], counties=data["counties"])
        results[year].archive(tmp_path)
    for table in archive.TABLES:
        expected = result_counts(results[2023], table) + result_counts(results[2024], table)
        assert per_county_year(tmp_path, table) == expected
    assert archive.read(tmp_path, "verdicts", years=[2023]).num_rows == results[2023].verdicts.num_rows
    assert sorted(p.name for p in (tmp_path / "verdicts" / f"framework={FW}").iterdir()) == [
        "year=2023",
        "year=2024",
    ]


def test_read_filters_and_an_empty_read_has_the_documented_columns(
    tmp_path: Path, demo: eduscore.Result
) -> None:
    demo.archive(tmp_path)
    assert archive.read(tmp_path, "checks", counties=["99010"]).num_rows == 0  # exact codes only
    assert archive.read(tmp_path, "checks", counties=["990101"]).num_rows == demo.checks.num_rows
    empty = archive.read(tmp_path, "dispersion", framework="preschool-2020")
    assert empty.num_rows == 0 and empty.schema == archive.schema("dispersion")
    assert archive.read(tmp_path, "verdicts", years=[2023]).num_rows == 0
    with pytest.raises(InputError, match="not an eduscore archive"):
        archive.read(tmp_path / "nothing", "verdicts")


# ---------------------------------------------------------------------------- crashes

WRITER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import pyarrow.parquet as pq
    from eduscore import archive

    folder, source = Path(sys.argv[1]), Path(sys.argv[2])
    tables = {name: pq.read_table(source / f"{name}.parquet") for name in archive.TABLES}
    archive.write(folder, tables, json.loads((source / "meta.json").read_text("utf-8")))
    print("finished")
    """
)


@pytest.fixture(scope="module")
def crash_setup(tmp_path_factory: pytest.TempPathFactory, province: eduscore.Result) -> dict[str, Any]:
    """An archive of the province, and a run of one of its provinces (several counties)
    that replaces their rows: new files, a rewritten file, in every table."""
    base = tmp_path_factory.mktemp("crash")
    province.archive(base / "before")
    prefix = province.verdicts.column("county_code")[0].as_py()[:2]
    data = national(0.01, seed=3, year=2024)
    part = eduscore.evaluate(schools=data["schools"], counties=data["counties"], county=prefix)
    assert 1 < part.verdicts.num_rows < province.verdicts.num_rows
    source = base / "run"
    source.mkdir()
    for name in archive.TABLES:
        pq.write_table(getattr(part, name), source / f"{name}.parquet")
    (source / "meta.json").write_text(json.dumps(part._metadata(), ensure_ascii=False), "utf-8")
    # the state a completed write gives
    shutil.copytree(base / "before", base / "reference")
    tables = {name: pq.read_table(source / f"{name}.parquet") for name in archive.TABLES}
    done = archive.write(base / "reference", tables, json.loads((source / "meta.json").read_text("utf-8")))
    return {"base": base, "source": source, "reference": done, "counties": part.verdicts.num_rows}


def _killed_write(folder: Path, source: Path, point: str) -> None:
    """Start a writer that stops at ``point``, wait until it is there, kill it."""
    signal_file = folder.parent / f"{point}.reached"
    script = folder.parent / "writer.py"
    script.write_text(WRITER, "utf-8")
    env = {**os.environ, archive.PAUSE_ENV: f"{point}:{signal_file}"}
    proc = subprocess.Popen([sys.executable, str(script), str(folder), str(source)], env=env)
    try:
        deadline = time.monotonic() + 120
        while not signal_file.exists():
            assert proc.poll() is None, "the writer ended before reaching its pause"
            assert time.monotonic() < deadline, "the writer never reached its pause"
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


def test_a_write_killed_before_its_commit_point_leaves_the_archive_as_it_was(
    tmp_path: Path, crash_setup: dict[str, Any]
) -> None:
    folder = tmp_path / "archive"
    shutil.copytree(crash_setup["base"] / "before", folder)
    files, rows = data_files(folder), snapshot(folder)
    plain = ds.dataset(folder / "verdicts", partitioning="hive").to_table()
    _killed_write(folder, crash_setup["source"], "after_tmp")
    assert list(folder.glob("*/*/*/.*.parquet.tmp")), "the killed writer had written its temporary files"
    assert not (folder / archive.JOURNAL).exists()
    # a plain reader sees exactly what was there: the same files, the same rows
    assert data_files(folder) == files
    assert sorted_rows(ds.dataset(folder / "verdicts", partitioning="hive").to_table()) == sorted_rows(plain)
    # and so does eduscore, which deletes the temporary files (the lock died with the writer)
    assert snapshot(folder) == rows
    assert not list(folder.glob("*/*/*/.*"))
    assert data_files(folder) == files


@pytest.mark.parametrize("point", ["after_journal", "mid_renames"])
def test_a_write_killed_after_its_commit_point_is_rolled_forward(
    tmp_path: Path, crash_setup: dict[str, Any], point: str
) -> None:
    folder = tmp_path / "archive"
    shutil.copytree(crash_setup["base"] / "before", folder)
    before = archive.read(folder, "verdicts")
    _killed_write(folder, crash_setup["source"], point)
    journal = json.loads((folder / archive.JOURNAL).read_text("utf-8"))
    jsonschema.validate(journal, load_schema("archive")["$defs"]["journal"])
    killed_run = journal["run_id"]
    new_files = [f for _, f in journal["renames"] if killed_run in f]
    renamed = [f for f in new_files if (folder / f).exists()]
    assert len(renamed) == (1 if point == "mid_renames" else 0)
    if point == "mid_renames":  # a plain reader may see a county-year twice, never missing
        plain = ds.dataset(folder / "verdicts", partitioning="hive").to_table()
        assert set(zip(before["county_code"].to_pylist(), strict=True)) <= set(
            zip(plain["county_code"].to_pylist(), strict=True)
        )
    reference: archive.ArchiveWrite = crash_setup["reference"]
    for table in archive.ALL_TABLES:
        got = archive.read(folder, table)  # rolls forward first
        want = archive.read(reference.folder, table)
        mark = {killed_run: "NEW", reference.run_id: "NEW"}
        for t in (got, want):
            assert set(t.column("run_id").to_pylist()) <= {
                killed_run,
                reference.run_id,
                *before["run_id"].to_pylist(),
            }
        norm = [
            sorted_rows(
                t.set_column(
                    0,
                    "run_id",
                    pa.array([mark.get(r, r) for r in t.column("run_id").to_pylist()], pa.string()),
                ),
                drop=("written_at",),
            )
            for t in (got, want)
        ]
        assert norm[0] == norm[1], table
    assert not (folder / archive.JOURNAL).exists()
    assert not list(folder.glob("*/*/*/.*"))
    assert sorted(data_files(folder)) == sorted(
        name.replace(reference.run_id, killed_run) for name in data_files(reference.folder)
    )


def test_another_writer_is_waited_for_then_refused(tmp_path: Path, demo: eduscore.Result) -> None:
    demo.archive(tmp_path)
    with (
        archive._locked(tmp_path, exclusive=True, wait=0),
        pytest.raises(OutputError, match="another eduscore"),
    ):
        archive.write(tmp_path, {"verdicts": demo.verdicts}, demo._metadata(), wait=0.2)
    assert archive.write(tmp_path, {"verdicts": demo.verdicts}, demo._metadata(), wait=0.2).replaced


def test_a_journal_naming_a_file_outside_the_archive_is_not_applied(
    tmp_path: Path, demo: eduscore.Result
) -> None:
    demo.archive(tmp_path / "a")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", "utf-8")
    (tmp_path / "a" / archive.JOURNAL).write_text(
        json.dumps({"format": 1, "run_id": "x", "renames": [], "deletes": ["../victim.txt"]}), "utf-8"
    )
    with pytest.raises(OutputError, match="not a file of the archive"):
        archive.read(tmp_path / "a", "verdicts")
    assert victim.read_text("utf-8") == "keep me"


@pytest.mark.parametrize("journal", [[], None, "x", 5, {"renames": "x"}, {"deletes": {"a": 1}}])
def test_a_journal_that_is_not_a_journal_is_refused_not_a_traceback(
    tmp_path: Path, demo: eduscore.Result, journal: object
) -> None:
    """Found by the attack campaign: valid JSON but not an object raised AttributeError."""
    demo.archive(tmp_path / "a")
    (tmp_path / "a" / archive.JOURNAL).write_text(json.dumps(journal), "utf-8")
    with pytest.raises(OutputError, match="damaged journal"):
        archive.read(tmp_path / "a", "verdicts")


def test_a_journal_moving_a_file_into_another_table_is_refused(tmp_path: Path, demo: eduscore.Result) -> None:
    """A write only renames its own temporary file into place beside it: a journal that
    moves verdicts into checks (a row lost without a word) is not applied."""
    demo.archive(tmp_path / "a")
    before = archive.read(tmp_path / "a", "verdicts")
    [path] = (tmp_path / "a" / "verdicts").glob("*/*/*.parquet")
    rel = path.relative_to(tmp_path / "a").as_posix()
    moved = rel.replace("verdicts/", "checks/", 1)
    (tmp_path / "a" / archive.JOURNAL).write_text(
        json.dumps({"format": 1, "run_id": "x", "renames": [[rel, moved]], "deletes": []}), "utf-8"
    )
    with pytest.raises(OutputError, match="damaged journal"):
        archive.read(tmp_path / "a", "verdicts")
    (tmp_path / "a" / archive.JOURNAL).unlink()
    assert archive.read(tmp_path / "a", "verdicts").equals(before)


def test_a_file_that_is_not_parquet_is_named(tmp_path: Path, demo: eduscore.Result) -> None:
    """Found by the attack campaign: a truncated file gave 'internal error: ArrowInvalid'."""
    demo.archive(tmp_path / "a")
    [path] = (tmp_path / "a" / "checks").glob("*/*/*.parquet")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(eduscore.InputError, match=re.escape(str(path))):
        archive.read(tmp_path / "a", "checks")
    run = run_cli("history", tmp_path / "a")
    assert run.returncode == 2 and str(path) in run.stderr and "Traceback" not in run.stderr


# ---------------------------------------------------------------------------- plain readers


def test_pyarrow_dataset_duckdb_and_pandas_read_it_without_eduscore(
    tmp_path: Path, province: eduscore.Result
) -> None:
    province.archive(tmp_path)
    for table in archive.ALL_TABLES:
        plain = ds.dataset(tmp_path / table, partitioning="hive").to_table()
        ours = archive.read(tmp_path, table)
        assert plain.num_rows == ours.num_rows > 0
        assert set(plain.column_names) == set(ours.column_names)
        assert set(plain.column("framework").to_pylist()) == {FW}
    script = textwrap.dedent(
        f"""
        import sys
        sys.modules["eduscore"] = None  # no eduscore in this reader
        results = {{}}
        try:
            import duckdb
        except ImportError:
            pass
        else:
            results["duckdb"] = duckdb.sql(
                "SELECT count(*) FROM read_parquet('{tmp_path.as_posix()}/checks/*/*/*.parquet', "
                "hive_partitioning = true) WHERE framework = '{FW}' AND year = 2024"
            ).fetchall()[0][0]
        try:
            import pandas
        except ImportError:
            pass
        else:
            results["pandas"] = len(pandas.read_parquet('{tmp_path.as_posix()}/checks'))
        print(results)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    got = eval(out)  # the dict printed above
    for reader, n in got.items():
        assert n == province.checks.num_rows, reader
    if "duckdb" not in got:
        pytest.skip("duckdb is not installed: pyarrow and pandas were checked")


def duckdb_query_of_the_docs() -> str:
    text = (ROOT / "docs" / "user-guide.md").read_text("utf-8")
    found = re.findall(r"<!-- archive-query -->\s*```sql\n(.*?)```", text, re.S)
    assert len(found) == 2, "the query is shown once in Chinese and once in English"
    assert found[0] == found[1]
    return str(found[0])


def test_the_duckdb_query_of_the_user_guide_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    query = duckdb_query_of_the_docs()
    duckdb = pytest.importorskip("duckdb")
    for year in (2023, 2024):
        data = national(0.005, seed=2, year=year)
        eduscore.evaluate(schools=data["schools"], counties=data["counties"]).archive(tmp_path / "archive")
    monkeypatch.chdir(tmp_path)
    rows = duckdb.sql(query).fetchall()
    verdicts = archive.read(tmp_path / "archive", "verdicts")
    expected = Counter(
        (y, c[:2], v)
        for y, c, v in zip(
            verdicts["year"].to_pylist(),
            verdicts["county_code"].to_pylist(),
            verdicts["verdict"].to_pylist(),
            strict=True,
        )
    )
    assert {(r[0], r[1], r[2]): r[3] for r in rows} == dict(expected)
    assert {r[0] for r in rows} == {2023, 2024}


# ---------------------------------------------------------------------------- the schema file


def json_row(row: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    """A row as the schema documents it: maps as objects, timestamps as ISO text."""

    def value(v: Any, t: pa.DataType) -> Any:
        if v is None:
            return None
        if pa.types.is_timestamp(t):
            return v.isoformat()
        if pa.types.is_map(t):
            return {k: value(x, t.item_type) for k, x in v}
        if pa.types.is_list(t):
            return [value(x, t.value_type) for x in v]
        if pa.types.is_struct(t):
            return {f.name: value(v[f.name], f.type) for f in t}
        return v

    return {f.name: value(row[f.name], f.type) for f in schema}


JSON_OF_ARROW = {
    "string": lambda t: pa.types.is_string(t) or pa.types.is_timestamp(t),
    "integer": pa.types.is_integer,
    "number": pa.types.is_floating,
    "array": pa.types.is_list,
    "object": lambda t: pa.types.is_map(t) or pa.types.is_struct(t),
}


@pytest.mark.parametrize("framework", ["quality-balance-2017", "basic-balance-2012", "preschool-2020"])
def test_the_schema_file_documents_every_column_of_the_archive(tmp_path: Path, framework: str) -> None:
    data = national(0.005, seed=4, year=2024)
    result = eduscore.evaluate(**data, framework=framework)
    result.archive(tmp_path)
    doc = load_schema("archive")
    assert set(doc["properties"]) == set(archive.ALL_TABLES)
    whole = {}
    for table in archive.ALL_TABLES:
        items = doc["properties"][table]["items"]
        documented = items["properties"]
        read = archive.read(tmp_path, table)
        assert list(documented) == read.column_names == archive.schema(table).names, table
        assert items["required"] == read.column_names and items["additionalProperties"] is False
        for field in read.schema:
            types = documented[field.name].get("type") or [
                "string" if isinstance(v, str) else "null" for v in documented[field.name]["enum"]
            ]
            types = {types} if isinstance(types, str) else set(types)
            assert any(JSON_OF_ARROW[t](field.type) for t in types - {"null"}), (table, field)
        # the files hold the same columns but the partition keys
        for path in (tmp_path / table).glob("*/*/*.parquet"):
            stored = pq.read_schema(path).remove_metadata()
            assert stored.names == [n for n in read.column_names if n not in archive.PARTITION_KEYS]
        whole[table] = [json_row(r, read.schema) for r in read.to_pylist()]
        if not (table == "dispersion" and framework == "preschool-2020"):  # preschool has no CV
            assert whole[table], table
    jsonschema.validate(whole, doc, cls=jsonschema.Draft202012Validator)
    file_pattern = re.compile(doc["$defs"]["file"]["pattern"])
    files = list(data_files(tmp_path))
    assert files and all(file_pattern.match(f) for f in files)
    jsonschema.validate(json.loads((tmp_path / archive.MARKER).read_text("utf-8")), doc["$defs"]["marker"])


@pytest.mark.parametrize("framework", ["quality-balance-2017", "basic-balance-2012", "preschool-2020"])
def test_no_column_of_a_result_is_left_out_unsaid(framework: str) -> None:
    """Every column of the archived result tables is archived, a partition key, or among
    the documented drops; a sections column becomes a map entry only if it is a number or
    a unit rule's status."""
    data = national(0.005, seed=4, year=2024)
    result = eduscore.evaluate(**data, framework=framework)
    for table in ("verdicts", "checks", "dispersion"):
        names = set(archive.schema(table).names) | set(archive.DROPPED[table])
        assert set(getattr(result, table).column_names) <= names, table
    kept = set(archive.schema("sections").names) | set(archive.DROPPED["sections"])
    for field in result.sections.schema:
        if field.name not in kept:
            assert (
                field.name.endswith("__status")
                or pa.types.is_integer(field.type)
                or pa.types.is_floating(field.type)
            ), field


# ---------------------------------------------------------------------------- the command line


def test_evaluate_with_archive_twice_keeps_one_copy_and_the_input_hashes(tmp_path: Path) -> None:
    inputs = []
    for name, path in demo_inputs().items():
        inputs.append(tmp_path / f"{name}.csv")
        shutil.copy(path, inputs[-1])
    folder = tmp_path / "归档"
    first = run_cli("evaluate", *inputs, "--quiet", "--archive", folder, "--lang", "zh")
    assert first.returncode == 0, first.stderr
    second = run_cli("evaluate", *inputs, "--archive", folder, "--lang", "en")
    assert second.returncode == 0, second.stderr
    assert f"Archived: 1 county, 2024 → {folder} (replaced 1 earlier run)" in second.stdout
    for table in archive.TABLES:
        assert set(per_county_year(folder, table)) == {("990101", 2024)}
    assert archive.read(folder, "verdicts").num_rows == 1
    runs = archive.runs(folder)
    assert runs.num_rows == 1
    recorded = {
        Path(f["path"]).name: (f["sha256"], f["bytes"]) for f in runs.column("input_files")[0].as_py()
    }
    assert recorded == {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_size) for p in inputs
    }
    zh = run_cli("demo", "--archive", folder, "--lang", "zh", "-o", tmp_path / "out")
    assert zh.returncode == 0, zh.stderr
    assert f"归档:1 个县 2024 年 → {folder}(替换了之前的 1 次运行)" in zh.stdout


def test_a_bad_archive_folder_is_said_before_the_evaluation(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x", "utf-8")
    others = tmp_path / "others"
    others.mkdir()
    (others / "notes.txt").write_text("x", "utf-8")
    for where, says in (
        (a_file, "a file is in the way"),
        (a_file / "sub", "cannot write there"),
        (others, "not an eduscore archive"),
    ):
        r = run_cli("demo", "--quiet", "--archive", where, "--lang", "en")
        assert r.returncode == 2, (where, r.stderr)
        assert says in r.stderr and "Traceback" not in r.stderr
        assert "Archived" not in r.stdout
    assert sorted(p.name for p in others.iterdir()) == ["notes.txt"]


def test_a_changed_verdict_in_the_archive_is_said(tmp_path: Path, demo: eduscore.Result) -> None:
    """Two runs of one county-year by different framework versions: the second replaces
    the first, and says that the archived verdict changed; the runs table keeps the trail."""
    first = demo.archive(tmp_path)
    meta = demo._metadata()
    meta["framework"] = {**meta["framework"], "version": "9.9.9"}
    verdicts = demo.verdicts.set_column(
        demo.verdicts.schema.get_field_index("verdict"), "verdict", pa.array(["certified"])
    )
    done = archive.write(
        tmp_path, {**{t: getattr(demo, t) for t in archive.TABLES}, "verdicts": verdicts}, meta
    )
    (r,) = done.replaced
    assert (r.run_id, r.verdict_before, r.verdict_after) == (first.run_id, "not_certified", "certified")
    assert (r.framework_version_before, r.framework_version_after) == ("1.0.0", "9.9.9")
    said = "990101 2024: the archived verdict 'not certified' is now 'certified'"
    assert f"{said} (framework version 1.0.0 → 9.9.9)" in done.summary("en")
    assert "归档中的结论由“未通过认定”改为“通过认定”" in done.summary("zh")
    trail = archive.runs(tmp_path).column("replaced")[0].as_py()
    assert [(t["run_id"], t["verdict"], t["framework_version"]) for t in trail] == [
        (first.run_id, "not_certified", "1.0.0")
    ]
    third = demo.archive(tmp_path)  # the chain keeps every run replaced
    trail = archive.runs(tmp_path).column("replaced")[0].as_py()
    assert [t["run_id"] for t in trail] == [done.run_id, first.run_id]
    assert third.replaced[0].verdict_before == "certified"


# ---------------------------------------------------------------------------- adversarial


def tiny(codes: list[str], year: int | None = 2024, verdict: str = "certified") -> dict[str, pa.Table]:
    n = len(codes)
    return {
        "verdicts": pa.table(
            {
                "county_code": codes,
                "year": pa.array([year] * n, pa.int64()),
                "county_name": [f"县{c}" for c in codes],
                "verdict": [verdict] * n,
            }
        )
    }


META = {"framework": {"id": FW, "version": "1.0.0"}, "eduscore_version": "test"}


def test_only_exact_county_codes_replace(tmp_path: Path) -> None:
    archive.write(tmp_path, tiny(["99", "9901", "990101", "9901010"]), META)
    archive.write(tmp_path, tiny(["9901"], verdict="not_certified"), META)
    v = archive.read(tmp_path, "verdicts")
    assert sorted(zip(v["county_code"].to_pylist(), v["verdict"].to_pylist(), strict=True)) == [
        ("99", "certified"),
        ("9901", "not_certified"),
        ("990101", "certified"),
        ("9901010", "certified"),
    ]


def test_county_codes_are_values_never_path_segments(tmp_path: Path) -> None:
    odd = ["../x", "a/b", "year=1999", "..", "framework=evil", "\\..\\y", ""]
    archive.write(tmp_path / "a", tiny(odd), META)
    assert sorted(archive.read(tmp_path / "a", "verdicts")["county_code"].to_pylist()) == sorted(odd)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_dir()) == sorted(
        ["a"]
        + [
            f"a/{t}{part}"
            for t in ("verdicts", "runs")
            for part in ("", f"/framework={FW}", f"/framework={FW}/year=2024")
        ]
    )
    archive.write(tmp_path / "a", tiny(["a/b"], verdict="incomplete"), META)
    v = archive.read(tmp_path / "a", "verdicts")
    assert Counter(v["county_code"].to_pylist()) == Counter(odd)


@pytest.mark.parametrize("fid", ["../evil", "a/b", "framework=x", "", "..", "A", "x..y", "x\\y", None])
def test_a_framework_id_that_is_not_a_safe_path_segment_is_refused(tmp_path: Path, fid: Any) -> None:
    with pytest.raises(InputError, match="cannot name an archive folder"):
        archive.write(tmp_path / "a", tiny(["990101"]), {"framework": {"id": fid, "version": "1"}})
    assert not (tmp_path / "a").exists() and sorted(tmp_path.iterdir()) == []


def test_rows_without_a_year_are_refused_naming_the_counties(tmp_path: Path, demo: eduscore.Result) -> None:
    demo.archive(tmp_path)
    files = data_files(tmp_path)
    with pytest.raises(InputError) as caught:
        archive.write(tmp_path, tiny(["990101", "990102"], year=None), META)
    assert "990101, 990102 have no year" in caught.value.en and "--year" in caught.value.en
    assert "990101、990102 没有年份" in caught.value.zh
    with pytest.raises(InputError, match="four digits"):
        archive.write(tmp_path, tiny(["990101"], year=24), META)
    assert data_files(tmp_path) == files  # nothing written, nothing replaced


def test_an_evaluation_without_a_year_is_refused_by_the_cli(tmp_path: Path) -> None:
    import pyarrow.csv as pacsv

    for name in ("schools", "counties"):
        t = pacsv.read_csv(demo_inputs()[name])
        t = t.drop_columns([c for c in t.column_names if c in ("年份", "year")])
        pacsv.write_csv(t, tmp_path / f"{name}.csv")
    r = run_cli(
        "evaluate",
        tmp_path / "schools.csv",
        tmp_path / "counties.csv",
        "-q",
        "--archive",
        tmp_path / "a",
        "--lang",
        "en",
    )
    assert r.returncode == 2, r.stdout + r.stderr
    assert "counties 990101 have no year: give --year YEAR" in r.stderr
    assert not list((tmp_path / "a").glob("*/*/*/*.parquet"))
    ok = run_cli(
        "evaluate",
        tmp_path / "schools.csv",
        tmp_path / "counties.csv",
        "-q",
        "--year",
        "2025",
        "--archive",
        tmp_path / "a",
    )
    assert ok.returncode == 0, ok.stderr
    assert archive.read(tmp_path / "a", "verdicts")["year"].to_pylist() == [2025]


def test_another_framework_or_year_of_the_same_county_is_not_replaced(tmp_path: Path) -> None:
    archive.write(tmp_path, tiny(["990101"]), META)
    other = {"framework": {"id": "preschool-2020", "version": "1.0.0"}}
    done = archive.write(tmp_path, tiny(["990101"], verdict="incomplete"), other)
    assert done.replaced == ()
    done = archive.write(tmp_path, tiny(["990101"], year=2025), META)
    assert done.replaced == ()
    v = archive.read(tmp_path, "verdicts")
    assert sorted(
        zip(v["framework"].to_pylist(), v["year"].to_pylist(), v["verdict"].to_pylist(), strict=True)
    ) == [
        ("preschool-2020", 2024, "incomplete"),
        (FW, 2024, "certified"),
        (FW, 2025, "certified"),
    ]
