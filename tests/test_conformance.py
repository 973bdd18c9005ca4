"""Every published conformance stream decodes to the recorded latent and pixels, with 1 and 2
threads; with oneDNN off the latent is still exact and the pixels within rounding."""
import pytest
import torch

from codec.conformance import check_entry, cpu_kind, entry_stream, load_manifest, recorded_output
from codec.api import decode_stream

from .conftest import ROOT

FOLDER = ROOT / "bitstreams"
ENTRIES = load_manifest(FOLDER)["streams"] if (FOLDER / "manifest.json").exists() else []


def test_manifest_present():
    assert ENTRIES, "bitstreams/manifest.json is missing or empty"
    assert all("latent_sha256" in e for e in ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["file"] + str(e.get("bytes") or ""))
@pytest.mark.parametrize("threads", [1, 2])
def test_conformance(entry, threads):
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        assert check_entry(FOLDER, entry) is None  # the latent always; the pixels where recorded
    finally:
        torch.set_num_threads(old)
    if recorded_output(entry) is None:
        pytest.skip(f"latent exact; no pixel hash recorded for CPU kind {cpu_kind()} "
                    "(tools/make_conformance.py --add-cpu-kind)")


@pytest.mark.parametrize("entry", [e for e in ENTRIES if not e.get("bytes")], ids=lambda e: e["file"])
def test_conformance_without_onednn(entry):
    reference, _ = decode_stream(entry_stream(FOLDER, entry))
    with torch.backends.mkldnn.flags(enabled=False):
        assert check_entry(FOLDER, entry, reference=reference) is None
