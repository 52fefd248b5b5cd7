"""Hostile files given to `sciml.data.load`: links out of the file, memory bombs, parser crashes.

Each case is a small file made here; each must end in a one-line `ValueError` naming
the file (exit code 2 at the CLI), never in a crash, a traceback or bytes of another file.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zipfile

import h5py
import numpy as np
import pytest
import scipy.io

from sciml.cli import main
from sciml.data import PDEData, load, save

SECRET = b"TOP-SECRET-PASSWORD-0123456789ab"  # 32 bytes


def _small(tmp_path, name="d.h5"):
    x = np.arange(8) / 8
    return save(PDEData.from_arrays(np.sin(2 * np.pi * x), x=x), tmp_path / name)


def _replace_values(path, **create):
    with h5py.File(path, "a") as f:
        del f["values"]
        f.create_dataset("values", **create)


def _one_line_error(capsys):
    err = capsys.readouterr().err
    assert err.startswith("sciml: error: ") and err.count("\n") == 1, err
    return err


# ------------------------------------------------------------ reading other files
def test_external_raw_storage_is_refused_and_no_secret_is_read(tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(SECRET)
    path = _small(tmp_path)
    _replace_values(path, shape=(1, 8, 1), dtype="f4", external=[(str(secret), 0, 32)])
    with h5py.File(path, "r") as f:  # the attack is real: plain h5py returns the secret
        assert f["values"][()].tobytes() == SECRET
    with pytest.raises(ValueError, match=r"d\.h5: dataset /values stores its data in other"):
        load(path)
    assert main(["data", "info", str(path)]) == 2
    err = _one_line_error(capsys)
    assert "self-contained" in err and SECRET.decode()[:10] not in err


def test_external_link_is_refused(tmp_path):
    target = save(PDEData.from_arrays(np.ones((2, 8)), x=np.arange(8.0)), tmp_path / "t.h5")
    path = _small(tmp_path)
    with h5py.File(path, "a") as f:
        del f["values"]
        f["values"] = h5py.ExternalLink(str(target), "/values")
    with pytest.raises(ValueError, match=r"/values is an external link to .*t\.h5:/values"):
        load(path)
    with h5py.File(path, "a") as f:  # also where sciml would never read it
        del f["values"]
        f["values"] = np.zeros((1, 8, 1))
        f["elsewhere/link"] = h5py.ExternalLink(str(target), "/grid/x")
    with pytest.raises(ValueError, match="/elsewhere/link is an external link"):
        load(path)


def test_virtual_dataset_from_another_file_is_refused_within_the_file_read(tmp_path):
    source = tmp_path / "source.h5"
    with h5py.File(source, "w") as f:
        f["data"] = np.frombuffer(SECRET, dtype="f4").reshape(1, 8, 1)
    path = _small(tmp_path)
    layout = h5py.VirtualLayout(shape=(1, 8, 1), dtype="f4")
    layout[:] = h5py.VirtualSource(str(source), "data", shape=(1, 8, 1))
    with h5py.File(path, "a") as f:
        del f["values"]
        f.create_virtual_dataset("values", layout)
    with pytest.raises(ValueError, match=r"virtual dataset /values maps data from other file"):
        load(path)

    inner = _small(tmp_path, "inner.h5")  # a virtual dataset over its own file is fine
    with h5py.File(inner, "a") as f:
        f["stored"] = np.full((1, 8, 1), 3.0)
        del f["values"]
        layout = h5py.VirtualLayout(shape=(1, 8, 1), dtype="f8")
        layout[:] = h5py.VirtualSource(".", "stored", shape=(1, 8, 1))
        f.create_virtual_dataset("values", layout)
    assert np.all(load(inner).values == 3.0)


# ------------------------------------------------------------------ memory bombs
def test_hdf5_declaring_terabytes_is_refused_before_reading(tmp_path, capsys):
    path = _small(tmp_path)
    _replace_values(path, shape=(2**20, 2**20, 1), dtype="f8", chunks=(1, 1024, 1))
    assert path.stat().st_size < 100_000
    with pytest.raises(ValueError, match=r"d\.h5: dataset '/values' .* declares 8 TiB, more"):
        load(path)
    assert main(["data", "info", str(path)]) == 2
    assert "declares 8 TiB" in _one_line_error(capsys)


def test_user_limit_by_argument_and_environment(tmp_path, monkeypatch):
    path = _small(tmp_path)  # x: 64 bytes, read first, then values: 64 bytes
    assert load(path, max_bytes=128).shape == (1, 8, 1)
    expected = r"declares 64 B, more than the 36 B left of the load limit \(100 B, max_bytes\)"
    with pytest.raises(ValueError, match=expected):
        load(path, max_bytes=100)
    monkeypatch.setenv("SCIML_MAX_LOAD_BYTES", "1K")
    assert load(path).shape == (1, 8, 1)
    monkeypatch.setenv("SCIML_MAX_LOAD_BYTES", "100")
    with pytest.raises(ValueError, match="SCIML_MAX_LOAD_BYTES"):
        load(path)
    monkeypatch.setenv("SCIML_MAX_LOAD_BYTES", "lots")
    with pytest.raises(ValueError, match=r"SCIML_MAX_LOAD_BYTES='lots' is not a size"):
        load(path)
    with pytest.raises(ValueError, match="max_bytes must be > 0"):
        load(path, max_bytes=0)


def test_npz_header_declaring_terabytes_is_refused(tmp_path):
    header = {"descr": "<f8", "fortran_order": False, "shape": (2**20, 2**20)}
    member = np.lib.format.magic(1, 0) + _npy_header_bytes(header)
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("u.npy", member)
        archive.writestr("x.npy", _npy_bytes(np.arange(4.0)))
    with pytest.raises(ValueError, match=r"bomb\.npz: array 'u' .* declares 8 TiB"):
        load(path)


def _npy_header_bytes(header):
    text = repr(header).encode("latin1")
    text += b" " * (-(len(text) + 11) % 64) + b"\n"
    return struct.pack("<H", len(text)) + text


def _npy_bytes(array):
    import io

    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_well_broadcast_is_counted(tmp_path):
    path = tmp_path / "well.h5"
    n = 4096
    with h5py.File(path, "w") as f:
        dims = f.create_group("dimensions")
        dims.attrs["spatial_dims"] = ["x", "y"]
        dims["time"], dims["x"], dims["y"] = np.arange(64.0), np.arange(n * 1.0), np.arange(n)
        fields = f.create_group("t0_fields")
        fields.attrs["field_names"] = ["p"]
        fields["p"] = np.zeros((1, 64))  # constant in space: broadcast to 64 x n x n
        fields["p"].attrs["dim_varying"] = [False, False]
    with pytest.raises(ValueError, match=r"Well field '/t0_fields/p' broadcast to .* declares"):
        load(path, max_bytes=2**30)


# ----------------------------------------------------------- malformed structure
def test_structures_no_reader_expects(tmp_path):
    path = tmp_path / "pdebench.h5"
    with h5py.File(path, "w") as f:
        f.create_group("tensor")
        f["x-coordinate"] = np.arange(4.0)
    with pytest.raises(ValueError, match=r"pdebench\.h5: '/tensor' is Group; expected a dataset"):
        load(path)
    path = tmp_path / "well.h5"
    with h5py.File(path, "w") as f:
        f.create_group("dimensions").attrs["spatial_dims"] = ["x"]
        f["dimensions/time"], f["dimensions/x"] = np.arange(3.0), np.arange(4.0)
        f["t0_fields/p"] = 1.0  # a scalar where (n_traj, n_t, n_x) belongs
    with pytest.raises(ValueError, match=r"well\.h5: Well field '/t0_fields/p' has shape \(\)"):
        load(path)


def test_zip_with_unknown_compression_or_bad_deflate(tmp_path):
    path = tmp_path / "a.npz"
    np.savez_compressed(path, u=np.zeros((3, 4)), x=np.arange(4.0))
    content = bytearray(path.read_bytes())
    method = content.index(b"PK\x01\x02") + 10  # central directory: compression method
    unknown = bytearray(content)
    unknown[method : method + 2] = struct.pack("<H", 99)
    path.write_bytes(bytes(unknown))
    with pytest.raises(ValueError, match=r"a\.npz as \.npz: NotImplementedError"):
        load(path)
    broken = bytearray(content)
    broken[60:90] = b"\xff" * 30  # inside the first member's deflate stream
    path.write_bytes(bytes(broken))
    with pytest.raises(ValueError, match=r"a\.npz as \.npz: (zlib\.)?error"):
        load(path)


# --------------------------------------------------------------- native crashes
def _crashing_mat(tmp_path):
    """A v5 file whose one flipped byte makes scipy 1.17's loadmat segfault."""
    x, t = np.arange(8) / 8, np.linspace(0, 1, 4)
    u = np.random.default_rng(0).standard_normal((4, 8))
    path = tmp_path / "crash.mat"
    scipy.io.savemat(path, {"usol": u.T, "x": x, "t": t})
    content = bytearray(path.read_bytes())
    content[176] = 57
    path.write_bytes(bytes(content))
    return path


