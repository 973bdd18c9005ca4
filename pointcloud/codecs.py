"""The DDPM point-cloud coder as an implementation of the codec contract (codec/contract.py).

    cloud --Frame, resample--> canonical cloud --model.analyse--> indices, anchor cells
        --> header (input point count) + LATENT [frame, seed, range-coded indices]
                                         + ANCHORS [range-coded octree bytes] (when the rate has anchors)
    stream --> indices, anchors --model.synthesise(seed, steps)--> canonical cloud --Frame--> cloud

LATENT payload: the coordinate frame (four zig-zag varints, transform.py), one byte (the
sampler's seed in bits 0-6; bit 7 set: the indices follow fixed-length), then the indices of the
first `subvectors` sub-vectors: range coded, or, when that would be longer (the range coder's
flush costs up to 4 bytes, more than it saves on a handful of indices), packed in
log2(codebook) bits each, most significant bit first. ANCHORS payload: the octree occupancy bytes,
level by level (models/anchors.py), range coded with the counted per-level prior.
Capabilities: SAMPLING (`--steps`, `--points`), EFFORT (the encoder tries seeds and keeps the
one whose decode is closest to the input; the decoder is unchanged).
Nothing here imports torch at import time.
"""
from __future__ import annotations

from codec.container import ChunkType, Header, Kind, Stream
from codec.contract import EFFORT, SAMPLING, Codec, DecodeOptions, DecodeReport, EncodeOptions, EncodeReport
from codec.errors import StrataError
from codec.registry import register_codec

from . import media  # noqa: F401  (registers the point-cloud media)

SEEDS_BY_EFFORT = (1, 4, 16)  # seeds the encoder tries (effort 0 uses seed 0)
FIXED_LENGTH = 0x80  # flag in the seed byte: the indices are packed, not range coded
MAX_OUTPUT_POINTS = 1 << 20  # --points: the float64 sampler holds about 4 KB per point


