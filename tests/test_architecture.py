"""The architecture as checked contracts: imports only go downward, the cheap commands never
import torch, and a new model kind plugs in without any caller changing."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

PACKAGES = ("codec", "pointcloud", "hw")
CORE = "codec"  # codec/*.py, codec/rd, codec/training: the kind-neutral core

# (importer prefix, forbidden import prefixes): the first rule whose prefix matches applies.
RULES = [
    ("codec.image.models", ["codec.image.", "codec.cli", "codec.api", "codec.trim", "codec.conformance",
                            "codec.fuzz", "codec.rd", "codec.training", "pointcloud", "hw", "tools"],
     ["codec.image.models"]),
    ("codec.image.training", ["codec.image.eval", "codec.cli", "pointcloud", "hw", "tools"], []),
    ("codec.image.eval", ["codec.image.training", "codec.cli", "pointcloud", "hw", "tools"], []),
    ("codec.image", ["codec.image.training", "codec.image.eval", "codec.cli", "pointcloud", "hw", "tools"], []),
    ("codec", ["codec.image", "pointcloud", "hw", "tools"], []),
    ("pointcloud", ["codec.image", "hw", "tools"], []),
    ("hw.distill", ["codec.image.io", "codec.image.codecs", "codec.image.eval", "pointcloud", "tools"], []),
    ("hw.codecs", ["codec.image.training", "codec.image.eval", "codec.cli", "pointcloud", "tools"], []),
    ("hw.evaluate", ["codec.image.training", "codec.cli", "pointcloud", "tools"], []),
    ("hw", ["codec.image.io", "codec.image.codecs", "codec.image.training", "codec.image.eval",
            "pointcloud", "tools"], []),
]


def _under(name: str, prefix: str) -> bool:
    prefix = prefix.rstrip(".")
    return name == prefix or name.startswith(prefix + ".")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Absolute names of every module a file imports (relative imports resolved)."""
    mod = _module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            out.add(name)
            out |= {f"{name}.{a.name}" for a in node.names}  # `from . import x` imports a module
    return out


def _files():
    return [p for pkg in PACKAGES if (ROOT / pkg).is_dir() for p in sorted((ROOT / pkg).rglob("*.py"))]


def violations(files) -> list[str]:
    bad = []
    for path in files:
        mod = _module_name(path)
        rule = next((r for r in RULES if mod == r[0] or mod.startswith(r[0] + ".")), None)
        if rule is None:
            continue
        _, forbidden, allowed = rule
        for name in _imports(path):
            if any(_under(name, f) for f in forbidden) and not any(_under(name, a) for a in allowed):
                bad.append(f"{mod} imports {name}")
    return bad


def test_imports_only_go_downward():
    files = _files()
    assert len(files) > 30
    assert violations(files) == []


def test_the_import_check_catches_a_wrong_import(tmp_path, monkeypatch):
    """The contract can fail: a core module importing the image codec is reported."""
    fake = ROOT / "codec" / "_upward_probe.py"
    assert not fake.exists()
    fake.write_text("from .image import codecs\nimport torch\n")
    try:
        assert sorted(violations([fake])) == ["codec._upward_probe imports codec.image",
                                              "codec._upward_probe imports codec.image.codecs"]
    finally:
        fake.unlink()


@pytest.mark.parametrize("command", ["info", "trim", "models"])
def test_cheap_commands_never_import_torch(tmp_path, stream, command):
    args = {"info": ["info", str(stream)], "models": ["models"],
            "trim": ["trim", str(stream), "--layers", "1", "-o", str(tmp_path / "t.strata")]}[command]
    code = ("import sys; from codec.cli import main; rc = main(sys.argv[1:]); "
            "sys.exit(90 if 'torch' in sys.modules else rc)")
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, (r.returncode, r.stderr)


def test_decode_skips_what_decoding_does_not_need(tmp_path, stream):
    """A fresh `strata decode` imports neither CompressAI's zoo and datasets (torch_geometric,
    about 3 s) nor scipy.stats (0.9 s): see codec/image/models/compressai_parts.py."""
    code = ("import sys; from codec.cli import main; rc = main(sys.argv[1:]); "
            "heavy = [m for m in ('torch_geometric', 'compressai.zoo', 'compressai.datasets') if m in sys.modules]; "
            "heavy += ['scipy.stats'] if type(sys.modules.get('scipy.stats')).__name__ == 'module' else []; "
            "print(heavy); sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code, "decode", str(stream), "-o", str(tmp_path / "o.png")],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
