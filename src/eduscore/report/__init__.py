"""Reports: what a county bureau and an inspector read. One view of the result
(:mod:`eduscore.report.view`) feeds every format: terminal, Markdown, HTML, XLSX."""
