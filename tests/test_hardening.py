"""Failures found by the hostile-input audit (issue 15): each reproduced, each now one clear line."""
import os
import resource
import signal
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image

from codec import container
from codec.container import ChunkType
from codec.errors import StrataError

from .conftest import ROOT, natural_image


def _one_line(code, err, status=1):
    lines = [l for l in err.splitlines() if l.strip()]
    assert code == status and len(lines) == 1 and lines[0].startswith("strata: error:"), (code, err)


def _no_leftovers(folder):
    assert not [p for p in os.listdir(folder) if p.endswith(".tmp")]


def test_ico_is_refused_before_decoding(tmp_path, run_cli):
    """ICO decodes its embedded PNG inside Image.open, past the pixel cap: not an accepted format."""
    Image.new("RGB", (16, 16)).save(tmp_path / "x.ico")
    code, _, err = run_cli("encode", tmp_path / "x.ico", "-o", tmp_path / "x.strata")
    _one_line(code, err)
    assert "format Strata reads" in err and not (tmp_path / "x.strata").exists()


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-1"])
def test_numeric_options_are_validated(tmp_path, stream, run_cli, value):
    code, _, err = run_cli("trim", stream, "--bpp", value, "-o", tmp_path / "t.strata")
    _one_line(code, err)
    code, _, err = run_cli("encode", stream, "-o", tmp_path / "e.strata", "--psnr", value)
    _one_line(code, err)
    assert not (tmp_path / "t.strata").exists() and not (tmp_path / "e.strata").exists()


def test_write_failure_is_a_user_error(tmp_path, rgb_png):
    """A file-size limit (as a full disk) while writing: exit 1, the output named, nothing left."""
    out = tmp_path / "o.strata"
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200)); "
            "from codec.cli import main; sys.exit(main(sys.argv[1:]))")
    r = subprocess.run([sys.executable, "-c", code, "encode", str(rgb_png), "-o", str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    _one_line(r.returncode, r.stderr)
    assert f"cannot write {out}" in r.stderr
    assert not out.exists()
    _no_leftovers(tmp_path)


def test_sigterm_while_writing_leaves_nothing(tmp_path, stream, run_cli, monkeypatch):
    import codec.atomic
    monkeypatch.setattr(codec.atomic.os, "fsync", lambda fd: os.kill(os.getpid(), signal.SIGTERM))
    code, _, err = run_cli("decode", stream, "-o", tmp_path / "o.png")
    assert code == 128 + signal.SIGTERM and "terminated" in err
    assert not (tmp_path / "o.png").exists()
    _no_leftovers(tmp_path)


def _with_model_name(data: bytes, name: bytes) -> bytes:
    """The stream with its header's model name replaced (CRC recomputed)."""
    n = data[6]
    head_end = 7 + n + container.HASH_BYTES + 10
    head = data[:6] + bytes([len(name)]) + name + data[7 + n:head_end]
    return head + struct.pack(">I", zlib.crc32(head)) + data[head_end + 4:]


def test_control_characters_in_the_model_name_are_refused(tmp_path, stream, run_cli):
    bad = tmp_path / "esc.strata"
    bad.write_bytes(_with_model_name(stream.read_bytes(), b"\x1b[2Jevil"))
    code, out, err = run_cli("info", bad)
    _one_line(code, err)
    assert "\x1b" not in out + err and "model name" in err


def test_png_transparent_colour_keeps_alpha(tmp_path, run_cli):
    grey = natural_image(48, 32)[..., 0]
    grey[:4, :4] = 7
    src = tmp_path / "t.png"
    Image.fromarray(grey, "L").save(src, transparency=7)
    assert run_cli("encode", src, "-o", tmp_path / "t.strata")[0] == 0
    assert run_cli("decode", tmp_path / "t.strata", "-o", tmp_path / "o.png")[0] == 0
    out = Image.open(tmp_path / "o.png")
    assert out.mode == "LA" and np.asarray(out)[:4, :4, 1].max() == 0 and np.asarray(out)[10:, 10:, 1].min() == 255


@pytest.mark.parametrize("case", ["swapped", "duplicated", "unknown", "layer_first"])
def test_chunk_order_is_enforced(tmp_path, stream, run_cli, case):
    s = container.parse(stream.read_bytes())
    c = list(s.chunks)
    c = {"swapped": [c[1], c[0]] + c[2:], "duplicated": c[:2] + [c[1]] + c[2:],
         "unknown": c + [(9, b"x")], "layer_first": [(ChunkType.RESIDUAL, b"")] + c}[case]
    bad = tmp_path / "bad.strata"
    bad.write_bytes(container.pack(s.header, c))
    code, _, err = run_cli("decode", bad, "-o", tmp_path / "o.png")
    _one_line(code, err)
    assert not (tmp_path / "o.png").exists()
    with pytest.raises(StrataError):
        from codec.trim import trim
        trim(bad.read_bytes(), layers=1)


def test_cheap_refusals(tmp_path, stream, rgb_png, run_cli):
    code, _, err = run_cli("encode", tmp_path, "-o", tmp_path / "x.strata")
    _one_line(code, err)
    assert "folder" in err
    code, _, err = run_cli("decode", stream, "-o", tmp_path / "nowhere" / "o.png")
    _one_line(code, err)
    assert "output folder does not exist" in err


def test_argument_errors_are_one_line():
    r = subprocess.run([sys.executable, "-m", "codec.cli", "encode"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("strata: error:")


def test_default_cap_refuses_what_would_not_fit_in_memory(tmp_path, stream, run_cli):
    """The audit's 125-byte stream declaring 10000x10000 took 10.5 GB under the old 100 MP cap;
    the default cap is now what fits in 4 GB (4096x4096), and it is refused before decoding."""
    s = container.parse(stream.read_bytes())
    s.header.width = s.header.height = 10000
    bad = tmp_path / "big.strata"
    bad.write_bytes(container.pack(s.header, s.chunks[:2]))
    code, _, err = run_cli("decode", bad, "-o", tmp_path / "o.png")
    _one_line(code, err)
    assert "exceeds the limit of 16777216 pixels" in err


def test_unwritable_output_folder_is_a_user_error(tmp_path, stream, run_cli, monkeypatch):
    """A read-only folder (simulated: the tests may run as root, who may write anywhere)."""
    import tempfile

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    out = tmp_path / "o.png"
    code, _, err = run_cli("decode", stream, "-o", out)
    _one_line(code, err)
    assert f"cannot write {out}: Permission denied" in err and ".tmp" not in err
