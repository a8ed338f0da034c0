"""The archive of results (issue #15): a hive-partitioned Parquet dataset that any Parquet
reader understands, written and read by :meth:`eduscore.Result.archive` and
:func:`eduscore.province.history.history`. Below the result floor: it reads only Arrow
tables and a metadata mapping.

Layout (``schemas/archive.schema.json`` documents every column)::

    DIR/_eduscore_archive.json                          marks the folder as an archive
    DIR/<table>/framework=<id>/year=<yyyy>/<run_id>.parquet

for the tables ``verdicts``, ``checks``, ``dispersion``, ``sections`` (one row per scored
unit, its indicator values and unit-rule statuses as maps) and ``runs`` (one row per run ×
county: versions, rule sets, options, input file hashes and the earlier runs it
replaced). ``framework`` and ``year`` are the partition keys: they are in the paths, not
in the files; :func:`read` returns them as plain columns. A county code is never part of
a path.

**Replacing.** A run replaces the rows of an earlier run of the same county, framework
and year in every table: writing the same county-year twice leaves one copy. An earlier
file that held other counties too is rewritten without the replaced ones; a file left
with no row is deleted. The new ``runs`` row lists the earlier runs it replaced, with
their verdicts and versions, so a changed verdict never goes unrecorded.

**Crash safety.** Every new and rewritten file is first written under a name no
``*.parquet`` glob matches (``.<name>.parquet.tmp``, ignored by ``pyarrow.dataset`` too)
and synced; then the journal ``DIR/_journal.json`` (the renames and deletions to make)
is written atomically — that is the commit point — and applied; then it is removed. A
process killed before the commit point leaves the archive as it was (the next
:func:`write` or :func:`read` deletes the stray temporary files); killed after it, the
next :func:`write` or :func:`read` rolls the journal forward (applying it twice does no
harm). New files are renamed into place before rewrites and deletions, so a plain reader
that lists the folder during those few renames may see a county-year twice (under two
``run_id``), never missing. A lock (``DIR/.lock``, an ``flock`` that the system releases
when its process dies) keeps two writers apart; readers take it shared.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from eduscore._version import __version__
from eduscore.errors import InputError, OutputError

#: The result tables the archive keeps. ``section_checks`` (one row per unit × indicator or
#: unit rule, about fifteen times ``sections``) is left out: its statuses are in
#: ``sections.statuses`` and its values in ``sections.values``; ``excluded``, ``findings``,
#: ``rejected`` and ``accounting`` describe one run's input files (they carry no county
#: code, or rows no verdict depends on) — the runs table records those files' hashes.
TABLES = ("verdicts", "checks", "dispersion", "sections")
RUNS = "runs"
ALL_TABLES = (*TABLES, RUNS)
PARTITION_KEYS = ("framework", "year")
MARKER = "_eduscore_archive.json"
JOURNAL = "_journal.json"
LOCK = ".lock"
FORMAT = 1
#: How long :func:`write` and :func:`read` wait for another writer by default (seconds).
WAIT = 10.0

_S = pa.string()
_F = pa.float64()
_I = pa.int64()
_STRINGS = pa.list_(_S)

_SCHEMAS: dict[str, pa.Schema] = {
    "verdicts": pa.schema(
        [
            ("run_id", _S),
            ("county_code", _S),
            ("county_name", _S),
            ("verdict", _S),
            ("verdict_zh", _S),
            ("grade", _S),
            ("reasons", _STRINGS),
            ("reasons_zh", _STRINGS),
            ("n_pass", _I),
            ("n_basic_pass", _I),
            ("n_fail", _I),
            ("n_not_assessed", _I),
            ("aggregation", _S),
            ("aggregation_rule_set", _S),
        ]
    ),
    "checks": pa.schema(
        [
            ("run_id", _S),
            ("county_code", _S),
            ("check_id", _S),
            ("rule_id", _S),
            ("kind", _S),
            ("group", _S),
            ("item", _S),
            ("level", _S),
            ("name_zh", _S),
            ("name_en", _S),
            ("status", _S),
            ("value", _F),
            ("threshold", _F),
            ("comparator", _S),
            ("reason", _S),
            ("reason_zh", _S),
            ("confidence", _S),
            ("confidence_note", _S),
            ("document", _S),
            ("clause", _S),
            ("spec", _S),
            ("rule_set", _S),
            ("rule_set_version", _S),
            ("relaxed_by", _S),
            ("kind_plugin", _S),
            ("framework_version", _S),
        ]
    ),
    "dispersion": pa.schema(
        [
            ("run_id", _S),
            ("county_code", _S),
            ("level", _S),
            ("indicator", _S),
            ("n_sections", _I),
            ("n_missing", _I),
            ("students", _F),
            ("mean", _F),
            ("sd", _F),
            ("cv", _F),
            ("limit", _F),
            ("status", _S),
            ("reason", _S),
            ("reason_zh", _S),
        ]
    ),
    "sections": pa.schema(
        [
            ("run_id", _S),
            ("county_code", _S),
            ("county_name", _S),
            ("unit_id", _S),
            ("level", _S),
            ("school_id", _S),
            ("school_name", _S),
            ("school_type", _S),
            ("section_id", _S),
            ("kindergarten_id", _S),
            ("kindergarten_name", _S),
            ("category", _S),
            ("ownership", _S),
            ("location", _S),
            ("education_group", _S),
            ("students", _F),
            ("children", _F),
            ("split_share", _F),
            ("estimated_columns", _STRINGS),
            ("source_row", _I),
            ("values", pa.map_(_S, _F)),
            ("statuses", pa.map_(_S, _S)),
        ]
    ),
}
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_REPLACED = pa.struct(
    [
        ("run_id", _S),
        ("written_at", _TIMESTAMP),
        ("framework_version", _S),
        ("eduscore_version", _S),
        ("verdict", _S),
    ]
)
_SCHEMAS[RUNS] = pa.schema(
    [
        ("run_id", _S),
        ("written_at", _TIMESTAMP),
        ("county_code", _S),
        ("county_name", _S),
        ("verdict", _S),
        ("eduscore_version", _S),
        ("framework_version", _S),
        ("framework_document", _S),
        ("rule_sets", _S),  # JSON text: the run's rule sets as Result.rule_sets gives them
        ("options", _S),  # JSON text: {option id: bool}
        ("relaxations", _STRINGS),
        ("missing_columns", _STRINGS),
        ("input_files", pa.list_(pa.struct([("path", _S), ("sha256", _S), ("bytes", _I)]))),
        ("replaced", pa.list_(_REPLACED)),
    ]
)
#: Columns of a result's ``sections`` that stay columns in the archive's (the rest:
#: ``<rule>__status`` columns go to ``statuses``, other numbers to ``values``).
_SECTION_COLUMNS = tuple(n for n in _SCHEMAS["sections"].names if n not in ("run_id", "values", "statuses"))
#: Columns of a result table that the archive leaves out on purpose: the partition keys,
#: and what only says which rows were excluded (``excluded`` is not archived).
DROPPED = {
    "verdicts": ("year",),
    "checks": ("year", "framework"),
    "dispersion": ("year",),
    "sections": ("year", "in_scope", "excluded_by", "exclusion_reason_zh", "exclusion_reason_en"),
}
_STATUS = "__status"

# A framework id is a path segment: the framework schema's id pattern, without "..".
_FRAMEWORK_ID = re.compile(r"^[a-z][a-z0-9_.-]{0,99}$")
_RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{12}$")
_PART = re.compile(r"^framework=([a-z][a-z0-9_.-]*)$"), re.compile(r"^year=(-?[0-9]+)$")
#: Test hook: ``<point>:<file>`` makes :func:`write` create ``<file>`` and wait at
#: ``<point>`` (``after_tmp``, ``after_journal``, ``mid_renames``) until it is killed.
PAUSE_ENV = "EDUSCORE_ARCHIVE_TEST_PAUSE"


def schema(table: str) -> pa.Schema:
    """The Arrow schema of an archived table as :func:`read` returns it (with the partition
    columns ``framework`` and ``year`` after ``county_code``)."""
    return _with_partition(_SCHEMAS[table])


def _with_partition(s: pa.Schema) -> pa.Schema:
    at = s.get_field_index("county_code") + 1
    return s.insert(at, pa.field("framework", _S)).insert(at + 1, pa.field("year", _I))


@attrs.frozen
class Replaced:
    """An earlier run's county-year that a write replaced."""

    county_code: str
    year: int
    run_id: str
    verdict_before: str | None
    verdict_after: str | None
    framework_version_before: str | None
    framework_version_after: str | None

    @property
    def verdict_changed(self) -> bool:
        return self.verdict_before != self.verdict_after


