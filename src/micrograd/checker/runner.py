"""The process boundary of ``micrograd check``: the learner's class lives in a child process.

The parent sends one JSON request a line and waits for the answer with a time limit.
A hang, a crash or a time-out becomes a :class:`Finding` for the check that caused
it; the child is then stopped and the next request starts a fresh one, which loads
the class again.  The learner's prints stay in the child (capped), apart from the
count of characters they printed.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from micrograd.checker import child

__all__ = ["CHILD_SCRIPT", "Finding", "LoadFailed", "Runner", "Target"]

CHILD_SCRIPT = Path(child.__file__)
KEPT_OUTPUT = 4000  # characters of the learner's low-level output (fd 1 and 2) kept by the parent


class Finding(Exception):
    """The learner's code hung, crashed or used up the time: a result of the check, not an error of ours."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind  # "hang", "crash" or "time"


class LoadFailed(Exception):
    """The target could not be loaded (exit status 2): one line saying why."""


@dataclass
class Target:
    """What to load in the child: a file, a notebook, a module name, or a class already in memory (forked)."""

    kind: str  # "file", "notebook", "module" or "class"
    name: str  # the path or module name; for "class" the class's name
    class_name: str = "Value"
    namespace: dict[str, Any] | None = None  # for "class": the module the class comes from
    cls: type | None = None


@dataclass
class _Process:
    """One child process and the threads that read from it."""

    stop: Callable[[], None]
    alive: Callable[[], bool]
    status: Callable[[], int | None]
    send: IO[str]
    answers: queue.Queue[str | None] = field(default_factory=queue.Queue)


def _read_lines(stream: IO[str], into: queue.Queue[str | None]) -> None:
    for line in stream:
        into.put(line)
    into.put(None)


def _drain(stream: IO[bytes], kept: bytearray) -> None:
    """Read the child's low-level output to its end, keeping the first few thousand bytes."""
    while chunk := stream.read(65536):
        if len(kept) < KEPT_OUTPUT:
            kept.extend(chunk[: KEPT_OUTPUT - len(kept)])


