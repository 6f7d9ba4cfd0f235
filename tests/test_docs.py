"""Every code example in README.md and docs/*.md runs here.

* ```python blocks are pasted in order, one namespace per file, and what each
  prints is compared with the ```output block after it (tests/doc_blocks.py says
  the format and how it is checked).
* ```console blocks: each ``$ micrograd ...`` line runs as a command (in a
  temporary folder) and must succeed.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import os
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from doc_blocks import DOCS, Paste, matches, paste

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(path: Path, language: str) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(2)) for m in FENCE.finditer(text) if m.group(1) == language]


# pages about an optional extra that the test extra does not bring (CI installs it)
NEEDS = {"pytorch.md": "torch"}


def _require(module: str) -> None:
    """Skip without the optional ``module``, except under CI, where a skip would hide a missing install."""
    if importlib.util.find_spec(module) is None:
        message = f"{module} is not installed (pip install torch==2.13.0)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_python_examples_paste_and_print_their_output(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every ```python block pastes into the REPL and prints its ```output block (tests/doc_blocks.py)."""
    if path.name in NEEDS:
        _require(NEEDS[path.name])
    monkeypatch.chdir(tmp_path)
    document = DOCS.parse(path)
    document.namespace["__name__"] = f"doc_{path.stem}"
    for example in document.examples():
        example.evaluate()


def _commands(path: Path) -> list[tuple[int, str]]:
    return [
        (line, command[2:])
        for line, block in _blocks(path, "console")
        for command in block.splitlines()
        if command.startswith("$ micrograd ")
    ]


COMMANDS = [(path, line, command) for path in DOCUMENTS for line, command in _commands(path)]


