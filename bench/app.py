"""App latency benchmark (``make bench``): the real app in headless Chromium, against the 1.5 s target.

1. The home is a copy (reviews and caches written here never touch the original): of ``CTKB_HOME``
   when it is set and indexed, otherwise of the real corpus (``CTKB_CORPUS``) indexed here with
   ``ctkb index``; it is scored with ``ctkb score`` when it holds no run yet.
2. ``streamlit run app.py`` on a free loopback port; the overview is loaded once (first load,
   shown, not held to the target: it reads the run into the app's cache).
3. For several countries: from the overview, pick the country and press "Open profile"; the
   time until the profile's "Gaps (" subheader is visible. Then, with the page settled, the time
   from a click on a gap's expander until its body's content (the review form) is visible.

p50 and p95 of each, and p95 / target as a ratio; exit 1 when a p95 is over the target.
Chromium is Debian's package (``make setup`` installs it), driven by Playwright.

Run: ``CTKB_CORPUS=../shared/corpus python -m bench.app`` (or ``CTKB_HOME=HOME python -m bench.app``).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.score import bench_env, ctkb_command, failed_step
from kb.appserver import start_app, stop_app

TARGET_S = 1.5
ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_MS = 120_000


def prepare_home(tmp: Path) -> Path | None:
    """A scratch home holding the real corpus indexed and scored."""
    home = tmp / "home"
    source = os.environ.get("CTKB_HOME")
    if source:
        src = Path(source).resolve()
        if not (src / "catalog.sqlite").is_file():
            print(f"error: CTKB_HOME={source} holds no catalogue; index the real corpus there first "
                  f"or unset CTKB_HOME", file=sys.stderr)
            return None
        shutil.copytree(src, home)
        print(f"home: a copy of {src}")
    else:
        corpus = Path(os.environ.get("CTKB_CORPUS", "../shared/corpus")).resolve()
        if not (corpus / "manifest.yaml").is_file():
            print(f"error: no manifest.yaml in {corpus}; set CTKB_CORPUS to the real corpus", file=sys.stderr)
            return None
        t0 = time.perf_counter()
        proc = subprocess.run([*ctkb_command(), "index", "--manifest", str(corpus / "manifest.yaml")], cwd=ROOT,
                              env=bench_env(home), capture_output=True, text=True)
        if proc.returncode:
            failed_step("`ctkb index`", proc)
            return None
        print(f"home: {corpus} indexed in {time.perf_counter() - t0:.0f} s")
    if not countries(home):
        t0 = time.perf_counter()
        proc = subprocess.run([*ctkb_command(), "score", "--name", "bench-app"], cwd=ROOT, env=bench_env(home),
                              capture_output=True, text=True)
        if proc.returncode:
            failed_step("`ctkb score`", proc)
            return None
        print(f"scored with `ctkb score` in {time.perf_counter() - t0:.0f} s")
    return home


def countries(home: Path) -> list[str]:
    """The countries of the home's latest run (none when it has no run)."""
    from kb.app_data import latest_run
    from kb.catalog import Catalog
    from kb.scoring.runs import RunStore

    catalog = Catalog(home / "catalog.sqlite")
    try:
        run = latest_run(catalog)
        return sorted({s.country for s in RunStore(catalog).scores(run.id)}) if run else []
    finally:
        catalog.close()


def spread(items: list[str], n: int) -> list[str]:
    """``n`` items evenly spaced over ``items`` (all of them when there are fewer)."""
    if len(items) <= n:
        return items
    return [items[round(i * (len(items) - 1) / (n - 1))] for i in range(n)] if n > 1 else items[:1]


def settle(pg) -> None:
    """Wait until the app's script has finished (the "running" indicator is gone)."""
    pg.wait_for_timeout(300)
    pg.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=TIMEOUT_MS)
    pg.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=TIMEOUT_MS)


def open_overview(pg, url: str) -> float:
    t0 = time.perf_counter()
    pg.goto(url)
    pg.get_by_role("combobox", name="Open a country profile", exact=True).wait_for()
    seconds = time.perf_counter() - t0
    settle(pg)
    return seconds


