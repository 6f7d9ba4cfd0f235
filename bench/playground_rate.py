"""How often the playground page updates while training, measured in a real browser.

    python bench/playground_rate.py              # 3 runs of 10 seconds
    python bench/playground_rate.py --seconds 5 --runs 1

Starts the playground server in this process, opens the page in Debian's
Chromium (Playwright, ``executable_path``; never ``playwright install``), presses
Play on the default model (moons, MLP(2, [16, 16, 1]), 100 points) and counts, as
the page itself counts them (``window.playgroundStats``):

- training steps per second (each answer brings as many as fit in a frame's budget);
- page updates per second (new heat maps, curves, network and status drawn);
- how long a click waits: ten clicks on the Training tab while it plays, each timed
  from the click event to the next frame the page paints after handling it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import threading
import time
from typing import Any

from playwright.sync_api import sync_playwright

from micrograd.playground.server import make_server

CLICK_TIMER = """() => {
    window.clickDelay = null;
    document.getElementById("tab-training").addEventListener("click", (event) => {
        requestAnimationFrame(() => setTimeout(() => { window.clickDelay = performance.now() - event.timeStamp; }, 0));
    }, { once: true });
}"""


def click_delays(page: Any, seconds: float) -> list[float]:
    """Milliseconds from each click (one per second) to the frame painted after it."""
    delays = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(min(1.0, max(0.0, end - time.monotonic())))
        page.evaluate(CLICK_TIMER)
        page.get_by_role("tab", name="Training").click()
        while (delay := page.evaluate("window.clickDelay")) is None:
            time.sleep(0.01)
        delays.append(float(delay))
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of one run (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="runs (default 3)")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    server = make_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/?view=training"
    rates: list[float] = []
    step_rates: list[float] = []
    delays: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        for run in range(args.runs):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.get_by_role("status").filter(has_text="step 0 ").wait_for()
            page.get_by_role("button", name="Play").click()
            time.sleep(1.0)  # the first updates include starting up
            counts = "({n: window.playgroundStats.playUpdates, s: window.playgroundStats.steps, t: performance.now()})"
            before = page.evaluate(counts)
            clicks = click_delays(page, args.seconds)
            after = page.evaluate(counts)
            page.get_by_role("button", name="Pause").click()
            seconds = (after["t"] - before["t"]) / 1000
            rate, steps = (after["n"] - before["n"]) / seconds, (after["s"] - before["s"]) / seconds
            rates.append(rate)
            step_rates.append(steps)
            delays.extend(clicks)
            status = page.get_by_role("status").text_content()
            print(
                f"run {run + 1}: {steps:.0f} steps/s, {rate:.1f} updates/s, a click answered in "
                f"{statistics.median(clicks):.0f} ms (median), {max(clicks):.0f} ms at most   ({status})",
                flush=True,
            )
            page.close()
        browser.close()
    server.shutdown()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"median {statistics.median(step_rates):.0f} steps/s, {statistics.median(rates):.1f} updates/s, "
        f"clicks answered in {statistics.median(delays):.0f} ms (median), {max(delays):.0f} ms at most, "
        f"over {args.runs} runs of {args.seconds:g} s "
        f"on {os.cpu_count()} cores, load average {load:.1f}"
    )


if __name__ == "__main__":
    main()
