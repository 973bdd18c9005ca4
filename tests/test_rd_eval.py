"""tools/rd_eval.py on a tiny synthetic image set: schema, resumability, clear errors."""
import json
import subprocess
import sys

import pytest
from PIL import Image

from .conftest import ROOT, natural_image


def _run(*args):
    return subprocess.run([sys.executable, str(ROOT / "tools" / "rd_eval.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT)


@pytest.fixture
def tiny_set(tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(2):
        Image.fromarray(natural_image(64 + 16 * i, 48, seed=i)).save(folder / f"im{i}.png")
    return folder


def test_schema_and_second_run_is_noop(tmp_path, tiny_set):
    out = tmp_path / "res"
    p = _run("--data", tiny_set, "--out", out, "--anchors", tmp_path / "none", "--codecs", "jpeg",
             "strata", "--per-image")
    assert p.returncode == 0, p.stderr
    for name in ("jpeg", "strata"):
        d = json.loads((out / f"{name}.json").read_text())
        assert {"name", "description", "results"} <= d.keys()
        r = d["results"]
        for k in ("bpp", "psnr-rgb", "ms-ssim-rgb", "encoding_time", "decoding_time"):
            assert len(r[k]) == len(r["bpp"]) > 0
        assert r["bpp"] == sorted(r["bpp"]) and all(b > 0 for b in r["bpp"])
        assert len(d["per_image"]) == 2 * len(r["bpp"])
    assert (out / "rd.png").stat().st_size > 0
    assert json.loads((out / "bd.json").read_text())["rows"][0]["reference"] == "jpeg"
    stamp = (out / "jpeg.json").stat().st_mtime_ns
    p = _run("--data", tiny_set, "--out", out, "--anchors", tmp_path / "none", "--codecs", "jpeg", "strata")
    assert p.returncode == 0 and "up to date" in p.stdout
    assert (out / "jpeg.json").stat().st_mtime_ns == stamp


@pytest.mark.parametrize("kind", ["missing", "empty", "truncated"])
def test_bad_folder_gives_clear_error(tmp_path, kind):
    folder = tmp_path / "bad"
    if kind != "missing":
        folder.mkdir()
    if kind == "truncated":
        Image.fromarray(natural_image(64, 48)).save(folder / "a.png")
        data = (folder / "a.png").read_bytes()
        (folder / "a.png").write_bytes(data[: len(data) // 3])
    p = _run("--data", folder, "--out", tmp_path / "res", "--codecs", "jpeg")
    assert p.returncode != 0
    assert p.stderr.strip().startswith("rd_eval: error:") and "Traceback" not in p.stderr