#: The verdicts as a reader says them (this floor reads no report words).
_VERDICT_WORDS = {
    "zh": {"certified": "通过认定", "not_certified": "未通过认定", "incomplete": "资料不全"},
    "en": {"certified": "certified", "not_certified": "not certified", "incomplete": "incomplete"},
}


@attrs.frozen
class ArchiveWrite:
    """What :func:`write` did: the run's id, the files written (new and rewritten, and
    deleted), the county-years archived and the earlier runs' county-years replaced."""

    run_id: str
    folder: Path
    framework: str
    counties: tuple[str, ...]
    years: tuple[int, ...]
    files: tuple[Path, ...]
    deleted: tuple[Path, ...]
    replaced: tuple[Replaced, ...]

    @property
    def counties_replaced(self) -> tuple[str, ...]:
        return tuple(sorted({r.county_code for r in self.replaced}))

    @property
    def replaced_runs(self) -> tuple[str, ...]:
        return tuple(sorted({r.run_id for r in self.replaced}))

    def summary(self, lang: str = "en") -> str:
        """'归档:3 个县 2024 年 → DIR(替换了之前的 1 次运行)', then one line per changed verdict."""
        zh = lang == "zh"
        years = ("、" if zh else ", ").join(map(str, self.years))
        n, runs = len(self.counties), len(self.replaced_runs)
        if zh:
            head = f"归档:{n} 个县 {years} 年 → {self.folder}"
            head += f"(替换了之前的 {runs} 次运行)" if runs else "(新增)"
        else:
            head = f"Archived: {n} count{'y' if n == 1 else 'ies'}, {years} → {self.folder}"
            head += f" (replaced {runs} earlier run{'' if runs == 1 else 's'})" if runs else " (new)"
        lines = [head]
        for r in self.replaced:
            if not (r.verdict_changed or r.framework_version_before != r.framework_version_after):
                continue
            fv = ""
            if r.framework_version_before != r.framework_version_after:
                fv = (
                    f"(框架版本 {r.framework_version_before} → {r.framework_version_after})"
                    if zh
                    else f" (framework version {r.framework_version_before} → {r.framework_version_after})"
                )
            words = _VERDICT_WORDS["zh" if zh else "en"]
            was = words.get(r.verdict_before or "", r.verdict_before)
            now = words.get(r.verdict_after or "", r.verdict_after)
            lines.append(
                f"  {r.county_code} {r.year}:归档中的结论由“{was}”改为“{now}”{fv},原运行 {r.run_id}"
                if zh
                else f"  {r.county_code} {r.year}: the archived verdict '{was}' is now '{now}'{fv}, "
                f"replacing run {r.run_id}"
            )
        return "\n".join(lines)


