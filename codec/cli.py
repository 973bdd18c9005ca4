"""`strata` command line: encode, decode, trim, info, models.

Every failure is one line on stderr and a non-zero exit status; outputs are written atomically and
the input is never modified.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

from . import __version__
from .container import DEFAULT_MAX_PIXELS, MAX_STREAM_BYTES, ChunkType, Kind, parse
from .errors import StrataError

EXIT_ERROR, EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 70, 130


def _read_input(path: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise StrataError(f"no such file: {path}")
    try:
        if p.stat().st_size > MAX_STREAM_BYTES:
            raise StrataError(f"{path} is too large to be a Strata stream")
        return p.read_bytes()
    except OSError as e:
        raise StrataError(f"cannot read {path}: {e.strerror}") from None


def _check_output(inp: str, out: str) -> None:
    if Path(out).exists() and Path(out).resolve() == Path(inp).resolve():
        raise StrataError("output path is the input file; refusing to overwrite the input")
    if Path(out).is_dir():
        raise StrataError(f"output path is a folder: {out}")


def cmd_encode(args) -> None:
    from .image_codec import Target, encode_image, refinement_for
    from .image_io import atomic_write, read_image
    from .registry import default_model, model_info

    _check_output(args.input, args.output)
    name = args.model or default_model()
    refinement_for(model_info(name), args.effort)  # fail early on an unknown model or bad effort
    for flag, v in (("--bpp", args.bpp), ("--psnr", args.psnr)):
        if v is not None and not v > 0:
            raise StrataError(f"{flag} must be positive")
    pic = read_image(args.input, args.max_pixels)
    data, report = encode_image(pic, name, Target(args.layers, args.bpp, args.psnr), args.effort)
    atomic_write(args.output, lambda f: f.write(data))
    h, w = pic.rgb.shape[:2]
    if not args.quiet:
        layers = f", {report.layers} of {report.layers_total} layers" if report.layers_total else ""
        print(f"{args.output}: {len(data)} bytes, {len(data) * 8 / (w * h):.4f} bpp, "
              f"{w}x{h} {pic.mode}, model {name}{layers}", file=sys.stderr)


def cmd_decode(args) -> None:
    _check_output(args.input, args.output)
    data = _read_input(args.input)
    stream = parse(data, args.max_pixels)  # a hostile header is refused before torch is imported

    from .image_codec import decode_stream
    from .image_io import save_image

    img, report = decode_stream(stream, args.max_pixels, args.layers)
    save_image(img, args.output)
    if not args.quiet:
        note = f", ignored {report.torn_bytes} trailing bytes of a torn chunk" if report.torn_bytes else ""
        if report.layers_total is not None:
            note = (f", used {report.layers} of {report.layers_in_stream} residual layers in the stream "
                    f"(model defines {report.layers_total})") + note
        print(f"{args.output}: {img.width}x{img.height} {img.mode}, model {report.header.model}{note}",
              file=sys.stderr)


def cmd_trim(args) -> None:
    from .image_io import atomic_write
    from .trim import trim

    _check_output(args.input, args.output)
    if args.bytes is not None and args.bytes < 1 or args.bpp is not None and not args.bpp > 0:
        raise StrataError("--bytes and --bpp must be positive")
    data = _read_input(args.input)
    out, k, n = trim(data, args.layers, args.bytes, args.bpp)
    atomic_write(args.output, lambda f: f.write(out))
    if not args.quiet:
        h = parse(out, 1 << 62).header
        print(f"{args.output}: {len(out)} bytes, {len(out) * 8 / (h.width * h.height):.4f} bpp, "
              f"{k} of {n} residual layers", file=sys.stderr)


def cmd_info(args) -> None:
    data = _read_input(args.input)
    s = parse(data, args.max_pixels)
    h = s.header
    names = {int(t): t.name.lower() for t in ChunkType}
    info = {
        "file": args.input, "bytes": len(data), "kind": h.kind.name.lower(), "model": h.model,
        "weights_hash": h.weights_hash.hex(), "width": h.width, "height": h.height,
        "mode": h.mode, "bits": h.bits,
        "chunks": [{"type": names.get(t, str(t)), "bytes": len(p)} for t, p in s.chunks],
        "torn_bytes": s.torn,
    }
    if h.kind == Kind.IMAGE:
        info["bpp"] = len(data) * 8 / (h.width * h.height)
    if args.json:
        print(json.dumps(info, indent=1))
        return
    print(f"{args.input}: Strata stream, {len(data)} bytes")
    print(f"  kind     {info['kind']}")
    print(f"  model    {h.model} (weights {info['weights_hash']})")
    print(f"  size     {h.width}x{h.height} {h.mode}, {h.bits}-bit source")
    if "bpp" in info:
        print(f"  rate     {info['bpp']:.4f} bpp")
    total, layer = len(data) - s.torn - sum(_chunk_overhead(c) for c in info["chunks"]), 0
    for i, c in enumerate(info["chunks"]):
        total += _chunk_overhead(c)
        label = c["type"]
        if c["type"] == "residual":
            layer += 1
            label = f"layer {layer}"
        rate = f", file up to here {total * 8 / (h.width * h.height):.4f} bpp" if h.kind == Kind.IMAGE else ""
        print(f"  chunk {i}  {label:<9} {c['bytes']} bytes{rate}")
    if s.torn:
        print(f"  torn     {s.torn} trailing bytes of an incomplete chunk")


def _chunk_overhead(c: dict) -> int:
    return c["bytes"] + 9  # type (1), length (4), CRC (4)


def cmd_models(args) -> None:
    from .registry import default_model, list_models

    models, default = list_models(), default_model()
    if args.json:
        print(json.dumps([{"name": m.name, "default": m.name == default, "architecture": m.architecture,
                           "args": m.args, "sha256": m.sha256, "description": m.description,
                           **m.extra} for m in models], indent=1))
        return
    for m in models:
        mark = " (default)" if m.name == default else ""
        if m.superseded_by:
            mark = f" (superseded by {m.superseded_by}; kept to decode older streams)"
        print(f"{m.name}\t{m.description}{mark}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="strata", description="Strata learned image codec.",
        epilog="Examples:\n  strata encode photo.png -o photo.strata\n"
               "  strata decode photo.strata -o photo.png\n  strata info photo.strata\n"
               "  strata encode photo.png -o small.strata --bpp 0.3\n"
               "  strata trim photo.strata --layers 4 -o preview.strata",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"strata {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def common(sp, out=True):
        sp.add_argument("input", help="input file")
        if out:
            sp.add_argument("-o", "--output", required=True, help="output file (written atomically)")
            sp.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
        sp.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS,
                        help=f"refuse images larger than this (default {DEFAULT_MAX_PIXELS})")

    e = sub.add_parser("encode", help="compress an image (PNG, JPEG, TIFF, BMP, WebP, ...)")
    common(e)
    e.add_argument("--model", help="model name (see `strata models`; default: the registry default)")
    e.add_argument("--effort", type=int, default=0, metavar="E",
                   help="single-rate models: 0 (default) codes the analysis transform's latent; "
                        "1 and 2 first refine it for this image (about the same size, higher quality; "
                        "a Kodak image takes about 4 s and 13 s more on 2 cores; decoding unchanged)")
    g = e.add_mutually_exclusive_group()
    g.add_argument("--layers", type=int, help="progressive models: write the base and K residual layers")
    g.add_argument("--bpp", type=float, help="progressive models: write the most layers within B bits per pixel")
    g.add_argument("--psnr", type=float, help="progressive models: write the fewest layers reaching P dB (RGB PSNR)")
    e.set_defaults(func=cmd_encode)
    d = sub.add_parser("decode", help="decompress a stream to an image (format from the extension, PNG by default)")
    common(d)
    d.add_argument("--layers", type=int, help="progressive streams: use only the first K residual layers")
    d.set_defaults(func=cmd_decode)
    t = sub.add_parser("trim", help="cut a progressive stream to fewer layers, without re-encoding")
    common(t)
    g = t.add_mutually_exclusive_group(required=True)
    g.add_argument("--layers", type=int, help="keep the base and the first K residual layers")
    g.add_argument("--bytes", type=int, help="keep the most layers within N bytes (whole file)")
    g.add_argument("--bpp", type=float, help="keep the most layers within B bits per pixel")
    t.set_defaults(func=cmd_trim)
    i = sub.add_parser("info", help="show a stream's header and chunks")
    common(i, out=False)
    i.add_argument("--json", action="store_true", help="machine-readable output")
    i.set_defaults(func=cmd_info)
    m = sub.add_parser("models", help="list the installed models, one per line, name first")
    m.add_argument("--json", action="store_true", help="machine-readable output")
    m.set_defaults(func=cmd_models)
    return p


def main(argv=None) -> int:
    warnings.filterwarnings("ignore")  # library deprecation chatter is not the user's business
    args = build_parser().parse_args(argv)
    if getattr(args, "max_pixels", 1) < 1:
        print("strata: error: --max-pixels must be positive", file=sys.stderr)
        return EXIT_ERROR
    try:
        args.func(args)
        return 0
    except StrataError as e:
        print(f"strata: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # e.g. `strata models | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("strata: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:
        print("strata: error: out of memory", file=sys.stderr)
        return EXIT_ERROR
    except Exception as e:  # a bug: still one line, never a traceback
        msg = str(e).splitlines()[0] if str(e) else ""
        print(f"strata: internal error: {type(e).__name__}: {msg}", file=sys.stderr)
        if os.environ.get("STRATA_DEBUG"):
            raise
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
