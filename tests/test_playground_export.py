"""``micrograd playground --export``: the static site's files, its errors, and its Python run by Pyodide.

The browser tests of the exported page are in test_playground_browser.py (the same
bodies as the local page's, parametrised by transport).  Here: what the folder holds,
that it is the same every time and has no root-absolute link, the one-line errors,
and the package run by Pyodide under Node.js giving the local server's numbers.
"""

from __future__ import annotations

import json
import re
import subprocess
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from micrograd.cli import main
from micrograd.playground import bytecode
from micrograd.playground.api import Api
from micrograd.playground.export import (
    PYODIDE_CDN,
    PYODIDE_FILES,
    PYODIDE_VERSION,
    VIZ_CDN,
    VIZ_VERSION,
    ExportError,
    export_site,
)
from playground_pages import node_program, pyodide_copy
from pyodide_steps import run_steps

# An export with a local Pyodide compiles its Python under Node.js, half a minute or more on a busy
# machine when the cache (bytecode.cache_folder) is empty, as on a fresh CI machine
COMPILES = pytest.mark.timeout(300)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def package_sources() -> set[str]:
    root = Path(str(resources.files("micrograd")))
    return {f"micrograd/{path.relative_to(root).as_posix()}" for path in root.rglob("*.py")}


def test_the_default_export_loads_pyodide_and_graphviz_from_the_cdn(tmp_path: Path) -> None:
    exported = export_site(tmp_path / "site")
    files = tree(tmp_path / "site")
    assert exported.pyodide == PYODIDE_CDN and PYODIDE_VERSION in PYODIDE_CDN
    assert exported.viz == VIZ_CDN and VIZ_VERSION in VIZ_CDN
    static = Path(str(resources.files("micrograd.playground") / "static"))
    for page_file in static.iterdir():
        if page_file.name != "site.js":
            assert files[page_file.name] == page_file.read_bytes()
    site = files["site.js"].decode()
    assert '"transport": "pyodide"' in site and PYODIDE_CDN in site and VIZ_CDN in site
    with zipfile.ZipFile(tmp_path / "site" / "python" / "micrograd.zip") as package:
        listed = package.namelist()
        assert set(listed) == package_sources() and len(listed) == len(set(listed))  # from the CDN: sources only
        root = Path(str(resources.files("micrograd"))).parent
        for path in listed:
            assert package.read(path) == (root / path).read_bytes()
    assert "sources only" in exported.compiled
    assert json.loads(files["export.json"])["files"] == sorted(set(files) - {"export.json"})
    assert not any(name.startswith("pyodide/") for name in files)


@COMPILES
def test_an_export_is_the_same_every_time_and_has_no_root_absolute_link(tmp_path: Path) -> None:
    copy = str(pyodide_copy())
    export_site(tmp_path / "one", pyodide=copy)
    export_site(tmp_path / "two", pyodide=copy)
    one = tree(tmp_path / "one")
    assert one == tree(tmp_path / "two")
    assert {"pyodide/pyodide.asm.wasm", "pyodide/python_stdlib.zip", "viz/viz.js", "worker.js"} <= set(one)
    assert b'"pyodide": "pyodide/"' in one["site.js"] and b'"numpy": false' in one["site.js"]
    root_absolute = re.compile(r"""(?:href|src)\s*=\s*["']/|(?:fetch|import|new URL|Worker)\(\s*["'`]/|url\(\s*/""")
    for name, data in one.items():
        if name.endswith((".html", ".js", ".css")) and not name.startswith(("pyodide/", "viz/")):
            found = root_absolute.search(data.decode())
            assert found is None, f"{name}: a root-absolute link {found.group(0) if found else ''!r}"


