"""Python files compiled ahead of time for the static site, by the very Pyodide the site runs.

Pyodide's npm package ships its standard library as source only, so every start
compiles each module it imports, which is most of its start-up time in a
browser.  :func:`precompile` runs that Pyodide once under Node.js, at export
time, and turns zips of ``.py`` files into zips where each module also has its
``.pyc`` (unchecked hash-based, so nothing depends on file times and the same
input gives the same bytes).  Python's zip importer prefers the ``.pyc``; the
``.py`` stays beside it for tracebacks.  The results are kept in a cache folder
keyed by the Pyodide and the zip's contents, so later exports need no Node.js.

This module uses the standard library only: :func:`compile_zip` also runs
inside Pyodide, where ``bytecode.mjs`` executes this file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

__all__ = ["PrecompileError", "cache_folder", "compile_zip", "precompile", "zip_files"]

DATE = (1980, 1, 1, 0, 0, 0)  # every entry's time: the same files give the same zip
NODE_SECONDS = 600  # a cold Pyodide start plus compiling its standard library, on a loaded machine


class PrecompileError(Exception):
    """The files could not be compiled (no Node.js, or the Pyodide run failed): said in one line."""


def zip_files(files: list[tuple[str, bytes]]) -> bytes:
    """A deterministic zip of ``(name, data)`` pairs, in the order given."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files:
            entry = zipfile.ZipInfo(name, date_time=DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)
    return buffer.getvalue()


def compile_zip(source: str, target: str, where: str) -> int:
    """Write ``target``: ``source``'s entries, each ``.py`` followed by its ``.pyc``; returns how many compiled.

    The ``.pyc`` is for the running interpreter (run it in the Pyodide that will import
    it); ``where`` is the zip's path there, which tracebacks name as the zip importer
    would.  A module that does not compile (a test file of the standard library, say)
    keeps its source only.
    """
    files: list[tuple[str, bytes]] = []
    compiled = 0
    with zipfile.ZipFile(source) as archive:
        for entry in archive.infolist():
            data = archive.read(entry)
            if entry.is_dir():
                continue
            files.append((entry.filename, data))
            if not entry.filename.endswith(".py"):
                continue
            try:
                code = compile(data, f"{where}/{entry.filename}", "exec", dont_inherit=True)
            except (SyntaxError, ValueError):
                continue
            pyc = importlib._bootstrap_external._code_to_hash_pyc(code, importlib.util.source_hash(data), False)  # type: ignore[attr-defined]
            files.append((entry.filename + "c", bytes(pyc)))
            compiled += 1
    with open(target, "wb") as out:
        out.write(zip_files(files))
    return compiled


def cache_folder() -> Path:
    """Where compiled zips are kept: ``$MICROGRAD_CACHE``, else the user's cache folder."""
    if os.environ.get("MICROGRAD_CACHE"):
        return Path(os.environ["MICROGRAD_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "micrograd-lab" / "pyodide-bytecode"


def _key(pyodide: Path, data: bytes) -> str:
    digest = hashlib.sha256()
    for part in (pyodide / "pyodide.asm.wasm", pyodide / "python_stdlib.zip", Path(__file__)):
        digest.update(part.read_bytes())
    digest.update(data)
    return digest.hexdigest()[:32]


def precompile(pyodide: Path, zips: dict[str, bytes]) -> dict[str, bytes]:
    """Each zip of sources, named by its path in Pyodide, compiled by the Pyodide in ``pyodide``.

    From the cache when it is there; else Node.js runs Pyodide, and the cache keeps the result.
    """
    cache = cache_folder()
    keys = {where: _key(pyodide, where.encode() + data) for where, data in zips.items()}
    found = {name: cache / f"{key}.zip" for name, key in keys.items()}
    missing = [name for name, path in found.items() if not path.is_file()]
    if missing:
        _run_node(pyodide, {name: zips[name] for name in missing}, {name: found[name] for name in missing})
    return {name: path.read_bytes() for name, path in found.items()}


def _run_node(pyodide: Path, zips: dict[str, bytes], targets: dict[str, Path]) -> None:
    """Compile ``zips`` in Pyodide under Node.js (``bytecode.mjs``) into the cache files ``targets``."""
    node = shutil.which("node")
    if node is None:
        raise PrecompileError("Node.js is not installed (it runs Pyodide once to compile the Python files)")
    driver = Path(__file__).with_name("bytecode.mjs")
    with tempfile.TemporaryDirectory() as scratch:
        jobs = []
        for number, (where, data) in enumerate(zips.items()):
            source = Path(scratch) / f"source{number}.zip"
            source.write_bytes(data)
            jobs += [str(source), str(Path(scratch) / f"target{number}.zip"), where]
        try:
            done = subprocess.run(
                [node, str(driver), str(pyodide.resolve()), __file__, *jobs],
                capture_output=True,
                text=True,
                timeout=NODE_SECONDS,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise PrecompileError(f"Node.js could not run Pyodide: {error}") from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise PrecompileError(f"Pyodide under Node.js could not compile the Python files: {last[:200]}")
        for number, name in enumerate(zips):
            targets[name].parent.mkdir(parents=True, exist_ok=True)
            partial = targets[name].with_suffix(".part")
            shutil.copyfile(Path(scratch) / f"target{number}.zip", partial)
            partial.replace(targets[name])  # whole or absent, even with two exports at once
