"""Model files (micrograd.nn.model_file): safe saving, strict loading, and fuzzing of both."""

from __future__ import annotations

import errno
import json
import math
import os
import random
import stat
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from micrograd.nn import MLP
from micrograd.nn.model_file import ModelFileError

NAME = "layers.0.neurons.1.w.1"


def _model(seed: int = 1) -> MLP:
    model = MLP(2, [3, 1], rng=random.Random(seed))
    for k, p in enumerate(model.parameters()):
        p.data += 0.01 * k  # non-zero biases too
    return model


def _values(model: MLP) -> list[float]:
    return [p.data for p in model.parameters()]


def _parameter(model: MLP, name: str) -> Any:
    return dict(model.named_parameters())[name]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# -- saving ----------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_weight_that_is_not_finite_is_named_and_nothing_is_written(tmp_path: Path, bad: float) -> None:
    path = tmp_path / "model.json"
    model = _model()
    model.save(path)
    before = path.read_bytes()
    _parameter(model, NAME).data = bad
    with pytest.raises(ModelFileError, match=rf"cannot save {path}: parameter {NAME} is {bad}"):
        model.save(path)
    assert path.read_bytes() == before and _leftovers(tmp_path) == []


def test_what_save_writes_load_reads_exactly(tmp_path: Path) -> None:
    model = _model()
    extremes = [1e308, -1e308, 5e-324, -0.0, 0.1 + 0.2, 1 / 3, -2.5e-310, 123456789.123]
    for p, value in zip(model.parameters(), extremes, strict=False):
        p.data = value
    model.save(tmp_path / "m.json")
    copy = _model(2)
    copy.load(tmp_path / "m.json")
    assert _values(copy) == _values(model)
    assert math.copysign(1.0, copy.parameters()[3].data) == -1.0  # -0.0 stays negative


@pytest.mark.parametrize(
    ("path", "kind", "reason"),
    [
        ("", FileNotFoundError, "the path is empty"),
        ("a_folder", IsADirectoryError, "it is a folder"),
        ("missing/model.json", FileNotFoundError, "its folder does not exist"),
        ("a_file/model.json", NotADirectoryError, "a part of the path is not a folder"),
    ],
)
def test_save_errors_name_the_path_given_and_what_is_wrong(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, kind: type, reason: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(kind) as caught:
        _model().save(path)
    assert caught.value.filename == path and caught.value.strerror == reason
    assert str(caught.value) == f"[Errno {caught.value.errno}] {reason}: {path!r}"
    assert ".tmp" not in str(caught.value)
    assert _leftovers(tmp_path) == [] and _leftovers(tmp_path / "a_folder") == []


def test_a_failed_replace_names_the_users_path_and_removes_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.json"
    _model(1).save(path)
    before = path.read_bytes()

    def refuse(source: Any, destination: Any) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(source), str(destination))

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError) as caught:
        _model(2).save(path)
    assert str(caught.value) == f"[Errno 13] permission denied: {str(path)!r}"
    assert path.read_bytes() == before and _leftovers(tmp_path) == []


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, OSError, MemoryError])
def test_an_interrupted_save_keeps_the_old_file_and_removes_the_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interrupt: type[BaseException]
) -> None:
    path = tmp_path / "model.json"
    _model(1).save(path)
    before = path.read_bytes()

    def interrupted(descriptor: int) -> None:
        raise interrupt()

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(interrupt):
        _model(2).save(path)
    assert path.read_bytes() == before and _leftovers(tmp_path) == []


def test_the_data_reaches_the_disk_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor: int) -> None:
        kind = "folder" if stat.S_ISDIR(os.fstat(descriptor).st_mode) else "file"
        events.append(f"fsync {kind} {os.fstat(descriptor).st_size}")
        real_fsync(descriptor)

    def replace(source: Any, destination: Any) -> None:
        events.append(f"replace {os.path.getsize(source)}")
        real_replace(source, destination)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    _model().save(tmp_path / "model.json")
    size = (tmp_path / "model.json").stat().st_size
    assert events[:2] == [f"fsync file {size}", f"replace {size}"]
    assert events[2].startswith("fsync folder")  # the rename itself is made durable