@pytest.mark.parametrize(("path", "line", "command"), COMMANDS, ids=[f"{p.name}:{n}" for p, n, _ in COMMANDS] or None)
def test_console_examples_run(path: Path, line: int, command: str, tmp_path: Path) -> None:
    argv = shlex.split(command)
    env = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run(
        [sys.executable, "-m", "micrograd", *argv[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, f"{path.name}:{line}: `{command}` failed:\n{result.stderr}"


def test_every_python_block_is_collected() -> None:
    # A guard on the fence pattern itself: the README has examples and they are found.
    assert _blocks(ROOT / "README.md", "python"), "no ```python block found in README.md"


def _module_names() -> list[str]:
    """Every module of the package, subpackages included (a package by its ``__init__``)."""
    package = ROOT / "src" / "micrograd"
    names = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = _module_names()


def test_docstring_examples_are_collected_from_the_subpackages_too() -> None:
    assert {"micrograd", "micrograd.autograd.operation", "micrograd.compiler.compiled", "micrograd.nn.layers"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: a docstring example printed something else"


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_links_to_files_lead_somewhere(path: Path) -> None:
    targets = [t for t in LINK.findall(path.read_text(encoding="utf-8")) if "://" not in t]
    missing = [t for t in targets if not (path.parent / t).exists()]
    assert not missing, f"{path.name} links to files that do not exist: {missing}"


# words from how this project was written, which mean nothing to a reader
JARGON = re.compile(r"\bthe seed\b(?! of)|\bseed's\b|\bseed(?:_step\d*)?\.(?:svg|png)|corrections to", re.IGNORECASE)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_docs_speak_plainly(path: Path) -> None:
    found = JARGON.findall(path.read_text(encoding="utf-8"))
    assert not found, f"{path.name} says {found}: say 'the example' (example.svg), and leave corrections out"


def test_the_lecture_page_is_linked_from_the_readme_and_collected() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/lecture.md)" in readme and "(docs/pytorch.md)" in readme
    assert ROOT / "docs" / "lecture.md" in DOCUMENTS and ROOT / "docs" / "pytorch.md" in DOCUMENTS
    assert len(_blocks(ROOT / "docs" / "lecture.md", "python")) >= 15


def _paste(source: str) -> Paste:
    return paste(textwrap.dedent(source), {"__name__": "doc_test"})


def test_a_block_with_prompts_does_not_paste() -> None:
    assert "prompts" in str(_paste(">>> 1 + 1\n2\n").problem)


def test_a_blank_line_inside_an_indented_block_does_not_paste() -> None:
    # the REPL ends the def at the blank line, so `return` is an unexpected indent
    problem = _paste("def f(x):\n    y = x * 2\n\n    return y\n").problem
    assert problem is not None and "IndentationError" in problem
    assert _paste("def f(x):\n    y = x * 2\n    return y\n").problem is None


def test_a_statement_right_after_an_indented_block_does_not_paste() -> None:
    problem = _paste("for i in range(2):\n    print(i)\nprint('done')\n").problem
    assert problem is not None and "SyntaxError" in problem
    result = _paste("for i in range(2):\n    print(i)\n\nprint('done')\n")
    assert result.problem is None and result.printed == "0\n1\ndone\n"


def test_only_the_last_statement_may_show_a_value() -> None:
    assert "notebook" in str(_paste("1 + 1\nx = 3\n").problem)
    result = _paste("x = 3\nprint(x)\nx + 1\n")
    assert result.problem is None and result.printed == "3\n4\n"


def test_an_error_is_its_last_traceback_line_and_ends_the_block() -> None:
    result = _paste("from micrograd import Value\nValue(-1.0).log()\n")
    assert result.printed == "ValueError: log: operand must be positive, got -1.0\n"
    assert "ends its block" in str(_paste("1 / 0\nx = 1\n").problem)


def test_outputs_compare_exactly_up_to_trailing_spaces_tabs_and_ellipsis() -> None:
    assert matches("a  \n\tb\n", "a\n        b\n")
    assert matches("took ... s\n", "took 0.25 s\n")
    assert not matches("1.0\n", "1.00\n")
    assert not matches("ValueError: log\n", "TypeError: log\n")


# Install lines: micrograd-lab is not on the package index, so each one installs from
# a checkout (".[extra]", as the README's commands) or names packages that are.
PIP_INSTALL = re.compile(r"""pip install((?:\s+(?:-[-\w]+|"[^"\s]*"|'[^'\s]*'|[\w.\[\],=<>-]+))*)""")
# packages on the index the docs name without the project depending on them (bench/compile_run.py's jax)
ELSEWHERE = {"jax", "jaxlib"}
PLACES = [*DOCUMENTS, *sorted((ROOT / "examples").glob("*.ipynb")), *sorted((ROOT / "src").rglob("*.py"))]


def _project() -> tuple[set[str], set[str]]:
    """The extras the project defines, and the names of the packages they (and it) depend on."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [*project["dependencies"], *(r for rs in project["optional-dependencies"].values() for r in rs)]
    names = {re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0].lower() for r in requirements}
    return set(project["optional-dependencies"]), names - {project["name"]}


def _wrong(argument: str, extras: set[str], packages: set[str]) -> str | None:
    argument = argument.strip("\"'")
    if argument.startswith("-"):
        return None
    checkout = re.fullmatch(r"\.(?:\[([\w,-]+)\])?", argument)
    if checkout:
        unknown = set((checkout.group(1) or "").split(",")) - extras - {""}
        return f"{argument}: no such extra {sorted(unknown)}" if unknown else None
    name = re.split(r"[\[<>=!~]", argument, maxsplit=1)[0].lower()
    if name == "micrograd-lab":
        return f'{argument}: micrograd-lab is not on the package index; install from a checkout, pip install ".[extra]"'
    return None if name in packages | ELSEWHERE else f"{argument}: not a package this project depends on"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib")
def test_every_install_line_works_as_written() -> None:
    extras, packages = _project()
    wrong = [
        f"{path.relative_to(ROOT)}: pip install{arguments}: {problem}"
        for path in PLACES
        for arguments in PIP_INSTALL.findall(path.read_text(encoding="utf-8").replace('\\"', '"'))
        for problem in [_wrong(a, extras, packages) for a in arguments.split()]
        if problem
    ]
    assert not wrong, "\n".join(wrong)
    assert _wrong('"micrograd-lab[viz]"', extras, packages) and _wrong('".[vis]"', extras, packages)
    assert _wrong('".[viz]"', extras, packages) is None and _wrong("torch==2.13.0", extras, packages) is None


# -- the glossary: each term explained once, its first use in every page linked there --------

GLOSSARY = ROOT / "docs" / "glossary.md"
TERMS = {  # the glossary's anchor -> how the pages write the term
    "operand": r"\boperands?\b",
    "leaf": r"\bleaf\b|(?<=of )leaves\b|(?<=in )leaves\b|\bleaves(?= \*add\*)",
    "local-derivative": r"\blocal derivatives?\b",
    "graph_order": r"\bgraph_order\b",
    "detail-levels": r"\bdetail=|\bdetail levels?\b",
    "reduction": r"\breduction\b",
    "max-margin-loss-hinge-loss": r"\bmax-margin\b",
    "adam": r"(?-i:\bAdam\b)",
    "no_grad": r"\bno_grad\b",
}
CODE_AND_HEADINGS = re.compile(r"^ *```.*?^ *```[^\n]*$|^#[^\n]*$", re.MULTILINE | re.DOTALL)


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, spaces to dashes, punctuation but - and _ dropped."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_glossary_explains_every_term() -> None:
    anchors = {_anchor(h) for h in re.findall(r"^#{2,3} (.+)$", GLOSSARY.read_text(encoding="utf-8"), re.MULTILINE)}
    assert set(TERMS) <= anchors


@pytest.mark.parametrize("path", [p for p in DOCUMENTS if p != GLOSSARY], ids=lambda p: p.name)
def test_the_first_use_of_each_term_links_to_the_glossary(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    prose = CODE_AND_HEADINGS.sub(lambda m: " " * len(m.group(0)), text)  # positions kept
    target = "docs/glossary.md" if path.name == "README.md" else "glossary.md"
    links = [m.span() for m in re.finditer(r"\[[^\]\n]*\]\(" + re.escape(target) + r"#([\w-]+)\)", text)]
    unlinked = []
    for anchor, pattern in TERMS.items():
        first = re.search(pattern, prose, re.IGNORECASE)
        if first is None:
            continue
        link = next((span for span in links if span[0] <= first.start() < span[1]), None)
        if link is None or f"#{anchor})" not in text[link[0] : link[1]]:
            unlinked.append(f"{anchor} (line {text.count(chr(10), 0, first.start()) + 1})")
    assert not unlinked, f"{path.name}: link the first use of each term to {target}: {', '.join(unlinked)}"
