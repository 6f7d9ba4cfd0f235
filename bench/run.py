"""Benchmark this micrograd against karpathy's micrograd 0.1.0, side by side.

    python bench/run.py                    # the full run (a few minutes)
    python bench/run.py --quick            # small sizes, one repeat: a smoke test for CI
    python bench/run.py --baseline REV     # also this package as of git revision REV

The reference is installed from PyPI into its own virtual environment
(bench/.venv-reference, made on first use).  Every measurement runs in a fresh
interpreter, the engines alternating, several repeats; the table shows medians
and ratios.  Interpreter settings (garbage collector, recursion limit) are the
defaults in both.  ``--baseline`` adds a column for this package's ``src/`` at an
earlier revision (taken with ``git archive``), to show what a change did.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import venv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "src"
REFERENCE_ENV = HERE / ".venv-reference"
REFERENCE = "micrograd==0.1.0"


@dataclass(frozen=True)
class Sizes:
    demo_steps: int
    wide: int
    chain: int
    grid_points: int
    products: int
    repeats: int


FULL = Sizes(demo_steps=10, wide=200_000, chain=1_000_000, grid_points=2_500, products=200_000, repeats=5)
QUICK = Sizes(demo_steps=2, wide=5_000, chain=20_000, grid_points=100, products=5_000, repeats=1)


GC_SHARE_ROW = "wide graph: share of time in the cyclic GC (%)"
OUTSIDE_GC_ROW = "wide graph: time outside the cyclic GC (s)"
TRACKED_ROW = "objects tracked by the cyclic GC per node"
PRODUCT_ROW = "a * b, recording (ns)"
OTHER_THREAD_ROW = "a * b, recording, another thread in no_grad (ns)"


def reference_python() -> Path:
    """The interpreter of the reference environment, created with micrograd 0.1.0 if missing."""
    python = REFERENCE_ENV / "bin" / "python"
    if not python.exists():
        print(f"creating {REFERENCE_ENV.relative_to(HERE.parent)} with {REFERENCE} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(REFERENCE_ENV)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", REFERENCE], check=True
        )
    return python


def baseline_source(revision: str, into: Path) -> Path:
    """This package's ``src/`` as of git ``revision``, extracted under ``into``."""
    archive = into / "src.tar"
    try:
        with archive.open("wb") as out:
            subprocess.run(
                ["git", "archive", "--format=tar", revision, "src"],
                cwd=HERE.parent,
                stdout=out,
                stderr=subprocess.PIPE,
                check=True,
            )
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        raise SystemExit(f"bench: cannot take src/ at {revision!r}: {detail.decode().strip() or error}") from None
    with tarfile.open(archive) as tar:
        try:
            tar.extractall(into, filter="data")
        except TypeError:  # a Python before 3.10.12 / 3.11.4 has no filters; the archive is our own
            tar.extractall(into)
    return into / "src"


