"""Model files: a module's parameters as a JSON document (never pickle).

:meth:`micrograd.nn.Module.save` and :meth:`~micrograd.nn.Module.load` call
:func:`save` and :func:`load` here.  The file holds ``format``, ``version``, a
one-line description of the model and ``parameters``, the module's
:meth:`~micrograd.nn.Module.state_dict`.  Loading is all or nothing: a file that
cannot be used raises :class:`ModelFileError` and leaves the model unchanged.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from micrograd.nn import Module

__all__ = ["FILE_FORMAT", "FILE_VERSION", "ModelFileError", "load", "save"]

FILE_FORMAT = "micrograd-state"
FILE_VERSION = 1


class ModelFileError(ValueError):
    """A model file that cannot be loaded: missing, corrupt, truncated or not ours."""


def save(module: Module, path: str | os.PathLike[str]) -> None:
    """Write ``module``'s parameters to the JSON file ``path``, atomically."""
    document = {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "model": module.describe(),  # for people reading the file and for error messages
        "parameters": module.state_dict(),
    }
    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(document, file, indent=1, allow_nan=False)
            file.write("\n")
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a model file is an ordinary file
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(module: Module, path: str | os.PathLike[str]) -> None:
    """Set ``module``'s parameters from a file written by :func:`save`, all or nothing."""
    where = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelFileError(f"{where}: no such file") from None
    except UnicodeDecodeError:
        raise ModelFileError(f"{where}: not a micrograd model file (not UTF-8 text)") from None
    except OSError as error:
        raise ModelFileError(f"{where}: cannot read: {error.strerror or error}") from None
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ModelFileError(
            f"{where}: not a micrograd model file, or truncated: invalid JSON at line {error.lineno}"
            f" column {error.colno}: {error.msg}"
        ) from None
    except ValueError as error:
        raise ModelFileError(f"{where}: corrupt model file: {error}") from None
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise ModelFileError(f'{where}: not a micrograd model file (no "format": "{FILE_FORMAT}")')
    if document.get("version") != FILE_VERSION:
        raise ModelFileError(f"{where}: unsupported model file version {document.get('version')!r}")
    parameters = document.get("parameters")
    if not isinstance(parameters, dict):
        raise ModelFileError(f'{where}: corrupt model file: "parameters" must be an object')
    try:
        module.load_state_dict(parameters)
    except (KeyError, TypeError, ValueError) as error:
        message = str(error.args[0] if error.args else error).removeprefix("load_state_dict: ")
        saved = document.get("model")
        if isinstance(saved, str):
            message += f"; the file holds {saved[:80]}"
        raise ModelFileError(f"{where}: does not fit this model: {message}") from None


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a valid parameter value")
