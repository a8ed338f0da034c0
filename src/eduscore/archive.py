"""The archive of results (issue #15): a hive-partitioned Parquet dataset that any Parquet
reader understands, written and read by :meth:`eduscore.Result.archive` and
:func:`eduscore.province.history.history`. Below the result floor: it reads only Arrow
tables and a metadata mapping."""
