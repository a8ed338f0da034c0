"""A rich console that never lets text move the cursor, retitle or clear the terminal.

Everything the CLI prints through rich (the reports, ``eduscore show``) goes through
:class:`SafeConsole`: strings and :class:`~rich.text.Text` are made :func:`visible`
before layout (so the columns still line up), and every rendered segment again
before it is written (so nested renderables are covered too). Rich's own colour
and cursor codes are *control segments* that it adds after this, so a TTY still
gets colour; text can no longer carry codes of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.text import Text

from eduscore.report.text import visible


def _safe_text(text: Text) -> Text:
    plain = text.plain
    shown = visible(plain, multiline=True)
    if shown == plain:
        return text
    copy = text.copy()
    copy.plain = shown  # one character for one: the styled spans keep their offsets
    return copy


class SafeConsole(Console):
    """:class:`rich.console.Console` whose text output holds no control characters."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Print like rich, with control characters of the text shown visibly."""
        safe = [
            visible(o, multiline=True) if isinstance(o, str) else _safe_text(o) if isinstance(o, Text) else o
            for o in objects
        ]
        super().print(*safe, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """Strings inside tables, titles and panels arrive here before layout."""
        return super().render_str(visible(text, multiline=True), **kwargs)

    def render(self, renderable: RenderableType, options: ConsoleOptions | None = None) -> Iterable[Segment]:
        """The last line of defence: every text segment, whatever renderable made it."""
        for segment in super().render(renderable, options):
            if segment.control or not segment.text:
                yield segment
            else:
                yield Segment(visible(segment.text, multiline=True), segment.style, segment.control)