def test_a_path_with_a_nul_byte_is_refused_in_one_clear_line(tmp_path: Path) -> None:
    model = _model()
    path = str(tmp_path / "a\0b.json")
    with pytest.raises(ModelFileError, match=r"^cannot save '.*a\\x00b\.json': a path cannot contain a NUL byte$"):
        model.save(path)
    with pytest.raises(ModelFileError, match=r"^cannot load '.*a\\x00b\.json': a path cannot contain a NUL byte$"):
        model.load(path)
    assert list(tmp_path.iterdir()) == []


def test_save_writes_through_a_symlink(tmp_path: Path) -> None:
    real, link = tmp_path / "weights" / "real.json", tmp_path / "link.json"
    real.parent.mkdir()
    _model(1).save(real)
    link.symlink_to(real)
    _model(2).save(link)
    assert link.is_symlink() and link.resolve() == real
    loaded = _model(3)
    loaded.load(real)
    assert _values(loaded) == _values(_model(2))
    assert _leftovers(tmp_path) == [] and _leftovers(real.parent) == []


def test_save_keeps_the_files_mode_and_new_files_follow_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    _model(1).save(path)
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # as open(path, "w") would make it
    path.chmod(0o600)
    _model(2).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_save_keeps_hard_links(tmp_path: Path) -> None:
    path, other = tmp_path / "model.json", tmp_path / "same.json"
    _model(1).save(path)
    os.link(path, other)
    _model(2).save(path)
    assert path.samefile(other) and other.read_bytes() == path.read_bytes()
    loaded = _model(3)
    loaded.load(other)
    assert _values(loaded) == _values(_model(2))


