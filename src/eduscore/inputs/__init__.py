"""Inputs: from files and tables to the clean, typed tables the engine scores.

Reading CSV, Excel, Parquet and Arrow under limits (:mod:`.read`, :mod:`.read_csv`,
:mod:`.read_excel`, :mod:`.limits`), validation cell by cell with findings that name the
file, sheet, row, column and value (:mod:`.validate`), and preparation: normalising
headers and values, splitting multi-level schools into sections, deriving the inputs
formulas need and applying scope rules (:mod:`.prepare`). Builds on :mod:`eduscore.model`.
"""