# ---------------------------------------------------------------------------- writing


def write(
    folder: str | Path,
    tables: Mapping[str, pa.Table],
    metadata: Mapping[str, Any],
    inputs: Sequence[str | Path] = (),
    *,
    wait: float = WAIT,
) -> ArchiveWrite:
    """Archive one run: ``tables`` (some of :data:`TABLES`, as a :class:`Result` has them),
    ``metadata`` (``Result._metadata()``: framework id and version, eduscore version, rule
    sets, options, relaxations) and the ``inputs`` files it read (hashed into ``runs``).

    Replaces the rows of earlier runs of the same county × framework × year in every
    table (only exact county codes). Raises :class:`InputError` for rows without a year
    (the archive is by year) or a framework id that is not a safe path segment, and
    :class:`OutputError` when the folder cannot be an archive or another write holds it
    for more than ``wait`` seconds."""
    folder = Path(folder)
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise ValueError(f"not archived tables: {', '.join(unknown)} (archived: {', '.join(TABLES)})")
    framework = _framework_id(metadata)
    files = _input_files(inputs)  # before anything is written: a missing input stops here
    prepared = {name: _prepare(name, table, framework) for name, table in tables.items()}
    keys = _county_years(prepared)
    _open_archive(folder)
    with _locked(folder, exclusive=True, wait=wait):
        _recover(folder)
        now = _dt.datetime.now(_dt.UTC)
        run_id = f"{now:%Y%m%dT%H%M%S}Z-{uuid.uuid4().hex[:12]}"
        return _write_locked(folder, framework, run_id, now, prepared, keys, metadata, files)