def test_mat_that_crashes_scipy_gives_an_error_not_a_dead_process(tmp_path, capsys):
    path = _crashing_mat(tmp_path)
    plain = subprocess.run(
        [sys.executable, "-c", f"import scipy.io; scipy.io.loadmat({str(path)!r})"],
        capture_output=True,
    )
    with pytest.raises(ValueError, match=r"crash\.mat as a MATLAB file") as caught:
        load(path)
    if plain.returncode < 0:  # this scipy does crash on it: the signal is named
        assert "crashed with SIG" in str(caught.value)
    assert main(["data", "info", str(path)]) == 2
    _one_line_error(capsys)
    good = tmp_path / "good.mat"
    scipy.io.savemat(good, {"usol": np.ones((8, 4)), "x": np.arange(8.0), "t": np.arange(4.0)})
    assert load(good).shape == (1, 4, 8, 1)  # the parser helper goes on after a crash


def test_mat_memory_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.mat"
    scipy.io.savemat(
        path, {"usol": np.zeros((200, 100)), "x": np.arange(200.0), "t": np.arange(100.0)}
    )
    with pytest.raises(ValueError, match=r"bomb\.mat: array 'usol' \(200, 100\) declares 156 KiB"):
        load(path, max_bytes=50_000)  # usol alone is 160 kB
    assert load(path).shape == (1, 100, 200, 1)


