"""The model: what the regulations and the data contract say, as typed data.

Framework documents and their rules (:mod:`.framework`), the formula language that
indicators are written in (:mod:`.formula`), the public column contract of the input
tables (:mod:`.contract`), the records that plugins hand over (:mod:`.records`) and the
tracing of a framework's formulas back to the raw columns a user fills in
(:mod:`.needs`). Nothing here reads a data file or scores a county; everything else in
eduscore builds on it.
"""