def _write_locked(
    folder: Path,
    framework: str,
    run_id: str,
    now: _dt.datetime,
    prepared: Mapping[str, pa.Table],
    keys: Mapping[int, set[str]],
    metadata: Mapping[str, Any],
    files: list[dict[str, Any]],
) -> ArchiveWrite:
    verdicts = prepared.get("verdicts")
    new_verdict: dict[tuple[str, int], tuple[str | None, str | None]] = {}
    if verdicts is not None:
        for code, year, name, verdict in zip(
            verdicts.column("county_code").to_pylist(),
            verdicts.column("year").to_pylist(),
            verdicts.column("county_name").to_pylist(),
            verdicts.column("verdict").to_pylist(),
            strict=True,
        ):
            new_verdict[(code, year)] = (name, verdict)
    fw = metadata.get("framework") or {}
    framework_version = None if fw.get("version") is None else str(fw.get("version"))
    creates: list[tuple[Path, Path]] = []  # (tmp, final): new files, renamed first
    rewrites: list[tuple[Path, Path]] = []
    deletes: list[Path] = []
    replaced: list[Replaced] = []
    try:
        for year in sorted(keys):
            codes = keys[year]
            wanted = pa.array(sorted(codes), _S)
            earlier_runs: dict[str, list[dict[str, Any]]] = {}
            for table in ALL_TABLES:
                part = _partition(folder, table, framework, year)
                for path in sorted(part.glob("*.parquet")) if part.is_dir() else ():
                    present = _read_file(path, ["county_code"]).column("county_code")
                    hit = pc.is_in(present, value_set=wanted)
                    if not pc.any(hit).as_py():
                        continue
                    old = _read_file(path)
                    if table == RUNS:
                        for row in old.filter(
                            pc.is_in(old.column("county_code"), value_set=wanted)
                        ).to_pylist():
                            earlier_runs.setdefault(row["county_code"], []).append(row)
                    kept = old.filter(pc.invert(pc.is_in(old.column("county_code"), value_set=wanted)))
                    if kept.num_rows == 0:
                        deletes.append(path)
                    else:
                        rewrites.append((_tmp(path), path))
                        _write_file(kept, rewrites[-1][0])
            runs_rows = []
            for code in sorted(codes):
                name, verdict = new_verdict.get((code, year), (None, None))
                chain: list[dict[str, Any]] = []
                for old_row in sorted(earlier_runs.get(code, ()), key=lambda r: str(r["run_id"])):
                    replaced.append(
                        Replaced(
                            code,
                            year,
                            str(old_row["run_id"]),
                            old_row["verdict"],
                            verdict,
                            old_row["framework_version"],
                            framework_version,
                        )
                    )
                    chain.append({f.name: old_row[f.name] for f in _REPLACED})
                    chain.extend(old_row.get("replaced") or ())
                runs_rows.append(
                    {
                        "run_id": run_id,
                        "written_at": now,
                        "county_code": code,
                        "county_name": name,
                        "verdict": verdict,
                        "eduscore_version": str(metadata.get("eduscore_version") or __version__),
                        "framework_version": framework_version,
                        "framework_document": fw.get("document"),
                        "rule_sets": json.dumps(list(metadata.get("rule_sets") or ()), ensure_ascii=False),
                        "options": json.dumps(dict(metadata.get("options") or {}), ensure_ascii=False),
                        "relaxations": [str(r) for r in metadata.get("relaxations") or ()],
                        "missing_columns": [str(c) for c in metadata.get("missing_columns") or ()],
                        "input_files": files,
                        "replaced": chain,
                    }
                )
            new = {name: t.filter(pc.equal(t.column("year"), year)) for name, t in prepared.items()}
            new[RUNS] = pa.Table.from_pylist(runs_rows, schema=_SCHEMAS[RUNS])
            for table, rows in new.items():
                if rows.num_rows == 0:
                    continue
                rows = rows.select(_SCHEMAS[table].names)
                if table != RUNS:
                    rows = rows.set_column(0, "run_id", pa.array([run_id] * rows.num_rows, _S))
                final = _partition(folder, table, framework, year) / f"{run_id}.parquet"
                creates.append((_tmp(final), final))
                _write_file(rows, creates[-1][0])
        _pause("after_tmp")
        journal = {
            "format": FORMAT,
            "run_id": run_id,
            "renames": [[_rel(folder, t), _rel(folder, f)] for t, f in (*creates, *rewrites)],
            "deletes": [_rel(folder, p) for p in deletes],
        }
        _write_json_atomic(folder / JOURNAL, journal)
    except BaseException:
        for tmp, _ in (*creates, *rewrites):
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise
    # The commit point is behind us: from here a crash is rolled forward.
    _pause("after_journal")
    _apply(folder, journal)
    return ArchiveWrite(
        run_id=run_id,
        folder=folder,
        framework=framework,
        counties=tuple(sorted({c for codes in keys.values() for c in codes})),
        years=tuple(sorted(keys)),
        files=tuple(f for _, f in (*creates, *rewrites)),
        deleted=tuple(deletes),
        replaced=tuple(replaced),
    )


