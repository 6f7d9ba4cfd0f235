"""``micrograd playground --export DIR``: the playground as a static site, run by Pyodide in the browser.

The folder holds the page's static files (the same page as the local server's),
this package's own Python files read from the installed package, in one zip
(``python/micrograd.zip``: one download, imported as it is), and ``site.js``
telling the page to talk to ``worker.js`` (a Web Worker running this package in
Pyodide) instead of a server.  Any static web server can serve it, under any path:
every link is relative.

Pyodide comes from its official CDN at :data:`PYODIDE_VERSION` unless ``pyodide``
names a local Pyodide distribution (the npm package ``pyodide``, for instance),
which is then copied in, so the site needs no network at all.  The WebAssembly
Graphviz (the npm package ``@viz-js/viz`` at :data:`VIZ_VERSION`) likewise: from
the CDN, or copied from ``viz``, or from beside a local Pyodide
(``node_modules/@viz-js/viz`` next to ``node_modules/pyodide``).  With a local
Pyodide, its standard library and this package are compiled ahead of time by that
Pyodide under Node.js (:mod:`micrograd.playground.bytecode`), which makes the
browser's start several seconds shorter; without Node.js the site works the same,
starting slower.  The same inputs give the same folder, byte for byte.  See
docs/teaching.md.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from micrograd.playground.bytecode import PrecompileError, precompile, zip_files

__all__ = [
    "PYODIDE_CDN",
    "PYODIDE_FILES",
    "PYODIDE_VERSION",
    "VIZ_CDN",
    "VIZ_VERSION",
    "ExportError",
    "Exported",
    "export_site",
]

PYODIDE_VERSION = "314.0.8"  # tested with; .ci/run installs this version from npm
VIZ_VERSION = "3.31.0"  # @viz-js/viz
PYODIDE_CDN = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
VIZ_CDN = f"https://cdn.jsdelivr.net/npm/@viz-js/viz@{VIZ_VERSION}/dist/viz.js"
# what loadPyodide reads from its index URL (the npm package has these and little else)
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
PACKAGE_ZIP = "python/micrograd.zip"  # this package, for one fetch
PACKAGE_PATH = "/home/pyodide/micrograd.zip"  # where worker.js puts it in Pyodide's file system
MANIFEST = "export.json"  # what an export wrote: a later export into the same folder replaces exactly that


class ExportError(Exception):
    """An export that cannot be made, said in one line (a folder in the way, a Pyodide that is not one)."""


@dataclass(frozen=True)
class Exported:
    """What :func:`export_site` wrote, and where the page will load Pyodide and Graphviz from."""

    folder: Path
    files: tuple[str, ...]
    pyodide: str
    viz: str
    numpy: bool
    compiled: str = ""  # how the Python files were compiled ahead of time, or why not

    def summary(self) -> str:
        """What ``micrograd playground --export`` prints: what was written, and how to serve it."""
        copied = {
            name: not url.startswith(("https:", "http:"))
            for name, url in (("pyodide", self.pyodide), ("viz", self.viz))
        }
        return "\n".join(
            [
                f"wrote the static playground to {self.folder} ({len(self.files)} files)",
                f"  Pyodide:  {'copied in: works with no network' if copied['pyodide'] else self.pyodide}",
                f"  Graphviz: {'copied in' if copied['viz'] else self.viz}",
                f"  numpy:    {'loaded from Pyodide' if self.numpy else 'not in this Pyodide: plain Python is used'}",
                f"  Python:   {self.compiled}",
                f"serve it, for instance: python -m http.server --bind 127.0.0.1 --directory {self.folder}",
                "then open http://127.0.0.1:8000/ (a file:// page cannot start the worker)",
            ]
        )


def _package_files() -> list[tuple[str, bytes]]:
    """This package's Python files, as ``(path under micrograd/, bytes)``, sorted."""
    found: list[tuple[str, bytes]] = []
    pending: list[tuple[str, Traversable]] = [("micrograd", resources.files("micrograd"))]
    while pending:
        prefix, folder = pending.pop()
        for entry in folder.iterdir():
            if entry.is_dir() and entry.name != "__pycache__":
                pending.append((f"{prefix}/{entry.name}", entry))
            elif entry.is_file() and entry.name.endswith(".py"):
                found.append((f"{prefix}/{entry.name}", entry.read_bytes()))
    return sorted(found)


def _static_files() -> list[tuple[str, bytes]]:
    """The page's files (static/), as the local server sends them."""
    folder = resources.files("micrograd.playground") / "static"
    return sorted((entry.name, entry.read_bytes()) for entry in folder.iterdir() if entry.is_file())


def _local_pyodide(folder: Path) -> tuple[list[tuple[str, Path]], bool]:
    """The files to copy from a local Pyodide distribution, and whether numpy is among them."""
    missing = [name for name in PYODIDE_FILES if not (folder / name).is_file()]
    if not folder.is_dir() or missing:
        what = "is not a folder" if not folder.is_dir() else f"has no {', '.join(missing)}"
        raise ExportError(
            f"--pyodide {folder}: {what}; give a Pyodide distribution, "
            f"such as the npm package (npm install pyodide@{PYODIDE_VERSION}: node_modules/pyodide)"
        )
    copies = [(f"pyodide/{name}", folder / name) for name in PYODIDE_FILES]
    try:
        lock = json.loads((folder / "pyodide-lock.json").read_text(encoding="utf-8"))
        numpy_file = str(lock["packages"]["numpy"]["file_name"])
    except (OSError, ValueError, KeyError, TypeError):
        return copies, False
    wheel = folder / numpy_file
    if "/" in numpy_file or not wheel.is_file():
        return copies, False  # the npm package has no wheels: the site runs without numpy
    copies.append((f"pyodide/{numpy_file}", wheel))
    return copies, True


