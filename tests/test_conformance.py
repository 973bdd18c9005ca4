"""Every published conformance stream decodes to the recorded pixels, with 1 and 2 threads."""
import pytest
import torch

from codec.conformance import check_entry, load_manifest

from .conftest import ROOT

FOLDER = ROOT / "bitstreams"
ENTRIES = load_manifest(FOLDER)["streams"] if (FOLDER / "manifest.json").exists() else []


def test_manifest_present():
    assert ENTRIES, "bitstreams/manifest.json is missing or empty"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["file"])
@pytest.mark.parametrize("threads", [1, 2])
def test_conformance(entry, threads):
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        assert check_entry(FOLDER, entry) is None
    finally:
        torch.set_num_threads(old)