def test_mat_parser_helper_dies_with_its_parent(tmp_path):
    """The helper process ends when the process that started it is killed."""
    good = tmp_path / "good.mat"
    scipy.io.savemat(good, {"usol": np.ones((8, 4)), "x": np.arange(8.0), "t": np.arange(4.0)})
    script = (
        "import sys, time; from sciml.data import _isolation, load; "
        f"load({str(good)!r}); print(_isolation._helper.pid, flush=True); time.sleep(60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    helper_pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    parent.stdout.close()
    assert _gone_within(helper_pid, 5.0)


def _gone_within(pid, seconds):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if _is_zombie(pid):
            return True
        time.sleep(0.05)
    return False


def _is_zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_npz_with_two_members_for_one_name_is_refused_before_reading(tmp_path):
    # NumPy reads member "u" for the name u, so a tiny "u.npy" beside it must not be
    # what the budget checks: the archive is refused as ambiguous
    path = tmp_path / "twins.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("u", _npy_bytes(np.zeros((400, 500))))
        archive.writestr("u.npy", _npy_bytes(np.zeros((4, 8))))
        archive.writestr("x.npy", _npy_bytes(np.arange(8.0)))
    with pytest.raises(ValueError, match=r"twins\.npz: the archive holds two members .*\['u'\]"):
        load(path, max_bytes=10**6)
    with zipfile.ZipFile(path := tmp_path / "plain_name.npz", "w") as archive:
        archive.writestr("u", _npy_bytes(np.zeros((400, 500))))  # no ".npy": still budgeted
        archive.writestr("x.npy", _npy_bytes(np.arange(500.0)))
    with pytest.raises(ValueError, match=r"array 'u' \(400, 500\) declares"):
        load(path, max_bytes=10**5)


def test_npz_object_array_is_named_not_called_corrupt(tmp_path):
    np.savez(tmp_path / "objects.npz", u=np.array([object()] * 4), x=np.arange(4.0))
    with pytest.raises(ValueError, match="array 'u' holds Python objects") as info:
        load(tmp_path / "objects.npz")
    assert "corrupt" not in str(info.value)


def test_pt_tensor_reusing_its_storage_is_refused_before_it_is_expanded(tmp_path):
    import torch

    one, n = torch.zeros(1), 20000  # a 1.6 KB file; x would be 1.6 GB as a dense tensor
    hostile = {"x": one.as_strided((n, n), (0, 0)), "y": one.as_strided((n, 2, n), (0, 0, 0))}
    torch.save(hostile, tmp_path / "strided.pt")
    with pytest.raises(ValueError, match=r"tensor 'x' \(20000, 20000\) has strides \(0, 0\)"):
        load(tmp_path / "strided.pt", max_bytes=10**7)


def test_pt_archive_with_a_damaged_member_fails_its_checksum(tmp_path):
    import torch

    path = tmp_path / "damaged.pt"
    torch.save({"x": torch.ones(4, 8), "y": torch.full((4, 8), 0.5)}, path)
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("data/1"))
    raw = bytearray(path.read_bytes())
    head = info.header_offset  # the local header's name and extra lengths (torch pads the extra)
    start = head + 30 + int.from_bytes(raw[head + 26 : head + 28], "little")
    start += int.from_bytes(raw[head + 28 : head + 30], "little")
    raw[start + 3] ^= 0x40  # one bit of y's data: torch.load alone reads 1.7e38 for 0.5
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"member '.*data/1' fails its CRC check"):
        load(path)


