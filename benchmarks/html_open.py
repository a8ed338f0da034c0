"""How long a browser takes to open the HTML report of a province: target under 2 s.

    .venv/bin/python benchmarks/html_open.py [--scale 0.0526] [--repeat 3] [--screenshots DIR]

Writes the HTML report of the national synthetic data at ``--scale`` (0.0526 ≈ 150
counties, a province; 1.0 the nation) with ``eduscore evaluate --format html``, then
opens the index ``report.html`` and the largest county page in headless Chromium
(``--dump-dom``: the page loaded and its script run) and reports the best of
``--repeat`` wall times, with the time Chromium takes to open an empty page for
comparison. MET when the index opens in under 2 s. Needs ``chromium`` on the PATH;
without it the benchmark says so and exits 0. ``--screenshots DIR`` also saves
``report-index-<lang>.png`` and ``report-county-<lang>.png`` there (the user guide's).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from eduscore.synthetic import national

TARGET_SECONDS = 2.0


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def headless(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={profile}"]
    return subprocess.run([browser, *flags, *args], capture_output=True, check=True, timeout=120)


def best_open(browser: str, profile: Path, url: str, repeat: int) -> float:
    """Best wall time of opening ``url`` and dumping its DOM, Chromium's start included."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        headless(browser, profile, "--dump-dom", url)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=150 / 2850)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--screenshots", type=Path, help="folder for the index and county screenshots")
    args = parser.parse_args()
    browser = chromium()
    if browser is None:
        print("chromium is not on the PATH: nothing measured (apt-get install chromium)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = national(args.scale)
        for name in ("schools", "counties"):
            pq.write_table(data[name], folder / f"{name}.parquet")
        out = folder / "out"
        start = time.perf_counter()
        program = [sys.executable, "-c", "from eduscore.cli import entry; entry()"]
        inputs = [str(folder / "schools.parquet"), str(folder / "counties.parquet")]
        options = ["--out", str(out), "--format", "html", "--lang", args.lang, "-q"]
        subprocess.run([*program, "evaluate", *inputs, *options], check=True)
        written = time.perf_counter() - start
        index = out / "report.html"
        pages = sorted((out / "counties").glob("*.html"), key=lambda p: p.stat().st_size)
        largest = pages[-1] if pages else index
        profile = folder / "profile"
        blank = best_open(browser, profile, "about:blank", args.repeat)
        index_s = best_open(browser, profile, index.as_uri(), args.repeat)
        page_s = best_open(browser, profile, largest.as_uri(), args.repeat)
        mib = 1024 * 1024
        print(f"counties: {len(pages)}; evaluate + write HTML: {written:.1f} s")
        print(f"index report.html: {index.stat().st_size / mib:.2f} MiB; largest county page {largest.name}: "
              f"{largest.stat().st_size / mib:.2f} MiB")  # fmt: skip
        print(f"open about:blank (Chromium's start): {blank:.2f} s")
        print(
            f"open index: {index_s:.2f} s; open largest county page: {page_s:.2f} s (best of {args.repeat})"
        )
        print(f"index under {TARGET_SECONDS:.0f} s: {'MET' if index_s < TARGET_SECONDS else 'MISSED'}")
        if args.screenshots:
            args.screenshots.mkdir(parents=True, exist_ok=True)
            for name, page in (("index", index), ("county", largest)):
                target = args.screenshots / f"report-{name}-{args.lang}.png"
                headless(browser, profile, "--window-size=1200,800", f"--screenshot={target}", page.as_uri())
                print(f"screenshot: {target} ({target.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
