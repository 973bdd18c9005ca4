"""Strata container format, version 1: one framing for every stream kind.

A stream is a header (magic, version, kind, model name, weights hash, size, mode, CRC32) followed
by length-prefixed chunks, each with its own CRC32. The byte layout is tabulated in
docs/format.md. The parser checks everything before it allocates: magic, version, kind, name,
header CRC, dimensions against a pixel cap, each chunk length against the bytes actually left,
each CRC. A torn last chunk (the file was cut inside it) is not a parser error: it is reported in
`Stream.torn` and the decoder decides whether what remains is enough.
"""
from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field
from enum import IntEnum

from .errors import StrataError

MAGIC = b"STRA"
VERSION = 1
MAX_NAME = 64
HASH_BYTES = 8
# 4096 x 4096: what encoding and decoding fit in 4 GB (measured peaks at this size: encode
# 3.5 GiB, decode 3.1 GiB, a forged 144-byte stream 2.5 GiB; tools/bench_memory.py). Each further
# megapixel costs about 130 MB; --max-pixels raises the cap.
DEFAULT_MAX_PIXELS = 4096 * 4096
MAX_CHUNKS = 4096  # far more than any stream kind uses; bounds the parser's bookkeeping
MAX_STREAM_BYTES = 1 << 30  # 1 GiB: more than any stream under the pixel cap needs
_FIXED = struct.Struct(">IIBB")  # width, height, mode, bits
_CHUNK_HEAD = struct.Struct(">BI")
# Model names are registry names: ASCII letters, digits and -_.+ (never control characters,
# which `strata info` would print to a terminal).
MODEL_NAME = re.compile(r"[A-Za-z0-9_.+-]{1,%d}" % MAX_NAME)
CHUNK_OVERHEAD = _CHUNK_HEAD.size + 4  # type, length, CRC32 around every payload


class Kind(IntEnum):
    IMAGE = 1
    POINT_CLOUD = 2


class ChunkType(IntEnum):
    HYPER = 1  # hyper-latent z strings
    LATENT = 2  # main / base latent y strings
    ALPHA = 3  # alpha plane, lossless (zlib)
    RESIDUAL = 4  # one residual layer of a progressive stream (layers follow in order)
    ANCHORS = 5  # anchor points of a point-cloud stream (octree occupancy, entropy coded)


MODES = {0: "RGB", 1: "L", 2: "RGBA", 3: "LA", 4: "XYZ"}
# What the fixed header fields mean per kind: an image's width x height pixels, colour mode and
# bits per sample; a point cloud's input point count (width; height 1), mode XYZ, float32 source.
KIND_MODES = {Kind.IMAGE: ({"RGB", "L", "RGBA", "LA"}, {8, 16}), Kind.POINT_CLOUD: ({"XYZ"}, {32})}
MODE_CODES = {v: k for k, v in MODES.items()}


@dataclass
class Header:
    kind: Kind
    model: str
    weights_hash: bytes
    width: int
    height: int
    mode: str = "RGB"
    bits: int = 8

    @property
    def units(self) -> int:
        """What rates are counted per: pixels of an image (bits per pixel), input points of a
        point cloud (bits per point; height is 1)."""
        return self.width * self.height

    def rate(self, nbytes: int) -> float:
        """Bits per unit of a stream (or prefix) of nbytes."""
        return nbytes * 8 / self.units


@dataclass
class Stream:
    header: Header
    chunks: list[tuple[int, bytes]] = field(default_factory=list)
    torn: int = 0  # bytes of a trailing incomplete chunk that were ignored

    def payloads(self, ctype: ChunkType) -> list[bytes]:
        return [p for t, p in self.chunks if t == ctype]

    def without(self, ctype: ChunkType) -> list[tuple[int, bytes]]:
        return [(t, p) for t, p in self.chunks if t != ctype]

    def payload(self, ctype: ChunkType) -> bytes | None:
        for t, p in self.chunks:
            if t == ctype:
                return p
        return None


