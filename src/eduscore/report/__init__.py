"""Reports: what a county bureau and an inspector read, and the files a run writes.

One view of the result (:mod:`.view`, with :mod:`.planning` for the analyses) feeds every
format: terminal (:mod:`.terminal`), Markdown, HTML, XLSX, and the data formats JSON, CSV
and Parquet; :mod:`.formats` holds the built-in output formats as hook implementations
and :func:`~.formats.write_outputs`, which every renderer goes through with a
:class:`~.context.RenderContext`. Untrusted text is made safe for each format by
:mod:`.text`; files are written atomically by :mod:`.files`. Also here: the fill-in
template (:mod:`.template`), ``explain`` (:mod:`.explain`) and the framework reference
(:mod:`.reference`). Builds on every floor below; nothing below imports it.
"""