def choose(pg, label: str, value: str) -> None:
    """Pick ``value`` in the selectbox labelled ``label``: type to filter, click the option.

    Typed key by key: ``fill`` alone shows the text without opening the list or committing a choice.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = pg.get_by_role("combobox", name=label, exact=True)
    option = pg.get_by_role("option", name=value, exact=True)
    for _ in range(3):
        box.click()
        box.press("ControlOrMeta+a")
        box.press_sequentially(value, delay=30)
        try:
            option.click(timeout=10_000)
            break
        except PlaywrightTimeout:  # the widget re-rendered under the typing: type again
            box.press("Escape")
            settle(pg)
    settle(pg)
    if box.input_value() != value:
        raise RuntimeError(f"could not pick {value!r} in {label!r}")


def measure_country(pg, url: str, country: str, gaps_per_country: int) -> tuple[float, list[float]]:
    """Seconds to open ``country``'s profile from the overview, and to expand each of its first gaps."""
    open_overview(pg, url)
    choose(pg, "Open a country profile", country)
    t0 = time.perf_counter()
    pg.get_by_role("link", name="Open profile").click()
    pg.get_by_role("heading", name=re.compile(r"^Gaps \(\d+\)")).wait_for()
    opened = time.perf_counter() - t0
    settle(pg)
    if f"country={country}" not in pg.url:
        raise RuntimeError(f"the profile opened is not {country}'s: {pg.url}")

    expanders = pg.get_by_test_id("stExpander")
    gap_count = int(re.search(r"\d+", pg.get_by_role("heading", name=re.compile(r"^Gaps \(")).inner_text())[0])
    expanded = []
    for i in range(min(gaps_per_country, gap_count)):
        exp = expanders.nth(i)
        exp.locator("summary").scroll_into_view_if_needed()
        body = exp.get_by_text("Legal basis.", exact=False).first  # the body's first lines
        t0 = time.perf_counter()
        exp.locator("summary").click()
        body.wait_for(state="visible")
        expanded.append(time.perf_counter() - t0)
        settle(pg)
    return opened, expanded


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def report(what: str, values: list[float]) -> bool:
    """Print p50/p95 against the target; True when p95 is within it."""
    p50, p95 = percentile(values, 50), percentile(values, 95)
    ok = p95 <= TARGET_S
    print(f"{what}: p50 {p50:.2f} s, p95 {p95:.2f} s over {len(values)} (target {TARGET_S} s: "
          f"p95 ratio {p95 / TARGET_S:.2f}) {'ok' if ok else 'OVER'}")
    print("  samples: " + " ".join(f"{v:.2f}" for v in values))
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--countries", type=int, default=8, help="countries to open (spread over the run's)")
    parser.add_argument("--gaps", type=int, default=2, help="gaps to expand per country")
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if not chromium:
        print("error: chromium is not installed; `make setup` installs it (apt-get install -y chromium)",
              file=sys.stderr)
        return 2
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("error: playwright is not installed; `make setup` installs it (pip install -e '.[test]')",
              file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        home = prepare_home(tmp)
        if home is None:
            return 2
        picked = spread(countries(home), args.countries)
        if not picked:
            print(f"error: no scored country in {home}", file=sys.stderr)
            return 2
        log = tmp / "streamlit.log"
        proc, url = start_app(home, log, env=bench_env(home))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=chromium, headless=True)
                pg = browser.new_context(viewport={"width": 1600, "height": 1100}).new_page()
                pg.set_default_timeout(TIMEOUT_MS)
                first = open_overview(pg, url)
                opened, expanded = [], []
                for country in picked:
                    o, e = measure_country(pg, url, country, args.gaps)
                    opened.append(o)
                    expanded += e
                browser.close()
        except (PlaywrightError, RuntimeError) as exc:
            print(f"error: {exc}\n(streamlit log: {log.read_text()[-2000:]})", file=sys.stderr)
            return 2
        finally:
            stop_app(proc)

    print(f"== app latency, {len(picked)} countries ({', '.join(picked)}), headless Chromium")
    print(f"overview first load: {first:.2f} s (cold: reads the run into the app's cache; not held to the target)")
    ok = report("open a country profile (click 'Open profile' -> 'Gaps (' visible)", opened)
    ok &= report("expand a gap (click -> its body visible)", expanded) if expanded else True
    sys.stdout.flush()
    if not ok:
        print(f"FAIL: a p95 is over the {TARGET_S} s target", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
