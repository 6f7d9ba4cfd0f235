"""The static playground (``micrograd playground --export``): load time and training rate in Chromium.

    python bench/static_site.py                  # 3 runs
    python bench/static_site.py --runs 1 --seconds 5

Exports the site with the local Pyodide and Graphviz copies that .ci/run installs
into build/web-deps (no network), serves it with the standard library's static
file server on 127.0.0.1 under a sub-path, and drives Debian's Chromium through
Playwright (``executable_path``; never ``playwright install``).  Each run has a
fresh browser profile and measures:

- cold load: from navigation to a usable lab (the example's graph drawn, ``a``
  showing grad 6), with nothing cached;
- warm load: the same in a new tab of the same browser (the browser's cache), and
  again after the browser restarted on the same profile (its disk cache);
- where a load's time goes: Pyodide's start, the package installed, the package
  imported (the worker's marks), and the first answers; how many requests reached
  the server and how many it answered 304 (not modified: the browser's copy is used);
- memory: the browser's processes' proportional set size, less that of the same
  browser showing an empty page, once the lab is usable and after training;
- Play on the default moons network: seconds from Play to 95% train accuracy, then
  training steps/s and page updates/s as the page counts them, how long a click waits
  meanwhile, and what share of the time Python spent training, on the curves, on
  the rest of the state and on the maps (the answers' CPU ``seconds``; wall time in
  Pyodide).

Side by side, in the same run: Pyodide's own start (a page that only calls
``loadPyodide``, the floor of any load) and Play on the local server's page
(``micrograd playground``, the reference rate).  Medians; the load average is printed.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from playground_rate import click_delays
from playwright.sync_api import sync_playwright

from micrograd.playground.export import export_site
from micrograd.playground.server import make_server

ROOT = Path(__file__).resolve().parent.parent
WEB_DEPS = ROOT / "build" / "web-deps" / "node_modules"
SUB_PATH = "course/playground/"
BARE_PAGE = """<!doctype html><meta charset="utf-8"><title>Pyodide alone</title>
<script type="module">
const started = performance.now();
const { loadPyodide } = await import("./pyodide/pyodide.mjs");
await loadPyodide({ indexURL: new URL("pyodide/", location.href).href });
window.pyodideSeconds = (performance.now() - started) / 1000;
</script>"""
USABLE = """() => [...document.querySelectorAll('#graph g.node')].some((g) =>
    [...g.querySelectorAll('text')].map((t) => t.textContent).join('|') === 'a|data 2.0000|grad 6.0000')"""


class QuietFiles(SimpleHTTPRequestHandler):
    """``python -m http.server``'s handler, without a line per request; it counts what it answered."""

    answered: ClassVar[list[int]] = []  # the status of each answer

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.answered.append(int(code) if str(code).isdigit() else 0)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(root: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietFiles, directory=str(root)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def browser_memory(profile: Path) -> float:
    """MB of memory (proportional set size) of the browser using ``profile`` and all its child processes."""
    parents: dict[int, int] = {}
    roots = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        if f"--user-data-dir={profile}".encode() in command:
            roots.append(int(entry.name))
    family = set(roots)
    while grown := {pid for pid, parent in parents.items() if parent in family} - family:
        family |= grown
    total = 0
    for pid in family:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    return total / 1024


def wait_for(page: Any, expression: str, limit: float = 180.0, every: float = 0.02) -> float:
    """Poll ``expression`` until it is true; returns time.monotonic() then."""
    deadline = time.monotonic() + limit
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise SystemExit(f"still false after {limit:g} s: {expression}")
        time.sleep(every)
    return time.monotonic()


def load(context: Any, url: str) -> tuple[Any, dict[str, float]]:
    """Open ``url`` in a new tab; seconds to a usable lab, and where they went."""
    page = context.new_page()
    page.set_viewport_size({"width": 1400, "height": 1000})
    QuietFiles.answered.clear()
    started = time.monotonic()
    page.goto(url, wait_until="commit")
    usable = wait_for(page, USABLE) - started
    answered = list(QuietFiles.answered)
    marks = page.evaluate("() => ({origin: performance.timeOrigin, startup: window.playgroundStats.startup})")
    phases = {"usable": usable, "requests": len(answered), "answered 304": answered.count(304)}
    for name, at in (marks["startup"] or {}).items():  # the worker's marks, from the tab's navigation
        phases[name] = (at - marks["origin"]) / 1000
    return page, phases


def play(page: Any, seconds: float) -> tuple[float, float, list[float], float]:
    """Press Play on the training view; steps/s, updates/s and click delays over ``seconds``, and seconds to 95%."""
    page.get_by_role("tab", name="Training").click()
    page.get_by_role("status").filter(has_text="step 0 ").wait_for(timeout=60_000)
    pressed = time.monotonic()
    page.get_by_role("button", name="Play").click()
    accurate = wait_for(page, "() => (window.playgroundTrain.state?.train_accuracy ?? 0) >= 0.95", limit=120)
    to_95 = accurate - pressed
    time.sleep(max(0.0, 1.0 - to_95))  # the first answers include warming up
    counts = """({n: window.playgroundStats.playUpdates, s: window.playgroundStats.steps, t: performance.now(),
                  spent: {...window.playgroundStats.spent}})"""
    before = page.evaluate(counts)
    delays = click_delays(page, seconds)
    after = page.evaluate(counts)
    page.get_by_role("button", name="Pause").click()
    elapsed = (after["t"] - before["t"]) / 1000
    spent = {name: (after["spent"][name] - before["spent"].get(name, 0.0)) / elapsed for name in after["spent"]}
    print(f"    share of the time Python spent on: {', '.join(f'{k} {v:.0%}' for k, v in spent.items())}", flush=True)
    return (after["s"] - before["s"]) / elapsed, (after["n"] - before["n"]) / elapsed, delays, to_95


def median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs, each with a fresh profile (default 3)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each Play measurement (default 10)")
    parser.add_argument("--pyodide", default=str(WEB_DEPS / "pyodide"), help="local Pyodide (default build/web-deps)")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    loads = [os.getloadavg()[0]]
    results: dict[str, list[float]] = {}
    delays: list[float] = []

    def note(name: str, value: float) -> None:
        results.setdefault(name, []).append(value)

    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        site = Path(scratch) / "www"
        export_site(site / SUB_PATH, pyodide=args.pyodide)
        (site / SUB_PATH / "bare.html").write_text(BARE_PAGE)
        local = make_server("127.0.0.1", 0)
        threading.Thread(target=local.serve_forever, daemon=True).start()
        local_url = f"http://127.0.0.1:{local.server_address[1]}/"
        with serve(site) as root:
            url = root + SUB_PATH
            for run in range(args.runs):
                profile = Path(scratch) / f"profile{run}"
                launch = functools.partial(
                    playwright.chromium.launch_persistent_context,
                    str(profile),
                    executable_path=chromium,
                    headless=True,
                    viewport={"width": 1400, "height": 1000},
                )
                context = launch()
                blank = context.pages[0] if context.pages else context.new_page()
                blank.goto("about:blank")
                empty = browser_memory(profile)
                page, cold = load(context, url)
                note("memory added by the page, MB", browser_memory(profile) - empty)
                page.close()
                page, warm = load(context, url)
                bare = context.new_page()
                bare.goto(url + "bare.html")
                wait_for(bare, "() => window.pyodideSeconds !== undefined")
                note("Pyodide alone (warm)", bare.evaluate("window.pyodideSeconds"))
                bare.close()
                steps, updates, clicks, to_95 = play(page, args.seconds)
                note("memory added while training, MB", browser_memory(profile) - empty)
                delays.extend(clicks)
                page.close()
                context.close()
                context = launch()  # the browser restarted: its disk cache only
                page, restarted = load(context, url)
                page.close()
                context.close()
                for kind, phases in (("cold", cold), ("warm", warm), ("restarted", restarted)):
                    for name, seconds in phases.items():
                        note(f"{kind} {name}", seconds)
                note("static seconds to 95% train accuracy", to_95)
                note("static steps/s", steps)
                note("static updates/s", updates)
                browser = playwright.chromium.launch(executable_path=chromium)
                reference = browser.new_page(viewport={"width": 1400, "height": 1000})
                reference.goto(local_url)
                local_steps, local_updates, _, local_95 = play(reference, args.seconds)
                browser.close()
                note("local seconds to 95% train accuracy", local_95)
                note("local steps/s", local_steps)
                note("local updates/s", local_updates)
                loads.append(os.getloadavg()[0])
                print(
                    f"run {run + 1}: cold {cold['usable']:.1f} s, warm {warm['usable']:.1f} s, "
                    f"restarted {restarted['usable']:.1f} s; Play {steps:.0f} steps/s ({updates:.1f} updates/s), "
                    f"local server {local_steps:.0f} steps/s; load {loads[-1]:.1f}",
                    flush=True,
                )
        local.shutdown()
    print(f"\nmedians of {args.runs} runs (seconds from navigation unless said):")
    for name, values in results.items():
        print(f"  {name:28} {median(values):>8}   [{', '.join(f'{v:.2f}' for v in values)}]")
    ratio = statistics.median(results["static steps/s"]) / statistics.median(results["local steps/s"])
    print(f"  static / local Play rate     {ratio:8.2f}")
    if delays:
        clicks = f"{statistics.median(delays):.0f} ms median, {max(delays):.0f} ms at most"
        print(f"  clicks while playing (static): {clicks}")
    print(f"load average (1 min) during the runs: {', '.join(f'{x:.1f}' for x in loads)} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