@COMPILES
def test_an_export_replaces_an_earlier_one_and_nothing_else(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    export_site(folder, pyodide=str(pyodide_copy()))
    assert (folder / "pyodide" / "pyodide.asm.wasm").is_file()
    export_site(folder)  # now from the CDN: the copied Pyodide goes
    assert tree(folder) == tree(export_site(tmp_path / "fresh").folder)
    (folder / "notes.txt").write_text("mine")
    export_site(folder)
    assert (folder / "notes.txt").read_text() == "mine"
    other = tmp_path / "other"
    other.mkdir()
    (other / "index.html").write_text("someone's page")
    with pytest.raises(ExportError, match="not empty and holds no earlier export"):
        export_site(other)
    assert (other / "index.html").read_text() == "someone's page"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--pyodide", "{tmp}/nowhere"], "--pyodide {tmp}/nowhere: is not a folder"),
        (["--pyodide", "{tmp}"], "has no pyodide.mjs"),
        (["--viz", "{tmp}"], "--viz {tmp}: no dist/viz.js there"),
    ],
)
def test_bad_export_options_give_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    given = [argument.format(tmp=tmp_path) for argument in arguments]
    assert main(["playground", "--export", str(tmp_path / "site"), *given]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("micrograd: error: ") and message.format(tmp=tmp_path) in error
    assert not (tmp_path / "site").exists()


@COMPILES
def test_the_command_exports_and_says_how_to_serve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("")
    assert main(["playground", "--export", str(tmp_path / "file")]) == 1
    assert "is a file, not a folder" in capsys.readouterr().err
    assert main(["playground", "--pyodide", "x"]) == 1
    assert "--pyodide goes with --export DIR" in capsys.readouterr().err
    assert main(["playground", "--export", str(tmp_path / "site"), "--pyodide", str(pyodide_copy())]) == 0
    out = capsys.readouterr().out
    assert "copied in: works with no network" in out and "python -m http.server" in out
    assert (tmp_path / "site" / "index.html").is_file()


NODE_DRIVER = """
import { readFileSync } from "node:fs";
const site = %(site)s;
const { loadPyodide } = await import(%(module)s);
const pyodide = await loadPyodide({ indexURL: site + "pyodide/" });
pyodide.FS.writeFile("/home/pyodide/micrograd.zip", readFileSync(site + "python/micrograd.zip"));
pyodide.FS.mkdirTree("/home/pyodide/lab");
pyodide.FS.writeFile("/home/pyodide/lab/pyodide_steps.py", readFileSync(%(steps)s, "utf8"));
process.stdout.write(pyodide.runPython(readFileSync(%(script)s, "utf8")));
"""

PYTHON_RUN = """
import importlib.util, json, sys, zipfile
sys.path[:0] = ["/home/pyodide/micrograd.zip", "/home/pyodide/lab"]
from micrograd.playground.api import Api
from pyodide_steps import run_steps
result = run_steps(Api())
with zipfile.ZipFile("/home/pyodide/micrograd.zip") as package:  # compiled by this Pyodide: it imports the .pyc
    magic = {package.read(name)[:4] for name in package.namelist() if name.endswith(".pyc")}
    result["pyc"] = magic == {importlib.util.MAGIC_NUMBER}
with zipfile.ZipFile("/lib/python%(version)s.zip") as stdlib:
    result["stdlib_pyc"] = stdlib.read("json/__init__.pyc")[:4] == importlib.util.MAGIC_NUMBER
json.dumps(result)
"""


@pytest.mark.timeout(300)
def test_pyodide_runs_the_package_to_the_same_weights_and_pictures(tmp_path: Path) -> None:
    node = node_program()
    copy = pyodide_copy()
    site = tmp_path / "site"
    exported = export_site(site, pyodide=str(copy))
    assert exported.compiled.startswith("compiled ahead of time")
    version = "".join(json.loads((copy / "pyodide-lock.json").read_text())["info"]["python"].split(".")[:2])
    (tmp_path / "run.py").write_text(PYTHON_RUN % {"version": version})
    driver = NODE_DRIVER % {
        "site": json.dumps(f"{site.resolve()}/"),
        "module": json.dumps((site / "pyodide" / "pyodide.mjs").resolve().as_uri()),
        "script": json.dumps(str(tmp_path / "run.py")),
        "steps": json.dumps(str(Path(__file__).with_name("pyodide_steps.py"))),
    }
    (tmp_path / "driver.mjs").write_text(driver)
    completed = subprocess.run([node, str(tmp_path / "driver.mjs")], capture_output=True, text=True, timeout=280)
    assert completed.returncode == 0, completed.stderr[completed.stderr.find("PythonError") :][-3000:]
    browser = json.loads(completed.stdout)
    assert browser["pyc"] and browser["stdlib_pyc"]
    with zipfile.ZipFile(site / "python" / "micrograd.zip") as package:
        names = set(package.namelist())
    assert {name + "c" for name in package_sources()} <= names  # every module compiled, its source beside it
    local = run_steps(Api())
    assert browser["grads"] == local["grads"] and browser["grads"]["a"] == 6.0 and browser["grads"]["f"] == 4.0
    assert browser["dot"] == local["dot"] and browser["svg"] is False  # no renderer there: the worker draws the DOT
    assert len(browser["weights"]) == len(local["weights"]) == 2 * 8 + 8 + 8 * 8 + 8 + 8 + 1
    assert max(abs(a - b) for a, b in zip(browser["weights"], local["weights"], strict=True)) <= 1e-12


DOCS = Path(__file__).resolve().parent.parent / "docs" / "teaching.md"
WORKFLOW = Path(__file__).resolve().parent.parent / "examples" / "github-pages-playground.yml"


@COMPILES
def test_the_offline_recipe_in_the_docs_and_the_workflow_pin_the_tested_versions(tmp_path: Path) -> None:
    pins = f"pyodide@{PYODIDE_VERSION} @viz-js/viz@{VIZ_VERSION}"
    recipe = re.search(r"```sh\n(.*?)```", DOCS.read_text(), re.DOTALL)
    assert recipe is not None
    lines = recipe.group(1).splitlines()
    assert lines[0] == f"npm install --no-save {pins}"
    assert f"npm install --no-save {pins}" in WORKFLOW.read_text()
    assert "micrograd playground --export site --pyodide node_modules/pyodide" in WORKFLOW.read_text()
    # the recipe's export, with the npm copy the tests use for node_modules
    export = lines[1].split()
    assert export[:3] == ["micrograd", "playground", "--export"]
    node_modules = pyodide_copy().parent
    arguments = [argument.replace("node_modules", str(node_modules)) for argument in export[1:]]
    assert main([*arguments[:2], str(tmp_path / "site"), *arguments[3:]]) == 0
    assert (tmp_path / "site" / "viz" / "viz.js").is_file() and (tmp_path / "site" / "pyodide").is_dir()


@COMPILES
def test_a_full_pyodide_distribution_brings_its_numpy_wheel(tmp_path: Path) -> None:
    copy = pyodide_copy()
    full = tmp_path / "full"
    full.mkdir()
    for name in PYODIDE_FILES:
        (full / name).symlink_to(copy / name)
    wheel = json.loads((copy / "pyodide-lock.json").read_text())["packages"]["numpy"]["file_name"]
    (full / wheel).write_bytes(b"a wheel")
    exported = export_site(tmp_path / "site", pyodide=str(full))
    assert exported.numpy and (tmp_path / "site" / "pyodide" / wheel).read_bytes() == b"a wheel"
    assert '"numpy": true' in (tmp_path / "site" / "site.js").read_text()
    (full / wheel).unlink()
    assert not export_site(tmp_path / "without", pyodide=str(full)).numpy


def test_without_node_the_export_has_sources_only_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROGRAD_CACHE", str(tmp_path / "cache"))  # nothing compiled before
    monkeypatch.setattr(bytecode.shutil, "which", lambda name: None)
    copy = pyodide_copy()
    exported = export_site(tmp_path / "site", pyodide=str(copy))
    assert "not compiled ahead of time (Node.js is not installed" in exported.compiled
    assert "Python:   not compiled ahead of time" in exported.summary()
    stdlib = (tmp_path / "site" / "pyodide" / "python_stdlib.zip").read_bytes()
    assert stdlib == (copy / "python_stdlib.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "site" / "python" / "micrograd.zip") as package:
        assert set(package.namelist()) == package_sources()
