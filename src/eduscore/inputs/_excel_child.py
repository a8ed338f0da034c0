"""The child process that reads a workbook (run as a script by :mod:`eduscore.inputs.read_excel`).

    python _excel_child.py WORKBOOK OUT_DIR MEMORY_BYTES

It caps its own address space first (Linux, ``RLIMIT_AS``), then reads every sheet with
fastexcel, every cell as text and no row skipped (row ``i`` of a table is row ``i + 1`` of
the sheet), and writes each sheet as an Arrow IPC file ``OUT_DIR/<i>.arrow`` plus
``OUT_DIR/manifest.json`` (names, visibility, files). A workbook that fastexcel cannot
read gives ``manifest.json`` with an ``error`` and exit status 3; running out of memory
inside Python gives status 4, failing to load fastexcel or pyarrow status 5; running out
of memory inside the Rust reader aborts the process (SIGABRT), which the parent reports
as a limit. It imports only the standard
library, fastexcel and pyarrow, to start quickly.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

READ_FAILED = 3
OUT_OF_MEMORY = 4
START_FAILED = 5


def _cap_memory(limit: int) -> None:
    """Lower the soft address-space limit to ``limit`` bytes, never above the hard limit
    this process inherited (an unprivileged process cannot raise it anyway)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows: the timeout still applies
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or limit < soft:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def main(argv: list[str]) -> int:
    path, out, limit = argv[1], argv[2], int(argv[3])
    if limit > 0:
        _cap_memory(limit)
    manifest: dict[str, object] = {}
    try:
        import fastexcel
        import pyarrow as pa
    except (ImportError, OSError, MemoryError) as exc:  # under a tiny cap, libraries fail to map
        manifest["error"] = f"{type(exc).__name__}: {exc}"
        _write(out, manifest)
        return START_FAILED
    try:
        reader = fastexcel.read_excel(path)
        sheets = []
        for i, name in enumerate(reader.sheet_names):
            try:
                sheet = reader.load_sheet(i, header_row=None, dtypes="string", skip_rows=0)
                batch, errors = sheet.to_arrow_with_errors()
                batch = _with_error_cells(batch, errors.errors if errors else [])
            except MemoryError:
                raise
            except Exception as exc:  # one unreadable sheet (a chart sheet, say) is reported
                sheets.append({"name": name, "visible": "unknown", "error": str(exc)})
                continue
            file = f"{i}.arrow"
            with pa.OSFile(os.path.join(out, file), "wb") as sink, pa.ipc.new_file(sink, batch.schema) as w:
                w.write_batch(batch)
            sheets.append({"name": name, "visible": str(sheet.visible), "file": file})
            del batch, sheet
        manifest["sheets"] = sheets
        status = 0
    except MemoryError:
        return OUT_OF_MEMORY
    except Exception as exc:  # fastexcel's errors for damaged or foreign files
        manifest["error"] = f"{type(exc).__name__}: {exc}"
        status = READ_FAILED
    _write(out, manifest)
    return status


# calamine's names of spreadsheet error values, and how a spreadsheet shows them.
_ERRORS = {
    "Div0": "#DIV/0!",
    "NA": "#N/A",
    "Value": "#VALUE!",
    "Ref": "#REF!",
    "Name": "#NAME?",
    "Num": "#NUM!",
    "Null": "#NULL!",
    "GettingData": "#GETTING_DATA",
}


def _with_error_cells(batch: Any, errors: list[Any]) -> Any:
    """Put an error cell (a formula showing #DIV/0!, #N/A …) back as that text, so that it
    becomes a finding instead of reading as an empty cell. Error cells are rare: the
    columns holding one are rebuilt from Python lists, the others stay as they are."""
    import pyarrow as pa

    fixes: dict[int, dict[int, str]] = {}
    for e in errors:
        detail = str(getattr(e, "detail", ""))
        start = detail.find("Error(")
        if start < 0:
            continue
        name = detail[start + 6 : detail.find(")", start)]
        row, col = e.position
        fixes.setdefault(col, {})[row] = _ERRORS.get(name, f"#{name.upper()}")
    if not fixes:
        return batch
    columns = list(batch.columns)
    for col, cells in fixes.items():
        values = columns[col].to_pylist()
        for row, text in cells.items():
            values[row] = text
        columns[col] = pa.array(values, pa.string())
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)


def _write(out: str, manifest: dict[str, object]) -> None:
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