def _framework_id(metadata: Mapping[str, Any]) -> str:
    fw = metadata.get("framework")
    fid = fw.get("id") if isinstance(fw, Mapping) else fw
    if not isinstance(fid, str) or not _FRAMEWORK_ID.match(fid) or ".." in fid:
        raise InputError(
            f"framework id {fid!r} cannot name an archive folder: it must be lower-case letters, "
            "digits, '_', '-' and '.' (no '..'), starting with a letter",
            zh=f"框架编号 {fid!r} 不能用作归档文件夹名:只能由小写字母、数字、“_”“-”“.”组成"
            "(不含“..”),并以字母开头",
        )
    return fid


def _prepare(name: str, table: pa.Table, framework: str) -> pa.Table:
    """A result table in the archive's columns (with ``year`` kept for partitioning)."""
    for column in ("county_code", "year"):
        if column not in table.column_names:
            raise ValueError(f"table {name} has no {column} column")
    if name == "checks" and "framework" in table.column_names:
        others = set(pc.unique(pc.cast(table.column("framework"), _S)).to_pylist()) - {framework}
        if others:
            raise ValueError(f"checks of framework(s) {sorted(map(str, others))} in a run of {framework}")
    if name == "sections":
        table = _sections(table)
    target = _SCHEMAS[name]
    n = table.num_rows
    columns = [pa.array([None] * n, _S) if f.name == "run_id" else _column(table, f) for f in target]
    out = pa.Table.from_arrays(columns, schema=target)
    return out.append_column("year", pc.cast(table.column("year"), _I))


def _column(table: pa.Table, field: pa.Field) -> pa.ChunkedArray | pa.Array:
    if field.name not in table.column_names:
        return pa.nulls(table.num_rows, field.type)
    col = table.column(field.name)
    if pa.types.is_dictionary(col.type):
        col = pc.cast(col, col.type.value_type)
    return pc.cast(col, field.type)


def _sections(table: pa.Table) -> pa.Table:
    """The result's wide ``sections`` (columns vary by framework and rule set) as fixed
    columns plus two maps: ``statuses`` (unit rule → status, from ``<rule>__status``) and
    ``values`` (every other numeric column: the raw figures and the indicators)."""
    n = table.num_rows
    skip = set(_SECTION_COLUMNS) | set(DROPPED["sections"])
    status_cols = [c for c in table.column_names if c.endswith(_STATUS)]
    value_cols = [
        f.name
        for f in table.schema
        if f.name not in skip
        and f.name not in status_cols
        and (pa.types.is_integer(f.type) or pa.types.is_floating(f.type))
    ]
    out = {c: table.column(c) for c in table.column_names if c in _SECTION_COLUMNS}
    out["year"] = table.column("year")
    out["values"] = _map(table, value_cols, [c for c in value_cols], _F, n)
    out["statuses"] = _map(table, status_cols, [c[: -len(_STATUS)] for c in status_cols], _S, n)
    return pa.table(out)


def _map(table: pa.Table, columns: list[str], keys: list[str], kind: pa.DataType, n: int) -> pa.Array:
    """Row-wise map of ``columns`` (renamed ``keys``): every row has every key, in order."""
    import numpy as np

    k = len(columns)
    offsets = pa.array(np.arange(n + 1, dtype=np.int32) * k, pa.int32())
    if k == 0:
        return pa.MapArray.from_arrays(offsets, pa.array([], _S), pa.array([], kind))
    values = pa.concat_arrays([_column(table, pa.field(c, kind)).combine_chunks() for c in columns])
    order = (np.arange(k)[None, :] * n + np.arange(n)[:, None]).ravel()
    names = pa.array(np.tile(np.array(keys, dtype=object), n), _S)
    return pa.MapArray.from_arrays(offsets, names, values.take(pa.array(order)))


