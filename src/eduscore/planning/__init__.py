"""Planning: what it would take to pass, and how close each county is.

Gaps and the cheapest plan to close them, including coefficient-of-variation
water-filling (:mod:`.plan`), margins of safety (:mod:`.margins`), what-if growth
scenarios and year-to-year comparison (:mod:`.whatif`), and the decomposition of
dispersion into within and between parts (:mod:`.analysis`). Reads results; builds on
:mod:`eduscore.engine` and :mod:`eduscore.result`.
"""
