"""Compile and run the HLS-style C++ layers (hw/kernel/) with g++ against the vendor's ap_types
headers (shipped inside the hls4ml package), on data given as raw integers: the C simulation
half of the FPGA verification loop (the other half is hw/reference.py)."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from .fixedpoint import FixedType

KERNEL_DIR = Path(__file__).parent / "kernel"


def ap_types_dir() -> Path | None:
    """The folder holding ap_fixed.h / ap_int.h in the installed hls4ml, or None."""
    spec = importlib.util.find_spec("hls4ml")
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(list(spec.submodule_search_locations)[0]) / "templates" / "vivado" / "ap_types"
    return d if (d / "ap_fixed.h").exists() else None


def cpp_array(name: str, ctype: str, raw: np.ndarray, t: FixedType) -> str:
    """A C++ array definition of raw integers of type t (as exact doubles: W <= 53)."""
    dims = "".join(f"[{n}]" for n in raw.shape)
    vals = ", ".join(repr(float(v)) for v in (np.asarray(raw, np.int64).ravel() * 2.0 ** -t.frac_bits))
    return f"static const {ctype} {name}{dims} = {{{vals}}};\n"


def cpp_raw_array(name: str, raw: np.ndarray) -> str:
    """A C++ array of raw integers, in the narrowest plain type that holds them (ROM contents;
    the kernel gives them their fixed-point type with strata::from_raw)."""
    raw = np.asarray(raw, np.int64)
    lim = int(np.abs(raw).max(initial=0))
    ctype = "signed char" if lim < 128 else "short" if lim < 2**15 else "int" if lim < 2**31 else "long long"
    dims = "".join(f"[{n}]" for n in raw.shape)
    return f"static const {ctype} {name}{dims} = {{{', '.join(str(int(v)) for v in raw.ravel())}}};\n"


def compile_and_run(source: str, timeout: float = 120) -> list[int]:
    """Compile a C++ program (including strata_layers.h) with g++ and return the integers it prints."""
    inc = ap_types_dir()
    gxx = shutil.which("g++")
    if inc is None or gxx is None:
        raise RuntimeError("needs g++ and the hls4ml package (for ap_types)")
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = Path(tmp) / "main.cpp", Path(tmp) / "main"
        src.write_text(source)
        r = subprocess.run([gxx, "-std=c++14", "-O1", "-w", f"-I{inc}", f"-I{KERNEL_DIR}", str(src), "-o", str(exe)],
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode:
            raise RuntimeError("g++ failed: " + " | ".join(r.stderr.strip().splitlines()[:6]))
        out = subprocess.run([str(exe)], check=True, capture_output=True, text=True, timeout=timeout).stdout
    return [int(v) for v in out.split()]


def run_testbench(folder: Path, name: str = "g_s", timeout: float = 1800) -> tuple[str, np.ndarray]:
    """Compile hls.py's testbench in folder with g++ and run it there (it reads golden/):
    (its verdict line, the raw integers of the output it computed)."""
    inc, gxx = ap_types_dir(), shutil.which("g++")
    if inc is None or gxx is None:
        raise RuntimeError("needs g++ and the hls4ml package (for ap_types)")
    folder = Path(folder).resolve()
    exe = folder / f"tb_{name}"
    subprocess.run([gxx, "-std=c++14", "-O2", "-w", f"-I{inc}", f"-I{KERNEL_DIR}", f"-I{folder}",
                    str(folder / f"tb_{name}.cpp"), "-o", str(exe)], check=True, timeout=timeout)
    out = subprocess.run([str(exe)], cwd=folder, capture_output=True, text=True, timeout=timeout).stdout.split("\n")
    return out[0], np.array(out[1].split(), np.int64)