def _hard_linked(tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / "model.json"
    MLP(2, [4, 1], rng=random.Random(1)).save(path)
    os.link(path, tmp_path / "same.json")
    return path, path.read_bytes()


def _disk_full(*args: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("failing", ["posix_fallocate", "pwrite", "ftruncate", "fsync"])
def test_saving_over_a_hard_linked_file_leaves_it_intact_whatever_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path, before = _hard_linked(tmp_path)
    bigger = MLP(2, [40, 1], rng=random.Random(2))
    real_pwrite = os.pwrite

    calls = {"n": 0}

    def half_then_full(descriptor: int, data: bytes, offset: int) -> int:
        calls["n"] += 1
        if calls["n"] == 1:  # the new document: half of it lands, then the disk is full
            real_pwrite(descriptor, data[: len(data) // 2], offset)
            _disk_full()
        return real_pwrite(descriptor, data, offset)

    def fails_once(*args: object) -> None:  # the rewrite fails; putting the old bytes back works
        calls["n"] += 1
        if calls["n"] == 1:
            _disk_full()
        return real(*args)

    real = getattr(os, failing)
    monkeypatch.setattr(os, failing, half_then_full if failing == "pwrite" else fails_once)
    with pytest.raises(OSError, match="the disk is full"):
        bigger.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before and (tmp_path / "same.json").read_bytes() == before
    assert path.samefile(tmp_path / "same.json")


def test_saving_over_a_hard_linked_file_on_a_full_tmpfs_leaves_it_intact(tmp_path: Path) -> None:
    # the fuzzer's case, on a real 64 KiB file system when this machine lets us mount one (root)
    import subprocess

    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        path, before = _hard_linked(folder)
        with pytest.raises(OSError, match="the disk is full"):
            MLP(2, [400, 1], rng=random.Random(2)).save(path)
        assert path.read_bytes() == before and (folder / "same.json").read_bytes() == before
        assert sorted(p.name for p in folder.iterdir()) == ["model.json", "same.json"]
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_diverged_model_is_not_saved_by_the_demo_as_a_file_load_refuses(tmp_path: Path) -> None:
    # the gap the mutation run found: save writing NaN that load then refuses
    model = _model()
    _parameter(model, NAME).data = math.nan
    with pytest.raises(ModelFileError):
        model.save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()


# -- loading ---------------------------------------------------------------------------------


def _document(model: MLP) -> dict[str, Any]:
    return {"format": "micrograd-state", "version": 2, "model": model.describe(), "parameters": model.state_dict()}


DEEP = "[" * 100_000


@pytest.mark.parametrize(
    "text",
    [
        DEEP,
        '{"format": "micrograd-state", "version": 1, "notes": ' + DEEP,
        '{"format": "micrograd-state", "version": 1, "parameters": {"layers.0.neurons.0.w.0": ' + DEEP,
        '{"format": "micrograd-state", "version": 1, "parameters": {"a": ' + "[" * 5000 + "]" * 5000 + "}}",
        '{"format": "micrograd-state", "version": 1, "parameters": {"a": ' + "[" * 900 + "]" * 900 + "}}",
    ],
    ids=["top", "unknown-key", "parameters", "closed", "just-under-the-limit"],
)
def test_deeply_nested_json_is_a_model_file_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.json"
    path.write_text(text)
    model = _model()
    before = _values(model)
    with pytest.raises(ModelFileError, match=rf"^{path}: "):
        model.load(path)
    assert _values(model) == before


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (True, '"version" must be an integer, got true'),
        (1.0, '"version" must be an integer, got 1.0'),
        ("1", "\"version\" must be an integer, got '1'"),
        (None, '"version" must be an integer, got null'),
        ([1], '"version" must be an integer, got a list'),
        (3, "unsupported model file version 3 (this micrograd reads 1 to 2)"),
    ],
)
def test_a_version_is_an_integer(tmp_path: Path, version: object, message: str) -> None:
    document = _document(_model(1))
    document["version"] = version
    path = tmp_path / "m.json"
    path.write_text(json.dumps(document))
    model = _model(2)
    with pytest.raises(ModelFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        model.load(path)
    assert _values(model) == _values(_model(2))


@pytest.mark.parametrize(
    ("path", "message"), [("", "the path is empty"), ("folder", "folder: cannot read: it is a folder")]
)
def test_load_errors_say_what_is_wrong_with_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    with pytest.raises(ModelFileError, match=message):
        _model().load(path)


# -- fuzzing ---------------------------------------------------------------------------------

FUZZ = settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
finite = st.floats(allow_nan=False, allow_infinity=False)


@FUZZ
@given(st.lists(finite, min_size=13, max_size=13))
def test_fuzz_any_finite_weights_round_trip_exactly(tmp_path: Path, weights: list[float]) -> None:
    model, copy = _model(1), _model(2)
    for p, w in zip(model.parameters(), weights, strict=True):
        p.data = w
    model.save(tmp_path / "m.json")
    copy.load(tmp_path / "m.json")
    assert _values(copy) == weights
    assert [math.copysign(1, v) for v in _values(copy)] == [math.copysign(1, w) for w in weights]  # -0.0 too


def _load_or_refuse(path: Path) -> None:
    """Loading either succeeds or raises ModelFileError with the path, and a failure changes nothing."""
    model = _model(2)
    before = _values(model)
    try:
        model.load(path)
    except ModelFileError as error:
        assert str(error).startswith(f"{path}: ") and "\n" not in str(error)
        assert _values(model) == before
    else:
        assert all(math.isfinite(v) for v in _values(model))


@FUZZ
@given(st.data())
def test_fuzz_corrupted_files_load_or_raise_a_model_file_error(tmp_path: Path, data: st.DataObject) -> None:
    path = tmp_path / "m.json"
    _model(1).save(path)
    good = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(good)))
        action = data.draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if action == "flip" and at < len(good):
            good[at] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "cut":
            del good[at:]
        elif action == "insert":
            good[at:at] = data.draw(
                st.sampled_from([b"[" * 3000, b"{", b'"', b"NaN", b"1e999", b"\xff", b"-", b"9" * 5000])
            )
        else:
            del good[at : at + data.draw(st.integers(1, 20))]
    path.write_bytes(bytes(good))
    _load_or_refuse(path)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)


@FUZZ
@given(st.sampled_from(["format", "version", "model", "parameters", "extra", NAME]), json_values)
def test_fuzz_any_json_value_anywhere_loads_or_raises_a_model_file_error(
    tmp_path: Path, key: str, value: object
) -> None:
    document = _document(_model(1))
    if key == NAME:
        document["parameters"][key] = value
    else:
        document[key] = value
    path = tmp_path / "m.json"
    path.write_text(json.dumps(document))  # nan and inf as NaN and Infinity, which load refuses
    _load_or_refuse(path)