def _local_viz(path: Path) -> Path:
    """The ``viz.js`` module of a local ``@viz-js/viz``: the file itself, or found in the package folder."""
    candidate = path / "dist" / "viz.js" if path.is_dir() else path
    if not candidate.is_file():
        raise ExportError(
            f"--viz {path}: no dist/viz.js there; give the npm package @viz-js/viz "
            f"(npm install @viz-js/viz@{VIZ_VERSION}: node_modules/@viz-js/viz) or its dist/viz.js"
        )
    return candidate


def _is_url(text: str) -> bool:
    return text.startswith(("https://", "http://"))


Contents = list[tuple[str, bytes | Path]]  # (name in the folder, its bytes or the file to copy)


def _compile(pyodide: Path, package: bytes, copies: list[tuple[str, Path]]) -> tuple[Contents, str]:
    """The package's zip and Pyodide's files, with their Python compiled ahead of time when Node.js can."""
    stdlib = (pyodide / "python_stdlib.zip").read_bytes()
    try:
        version = json.loads((pyodide / "pyodide-lock.json").read_text(encoding="utf-8"))["info"]["python"]
    except (OSError, ValueError, KeyError, TypeError):
        version = "3.14"
    where = "/lib/python{}{}.zip".format(*str(version).split(".")[:2])  # where Pyodide keeps its standard library
    try:
        compiled = precompile(pyodide, {where: stdlib, PACKAGE_PATH: package})
    except PrecompileError as error:
        plain: Contents = [(PACKAGE_ZIP, package), *copies]
        return plain, f"not compiled ahead of time ({error}): each start compiles it, a few seconds more"
    files: Contents = [(PACKAGE_ZIP, compiled[PACKAGE_PATH])]
    files += [(name, compiled[where] if name == "pyodide/python_stdlib.zip" else path) for name, path in copies]
    return files, "compiled ahead of time by this Pyodide (under Node.js): a faster start"


def _site_js(pyodide: str, viz: str, numpy: bool) -> bytes:
    site = {"transport": "pyodide", "pyodide": pyodide, "viz": viz, "package": PACKAGE_ZIP, "numpy": numpy}
    text = (
        "// Written by `micrograd playground --export`: this page runs the package in the browser (Pyodide).\n"
        f"export const SITE = {json.dumps(site, indent=2)};\n"
    )
    return text.encode()


def _prepare(folder: Path) -> None:
    """Make ``folder`` ready: new, empty, or a previous export (whose files are removed)."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder} is a file, not a folder")
    if not folder.exists():
        folder.mkdir(parents=True)
        return
    manifest = folder / MANIFEST
    if not manifest.is_file():
        if any(folder.iterdir()):
            raise ExportError(f"{folder} is not empty and holds no earlier export: choose a new or empty folder")
        return
    try:
        previous = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        problem = f"{folder / MANIFEST} is not an export's list of files"
        raise ExportError(f"{problem}: choose a new or empty folder") from None
    root = folder.resolve()
    for name in previous:
        target = (folder / str(name)).resolve()
        if target.is_relative_to(root) and target.is_file():
            target.unlink()
    manifest.unlink()


def export_site(folder: str | Path, pyodide: str | None = None, viz: str | None = None) -> Exported:
    """Write the static playground into ``folder``; see the module docstring."""
    folder = Path(folder)
    contents: list[tuple[str, bytes | Path]] = [(name, data) for name, data in _static_files()]
    package = zip_files(_package_files())

    numpy = True  # the CDN's Pyodide has numpy; a local copy has it only if its wheel is there
    compiled = "sources only (compiled ahead of time only with a local --pyodide)"
    if pyodide is None or _is_url(pyodide):
        pyodide_url = pyodide or PYODIDE_CDN
        pyodide_url += "" if pyodide_url.endswith("/") else "/"
        contents.append((PACKAGE_ZIP, package))
    else:
        copies, numpy = _local_pyodide(Path(pyodide))
        files, compiled = _compile(Path(pyodide), package, copies)
        contents += files
        pyodide_url = "pyodide/"
        beside = Path(pyodide).parent / "@viz-js" / "viz"
        if viz is None and (beside / "dist" / "viz.js").is_file():
            viz = str(beside)  # npm installed both into one node_modules: offline, as Pyodide is
    if viz is None or _is_url(viz):
        viz_url = viz or VIZ_CDN
    else:
        contents.append(("viz/viz.js", _local_viz(Path(viz))))
        viz_url = "viz/viz.js"
    contents = [(name, data) for name, data in contents if name != "site.js"]
    contents.append(("site.js", _site_js(pyodide_url, viz_url, numpy)))
    names = sorted(name for name, _ in contents)
    contents.append((MANIFEST, (json.dumps({"files": names}, indent=0) + "\n").encode()))

    _prepare(folder)
    for name, data in contents:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, Path):
            shutil.copyfile(data, target)
        else:
            target.write_bytes(data)
    return Exported(folder, tuple(names), pyodide_url, viz_url, numpy, compiled)
