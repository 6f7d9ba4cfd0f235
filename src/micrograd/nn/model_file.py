"""Model files: a module's parameters as a JSON document (never pickle).

:meth:`micrograd.nn.Module.save` and :meth:`~micrograd.nn.Module.load` call
:func:`save` and :func:`load` here.  The file holds ``format``, ``version`` (an
integer), a one-line description of the model, ``checksum`` (SHA-256 of the
parameters, so that a changed digit is noticed) and ``parameters``, the module's
:meth:`~micrograd.nn.Module.state_dict`.

Saving never leaves a half-written file: the document goes to a temporary file
next to the target, is flushed to the disk (``fsync``), and then replaces the
target in one step (``os.replace``), so an error, a crash or a power loss leaves
either the old file or the new one.  (A file with hard links is the exception
below: an error still leaves the old file, a crash may not.)  A symlink is written through (its target is replaced);
the file keeps its permissions.  A file with several hard links is rewritten in
place, so all its names see the new weights: the space is reserved first and, on
any error (a full disk too) or ``KeyboardInterrupt``, the old bytes are put back;
that rewrite, unlike the replace, is not atomic, so only a crash or a power loss
in the middle of it can leave a mix.  A device or a pipe is written to
(``/dev/null`` stays a device).  On any error and on ``KeyboardInterrupt`` the
temporary file is removed; only a process killed outright (``SIGKILL``, a power
loss) can leave a ``.NAME.*.tmp`` file behind, which may be deleted.

Loading is all or nothing: a file that cannot be used raises
:class:`ModelFileError` naming the path and the reason, and leaves the model
unchanged.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import os
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from micrograd.nn.module import Module

__all__ = ["FILE_FORMAT", "FILE_VERSION", "ModelFileError", "checksum", "load", "save"]

FILE_FORMAT = "micrograd-state"
FILE_VERSION = 2
"""Version 2 numbers a neuron's weights from 1, like its inputs (``w.1`` goes with ``x1``);
version 1 numbered them from 0, and still loads."""

# what an OSError means for the path the user gave
_REASONS = {
    errno.ENOENT: "its folder does not exist",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "it is a folder",
    errno.ENOSPC: "the disk is full",
    errno.EROFS: "the file system is read-only",
    errno.ENAMETOOLONG: "the name is too long",
}


class ModelFileError(ValueError):
    """A model that cannot be saved (a parameter is not finite) or a file that cannot be loaded."""


# -- save ------------------------------------------------------------------------------------


def save(module: Module, path: str | os.PathLike[str]) -> None:
    """Write ``module``'s parameters to the JSON file ``path``, atomically.

    Raises :class:`ModelFileError` if a parameter is nan or infinite (a file that
    :func:`load` would refuse) or the path holds a NUL byte, and an ``OSError`` of the usual kind, naming ``path``
    and what is wrong with it, if the file cannot be written.
    """
    where = os.fspath(path)
    state = module.state_dict()
    for name, value in state.items():
        if not math.isfinite(value):
            raise ModelFileError(
                f"cannot save {where}: parameter {name} is {value} (a model file holds finite numbers)"
            )
    document = {
        "format": FILE_FORMAT,
        "version": FILE_VERSION,
        "model": module.describe(),
        "checksum": checksum(state),
        "parameters": state,
    }
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    if not where:
        raise FileNotFoundError(errno.ENOENT, "the path is empty", where)
    if "\0" in where:
        raise ModelFileError(f"cannot save {where!r}: a path cannot contain a NUL byte")
    target = Path(os.path.realpath(where))  # through symlinks: the link stays, its target gets the weights
    try:
        existing: os.stat_result | None = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise _saving_error(error, where) from None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise IsADirectoryError(errno.EISDIR, "it is a folder", where)
    try:
        if existing is not None and not stat.S_ISREG(existing.st_mode):
            _write_to_device(target, text)  # replacing would put a file in place of a device or a pipe
        elif existing is not None and existing.st_nlink > 1:
            _write_in_place(target, text)  # replacing would cut the file from its other names
        else:
            _replace(target, text, None if existing is None else stat.S_IMODE(existing.st_mode))
    except OSError as error:
        raise _saving_error(error, where) from None


def _replace(target: Path, text: str, mode: int | None) -> None:
    """Write ``text`` to a temporary file beside ``target``, flush it to disk, and rename it over ``target``."""
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    try:
        # created as open() creates files (0666 less the umask), or with the old file's mode
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            if mode is not None:
                os.chmod(temporary, mode)  # the old file's permissions (chmod by name works everywhere)
            file.write(text)
            file.flush()
            os.fsync(file.fileno())  # on the disk before the rename: a power loss cannot leave an empty file
        os.replace(temporary, target)
    except BaseException as error:  # KeyboardInterrupt too
        if not isinstance(error, FileExistsError):  # else the name was someone else's file
            temporary.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _write_in_place(target: Path, text: str) -> None:
    """Overwrite ``target`` itself, so that all its hard links see the new weights; on any error, as it was.

    The space is reserved first (``posix_fallocate``), so a full disk fails before a
    byte changes; an error after that (or ``KeyboardInterrupt``) puts the old bytes
    back.  Unlike the replace, this is not atomic: a crash or power loss in the middle
    can leave a mix of old and new.
    """
    data = text.encode("utf-8")
    descriptor = os.open(target, os.O_RDWR)
    try:
        old = b"".join(iter(lambda: os.read(descriptor, 1 << 16), b""))
        try:
            if len(data) > len(old):
                _reserve(descriptor, len(data))
            _write_all(descriptor, data)
            os.ftruncate(descriptor, len(data))
            os.fsync(descriptor)
        except BaseException:  # KeyboardInterrupt too
            _write_all(descriptor, old)  # within the old file's own space: a full disk cannot stop it
            os.ftruncate(descriptor, len(old))
            os.fsync(descriptor)
            raise
    finally:
        os.close(descriptor)


def _reserve(descriptor: int, size: int) -> None:
    """Make room for ``size`` bytes, or fail (ENOSPC) with the file's bytes unchanged."""
    try:
        os.posix_fallocate(descriptor, 0, size)
    except OSError as error:
        if error.errno in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
            return  # a file system that cannot reserve: the write below will find out
        raise


