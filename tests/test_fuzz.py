"""Quick fuzz pass (hypothesis): the parser and the image decoder either succeed or raise
StrataError; nothing else escapes. The long run is tools/fuzz.py."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codec.container import Kind
from codec.contract import LAYERS
from codec import container
from codec.errors import StrataError
from codec.api import decode_stream, encode_item
from codec.image.io import Picture
from codec.registry import default_model, list_models

from .conftest import natural_image


@pytest.fixture(scope="module")
def seed_stream():
    """A stream of the default (progressive) model."""
    return encode_item(Picture(natural_image(40, 24), None, "RGB", 8), default_model())[0]


@pytest.fixture(scope="module")
def single_rate_stream():
    single = [m.name for m in list_models(kind=Kind.IMAGE) if LAYERS not in m.codec.capabilities]
    if not single:
        pytest.skip("no single-rate model installed")
    return encode_item(Picture(natural_image(40, 24), None, "RGB", 8), single[0])[0]


def _mutate(data: bytes, ops) -> bytes:
    b = bytearray(data)
    for kind, pos, val in ops:
        if not b:
            break
        pos %= len(b)
        if kind == 0:
            b[pos] ^= 1 << (val % 8)  # bit flip
        elif kind == 1:
            b[pos] = val % 256  # byte overwrite
        elif kind == 2:
            del b[pos:]  # truncate
        elif kind == 3:
            b[pos:pos] = bytes([val % 256]) * (1 + val % 7)  # insert
        else:
            b[pos:] = b[: len(b) - pos]  # splice the stream onto itself
    return bytes(b)


def _decode_ok_or_strata_error(data: bytes) -> None:
    try:
        decode_stream(data, max_pixels=1 << 20)
    except StrataError as e:
        assert "\n" not in str(e)


ops = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 1 << 16), st.integers(0, 255)), min_size=1, max_size=4)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=ops)
def test_mutated_streams(seed_stream, ops):
    _decode_ok_or_strata_error(_mutate(seed_stream, ops))


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=200))
def test_random_bytes_after_magic(data):
    for prefix in (b"", b"STRA", b"STRA\x01\x01"):
        try:
            container.parse(prefix + data)
        except StrataError:
            pass


def test_campaign_over_the_decoder(seed_stream, single_rate_stream):
    from codec.fuzz import campaign
    res = campaign(lambda d: decode_stream(d, max_pixels=1 << 20), [seed_stream, single_rate_stream],
                   1500, seed=1)
    assert res["counts"].get("unexpected", 0) == 0 and res["counts"].get("slow", 0) == 0, res["bad"][:3]
    assert res["counts"].get("multiline_error", 0) == 0


def test_every_truncation_of_a_single_rate_stream(single_rate_stream):
    """A single-rate stream needs all its chunks (progressive prefixes: test_progressive_stream)."""
    for n in range(len(single_rate_stream)):
        with pytest.raises(StrataError):
            decode_stream(single_rate_stream[:n])
