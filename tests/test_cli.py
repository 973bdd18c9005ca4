"""The command line: success paths, and every bad input gives one line, non-zero exit, no output."""
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from codec import __version__, container
from codec.errors import StrataError

from .conftest import natural_image


def _one_line_error(code, err):
    assert code != 0
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("strata: error:"), err
    assert "Traceback" not in err


def test_encode_decode_info(tmp_path, rgb_png, run_cli):
    before = hashlib.sha256(rgb_png.read_bytes()).hexdigest()
    code, _, err = run_cli("encode", rgb_png, "-o", tmp_path / "a.strata")
    assert code == 0, err
    code, _, err = run_cli("decode", tmp_path / "a.strata", "-o", tmp_path / "a.png")
    assert code == 0, err
    assert Image.open(tmp_path / "a.png").size == (96, 80)
    code, out, _ = run_cli("info", tmp_path / "a.strata", "--json")
    info = json.loads(out)
    assert code == 0 and info["width"] == 96 and info["height"] == 80 and info["kind"] == "image"
    types = [c["type"] for c in info["chunks"]]
    assert types[:2] == ["hyper", "latent"] and set(types[2:]) <= {"residual"}
    assert info["bytes"] == (tmp_path / "a.strata").stat().st_size
    assert hashlib.sha256(rgb_png.read_bytes()).hexdigest() == before  # input untouched
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_decode_to_other_format(tmp_path, stream, run_cli):
    code, _, err = run_cli("decode", stream, "-o", tmp_path / "a.bmp")
    assert code == 0, err
    assert Image.open(tmp_path / "a.bmp").format == "BMP"


def test_models_and_version(run_cli):
    code, out, _ = run_cli("models")
    assert code == 0 and out.splitlines()
    lines = out.splitlines()
    names = [l.split("\t")[0] for l in lines]
    code, out, _ = run_cli("models", "--json")
    assert [m["name"] for m in json.loads(out)] == names
    for m, line in zip(json.loads(out), lines):  # superseded models say so, and by what
        assert ("superseded by " + m["superseded_by"] in line) if m.get("superseded_by") else "superseded" not in line
    assert sum(m["default"] for m in json.loads(out)) == 1
    with pytest.raises(SystemExit) as e:
        run_cli("--version")
    assert e.value.code == 0


def _base_end(data: bytes) -> int:
    """Bytes up to the end of the base layer (all of a single-rate stream)."""
    from codec.container import ChunkType, packed_size, parse
    try:
        s = parse(data)
    except StrataError:  # the placeholder used to collect the parameter names
        return len(data)
    return packed_size(s.header, [c for c in s.chunks if c[0] != ChunkType.RESIDUAL])