class Runner:
    """Sends requests to the learner's class in a child process, within time limits."""

    def __init__(self, target: Target, *, timeout: float = 60.0, check_timeout: float = 10.0) -> None:
        self.target = target
        self.deadline = time.monotonic() + timeout
        self.check_timeout = check_timeout
        self.process: _Process | None = None
        self.info: dict[str, Any] = {}
        self.printed = 0
        self.output = bytearray()

    # -- starting and stopping ----------------------------------------------------------

    def _spawn(self) -> _Process:
        if self.target.kind == "class":
            return self._fork()
        popen = subprocess.Popen(
            [sys.executable, str(CHILD_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a process group of its own: stopping it stops what it started
        )
        assert popen.stdin and popen.stdout and popen.stderr
        process = _Process(
            stop=lambda: _kill_group(popen),
            alive=lambda: popen.poll() is None,
            status=popen.poll,
            send=_text(popen.stdin, "w"),
        )
        threading.Thread(target=_read_lines, args=(_text(popen.stdout, "r"), process.answers), daemon=True).start()
        threading.Thread(target=_drain, args=(popen.stderr, self.output), daemon=True).start()
        return process

    def _fork(self) -> _Process:
        """Fork this process: the child has the class in memory (a class made in a notebook cannot be imported)."""
        if not hasattr(os, "fork"):
            raise LoadFailed("checking a class object needs os.fork; give the file or notebook that defines it")
        child_reads, parent_writes = os.pipe()
        parent_reads, child_writes = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, measured by the tests through its answers
            _run_forked_child(child_reads, child_writes, (parent_writes, parent_reads), self.target)
        os.close(child_reads)
        os.close(child_writes)
        finished: list[int] = []

        def status() -> int | None:
            if not finished:
                done, code = os.waitpid(pid, os.WNOHANG)
                if done:
                    finished.append(os.waitstatus_to_exitcode(code))
            return finished[0] if finished else None

        def stop() -> None:
            if status() is None:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                finished.append(-signal.SIGKILL)

        process = _Process(stop=stop, alive=lambda: status() is None, status=status, send=open(parent_writes, "w"))  # noqa: SIM115
        reader = open(parent_reads, encoding="utf-8")  # noqa: SIM115
        threading.Thread(target=_read_lines, args=(reader, process.answers), daemon=True).start()
        return process

    def close(self) -> None:
        """Stop the child process, if one runs."""
        if self.process is not None:
            self.process.stop()
            self.process = None

    def start(self) -> dict[str, Any]:
        """Start the child and load the class: what it has (raises LoadFailed with one line why)."""
        self.process = self._spawn()
        if self.target.kind == "class":
            request: dict[str, Any] = {"type": "info"}
        else:
            request = {"type": "load", "target": self.target.name, "kind": self.target.kind}
            request["class_name"] = self.target.class_name
        try:
            answer = self._exchange(request, self.remaining())
        except Finding as finding:
            self.close()
            raise LoadFailed(f"loading {self.target.name} {finding}") from None
        if not answer.get("ok"):
            self.close()
            error = answer["error"]
            where = f" ({error['where']})" if error.get("where") else ""
            message = error["message"] if error["type"] == "LoadError" else f"{error['type']}: {error['message']}"
            raise LoadFailed(f"cannot load {self.target.name}: {message}{where}")
        self.info = answer
        return answer

    # -- requests -------------------------------------------------------------------------

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def request(self, payload: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send one request to the class and return the answer; a hang or crash raises a Finding."""
        if self.remaining() <= 0:
            raise Finding("time", "was not run: the time limit for all checks was used up")
        if self.process is None or not self.process.alive():
            self.close()
            try:
                self.start()
            except LoadFailed as error:
                raise Finding("crash", f"could not load the class again after a crash: {error}") from None
        own = self.check_timeout if timeout is None else timeout
        limit = min(own, self.remaining())
        try:
            return self._exchange(payload, limit)
        except Finding as finding:
            self.close()
            if finding.kind == "hang" and limit < own:  # the time for all checks ran out, not this check's
                raise Finding("time", "was not finished: the time limit for all checks was used up") from None
            raise

    def _exchange(self, payload: dict[str, Any], limit: float) -> dict[str, Any]:
        process = self.process
        assert process is not None
        try:
            process.send.write(json.dumps(payload) + "\n")
            process.send.flush()
        except (BrokenPipeError, OSError):
            pass  # it died: the answer queue says how
        try:
            line = process.answers.get(timeout=max(limit, 0.01))
        except queue.Empty:
            raise Finding("hang", f"did not finish within {limit:.3g} s (an endless loop?)") from None
        if line is None:
            raise Finding("crash", f"crashed: the process {_ended(process)}")
        answer: dict[str, Any] = json.loads(line)
        self.printed = max(self.printed, int(answer.pop("printed", 0)))
        return answer


def _ended(process: _Process) -> str:
    for _ in range(50):
        status = process.status()
        if status is not None:
            break
        time.sleep(0.01)
    if status is None:
        return "closed its output"
    if status < 0:
        try:
            return f"was killed by signal {signal.Signals(-status).name}"
        except ValueError:
            return f"was killed by signal {-status}"
    return f"exited with status {status}"


def _text(stream: IO[bytes], mode: str) -> IO[str]:
    return open(stream.fileno(), mode, encoding="utf-8", closefd=False)


def _kill_group(popen: subprocess.Popen[bytes]) -> None:
    if popen.poll() is None:
        try:
            os.killpg(popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            popen.kill()
    popen.wait()
    for stream in (popen.stdin, popen.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


def _run_forked_child(requests: int, answers: int, parent_ends: tuple[int, int], target: Target) -> None:
    """The forked child: serve requests about the class in memory, then leave without cleanup."""
    try:
        for fd in parent_ends:
            os.close(fd)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        assert target.cls is not None
        reader = open(requests, encoding="utf-8")  # noqa: SIM115
        writer = open(answers, "w", encoding="utf-8")  # noqa: SIM115
        child.serve(reader, writer, (target.namespace or {}, target.cls))
    finally:
        os._exit(0)
