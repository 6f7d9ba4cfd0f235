"""How often the playground page updates while training, measured in a real browser.

    python bench/playground_rate.py              # 3 runs of 10 seconds
    python bench/playground_rate.py --seconds 5 --runs 1

Starts the playground server in this process, opens the page in Debian's
Chromium (Playwright, ``executable_path``; never ``playwright install``), presses
Play on the default model (moons, MLP(2, [16, 16, 1]), 100 points) and counts the
page updates (each one a training step, new heat maps, curves, network and status
drawn) per second, as the page itself counts them (``window.playgroundStats``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import threading
import time

from playwright.sync_api import sync_playwright

from micrograd.playground.server import make_server


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
    rates = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        for run in range(args.runs):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.get_by_role("status").filter(has_text="step 0 ").wait_for()
            page.get_by_role("button", name="Play").click()
            time.sleep(1.0)  # the first updates include starting up
            before = page.evaluate("({n: window.playgroundStats.playUpdates, t: performance.now()})")
            time.sleep(args.seconds)
            after = page.evaluate("({n: window.playgroundStats.playUpdates, t: performance.now()})")
            page.get_by_role("button", name="Pause").click()
            rate = (after["n"] - before["n"]) / ((after["t"] - before["t"]) / 1000)
            rates.append(rate)
            status = page.get_by_role("status").text_content()
            print(f"run {run + 1}: {rate:.1f} updates/s   ({status})", flush=True)
            page.close()
        browser.close()
    server.shutdown()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"median {statistics.median(rates):.1f} updates/s over {args.runs} runs of {args.seconds:g} s "
        f"on {os.cpu_count()} cores, load average {load:.1f}"
    )


if __name__ == "__main__":
    main()