def run_workload(python: Path | str, ours: bool, name: str, size: int, source: Path = SOURCE) -> dict[str, object]:
    """Run one workload in a fresh interpreter and return its JSON result (ours: from ``source``)."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if ours:
        env["PYTHONPATH"] = str(source)
    completed = subprocess.run(
        [str(python), str(HERE / "workloads.py"), name, str(size)],
        capture_output=True,
        text=True,
        env=env,
        cwd=HERE,
        check=False,
    )
    if completed.returncode != 0:
        last = completed.stderr.strip().splitlines()[-1:] or ["no output"]
        return {"error": last[0]}
    result: dict[str, object] = json.loads(completed.stdout)
    expected = "ours" if ours else "micrograd 0.1.0"
    if result.get("engine") != expected:
        raise SystemExit(f"bench: expected to measure {expected}, but the workload imported {result.get('engine')}")
    return result


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
        f"{platform.python_implementation()} {platform.python_version()}"
    )


def collect(sizes: Sizes, reference: Path, baseline: Path | None = None) -> dict[str, dict[str, list[float] | str]]:
    """Run every workload on each engine, alternating, ``sizes.repeats`` times.

    The engines: micrograd 0.1.0 (``ref``), this package (``ours``) and, given a
    ``baseline`` source directory, this package as it was (``base``).
    """
    engines: list[tuple[str, Path | str, bool, Path]] = [
        ("ref", reference, False, SOURCE),
        ("ours", sys.executable, True, SOURCE),
    ]
    if baseline is not None:
        engines.append(("base", sys.executable, True, baseline))
    plan = [
        ("demo step (s)", "demo_step", sizes.demo_steps, "seconds"),
        ("wide graph fwd+bwd (s)", "wide", sizes.wide, "seconds"),
        ("memory per node (bytes)", "memory", sizes.wide, "bytes_per_node"),
        (f"chain {sizes.chain:,} deep (s)", "chain", sizes.chain, "seconds"),
        ("MLP forward, graph (s)", "forward", sizes.grid_points, "seconds"),
        (PRODUCT_ROW, "grad_mode", sizes.products, "ns"),
    ]
    results: dict[str, dict[str, list[float] | str]] = {}
    for repeat in range(sizes.repeats):
        print(f"repeat {repeat + 1}/{sizes.repeats}", flush=True)
        for row, name, size, key in plan:
            for engine, python, ours, source in engines:
                outcome = run_workload(python, ours, name, size, source)
                cell = results.setdefault(row, {}).setdefault(engine, [])
                if "error" in outcome:
                    results[row][engine] = str(outcome["error"])
                elif isinstance(cell, list):
                    cell.append(float(outcome[key]))  # type: ignore[arg-type]
                if name == "wide" and "gc_seconds" in outcome:
                    seconds, in_gc = float(outcome["seconds"]), float(outcome["gc_seconds"])  # type: ignore[arg-type]
                    for row_name, value in ((GC_SHARE_ROW, 100 * in_gc / seconds), (OUTSIDE_GC_ROW, seconds - in_gc)):
                        cell = results.setdefault(row_name, {}).setdefault(engine, [])
                        assert isinstance(cell, list)
                        cell.append(value)
                if name == "memory" and "tracked_per_node" in outcome:
                    cell = results.setdefault(TRACKED_ROW, {}).setdefault(engine, [])
                    assert isinstance(cell, list)
                    cell.append(float(outcome["tracked_per_node"]))  # type: ignore[arg-type]
                if name == "forward" and ours and "no_grad_seconds" in outcome:
                    no_grad = results.setdefault("MLP forward, no_grad (s)", {}).setdefault(engine, [])
                    assert isinstance(no_grad, list)
                    no_grad.append(float(outcome["no_grad_seconds"]))  # type: ignore[arg-type]
                if name == "grad_mode" and ours and "ns_other_thread_no_grad" in outcome:
                    cell = results.setdefault(OTHER_THREAD_ROW, {}).setdefault(engine, [])
                    assert isinstance(cell, list)
                    cell.append(float(outcome["ns_other_thread_no_grad"]))  # type: ignore[arg-type]
        if sizes.chain >= 4:  # linear in depth: the same chain at a quarter and half the depth
            for fraction in (4, 2):
                for engine, python, ours, source in engines[1:]:  # ours, and the baseline if any
                    outcome = run_workload(python, ours, "chain", sizes.chain // fraction, source)
                    row = results.setdefault(f"chain {sizes.chain // fraction:,} deep (s)", {})
                    cell = row.setdefault(engine, [])
                    assert isinstance(cell, list)
                    cell.append(float(outcome["seconds"]))  # type: ignore[arg-type]
    return results


def format_cell(cell: list[float] | str | None) -> str:
    if cell is None:
        return "-"
    if isinstance(cell, str):
        return f"fails: {cell}"
    value = median(cell)
    return f"{value:.0f}" if value >= 100 else f"{value:.4g}"


def _ratio(cells: dict[str, list[float] | str], against: str = "ref") -> float | None:
    ref, ours = cells.get(against), cells.get("ours")
    if isinstance(ref, list) and isinstance(ours, list) and ref and ours and median(ours) > 0:
        return median(ref) / median(ours)
    return None


def table(results: dict[str, dict[str, list[float] | str]], sizes: Sizes, baseline_name: str = "") -> str:
    """The results as a Markdown table, with each target from the performance issue and whether it is met.

    With a baseline, two more columns: its times, and how many times faster ours is
    (below 1.00x: slower than before).
    """
    chain_row = f"chain {sizes.chain:,} deep (s)"
    targets: dict[str, tuple[str, Callable[[dict[str, list[float] | str]], bool]]] = {
        "demo step (s)": (">= 75x", lambda c: (_ratio(c) or 0) >= 75),
        "wide graph fwd+bwd (s)": (">= 10x", lambda c: (_ratio(c) or 0) >= 10),
        "memory per node (bytes)": (
            "<= 160 bytes",
            lambda c: isinstance(c.get("ours"), list) and median(c["ours"]) <= 160,
        ),  # type: ignore[arg-type]
        chain_row: ("succeeds", lambda c: isinstance(c.get("ours"), list)),
    }
    baseline = any("base" in cells for cells in results.values())
    if baseline:
        lines = [
            f"| workload | micrograd 0.1.0 | before ({baseline_name}) | ours | ratio | ours vs before | target | met |",
            "|---|---:|---:|---:|---:|---:|---|---|",
        ]
    else:
        lines = ["| workload | micrograd 0.1.0 | ours | ratio | target | met |", "|---|---:|---:|---:|---|---|"]
    for row, cells in results.items():
        ratio = None if row == GC_SHARE_ROW else _ratio(cells)  # a ratio of percentages means nothing
        target, check = targets.get(row, ("", None))
        met = "" if check is None else ("yes" if check(cells) else "NO")
        ratio_text = "-" if ratio is None else f"{ratio:.1f}x"
        ref, ours = format_cell(cells.get("ref")), format_cell(cells.get("ours"))
        if baseline:
            against = None if row in (GC_SHARE_ROW, TRACKED_ROW) else _ratio(cells, "base")
            versus = "-" if against is None else f"{against:.2f}x"
            before = format_cell(cells.get("base"))
            lines.append(f"| {row} | {ref} | {before} | {ours} | {ratio_text} | {versus} | {target} | {met} |")
        else:
            lines.append(f"| {row} | {ref} | {ours} | {ratio_text} | {target} | {met} |")
    recorded = results.get("MLP forward, graph (s)", {}).get("ours")
    no_grad = results.get("MLP forward, no_grad (s)", {}).get("ours")
    if isinstance(recorded, list) and isinstance(no_grad, list) and recorded and no_grad:
        speedup = median(recorded) / median(no_grad)
        met = "yes" if speedup >= 3 else "NO"
        cells = ["ours: graph / no_grad forward", "", "", f"{speedup:.1f}x", ">= 3x", met]
        if baseline:
            cells[2:2] = [""]  # before
            cells[5:5] = [""]  # ours vs before
        lines.append(f"| {' | '.join(cells)} |")
    depths = sorted(
        (int(row.split()[1].replace(",", "")), median(cells["ours"]))  # type: ignore[arg-type]
        for row, cells in results.items()
        if row.startswith("chain ") and isinstance(cells.get("ours"), list)
    )
    if len(depths) > 1:
        per_node = ", ".join(f"{seconds / depth * 1e6:.2f} us at {depth:,}" for depth, seconds in depths)
        lines.append(f"\nchain, time per node (linear in depth when these agree): {per_node}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat (a smoke test)")
    parser.add_argument("--baseline", metavar="REV", help="also measure src/ as of this git revision")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    reference = reference_python()
    print(f"machine: {machine()}")
    print(f"sizes: {sizes}")
    with tempfile.TemporaryDirectory(prefix="micrograd-baseline-") as scratch:
        baseline = baseline_source(args.baseline, Path(scratch)) if args.baseline else None
        results = collect(sizes, reference, baseline)
    print()
    print(table(results, sizes, args.baseline or ""))
    print(f"\nmedians of {sizes.repeats} run(s); each in a fresh interpreter, engines alternating")
    if args.quick:
        print("--quick: the sizes are too small for the targets to mean anything; run without --quick to check them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
