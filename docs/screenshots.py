"""Regenerate the report screenshots of the user guide (needs Chromium and chromedriver).

.venv/bin/python docs/screenshots.py
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

import eduscore
from eduscore.report.html import render_html

HERE = Path(__file__).parent / "images"


def main() -> None:
    HERE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pages = {}
        for lang in ("zh", "en"):
            page = Path(tmp) / f"report-{lang}.html"
            page.write_text(render_html(eduscore.evaluate(**eduscore.demo_inputs()), lang), encoding="utf-8")
            pages[lang] = page
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium") or "chromium"
        for flag in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--window-size=1280,1400",
            f"--user-data-dir={tmp}/profile",
        ):
            options.add_argument(flag)
        driver = webdriver.Chrome(
            service=Service(shutil.which("chromedriver") or "chromedriver"), options=options
        )
        try:
            for lang, page in pages.items():
                driver.get(page.as_uri())
                driver.save_screenshot(str(HERE / f"report-top-{lang}.png"))
                # The first page an inspector signs off, whole (issue #14 item 4).
                driver.find_element(By.CSS_SELECTOR, ".first-page").screenshot(
                    str(HERE / f"report-first-page-{lang}.png")
                )
            driver.get(pages["zh"].as_uri())
            charts = driver.find_elements(By.CSS_SELECTOR, ".charts")
            charts[0].screenshot(str(HERE / "report-cv-zh.png"))
            driver.find_element(By.CSS_SELECTOR, ".matrix").screenshot(str(HERE / "report-matrix-zh.png"))
            driver.find_element(By.CSS_SELECTOR, ".analyses").screenshot(str(HERE / "report-plan-zh.png"))
            driver.get(pages["en"].as_uri())
            driver.find_element(By.CSS_SELECTOR, ".analyses").screenshot(str(HERE / "report-plan-en.png"))
            province_demo(driver, Path(tmp) / "province")
        finally:
            driver.quit()


def province_demo(driver: webdriver.Chrome, folder: Path) -> None:
    """The province's view (``eduscore demo --province``): the ranked index with its
    monitoring alerts, and the history page (issue #15)."""
    from eduscore.cli import read_costs
    from eduscore.demo import demo_path
    from eduscore.report.province_demo import run_province_demo

    run_province_demo(folder, read_costs(demo_path("prices/prices.csv")), "zh")
    driver.set_window_size(1400, 1100)
    driver.get((folder / "report.html").as_uri())
    driver.save_screenshot(str(HERE / "province-index-zh.png"))
    driver.get((folder / "history" / "history.html").as_uri())
    driver.save_screenshot(str(HERE / "province-history-zh.png"))


if __name__ == "__main__":
    main()