def test_fifo_is_refused_not_read(tmp_path, capsys):
    fifo = tmp_path / "pipe.h5"
    os.mkfifo(fifo)
    assert main(["data", "info", str(fifo)]) == 2  # without the check, reading blocks forever
    assert "not a regular file" in _one_line_error(capsys)


def test_pt_archive_with_an_encrypted_or_undecodable_member_is_one_line(tmp_path, capsys):
    import torch

    torch.save({"x": torch.ones(4, 8), "y": torch.ones(4, 8)}, tmp_path / "ok.pt")
    raw = bytearray((tmp_path / "ok.pt").read_bytes())
    with zipfile.ZipFile(tmp_path / "ok.pt") as archive:
        for info in archive.infolist():
            raw[info.header_offset + 6] |= 1  # the "encrypted" flag, local header
    central = raw.find(b"PK\x01\x02")
    while central != -1:  # and central directory
        raw[central + 8] |= 1
        central = raw.find(b"PK\x01\x02", central + 4)
    (tmp_path / "encrypted.pt").write_bytes(bytes(raw))
    assert main(["data", "info", str(tmp_path / "encrypted.pt")]) == 2
    assert "is encrypted" in _one_line_error(capsys)


def test_npy_coordinate_file_that_is_a_fifo_is_refused(tmp_path):
    np.save(tmp_path / "u.npy", np.zeros((3, 4)))
    np.save(tmp_path / "x.npy", np.arange(4.0))
    os.mkfifo(tmp_path / "t.npy")
    with pytest.raises(ValueError, match=r"t\.npy: not a regular file .* \(coordinates 't'\)"):
        load(tmp_path / "u.npy", variables={"t": "t.npy", "x": "x.npy"})


def test_cli_prints_a_loader_warning_as_one_line(tmp_path, capsys):
    t = x = np.linspace(0, 1, 6)
    np.savez(tmp_path / "square.npz", u=np.zeros((6, 6)), t=t, x=x)
    assert main(["data", "info", str(tmp_path / "square.npz")]) == 0
    err = capsys.readouterr().err
    assert err.startswith("sciml: warning: ") and "fits both" in err and err.count("\n") == 1
