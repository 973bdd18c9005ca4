"""A third model kind, defined only here, runs through encode, decode, info, trim and the
evaluation runner with no change to those callers: they dispatch on the codec contract."""
import json
import zlib

import numpy as np
import pytest
from PIL import Image

from codec import registry
from codec.container import ChunkType
from codec.contract import LAYERS
from codec.errors import StrataError
from codec.image.codecs import ImageCodec

from .conftest import natural_image

NAME = "toy-bitplanes"


@registry.register_codec("toy-bitplanes")
class BitplaneCodec(ImageCodec):
    """Lossless bit-plane coder: the top 2 bits of every sample in LATENT, then one RESIDUAL
    layer per lower bit plane; missing planes decode at mid-step. A real, if simple, layered
    codec: any prefix decodes, more layers are more exact."""
    capabilities = frozenset({LAYERS})

    @classmethod
    def load_model(cls, args, path):
        return json.loads(path.read_text())  # its "weights": the plane split

    @property
    def n_layers(self):
        return 8 - self.model["top_bits"]

    def _code(self, rgb, options):
        top = self.model["top_bits"]
        head = [(ChunkType.HYPER, b""), (ChunkType.LATENT, zlib.compress((rgb >> (8 - top)).tobytes()))]
        planes = [zlib.compress(np.packbits((rgb >> b) & 1).tobytes()) for b in range(7 - top, -1, -1)]
        return head, planes

    def _layers_to_keep(self, rgb, header, head, layers, options):
        return len(layers) if options.layers is None else options.layers

    def decode_latent(self, z_string, y_string, layers, width, height):
        top, shape = self.model["top_bits"], (height, width, 3)
        try:
            v = np.frombuffer(zlib.decompress(y_string), np.uint8).reshape(shape).astype(np.int32) << (8 - top)
            for i, s in enumerate(layers):
                bits = np.unpackbits(np.frombuffer(zlib.decompress(s), np.uint8))[: v.size].reshape(shape)
                v |= bits.astype(np.int32) << (7 - top - i)
        except (zlib.error, ValueError):
            raise StrataError("corrupt stream: toy planes do not decode") from None
        return v, len(layers)

    def synthesise(self, latent, n_layers, width, height):
        v, known = latent
        missing = 8 - self.model["top_bits"] - known
        return (v + ((1 << missing) >> 1)).clip(0, 255).astype(np.uint8)


@pytest.fixture
def toy_registry(tmp_path, monkeypatch):
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / "toy.json").write_text(json.dumps({"top_bits": 2}))
    reg = json.loads((registry.WEIGHTS_DIR / "registry.json").read_text())
    reg["models"].append({"name": NAME, "architecture": "toy-bitplanes", "args": {}, "file": "toy.json",
                          "sha256": registry.file_sha256(folder / "toy.json"), "description": "test only"})
    (folder / "registry.json").write_text(json.dumps(reg))
    monkeypatch.setattr(registry, "WEIGHTS_DIR", folder)
    registry.load_codec.cache_clear()
    yield
    registry.load_codec.cache_clear()


def test_new_kind_through_every_caller(toy_registry, tmp_path, run_cli):
    rgb = natural_image(40, 24, seed=3)
    src = tmp_path / "in.png"
    Image.fromarray(rgb).save(src)
    s, t, out = tmp_path / "a.strata", tmp_path / "t.strata", tmp_path / "o.png"

    code, _, err = run_cli("encode", src, "-o", s, "--model", NAME)
    assert code == 0 and "6 of 6 layers" in err, err
    code, _, err = run_cli("decode", s, "-o", out)
    assert code == 0 and np.array_equal(np.asarray(Image.open(out)), rgb)  # all planes: lossless
    code, text, _ = run_cli("info", s)
    assert code == 0 and NAME in text and "layer 6" in text
    code, _, err = run_cli("trim", s, "--layers", "2", "-o", t)
    assert code == 0 and s.read_bytes().startswith(t.read_bytes())
    code, _, err = run_cli("decode", t, "-o", out)
    assert code == 0 and "used 2 of 2" in err
    err2 = np.abs(np.asarray(Image.open(out)).astype(int) - rgb).max()
    assert 0 < err2 <= 8  # 4 planes missing: within half their step
    code, _, err = run_cli("encode", src, "-o", tmp_path / "x.strata", "--model", NAME, "--effort", "1")
    assert code == 1 and "--effort does not apply" in err

    from codec.image.eval.runner import eval_strata, results_json
    rows = eval_strata(NAME, [("in.png", rgb)])
    res = results_json(NAME, "toy", rows)["results"]
    assert len(res["bpp"]) == 7 and res["psnr-rgb"] == sorted(res["psnr-rgb"])  # rate and quality rise
    assert res["psnr-rgb"][-1] == float("inf")
