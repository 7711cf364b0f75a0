"""The monitor's pages in Debian's headless Chromium (Playwright), wide and at 375 px: no
sideways scrolling, no chart text cut off by its chart, every chart titled. Screenshots land
in artifacts/ (gitignored) for a person to look at."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from engine.api import Engine
from engine.model import Case
from engine.monitor.aggregate import Aggregator
from engine.monitor.report import write_report
from test_monitor import trajectory

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason=f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
sync_api = pytest.importorskip("playwright.sync_api")

# every <text> of every chart inside its chart's box (a value cut off at the right edge fails)
CLIPPED = """() => [...document.querySelectorAll('svg.chart')].flatMap(svg => {
  const box = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text')].filter(t => {
    const r = t.getBoundingClientRect();
    return r.right > box.right + 1 || r.left < box.left - 1;
  }).map(t => t.textContent);
})"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("monitor")
    engine = Engine.load()
    agg = Aggregator(book=engine.book, engine=engine)
    for i in range(60):
        agg.add(Case.model_validate(trajectory(i, climb=i % 4, gas=(i % 5) - 2, status=("running", "completed")[i % 2])))
    for i in range(12):
        agg.add(Case.model_validate(trajectory(i, "leiden", climb=1, igm=None)))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from store_synth import trajectories  # long intervention and organisation labels, every section filled

    for doc in trajectories(450, seed=3):
        agg.add(Case.model_validate(doc))
    write_report(agg, out, 10, "test", "2026-07-05")
    return out


@pytest.mark.parametrize("width", [1280, 375])
def test_the_monitor_reads_at_every_width(pages, width):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                                   "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": width, "height": 900})
        for name in ("tilburg", "leiden"):
            page.goto((pages / f"{name}.html").as_uri())
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            assert page.evaluate(CLIPPED) == []
            titles = page.evaluate("[...document.querySelectorAll('svg.chart')].map(s => s.querySelector('title')?.textContent)")
            assert titles and all(titles)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"monitor-{name}-{width}.png"), full_page=True)
        browser.close()
