"""The engine: scoring every county at once, vectorised over Arrow tables.

Rule kinds (:mod:`.score`), coefficient-of-variation dispersion (:mod:`.dispersion`),
graded scoring (:mod:`.grading`), the input-integrity checks that keep doubtful data from
passing silently (:mod:`.integrity`), verdict aggregation and assembly of the
:class:`~eduscore.result.Result` (:mod:`.assemble`), and :func:`.evaluate.evaluate`, the
pipeline from input files to a result. Builds on :mod:`eduscore.inputs`,
:mod:`eduscore.plugins` (which rules apply where) and :mod:`eduscore.result`.
"""