def pack(header: Header, chunks: list[tuple[int, bytes]]) -> bytes:
    if not MODEL_NAME.fullmatch(header.model):
        raise StrataError(f"model name must be 1..{MAX_NAME} of A-Z a-z 0-9 - _ . +")
    name = header.model.encode("ascii")
    if len(header.weights_hash) != HASH_BYTES:
        raise StrataError("weights hash must be 8 bytes")
    head = (MAGIC + bytes([VERSION, int(header.kind), len(name)]) + name + header.weights_hash
            + _FIXED.pack(header.width, header.height, MODE_CODES[header.mode], header.bits))
    out = [head, struct.pack(">I", zlib.crc32(head))]
    for ctype, payload in chunks:
        body = _CHUNK_HEAD.pack(int(ctype), len(payload)) + payload
        out += [body, struct.pack(">I", zlib.crc32(body))]
    return b"".join(out)


def packed_size(header: Header, chunks: list[tuple[int, bytes]]) -> int:
    """len(pack(header, chunks)) without building it."""
    head = 7 + len(header.model.encode("ascii")) + HASH_BYTES + _FIXED.size + 4
    return head + sum(CHUNK_OVERHEAD + len(p) for _, p in chunks)


def chunk_name(ctype: int) -> str:
    """Lower-case name of a chunk type, or its number when unknown."""
    return ChunkType(ctype).name.lower() if ctype in ChunkType._value2member_map_ else str(ctype)


def parse(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Stream:
    """Validate and split a stream. Raises StrataError with one line on any inconsistency."""
    if len(data) == 0:
        raise StrataError("empty file: not a Strata stream")
    if len(data) < 4 or data[:4] != MAGIC:
        raise StrataError("not a Strata stream (bad magic bytes)")
    if len(data) < 7:
        raise StrataError("truncated stream: header incomplete")
    version, kind, name_len = data[4], data[5], data[6]
    if version != VERSION:
        raise StrataError(f"unsupported format version {version} (this strata reads version {VERSION})")
    if kind not in Kind._value2member_map_:
        raise StrataError(f"unknown stream kind {kind}")
    if not 1 <= name_len <= MAX_NAME:
        raise StrataError("corrupt header: bad model name length")
    end = 7 + name_len + HASH_BYTES + _FIXED.size
    if len(data) < end + 4:
        raise StrataError("truncated stream: header incomplete")
    if zlib.crc32(data[:end]) != struct.unpack(">I", data[end:end + 4])[0]:
        raise StrataError("corrupt header (CRC mismatch)")
    try:
        model = data[7:7 + name_len].decode("ascii")
    except UnicodeDecodeError:
        raise StrataError("corrupt header: model name is not ASCII") from None
    if not MODEL_NAME.fullmatch(model):
        raise StrataError("corrupt header: model name has characters outside A-Z a-z 0-9 - _ . +")
    whash = data[7 + name_len:7 + name_len + HASH_BYTES]
    width, height, mode, bits = _FIXED.unpack_from(data, 7 + name_len + HASH_BYTES)
    modes, depths = KIND_MODES[Kind(kind)]
    if MODES.get(mode) not in modes or bits not in depths:
        raise StrataError("corrupt header: unknown mode for its stream kind")
    if width < 1 or height < 1:
        raise StrataError(f"corrupt header: size {width}x{height}")
    if kind == Kind.POINT_CLOUD and height != 1:
        raise StrataError(f"corrupt header: a point cloud of {width}x{height} points")
    if width * height > max_pixels:
        what, unit = (f"image of {width}x{height} pixels", "pixels") if kind == Kind.IMAGE else (f"point cloud of {width} points", "points")
        raise StrataError(f"{what} exceeds the limit of {max_pixels} {unit} (raise it with --max-pixels)")
    header = Header(Kind(kind), model, whash, width, height, MODES[mode], bits)

    stream, pos = Stream(header), end + 4
    while pos < len(data):
        if len(data) - pos < _CHUNK_HEAD.size + 4:
            stream.torn = len(data) - pos
            break
        ctype, n = _CHUNK_HEAD.unpack_from(data, pos)
        stop = pos + _CHUNK_HEAD.size + n
        if stop + 4 > len(data):
            stream.torn = len(data) - pos
            break
        if len(stream.chunks) == MAX_CHUNKS:
            raise StrataError(f"corrupt stream: more than {MAX_CHUNKS} chunks")
        if zlib.crc32(data[pos:stop]) != struct.unpack(">I", data[stop:stop + 4])[0]:
            raise StrataError(f"corrupt stream: chunk {len(stream.chunks)} fails its CRC check")
        stream.chunks.append((ctype, data[pos + _CHUNK_HEAD.size:stop]))
        pos = stop + 4
    return stream