@register_codec("ddpm-pointcloud")
class DDPMPointCloudCodec(Codec):
    kind = Kind.POINT_CLOUD
    capabilities = frozenset({SAMPLING, EFFORT})
    required_chunks = (ChunkType.LATENT,)

    @classmethod
    def build_model(cls, args: dict):
        from .models.ddpm_pcc import DDPMPointCloud
        return DDPMPointCloud(**{k: v for k, v in args.items() if k in ("points",)})

    @classmethod
    def load_model(cls, args: dict, path):
        import torch
        model = cls.build_model(args)
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return model.eval()

    @classmethod
    def check_stream(cls, stream: Stream) -> None:
        types = [t for t, _ in stream.chunks]
        if any(t not in (ChunkType.LATENT, ChunkType.ANCHORS) for t in types) or len(set(types)) != len(types) \
                or types[:1] not in ([], [ChunkType.LATENT]):
            raise StrataError("corrupt stream: a point-cloud stream is one LATENT chunk and at most one ANCHORS chunk")
        super().check_stream(stream)

    # ---------------------------------------------------------------- with the model
    @property
    def subvectors(self) -> int:
        return int(self.info.args["subvectors"])

    @property
    def index_bits(self) -> int:
        """Bits of a fixed-length index: log2 of the codebook size, rounded up."""
        return max(1, (int(self.model.vq.k) - 1).bit_length())

    @property
    def anchors(self) -> int:
        return int(self.info.args["anchors"])

    def _priors(self):
        cached = getattr(self, "_prior_cache", None)
        if cached is None:
            from .entropy import Prior
            from .models.anchors import GRID_DEPTH
            m = self.model
            cached = ([Prior(m.index_counts[i].numpy()) for i in range(self.subvectors)],
                      [Prior(m.octree_counts[level].numpy()) for level in range(GRID_DEPTH)])
            self._prior_cache = cached
        return cached

    def encode(self, pts, options: EncodeOptions) -> tuple[bytes, EncodeReport]:
        import numpy as np
        from codec import container
        from . import entropy
        from .metrics import distortion
        from .models.anchors import cell_centres, octree_symbols
        from .transform import Frame, resample

        if len(pts) > 0xFFFFFFFF:
            raise StrataError("too many points for the header")
        frame = Frame.of(pts)
        canon = frame.to_canonical(resample(pts, self.model.points))
        idx, cells = self.model.analyse(canon, self.subvectors, self.anchors)
        seed = 0
        if options.effort:  # keep the seed whose decode is closest to the input
            centres = cell_centres(cells)
            scores = [distortion(canon, self.model.synthesise(idx, centres, len(canon), s, self.default_steps))["chamfer_mean"]
                      for s in range(SEEDS_BY_EFFORT[options.effort])]
            seed = int(np.argmin(scores))
        index_priors, level_priors = self._priors()
        coded = entropy.encode([(idx[i:i + 1], index_priors[i]) for i in range(len(idx))])
        packed = entropy.pack_fixed(idx, self.index_bits)
        latent = frame.pack() + (bytes([seed]) + coded if len(coded) <= len(packed) else bytes([seed | FIXED_LENGTH]) + packed)
        chunks = [(ChunkType.LATENT, latent)]
        if self.anchors:
            levels = octree_symbols(cells)
            chunks.append((ChunkType.ANCHORS, entropy.encode(list(zip(levels, level_priors)))))
        header = Header(Kind.POINT_CLOUD, self.info.name, self.info.hash8, len(pts), 1, "XYZ", 32)
        data = container.pack(header, chunks)
        return data, EncodeReport(header, len(data))

    @property
    def default_steps(self) -> int:
        return int(self.info.args.get("steps", 20))

    def decode(self, stream: Stream, options: DecodeOptions):
        import numpy as np
        from . import entropy
        from .models.anchors import GRID_DEPTH, cell_centres, cells_from_symbols, children
        from .transform import Frame

        points = options.points or self.model.points
        if points > MAX_OUTPUT_POINTS:
            raise StrataError(f"at most {MAX_OUTPUT_POINTS} output points")
        latent = stream.payload(ChunkType.LATENT)
        frame, pos = Frame.unpack(latent)
        if pos >= len(latent):
            raise StrataError("corrupt stream: the latent chunk is too short")
        seed, fixed = latent[pos] & ~FIXED_LENGTH, latent[pos] & FIXED_LENGTH
        index_priors, level_priors = self._priors()
        if fixed:
            idx = entropy.unpack_fixed(latent[pos + 1:], self.subvectors, self.index_bits)
        else:
            dec = entropy.Decoder(latent[pos + 1:])
            idx = np.concatenate([dec.read(p, 1) for p in index_priors])
        anchors = np.zeros((0, 3))
        payload = stream.payload(ChunkType.ANCHORS)
        if self.anchors:
            if payload is None:
                raise StrataError("truncated stream: the anchors chunk is missing")
            dec, levels, n = entropy.Decoder(payload), [], 1
            for level in range(GRID_DEPTH):
                occ = dec.read(level_priors[level], n)
                levels.append(occ)
                n = children(occ)
                if n > self.anchors:
                    raise StrataError("corrupt stream: more anchors than the model codes")
            try:
                anchors = cell_centres(cells_from_symbols(levels))
            except ValueError:
                raise StrataError("corrupt stream: the anchors do not form an octree") from None
        elif payload is not None:
            raise StrataError("corrupt stream: an anchors chunk in a stream of a model without anchors")
        canon = self.model.synthesise(idx, anchors, points, seed, options.steps or self.default_steps)
        pts = frame.from_canonical(canon)
        if not np.isfinite(pts).all():
            raise StrataError("corrupt stream: the coordinate frame puts points beyond floating point")
        latent_sha = None
        if options.want_latent:  # what the entropy decoding gives: exact on every machine
            import hashlib
            latent_sha = hashlib.sha256(np.asarray(idx, "<i8").tobytes() + np.asarray(anchors, "<f8").tobytes()
                                        + latent[:pos + 1]).hexdigest()
        report = DecodeReport(stream.header, stream.torn, latent_sha256=latent_sha, extra={"seed": seed, "anchors": len(anchors),
                                                               "steps": options.steps or self.default_steps})
        return pts, report