def _county_years(prepared: Mapping[str, pa.Table]) -> dict[int, set[str]]:
    keys: dict[int, set[str]] = {}
    no_year: set[str] = set()
    for table in prepared.values():
        pairs = table.select(["county_code", "year"]).group_by(["county_code", "year"]).aggregate([])
        for code, year in zip(
            pairs.column("county_code").to_pylist(), pairs.column("year").to_pylist(), strict=True
        ):
            if code is None:
                raise ValueError("a row without a county code")
            if year is None:
                no_year.add(code)
            else:
                keys.setdefault(int(year), set()).add(code)
    odd = sorted(y for y in keys if not 1000 <= y <= 9999)
    if odd:
        raise InputError(
            f"the archive is kept by year, and year {odd[0]} is not a year of four digits; "
            "nothing was archived",
            zh=f"归档按年份存放,而 {odd[0]} 不是四位数的年份;未归档任何内容",
        )
    if no_year:
        shown = ", ".join(sorted(no_year)[:20]) + (" …" if len(no_year) > 20 else "")
        raise InputError(
            f"the archive is kept by year, and counties {shown} have no year: give --year YEAR "
            "(or a year column in the data); nothing was archived",
            zh=f"归档按年份存放,而县 {shown.replace(', ', '、')} 没有年份:请用 --year 指定年份"
            "(或在数据中加“年份”列);未归档任何内容",
        )
    return keys


def _input_files(inputs: Sequence[str | Path]) -> list[dict[str, Any]]:
    import hashlib

    out = []
    for given in inputs:
        path = Path(given)
        digest = hashlib.sha256()
        size = 0
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
        except OSError as exc:
            raise InputError(
                f"input file {path} cannot be read to record its hash in the archive ({exc.strerror})",
                zh=f"无法读取输入文件 {path} 以在归档中记录其哈希值({exc.strerror})",
            ) from None
        out.append({"path": str(path.resolve()), "sha256": digest.hexdigest(), "bytes": size})
    return out


# ---------------------------------------------------------------------------- files


def _partition(folder: Path, table: str, framework: str, year: int) -> Path:
    return folder / table / f"framework={framework}" / f"year={year}"