def test_a_pipe_is_written_to_not_replaced_and_never_read(tmp_path: Path) -> None:
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    _model(1).save(pipe)  # as open(pipe, "w") would: the reader gets the document
    reader.join(timeout=30)
    assert stat.S_ISFIFO(pipe.stat().st_mode)  # still a pipe, not a regular file in its place
    assert json.loads(received[0])["parameters"] == _model(1).state_dict()
    with pytest.raises(ModelFileError, match=rf"^{pipe}: not a regular file"):
        _model(2).load(pipe)  # refused at once: reading a pipe with no writer would wait forever


# -- files from earlier versions -----------------------------------------------------------

V1_FIXTURE = Path(__file__).parent / "fixtures" / "mlp_model_file_v1.json"


def test_a_version_1_file_numbering_weights_from_0_loads_each_weight_where_it_was() -> None:
    # saved before weights were numbered like the inputs: MLP(3, [4, 1], tanh, output tanh), random.Random(7)
    saved = json.loads(V1_FIXTURE.read_text(encoding="utf-8"))
    assert saved["version"] == 1 and "layers.0.neurons.0.w.0" in saved["parameters"]
    model = MLP(3, [4, 1], activation="tanh", output_activation="tanh", rng=random.Random(1))
    model.load(V1_FIXTURE)
    assert model([0.5, -1.0, 2.0]).data == 0.4528929388977531  # what the saved model computed
    for layer_index, layer in enumerate(model.layers):
        for neuron_index, neuron in enumerate(layer.neurons):
            where = f"layers.{layer_index}.neurons.{neuron_index}"
            assert [w.data for w in neuron.w] == [saved["parameters"][f"{where}.w.{i}"] for i in range(len(neuron.w))]
            assert neuron.b.data == saved["parameters"][f"{where}.b"]


def test_weights_are_named_like_the_inputs_they_multiply_and_saved_as_version_2(tmp_path: Path) -> None:
    model = _model()
    names = [name for name, _ in model.layers[0].neurons[1].named_parameters()]
    assert names == ["w.1", "w.2", "b"]
    assert [p.label for p in model.layers[0].neurons[1].parameters()] == ["L0.N1.w1", "L0.N1.w2", "L0.N1.b"]
    model.save(tmp_path / "m.json")
    document = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert document["version"] == 2 and document["parameters"][NAME] == model.layers[0].neurons[1].w[0].data


# -- the checksum ----------------------------------------------------------------------------


def test_every_changed_digit_is_refused_or_changes_nothing(tmp_path: Path) -> None:
    # the fuzzer's bit flips that landed in digits loaded different weights without complaint
    path = tmp_path / "model.json"
    _model(1).save(path)
    good = path.read_text(encoding="utf-8")
    digits = [i for i, c in enumerate(good) if c.isdigit()]
    start = good.index('"parameters"')
    assert len([i for i in digits if i > start]) > 100
    refused = 0
    for i in digits:
        path.write_text(good[:i] + str((int(good[i]) + 1) % 10) + good[i + 1 :], encoding="utf-8")
        model = _model(2)
        try:
            model.load(path)
        except ModelFileError:
            refused += 1
            assert _values(model) == _values(_model(2))  # refused: nothing changed
        else:
            assert _values(model) == _values(_model(1))  # a digit outside the numbers: the same weights
    assert refused >= len([i for i in digits if i > start])


def test_a_checksum_mismatch_says_how_to_load_anyway(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    _model(1).save(path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["checksum"].startswith("sha256:") and len(document["checksum"]) == 7 + 64
    document["parameters"][NAME] = 0.25  # edited by hand, on purpose
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    model = _model(2)
    with pytest.raises(ModelFileError, match=r"do not match the checksum.*verify=False.*\"checksum\" line") as refused:
        model.load(path)
    assert "\n" not in str(refused.value)
    assert _values(model) == _values(_model(2))
    model.load(path, verify=False)
    assert _parameter(model, NAME).data == 0.25
    del document["checksum"]  # as a file saved before checksums: loads as it is
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")
    _model(3).load(path)
