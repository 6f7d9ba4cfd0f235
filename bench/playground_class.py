"""A class at once: N API clients training in one playground server, as N open pages would.

    python bench/playground_class.py                 # 30 clients, 3 runs of 10 seconds
    python bench/playground_class.py --clients 1 --runs 1

Starts the server in this process (``make_server(sessions=N)``), then N client
threads each start a session on the default settings (moons, MLP(2, [16, 16, 1]))
and, as the page does while playing, ask again and again for a frame's worth of steps
(``{"steps": 1000, "seconds": 0.025}``) with the heat maps, over their own keep-alive
connection.  Reports the steps per second each client got (median and slowest), the
median time a request took, and how long a lab request (a click in the expression
lab) waited meanwhile.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import threading
import time
from typing import Any

from micrograd.playground.server import make_server

FRAME_SECONDS = 0.025  # the CPU budget the page asks for per request


def post(connection: http.client.HTTPConnection, host: str, path: str, body: Any) -> Any:
    headers = {"Host": host, "Content-Type": "application/json"}
    connection.request("POST", path, body=json.dumps(body), headers=headers)
    response = connection.getresponse()
    document = json.loads(response.read())
    if response.status >= 300:
        raise SystemExit(f"{path}: {response.status} {document}")
    return document


def client(port: int, seconds: float, start: threading.Barrier, result: dict[str, Any]) -> None:
    host = f"127.0.0.1:{port}"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    key = post(connection, host, "/api/sessions", {})["id"]
    start.wait()
    began = time.perf_counter()
    first = step = 0
    latencies = []
    while time.perf_counter() - began < seconds:
        asked = time.perf_counter()
        state = post(
            connection, host, f"/api/sessions/{key}/step", {"steps": 1000, "seconds": FRAME_SECONDS, "since": step}
        )
        latencies.append(time.perf_counter() - asked)
        step = state["step"]
    result["rate"] = (step - first) / (time.perf_counter() - began)
    result["latency"] = statistics.median(latencies)
    connection.request("DELETE", f"/api/sessions/{key}", headers={"Host": host})
    connection.getresponse().read()
    connection.close()


def click_latency(port: int, seconds: float) -> list[float]:
    """Lab requests (the example expression) every 0.5 s while the clients train: seconds each."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end - 0.5:
        time.sleep(0.5)
        asked = time.perf_counter()
        post(connection, f"127.0.0.1:{port}", "/api/expression", {"expression": "(a*b + c) * f"})
        times.append(time.perf_counter() - asked)
    return times


def run(clients: int, seconds: float) -> tuple[list[float], float, list[float]]:
    server = make_server("127.0.0.1", 0, sessions=clients)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    start = threading.Barrier(clients + 1)
    results: list[dict[str, Any]] = [{} for _ in range(clients)]
    threads = [threading.Thread(target=client, args=(port, seconds, start, r)) for r in results]
    for thread in threads:
        thread.start()
    start.wait()
    clicks = click_latency(port, seconds)
    for thread in threads:
        thread.join()
    server.shutdown()
    server.server_close()
    return [r["rate"] for r in results], statistics.median(r["latency"] for r in results), clicks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=30, help="API clients at once (default 30)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of one run (default 10)")
    parser.add_argument("--runs", type=int, default=3, help="runs (default 3)")
    args = parser.parse_args()
    medians, slowest = [], []
    for number in range(args.runs):
        rates, latency, clicks = run(args.clients, args.seconds)
        medians.append(statistics.median(rates))
        slowest.append(min(rates))
        print(
            f"run {number + 1}: {args.clients} clients, steps/s per client median {medians[-1]:.1f}, "
            f"slowest {slowest[-1]:.1f}, total {sum(rates):.0f}; a step request took {1000 * latency:.0f} ms "
            f"(median); a lab click waited {1000 * statistics.median(clicks):.0f} ms (median), "
            f"{1000 * max(clicks):.0f} ms at most",
            flush=True,
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"median over {args.runs} runs: {statistics.median(medians):.1f} steps/s per client "
        f"(slowest client {statistics.median(slowest):.1f}) on {os.cpu_count()} cores, load average {load:.1f}"
    )


if __name__ == "__main__":
    main()
