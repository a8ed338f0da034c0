"""The province's view (issue #15): many counties, many years, and a budget.

- :mod:`eduscore.province.history` — verdicts, CVs and checks by year from an archive,
  and the monitoring alerts (预警) of counties certified in an earlier year;
- :mod:`eduscore.province.allocate` — which counties a special fund (专项资金) should
  pay for, to certify the most counties or the most pupils.

The archive itself (a hive-partitioned Parquet dataset) is :mod:`eduscore.archive`, a
floor below the result, so that :meth:`eduscore.Result.archive` can write it.
"""