def _tmp(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp")


def _rel(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix()


def _inside(folder: Path, rel: object) -> Path:
    """A journal's relative path, refused unless it is one of the archive's own files."""
    if not isinstance(rel, str):
        raise OutputError(f"{folder / JOURNAL}: damaged journal", zh=f"{folder / JOURNAL}:日志文件已损坏")
    parts = rel.split("/")
    ok = (
        len(parts) == 4
        and parts[0] in ALL_TABLES
        and _PART[0].match(parts[1]) is not None
        and _PART[1].match(parts[2]) is not None
        and parts[3] not in ("", ".", "..")
        and (parts[3].endswith(".parquet") or parts[3].endswith(".parquet.tmp"))
    )
    if not ok:
        raise OutputError(
            f"{folder / JOURNAL}: the journal names {rel!r}, which is not a file of the archive; "
            "it was not applied",
            zh=f"{folder / JOURNAL}:日志中的 {rel!r} 不是归档内的文件;未执行该日志",
        )
    return folder.joinpath(*parts)


def _write_file(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        pq.write_table(table, fh, compression="zstd")
        fh.flush()
        os.fsync(fh.fileno())


def _write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _sync_dir(path.parent)


def _sync_dir(path: Path) -> None:
    if os.name == "nt":  # pragma: no cover - directories cannot be opened there
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _apply(folder: Path, journal: Mapping[str, Any]) -> None:
    """Make the journal's renames and deletions (each one done at most once: a rename whose
    temporary file is gone was made), then remove the journal."""
    damaged = OutputError(
        f"{folder / JOURNAL}: damaged journal; the archive needs a look before use",
        zh=f"{folder / JOURNAL}:日志文件已损坏;请检查归档后再使用",
    )
    if not isinstance(journal, Mapping):
        raise damaged
    renames = journal.get("renames") or []
    deletes = journal.get("deletes") or []
    if not isinstance(renames, list) or not isinstance(deletes, list):
        raise damaged
    for pair in renames:
        if not isinstance(pair, list) or len(pair) != 2:
            raise damaged
        tmp, final = _inside(folder, pair[0]), _inside(folder, pair[1])
        # A write only ever renames its own temporary file into place, beside it.
        if tmp != _tmp(final) or final.suffix != ".parquet":
            raise damaged
    for n, pair in enumerate(renames):
        tmp, final = _inside(folder, pair[0]), _inside(folder, pair[1])
        with contextlib.suppress(FileNotFoundError):
            os.replace(tmp, final)
        if n == 0:
            _pause("mid_renames")
    for rel in deletes:
        with contextlib.suppress(FileNotFoundError):
            _inside(folder, rel).unlink()
    touched = {_inside(folder, p).parent for p in deletes}
    touched |= {_inside(folder, pair[1]).parent for pair in renames}
    for part in touched:
        _sync_dir(part)
    for part in sorted(touched, key=lambda p: len(p.parts), reverse=True):
        for empty in (part, part.parent):  # a partition left with no file
            with contextlib.suppress(OSError):
                empty.rmdir()
    (folder / JOURNAL).unlink()
    _sync_dir(folder)


def _recover(folder: Path) -> None:
    """Roll a leftover journal forward, then delete temporary files no journal names."""
    journal_path = folder / JOURNAL
    if journal_path.exists():
        try:
            journal = json.loads(journal_path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise OutputError(
                f"{journal_path}: damaged journal (not JSON); the archive needs a look before use",
                zh=f"{journal_path}:日志文件已损坏(不是 JSON);请检查归档后再使用",
            ) from None
        _apply(folder, journal)
    for tmp in _stray(folder):
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    with contextlib.suppress(FileNotFoundError):
        (folder / f".{JOURNAL}.tmp").unlink()


def _stray(folder: Path) -> list[Path]:
    return [p for table in ALL_TABLES for p in (folder / table).glob("*/*/.*.parquet.tmp")]


def _needs_recovery(folder: Path) -> bool:
    return (folder / JOURNAL).exists() or (folder / f".{JOURNAL}.tmp").exists() or bool(_stray(folder))


def _open_archive(folder: Path) -> None:
    """Make ``folder`` an archive, or check that it is one (never a file, never another
    program's folder that has files in it)."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(
            f"archive {folder}: a file is in the way, the archive is a folder",
            zh=f"归档 {folder}:该路径是一个文件,归档须是文件夹",
        )
    marker = folder / MARKER
    if marker.is_file():
        return
    if folder.is_dir() and any(p.name != LOCK for p in folder.iterdir()):
        raise OutputError(
            f"archive {folder}: the folder holds other files and is not an eduscore archive "
            f"(no {MARKER}); give an empty or new folder",
            zh=f"归档 {folder}:该文件夹中已有其他文件,且不是 eduscore 归档(没有 {MARKER});"
            "请指定空文件夹或新文件夹",
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_json_atomic(
            marker,
            {
                "format": FORMAT,
                "created_by": f"eduscore {__version__}",
                "layout": "<table>/framework=<id>/year=<yyyy>/<run_id>.parquet",
                "schema": "schemas/archive.schema.json",
            },
        )
    except OSError as exc:
        raise _unwritable(folder, exc) from None


def _unwritable(folder: Path, exc: OSError) -> OutputError:
    return OutputError(
        f"archive {folder}: cannot write there ({exc.strerror or exc})",
        zh=f"归档 {folder}:无法写入({exc.strerror or exc})",
    )


def check_folder(folder: str | Path) -> None:
    """Raise :class:`OutputError` if ``folder`` cannot be an archive (a file, a folder of
    other files, not writable) — what the CLI asks before it evaluates. Creates nothing."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        _open_archive(folder)  # raises
    if folder.is_dir():
        if not (folder / MARKER).is_file():
            _open_archive(folder)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise _unwritable(folder, PermissionError(13, "permission denied"))
        return
    parent = next((p for p in folder.absolute().parents if p.exists()), None)
    if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise _unwritable(folder, PermissionError(13, "permission denied"))


# ---------------------------------------------------------------------------- the lock


@contextlib.contextmanager
def _locked(folder: Path, *, exclusive: bool, wait: float) -> Iterator[bool]:
    """Hold ``DIR/.lock``: exclusive for a writer, shared for a reader. Yields whether the
    lock is held (a reader of a folder it cannot write reads without one)."""
    path = folder / LOCK
    try:
        fh: IO[str] = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held across the yield
    except OSError as exc:
        if not exclusive:
            yield False
            return
        raise _unwritable(folder, exc) from None
    try:
        deadline = time.monotonic() + wait
        while not _try_lock(fh, exclusive):
            if time.monotonic() >= deadline:
                fh.seek(0)
                holder = fh.read().strip() or "?"
                raise OutputError(
                    f"archive {folder} is being written by another eduscore ({holder}); "
                    "try again when it has finished",
                    zh=f"归档 {folder} 正由另一个 eduscore 进程写入({holder});请待其完成后再试",
                )
            time.sleep(0.05)
        if exclusive:
            fh.seek(0)
            fh.truncate()
            fh.write(f"process {os.getpid()} since {_dt.datetime.now(_dt.UTC):%Y-%m-%d %H:%M:%S} UTC")
            fh.flush()
        yield True
    finally:
        fh.close()  # releases the lock


def _try_lock(fh: IO[str], exclusive: bool) -> bool:
    if sys.platform == "win32":  # pragma: no cover - one lock kind there
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fh.fileno(), (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _pause(point: str) -> None:
    hook = os.environ.get(PAUSE_ENV)
    if not hook:
        return
    wanted, _, signal_file = hook.partition(":")
    if wanted != point:
        return
    Path(signal_file).write_text(point, encoding="utf-8")
    while True:  # until the test kills the process
        time.sleep(1)


# ---------------------------------------------------------------------------- reading


def read(
    folder: str | Path,
    table: str,
    *,
    framework: str | None = None,
    years: Sequence[int] | None = None,
    counties: Sequence[str] | None = None,
    wait: float = WAIT,
) -> pa.Table:
    """The rows of one archived table (``verdicts``, ``checks``, ``dispersion``,
    ``sections`` or ``runs``), with ``framework`` and ``year`` as plain columns; only
    those of ``framework``, ``years`` and ``counties`` (exact codes) when given. An empty
    table of the documented columns when there are none. Rolls forward a write that was
    killed after its commit point first."""
    folder = Path(folder)
    if table not in ALL_TABLES:
        raise ValueError(f"no archived table {table!r} (archived: {', '.join(ALL_TABLES)})")
    if not (folder / MARKER).is_file():
        raise InputError(
            f"{folder} is not an eduscore archive (no {MARKER})",
            zh=f"{folder} 不是 eduscore 归档(没有 {MARKER})",
        )
    for attempt in range(5):
        if _needs_recovery(folder):
            with _locked(folder, exclusive=True, wait=wait):
                _recover(folder)
        with _locked(folder, exclusive=False, wait=wait) as held:
            # a writer killed between the look above and the lock left a journal: roll it first
            if attempt == 4 or not (held and _needs_recovery(folder)):
                return _read(folder, table, framework, years, counties)
    raise AssertionError("unreachable")  # pragma: no cover


def runs(folder: str | Path, **kwargs: Any) -> pa.Table:
    """The runs table: one row per run × county (see :func:`read`)."""
    return read(folder, RUNS, **kwargs)


def _read(
    folder: Path,
    table: str,
    framework: str | None,
    years: Sequence[int] | None,
    counties: Sequence[str] | None,
) -> pa.Table:
    want_years = None if years is None else {int(y) for y in years}
    wanted = None if counties is None else pa.array([str(c) for c in counties], _S)
    pieces = []
    root = folder / table
    for fw_dir in sorted(root.iterdir()) if root.is_dir() else ():
        fw_match = _PART[0].match(fw_dir.name)
        if not fw_match or (framework is not None and fw_match.group(1) != framework):
            continue
        for year_dir in sorted(fw_dir.iterdir()):
            year_match = _PART[1].match(year_dir.name)
            if not year_match or (want_years is not None and int(year_match.group(1)) not in want_years):
                continue
            for path in sorted(year_dir.glob("*.parquet")):
                t = _read_file(path)
                if wanted is not None:
                    t = t.filter(pc.is_in(t.column("county_code"), value_set=wanted))
                at = t.schema.get_field_index("county_code") + 1
                t = t.add_column(at, "framework", pa.array([fw_match.group(1)] * t.num_rows, _S))
                t = t.add_column(at + 1, "year", pa.array([int(year_match.group(1))] * t.num_rows, _I))
                pieces.append(t)
    if not pieces:
        return schema(table).empty_table()
    try:  # runs of other versions may differ in a column's type (int and float): promoted
        return pa.concat_tables(pieces, promote_options="permissive")
    except (pa.ArrowTypeError, pa.ArrowInvalid) as exc:
        raise InputError(
            f"{root}: the runs' files of table {table} cannot be read as one table ({exc})",
            zh=f"{root}:{table} 表各次运行的文件无法合并为一张表({exc})",
        ) from None


def _read_file(path: Path, columns: list[str] | None = None) -> pa.Table:
    """One file as it is stored (no partition guessed from its path), dictionary columns
    decoded: files written by other tools or versions may hold a text column
    dictionary-encoded, and every run's files must concatenate."""
    try:
        t = pq.ParquetFile(path).read(columns=columns)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"{path}: not a readable Parquet file of the archive ({exc}); move it out of the archive "
            "or archive that run again",
            zh=f"{path}:不是可读取的归档 Parquet 文件({exc});请将它移出归档,或重新归档这次运行",
        ) from None
    for i, field in enumerate(t.schema):
        if pa.types.is_dictionary(field.type):
            t = t.set_column(i, field.name, pc.cast(t.column(i), field.type.value_type))
    return t