def _write_all(descriptor: int, data: bytes) -> None:
    """``data`` at the start of the file, however many calls ``pwrite`` takes."""
    view = memoryview(data)
    done = 0
    while done < len(data):
        done += os.pwrite(descriptor, view[done:], done)


def _write_to_device(target: Path, text: str) -> None:
    """Write to a device or a pipe, as ``open(target, "w")`` does (``/dev/null`` stays a device)."""
    with open(target, "w", encoding="utf-8") as file:
        file.write(text)


def _sync_folder(folder: Path) -> None:
    """Flush the folder's entry for the renamed file, where the system allows it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename itself is done
    finally:
        os.close(descriptor)


def _saving_error(error: OSError, where: str) -> OSError:
    """The same kind of OSError, naming the path the user gave (never a temporary file) and the reason."""
    reason = _REASONS.get(error.errno or 0, error.strerror or type(error).__name__)
    return type(error)(error.errno or 0, reason, where)


# -- load ------------------------------------------------------------------------------------


def load(module: Module, path: str | os.PathLike[str], *, verify: bool = True) -> None:
    """Set ``module``'s parameters from a file written by :func:`save`, all or nothing.

    A file whose parameters do not match its ``checksum`` (changed or damaged after
    saving) is refused, unless ``verify=False``; a file without one (saved before
    checksums) loads as it is.
    """
    where = os.fspath(path)
    if not where:
        raise ModelFileError("cannot load a model file: the path is empty")
    if "\0" in where:
        raise ModelFileError(f"cannot load {where!r}: a path cannot contain a NUL byte")
    document = _read_document(where)
    if not isinstance(document, dict) or document.get("format") != FILE_FORMAT:
        raise ModelFileError(f'{where}: not a micrograd model file (no "format": "{FILE_FORMAT}")')
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ModelFileError(f'{where}: corrupt model file: "version" must be an integer, got {_shown(version)}')
    if version not in (1, FILE_VERSION):
        raise ModelFileError(
            f"{where}: unsupported model file version {version} (this micrograd reads 1 to {FILE_VERSION})"
        )
    parameters = document.get("parameters")
    if not isinstance(parameters, dict):
        raise ModelFileError(f'{where}: corrupt model file: "parameters" must be an object')
    before = [p.data for p in module.parameters()]
    try:
        module.load_state_dict(_numbered_as_now(module, parameters) if version == 1 else parameters)
    except (KeyError, TypeError, ValueError, RecursionError) as error:
        message = str(error.args[0] if error.args else error).removeprefix("load_state_dict: ")
        saved = document.get("model")
        if isinstance(saved, str):
            message += f"; the file holds {saved[:80] if saved[:80].isprintable() else repr(saved[:80])}"
        raise ModelFileError(f"{where}: does not fit this model: {message}") from None
    saved_checksum = document.get("checksum")
    if verify and saved_checksum is not None and saved_checksum != checksum(parameters):
        for parameter, value in zip(module.parameters(), before, strict=True):
            parameter.data = value  # all or nothing: the model is as it was
        raise ModelFileError(
            f"{where}: the parameters do not match the checksum saved with them (the file was changed or damaged"
            f" after saving); to load it anyway, as after editing weights by hand, call load({where!r},"
            f' verify=False) or delete the file\'s "checksum" line'
        )


def checksum(parameters: dict[str, Any]) -> str:
    """SHA-256 of the parameters, names and numbers as JSON writes them: any changed digit changes it."""
    canonical = json.dumps(parameters, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _read_document(where: str) -> Any:
    """The JSON document in the file ``where``, or a :class:`ModelFileError` saying why there is none."""
    try:
        if not stat.S_ISREG(Path(where).stat().st_mode) and not Path(where).is_dir():
            raise ModelFileError(f"{where}: not a regular file (a device or a pipe could be read forever)")
        text = Path(where).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelFileError(f"{where}: no such file") from None
    except UnicodeDecodeError:
        raise ModelFileError(f"{where}: not a micrograd model file (not UTF-8 text)") from None
    except OSError as error:
        reason = _REASONS.get(error.errno or 0, error.strerror or str(error))
        raise ModelFileError(f"{where}: cannot read: {reason}") from None
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise ModelFileError(
            f"{where}: not a micrograd model file, or truncated: invalid JSON at line {error.lineno}"
            f" column {error.colno}: {error.msg}"
        ) from None
    except (RecursionError, MemoryError):  # "[[[[..." or {"a": [[[[...]]]]}: a model file nests two levels
        raise ModelFileError(f"{where}: corrupt model file: nested too deeply") from None
    except ValueError as error:
        raise ModelFileError(f"{where}: corrupt model file: {str(error)[:200]}") from None
    return document


def _numbered_as_now(module: Module, parameters: dict[str, Any]) -> dict[str, Any]:
    """A version 1 file's names, which numbered every list from 0, as this version names them."""
    renamed = {}
    for path, submodule in module.named_modules():
        for attribute, start in type(submodule).first_index.items():
            items = getattr(submodule, attribute, ())
            for index in range(len(items) if isinstance(items, (list, tuple)) else 0):
                old, new = (f"{path}.{attribute}.{i}" if path else f"{attribute}.{i}" for i in (index, index + start))
                renamed[old] = new
    return {renamed.get(name, name): value for name, value in parameters.items()}


def _shown(value: Any) -> str:
    """A JSON value as the file spells it, kept short (a list or an object only by its kind)."""
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)[:40]
    return repr(value)[:40]


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a valid parameter value")