def _corruptions(data: bytes):
    rng = np.random.default_rng(0)
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0x10
    return {
        "empty": b"",
        "truncated_header": data[:12],
        "truncated_body": data[: _base_end(data) // 2],  # progressive prefixes past the base decode
        "bit_flipped": bytes(flipped),
        "random": rng.integers(0, 256, 5000, dtype=np.uint8).tobytes(),
        "wrong_magic": b"XXXX" + data[4:],
        "wrong_version": data[:4] + bytes([7]) + data[5:],
        "png_bytes": b"\x89PNG\r\n\x1a\n" + data[8:],
    }


@pytest.mark.parametrize("case", list(_corruptions(b"\0" * 100)))
def test_corrupt_streams(tmp_path, stream, run_cli, case):
    bad = tmp_path / "bad.strata"
    bad.write_bytes(_corruptions(stream.read_bytes())[case])
    out = tmp_path / "out.png"
    code, _, err = run_cli("decode", bad, "-o", out)
    _one_line_error(code, err)
    assert not out.exists()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_huge_header_refused(tmp_path, run_cli):
    h = container.Header(container.Kind.IMAGE, "hyperprior-mid", b"\0" * 8, 100000, 100000)
    bad = tmp_path / "huge.strata"
    bad.write_bytes(container.pack(h, [(container.ChunkType.LATENT, b"x")]))
    code, _, err = run_cli("decode", bad, "-o", tmp_path / "o.png")
    _one_line_error(code, err)
    assert "exceeds the limit" in err


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_huge_header_refused_in_a_small_process(tmp_path):
    """The CLI refuses a hostile header before importing torch: the whole process stays small."""
    h = container.Header(container.Kind.IMAGE, "hyperprior-mid", b"\0" * 8, 100000, 100000)
    bad = tmp_path / "huge.strata"
    bad.write_bytes(container.pack(h, [(container.ChunkType.LATENT, b"x")]))
    # VmHWM, not ru_maxrss: the latter keeps the forking parent's (pytest's) peak across exec.
    code = ("import re, sys; from codec.cli import main; rc = main(sys.argv[1:]); "
            "print(rc, re.search(r'VmHWM:\\s*(\\d+)', open('/proc/self/status').read())[1])")
    r = subprocess.run([sys.executable, "-c", code, "decode", str(bad), "-o", str(tmp_path / "o.png")],
                       capture_output=True, text=True, timeout=60)
    rc, peak_kib = map(int, r.stdout.split())
    assert rc != 0 and "exceeds the limit" in r.stderr and "Traceback" not in r.stderr
    assert peak_kib < 100 * 1024  # measured: 14 MiB
    assert not (tmp_path / "o.png").exists()


def test_wrong_weights_hash_refused(tmp_path, stream, run_cli):
    s = container.parse(stream.read_bytes())
    s.header.weights_hash = b"\x01" * 8
    bad = tmp_path / "other.strata"
    bad.write_bytes(container.pack(s.header, s.chunks))
    code, _, err = run_cli("decode", bad, "-o", tmp_path / "o.png")
    _one_line_error(code, err)
    assert "different weights" in err


@pytest.mark.parametrize("args, needle", [
    (["encode", "missing.png", "-o", "{t}/x.strata"], "no such file"),
    (["decode", "missing.strata", "-o", "{t}/x.png"], "no such file"),
    (["encode", "{t}/notimage.png", "-o", "{t}/x.strata"], "not an image"),
    (["encode", "{t}/in.png", "-o", "{t}/nofolder/x.strata"], "folder"),
    (["encode", "{t}/in.png", "-o", "{t}/x.strata", "--model", "nope"], "unknown model"),
    (["encode", "{t}/in.png", "-o", "{t}/in.png"], "input"),
    (["decode", "{t}/in.strata", "-o", "{t}/x.unknownext"], "format"),
    (["encode", "{t}/in.png", "-o", "{t}/x.strata", "--max-pixels", "100"], "exceeds"),
])
def test_bad_invocations(tmp_path, rgb_png, stream, run_cli, args, needle):
    (tmp_path / "notimage.png").write_text("hello")
    before = sorted(os.listdir(tmp_path))
    code, _, err = run_cli(*[a.format(t=tmp_path) for a in args])
    _one_line_error(code, err)
    assert needle in err
    assert sorted(os.listdir(tmp_path)) == before  # nothing written, nothing removed


def test_real_process_exit_code_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.strata"
    bad.write_bytes(b"STRA\x01garbage")
    p = subprocess.run([sys.executable, "-m", "codec.cli", "decode", str(bad), "-o", str(tmp_path / "o.png")],
                       capture_output=True, text=True)
    assert p.returncode == 1
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    assert f"strata {__version__}" in subprocess.run(
        [sys.executable, "-m", "codec.cli", "--version"], capture_output=True, text=True).stdout


def test_batch_encode_decode_one_process(tmp_path, run_cli):
    """Several inputs with -o DIR: each coded, a failing one reported, the rest complete, exit 1."""
    srcs = []
    for i in range(3):
        srcs.append(tmp_path / f"im{i}.png")
        Image.fromarray(natural_image(40 + 8 * i, 24, seed=i)).save(srcs[-1])
    (tmp_path / "bad.png").write_text("not an image")
    enc, dec = tmp_path / "enc", tmp_path / "dec"
    enc.mkdir()
    dec.mkdir()
    code, _, err = run_cli("encode", *srcs, tmp_path / "bad.png", "-o", enc, "-q")
    assert code == 1 and "bad.png" in err and "1 of 4 files failed" in err
    assert sorted(p.name for p in enc.iterdir()) == ["im0.strata", "im1.strata", "im2.strata"]
    code, _, err = run_cli("decode", *sorted(enc.iterdir()), "-o", dec, "-q")
    assert code == 0, err
    for i, s in enumerate(srcs):
        assert Image.open(dec / f"im{i}.png").size == Image.open(s).size
    code, _, err = run_cli("decode", *sorted(enc.iterdir()), "-o", tmp_path / "x.png")
    _one_line_error(code, err)  # several inputs need a folder
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
