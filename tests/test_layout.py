"""The package stays in small pieces, as docs/architecture.md describes (issue 17).

* No ``.py`` or ``.js`` file under ``src/micrograd`` is longer than 400 lines.
* No Python function is longer than 60 lines (``end_lineno - lineno + 1`` from ``ast``,
  docstring and body included; a class is not a function, its methods are).
* No JavaScript function is longer than 60 lines.  The scan is simple, not a parser:
  a function starts on a line with ``function name(`` (also ``async function``) or
  with an arrow function assigned at the top level (``const name = (...) => {``), and
  ends on the line where the brace opened on its first line closes.  Braces inside
  strings, template literals and comments are skipped; a regular expression literal
  holding a brace would confuse it (none does).
* The package's top level holds at most 12 modules, each a module users import or a
  facade with no logic of its own.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "micrograd"
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60

# every module at the top of the package, and why it is there
TOP_LEVEL = {
    "__init__": "facade",  # `import micrograd`: the public names
    "__main__": "facade",  # `python -m micrograd`
    "engine": "facade",  # karpathy's `from micrograd.engine import Value`
    "moved": "forwarder",  # the module paths of 0.2.0, forwarded (module __getattr__)
    "cli": "user module",
    "expression": "user module",
    "losses": "user module",
    "optim": "user module",
    "data": "user module",
    "choices": "user module",
}


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _sources(suffix: str) -> list[Path]:
    return sorted(PACKAGE.rglob(f"*{suffix}"))


@pytest.mark.parametrize("suffix", [".py", ".js"])
def test_no_file_is_longer_than_400_lines(suffix: str) -> None:
    files = _sources(suffix)
    assert files, f"no {suffix} file found under {PACKAGE}"
    long = {
        _relative(path): count
        for path in files
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    }
    assert not long, f"files over {MAX_FILE_LINES} lines (split them by concern): {long}"


def python_functions(source: str) -> list[tuple[str, int, int]]:
    """Every function and method of a module: (qualified name, first line, length in lines)."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    assert child.end_lineno is not None
                    found.append((name, child.lineno, child.end_lineno - child.lineno + 1))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return found


def test_no_python_function_is_longer_than_60_lines() -> None:
    long = [
        f"{_relative(path)}:{line} {name} ({length} lines)"
        for path in _sources(".py")
        for name, line, length in python_functions(path.read_text(encoding="utf-8"))
        if length > MAX_FUNCTION_LINES
    ]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


JS_FUNCTION = re.compile(
    r"^\s*(?:export\s+)?(?:async\s+)?function\s*\*?\s*(?P<name>[\w$]+)\s*\("
    r"|^(?:export\s+)?(?:const|let|var)\s+(?P<arrow>[\w$]+)\s*=\s*(?:async\s+)?(?:\([^)]*\)|[\w$]+)\s*=>\s*\{"
)


def _code_only(text: str) -> str:
    """``text`` with strings, template literals and comments blanked out (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
            continue
        if c in "'\"`":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1 : j]) + c)
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def javascript_functions(source: str) -> list[tuple[str, int, int]]:
    """Every function the scan finds (see the module docstring): (name, first line, length in lines)."""
    lines = _code_only(source).splitlines()
    found = []
    for start, line in enumerate(lines):
        match = JS_FUNCTION.match(line)
        if not match or "{" not in line:
            continue
        depth = 0
        opened = False
        for end in range(start, len(lines)):
            for c in lines[end] if end > start else line[line.index("{") :]:
                if c == "{":
                    depth += 1
                    opened = True
                elif c == "}":
                    depth -= 1
            if opened and depth <= 0:
                break
        found.append((match.group("name") or match.group("arrow"), start + 1, end - start + 1))
    return found


def test_no_javascript_function_is_longer_than_60_lines() -> None:
    long = [
        f"{_relative(path)}:{line} {name} ({length} lines)"
        for path in _sources(".js")
        for name, line, length in javascript_functions(path.read_text(encoding="utf-8"))
        if length > MAX_FUNCTION_LINES
    ]
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_the_scans_find_what_they_measure() -> None:
    python = "def f():\n    x = 1\n    return x\n\nclass C:\n    def m(self):\n        def inner():\n            pass\n"
    assert python_functions(python) == [("f", 1, 3), ("C.m", 6, 3), ("C.m.inner", 7, 2)]
    javascript = "\n".join(
        [
            "function draw(a) {",
            "  const s = '}'; // a brace in a string and a comment }",
            "  if (a) { return `${a}}`; }",
            "}",
            "const step = async (x) => {",
            "  /* { */ return x;",
            "};",
            "export function go() { return 1; }",
        ]
    )
    assert javascript_functions(javascript) == [("draw", 1, 4), ("step", 5, 3), ("go", 8, 1)]


def test_the_top_level_is_a_few_user_modules_and_facades() -> None:
    modules = {path.stem for path in PACKAGE.glob("*.py")}
    assert modules == set(TOP_LEVEL), (
        "the package's top level changed: a new module belongs in a subpackage of its layer "
        "unless users import it (then add it to TOP_LEVEL, and to docs/architecture.md)"
    )
    assert len(modules) <= 12
    for name, role in TOP_LEVEL.items():
        if role == "facade":
            tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
            logic = [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
            assert not logic, f"micrograd/{name}.py is a facade: it defines {logic}; move them into a layer"
