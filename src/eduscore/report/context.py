"""What a renderer receives: the result, the language, and the analyses on request.

A renderer's signature is ``function(context, folder) -> Path`` (plugin API version 2).
New things a report may want (options, analyses) become attributes of the context, so
the signature never has to change again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import attrs
import pyarrow as pa

from eduscore.result import Result

if TYPE_CHECKING:  # imported when first asked for: composing the formats imports this module
    from eduscore.planning.analysis import Analyses


@attrs.define
class RenderContext:
    """The result of an evaluation, as a report is asked to show it.

    ``costs`` and ``by`` are the options of the analyses (``--costs``, ``--group-by``);
    :meth:`analyses` computes the plan, the margins, the nearest risks and the
    decomposition the first time a renderer asks, once for every renderer of a run.
    """

    result: Result
    lang: str = "zh"
    costs: Mapping[str, float] | None = None
    by: str | None = None
    #: ``--xlsx-per-county``: with many counties, also one full workbook per county.
    xlsx_per_county: bool = False
    #: Monitoring alerts (预警) from an archive of earlier years: the rows of
    #: :attr:`eduscore.province.history.History.alerts` for this result's counties and
    #: years (``evaluate --archive``). ``None``: no archive was read.
    alerts: pa.Table | None = None
    #: What the renderers want the user told (e.g. a sheet that could not hold every row).
    notices: list[str] = attrs.field(factory=list, eq=False, repr=False)
    _analyses: Analyses | None = attrs.field(default=None, init=False, eq=False, repr=False)

    def analyses(self) -> Analyses:
        """Plan, margins, nearest risks and decomposition (:func:`eduscore.analyse`)."""
        if self._analyses is None:
            from eduscore.planning.analysis import analyse

            self._analyses = analyse(self.result, costs=self.costs, by=self.by)
            # The analyses' intermediates are freed: give their memory back before the
            # renderers make theirs (the peak of a nation's run is the sum of both).
            pa.default_memory_pool().release_unused()
        return self._analyses


def context_of(source: Result | RenderContext, lang: str | None = None) -> RenderContext:
    """A context for ``source``: itself, or a result with the default options."""
    if isinstance(source, RenderContext):
        if lang is None or lang == source.lang:
            return source
        other = RenderContext(
            source.result,
            lang,
            costs=source.costs,
            by=source.by,
            xlsx_per_county=source.xlsx_per_county,
            alerts=source.alerts,
            notices=source.notices,
        )
        other._analyses = source._analyses  # the analyses do not depend on the language
        return other
    return RenderContext(source, lang or "zh")
