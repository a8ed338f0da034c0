"""Regenerate the user guide's pictures of the self-evaluation report draft (自评报告):
the demo county's ``self-evaluation.docx`` rendered by LibreOffice, its first two pages
as PNG.

.venv/bin/python docs/docx_screenshots.py

Needs LibreOffice (``soffice``) and poppler's ``pdftoppm``, e.g. ``apt-get install
libreoffice-writer-nogui poppler-utils``, and a CJK font (``fonts-noto-cjk``); skips with
a message when they are missing. The tests never need them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import eduscore
from eduscore.report.docx import write_docx

HERE = Path(__file__).parent / "images"
PAGES = 2
DPI = 80


def main() -> int:
    soffice, pdftoppm = shutil.which("soffice") or shutil.which("libreoffice"), shutil.which("pdftoppm")
    if soffice is None or pdftoppm is None:
        print("skipped: needs LibreOffice (soffice) and pdftoppm (poppler-utils)", file=sys.stderr)
        return 0
    HERE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = write_docx(eduscore.evaluate(**eduscore.demo_inputs()), folder, lang="zh")
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={(folder / 'profile').as_uri()}",  # a profile of its own
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(folder),
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        pdf = path.with_suffix(".pdf")
        subprocess.run(
            [pdftoppm, "-png", "-r", str(DPI), "-f", "1", "-l", str(PAGES), str(pdf), str(folder / "page")],
            check=True,
            timeout=120,
        )
        # pdftoppm numbers pages with as many digits as the document's page count needs.
        pages = sorted(folder.glob("page-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        for k, page in enumerate(pages[:PAGES], start=1):
            shutil.copyfile(page, HERE / f"docx-page{k}-zh.png")
            print(HERE / f"docx-page{k}-zh.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
