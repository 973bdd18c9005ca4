import tracemalloc

import pytest

from codec import container
from codec.container import ChunkType, Header, Kind
from codec.errors import StrataError


def _header(w=10, h=20):
    return Header(Kind.IMAGE, "hyperprior-mid", bytes(range(8)), w, h, "RGB", 8)


def test_round_trip():
    data = container.pack(_header(), [(ChunkType.HYPER, b"abc"), (ChunkType.LATENT, b"x" * 1000)])
    s = container.parse(data)
    assert s.header == _header()
    assert s.chunks == [(ChunkType.HYPER, b"abc"), (ChunkType.LATENT, b"x" * 1000)]
    assert s.torn == 0


def test_torn_last_chunk_is_reported_not_fatal():
    data = container.pack(_header(), [(ChunkType.HYPER, b"abc"), (ChunkType.LATENT, b"x" * 1000)])
    s = container.parse(data[:-10])
    assert [t for t, _ in s.chunks] == [ChunkType.HYPER]
    assert s.torn > 0


@pytest.mark.parametrize("mutate, message", [
    (lambda d: b"", "empty"),
    (lambda d: b"PNG\x00" + d[4:], "magic"),
    (lambda d: d[:4] + bytes([2]) + d[5:], "version 2"),
    (lambda d: d[:5] + bytes([9]) + d[6:], "kind"),
    (lambda d: d[:10], "header"),
    (lambda d: d[:8] + bytes([d[8] ^ 1]) + d[9:], "CRC"),
    (lambda d: d[:-5] + bytes([d[-5] ^ 0x40]) + d[-4:], "CRC"),
])
def test_bad_streams_raise_one_line(mutate, message):
    data = container.pack(_header(), [(ChunkType.LATENT, b"payload")])
    with pytest.raises(StrataError) as e:
        container.parse(mutate(data))
    assert message in str(e.value) and "\n" not in str(e.value)


def test_huge_declared_size_refused_before_allocation():
    data = container.pack(_header(100000, 100000), [(ChunkType.LATENT, b"x")])
    tracemalloc.start()
    with pytest.raises(StrataError, match="exceeds the limit"):
        container.parse(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1 << 20  # under 1 MiB of Python allocations


def test_chunk_length_beyond_file_is_torn_not_allocated():
    data = bytearray(container.pack(_header(), [(ChunkType.LATENT, b"abcd")]))
    # Declare a 4 GiB chunk: the parser must compare with the bytes left, never allocate it.
    pos = len(data) - (1 + 4 + 4 + 4)
    data[pos + 1:pos + 5] = (0xFFFFFFFF).to_bytes(4, "big")
    s = container.parse(bytes(data))
    assert s.chunks == [] and s.torn > 0


def test_chunk_count_is_capped():
    data = container.pack(_header(), [(ChunkType.LATENT, b"")] * (container.MAX_CHUNKS + 1))
    with pytest.raises(StrataError, match="chunks"):
        container.parse(data)
