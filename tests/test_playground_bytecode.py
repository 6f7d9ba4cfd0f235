"""micrograd.playground.bytecode: zips of sources with their bytecode beside them, the same every time.

Here with this Python (the export runs the same function inside Pyodide, under Node.js:
test_playground_export.py checks that run and the browser imports its result).
"""

from __future__ import annotations

import importlib
import sys
import zipfile
from pathlib import Path

import pytest

from micrograd.playground import bytecode
from playground_pages import node_program


def sources(tmp_path: Path) -> Path:
    path = tmp_path / "sources.zip"
    path.write_bytes(
        bytecode.zip_files(
            [
                ("zipdemo/__init__.py", b"from zipdemo.inner import answer\n"),
                ("zipdemo/inner.py", b"def answer() -> int:\n    return 42\n"),
                ("zipdemo/broken.py", b"def (:\n"),
                ("zipdemo/data.txt", b"not Python"),
            ]
        )
    )
    return path


def test_each_module_gets_its_bytecode_beside_it_and_the_zip_is_the_same_every_time(tmp_path: Path) -> None:
    source = sources(tmp_path)
    assert bytecode.compile_zip(str(source), str(tmp_path / "one.zip"), "/site/zipdemo.zip") == 2
    bytecode.compile_zip(str(source), str(tmp_path / "two.zip"), "/site/zipdemo.zip")
    assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.zip") as archive:
        assert archive.namelist() == [
            "zipdemo/__init__.py",
            "zipdemo/__init__.pyc",
            "zipdemo/inner.py",
            "zipdemo/inner.pyc",
            "zipdemo/broken.py",  # does not compile: kept as it is, its import fails as it would
            "zipdemo/data.txt",
        ]
        assert archive.read("zipdemo/data.txt") == b"not Python"
        assert {entry.date_time for entry in archive.infolist()} == {bytecode.DATE}


def test_the_zip_importer_runs_the_bytecode_without_checking_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = tmp_path / "compiled.zip"
    bytecode.compile_zip(str(sources(tmp_path)), str(compiled), str(tmp_path / "changed.zip"))
    with zipfile.ZipFile(compiled) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    entries["zipdemo/inner.py"] = b"raise ImportError('the source was run, not the bytecode')\n"
    (tmp_path / "changed.zip").write_bytes(bytecode.zip_files(list(entries.items())))
    monkeypatch.syspath_prepend(str(tmp_path / "changed.zip"))
    for name in [name for name in sys.modules if name.startswith("zipdemo")]:
        monkeypatch.delitem(sys.modules, name)
    try:
        module = importlib.import_module("zipdemo")
        assert module.answer() == 42
        assert module.answer.__code__.co_filename == f"{tmp_path / 'changed.zip'}/zipdemo/inner.py"
    finally:
        for name in [name for name in sys.modules if name.startswith("zipdemo")]:
            del sys.modules[name]


def test_the_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MICROGRAD_CACHE", str(tmp_path))
    assert bytecode.cache_folder() == tmp_path
    monkeypatch.delenv("MICROGRAD_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert bytecode.cache_folder() == tmp_path / "xdg" / "micrograd-lab" / "pyodide-bytecode"


def test_a_failing_node_run_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MICROGRAD_CACHE", str(tmp_path / "cache"))
    fake = tmp_path / "pyodide"
    fake.mkdir()
    for name in ("pyodide.asm.wasm", "python_stdlib.zip", "pyodide.mjs"):
        (fake / name).write_bytes(b"not Pyodide")
    node_program()  # a skip without Node.js (a failure under CI)
    with pytest.raises(bytecode.PrecompileError, match=r"Pyodide under Node\.js could not compile") as raised:
        bytecode.precompile(fake, {"/x.zip": bytecode.zip_files([])})
    assert "\n" not in str(raised.value)
    assert not list((tmp_path / "cache").glob("*"))
