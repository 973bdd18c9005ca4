"""`strata` command line: encode, decode, trim, info, models.

Dispatch: `encode` on the input file (the Media that claims it), `decode` on the stream's kind
and model (codec.api); `info`, `trim` and `models` read the container and the registry only and
never import torch. Several inputs with `-o DIR` are coded in one process, each model loaded
once; a failing file is reported and the others still complete (exit status 1 if any failed).

Every failure is one line on stderr and a non-zero exit status; outputs are written atomically and
the input is never modified. Library errors state facts; options are worded here as flags.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import warnings
from pathlib import Path

from . import __version__
from .container import CHUNK_OVERHEAD, DEFAULT_MAX_PIXELS, MAX_STREAM_BYTES, chunk_name, parse
from .errors import OptionError, StrataError

EXIT_ERROR, EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 70, 130


class _Terminated(BaseException):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so a half-written output is removed."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum, frame):
    raise _Terminated(signum)


def _printable(s: str) -> str:
    """Control and other non-printable characters escaped: header fields and paths may come
    from hostile files."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in str(s))


def _flag(option: str) -> str:
    return "--" + option.replace("_", "-")


def _worded(e: StrataError) -> str:
    return f"{_flag(e.option)} {e.requirement}" if isinstance(e, OptionError) else str(e)


def _read_input(path: str) -> bytes:
    p = Path(path)
    if p.is_dir():
        raise StrataError(f"input is a folder, not a file: {path}")
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
    folder = Path(out).parent
    if not folder.is_dir():
        raise StrataError(f"output folder does not exist: {folder}")


def _jobs(args, suffix) -> list[tuple[str, str]]:
    """(input, output) pairs: one input and -o FILE, or several inputs and -o DIR (each output
    named after its input with the suffix, a string or a function of the input path)."""
    if len(args.input) == 1 and not Path(args.output).is_dir():
        return [(args.input[0], args.output)]
    if not Path(args.output).is_dir():
        raise StrataError(f"several inputs need -o to be an existing folder: {args.output}")
    outs = [str(Path(args.output) / (Path(i).stem + (suffix(i) if callable(suffix) else suffix))) for i in args.input]
    if len(set(outs)) != len(outs):
        raise StrataError("two inputs would write the same output name in the folder")
    return list(zip(args.input, outs))


def _batch(jobs, one) -> None:
    """Run one(inp, out) for each job; with several, a failing file is reported and the rest run."""
    if len(jobs) == 1:
        one(*jobs[0])
        return
    failed = 0
    for inp, out in jobs:
        try:
            one(inp, out)
        except StrataError as e:
            failed += 1
            print(f"strata: error: {inp}: {_worded(e)}", file=sys.stderr)
    if failed:
        raise StrataError(f"{failed} of {len(jobs)} files failed")


def _positive(flag: str, v, integer: bool = False):
    """A finite positive number, or None."""
    if v is None:
        return None
    if not (v > 0 and v != float("inf")):
        raise StrataError(f"{flag} must be a positive {'integer' if integer else 'finite number'}")
    return v


def cmd_encode(args) -> None:
    from . import api
    from .atomic import atomic_write
    from .contract import EncodeOptions
    from .registry import media_for_path

    options = EncodeOptions(args.layers, _positive("--bpp", args.bpp), _positive("--psnr", args.psnr), args.effort)
    name = api.check_encode(args.model, options)  # before reading images or loading the model
    jobs = _jobs(args, ".strata")
    for inp, out in jobs:
        _check_output(inp, out)

    def one(inp, out):
        if Path(inp).is_dir():
            raise StrataError(f"input is a folder, not a file: {inp}")
        media = media_for_path(inp)
        item = media.read(inp, args.max_pixels)
        data, report = api.encode_item(item, name, options)
        atomic_write(out, lambda f: f.write(data))
        if not args.quiet:
            layers = f", {report.layers} of {report.layers_total} layers" if report.layers_total else ""
            print(f"{out}: {len(data)} bytes, {report.header.rate(len(data)):.4f} {media.rate_unit}, "
                  f"{media.describe_item(item)}, model {name}{layers}", file=sys.stderr)

    _batch(jobs, one)


def _decoded_suffix(path: str) -> str:
    """The suffix of what a stream decodes to (its kind's Media), from its first bytes only; a
    file that is no stream gets the image suffix (its error comes when it is decoded)."""
    from .container import MAGIC, Kind
    from .registry import media
    try:
        with open(path, "rb") as f:
            head = f.read(6)
        if head[:4] == MAGIC and head[5] in Kind._value2member_map_:
            return media(Kind(head[5])).output_suffix
    except (OSError, StrataError):
        pass
    return ".png"


def cmd_decode(args) -> None:
    from .contract import DecodeOptions

    options = DecodeOptions(layers=args.layers, steps=_positive("--steps", args.steps, integer=True),
                            points=_positive("--points", args.points, integer=True),
                            domain=args.domain, adapters=not args.no_adapters, gate=args.gate)
    options.check()  # once for every file
    jobs = _jobs(args, _decoded_suffix)
    for inp, out in jobs:
        _check_output(inp, out)

    def one(inp, out):
        stream = parse(_read_input(inp), args.max_pixels)  # a hostile header is refused before torch
        from . import api
        from .registry import media
        item, report = api.decode_stream(stream, options, args.max_pixels)
        m = media(stream.header.kind)
        m.write(item, out)
        if not args.quiet:
            note = f", ignored {report.torn_bytes} trailing bytes of a torn chunk" if report.torn_bytes else ""
            if report.extra.get("gate"):
                note = ", adapters " + " ".join(f"{d} {v:.2f}" for d, v in report.extra["gate"].items()) + note
            if report.layers_total is not None:
                note = (f", used {report.layers} of {report.layers_in_stream} residual layers in the stream "
                        f"(model defines {report.layers_total})") + note
            print(f"{out}: {m.describe_output(item)}, model {report.header.model}{note}", file=sys.stderr)

    _batch(jobs, one)


def cmd_trim(args) -> None:
    from .atomic import atomic_write
    from .trim import trim

    inp = args.input[0]
    if len(args.input) != 1:
        raise StrataError("trim takes one input")
    _check_output(inp, args.output)
    _positive("--bytes", args.bytes, integer=True)
    _positive("--bpp", args.bpp)
    data = _read_input(inp)
    out, k, n = trim(data, args.layers, args.bytes, args.bpp)
    atomic_write(args.output, lambda f: f.write(out))
    if not args.quiet:
        h = parse(out, 1 << 62).header
        print(f"{args.output}: {len(out)} bytes, {h.rate(len(out)):.4f} bpp, "
              f"{k} of {n} residual layers", file=sys.stderr)


def cmd_info(args) -> None:
    from .registry import media

    data = _read_input(args.input[0])
    s = parse(data, args.max_pixels)
    h = s.header
    m = media(h.kind)
    info = {
        "file": args.input[0], "bytes": len(data), "kind": h.kind.name.lower(), "model": h.model,
        "weights_hash": h.weights_hash.hex(), "width": h.width, "height": h.height,
        "mode": h.mode, "bits": h.bits,
        "chunks": [{"type": chunk_name(t), "bytes": len(p)} for t, p in s.chunks],
        "torn_bytes": s.torn,
        m.rate_unit: h.rate(len(data)),
    }
    from .registry import load_codec, model_info
    try:
        cls = model_info(h.model).codec
    except StrataError:  # a model this installation lacks: the container still describes itself
        cls = None
    if cls is not None and cls.details_need_model:  # e.g. the adapters' gate: the model reads the stream
        info.update(load_codec(h.model).details(s))
    if args.json:
        print(json.dumps(info, indent=1))
        return
    print(f"{_printable(args.input[0])}: Strata stream, {len(data)} bytes")
    print(f"  kind     {info['kind']}")
    print(f"  model    {h.model} (weights {info['weights_hash']})")
    print(f"  size     {m.describe(h)}")
    print(f"  rate     {info[m.rate_unit]:.4f} {m.rate_unit}")
    total = len(data) - s.torn - sum(c["bytes"] + CHUNK_OVERHEAD for c in info["chunks"])
    layer = 0
    for i, c in enumerate(info["chunks"]):
        total += c["bytes"] + CHUNK_OVERHEAD
        label = c["type"]
        if c["type"] == "residual":
            layer += 1
            label = f"layer {layer}"
        print(f"  chunk {i}  {label:<9} {c['bytes']} bytes, file up to here {h.rate(total):.4f} {m.rate_unit}")
    if s.torn:
        print(f"  torn     {s.torn} trailing bytes of an incomplete chunk")
    if "gate" in info:
        print("  gate     " + ", ".join(f"{_printable(d)} {v:.4f}" for d, v in info["gate"].items())
              + " (adapter weights the decoder uses, from the base layer)")


def cmd_models(args) -> None:
    from .registry import default_model, list_models

    models, default = list_models(), default_model()
    if args.json:
        print(json.dumps([{"name": m.name, "default": m.name == default, "architecture": m.architecture,
                           "capabilities": sorted(m.codec.capabilities),
                           "args": m.args, "sha256": m.sha256, "description": m.description,
                           **m.extra} for m in models], indent=1))
        return
    for m in models:
        mark = " (default)" if m.name == default else ""
        if m.superseded_by:
            mark = f" (superseded by {m.superseded_by}; kept to decode older streams)"
        print(f"{m.name}\t{m.description}{mark}")


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors as one line like every other error."""

    def error(self, message):
        print(f"strata: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="strata", description="Strata learned image and point-cloud codec.",
        epilog="Examples:\n  strata encode photo.png -o photo.strata\n"
               "  strata decode photo.strata -o photo.png\n  strata info photo.strata\n"
               "  strata encode photo.png -o small.strata --bpp 0.3\n"
               "  strata trim photo.strata --layers 4 -o preview.strata\n"
               "  strata decode *.strata -o decoded/        (many files, one process)\n"
               "  strata encode cloud.ply -o cloud.strata --model pc-ddpm-vq32\n"
               "  strata decode cloud.strata -o cloud.ply --steps 50",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"strata {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def common(sp, out=True, many=False):
        sp.add_argument("input", nargs="+" if many else 1,
                        help="input files (several: -o names a folder)" if many else "input file")
        if out:
            sp.add_argument("-o", "--output", required=True,
                            help="output file, or folder for several inputs (written atomically)")
            sp.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
        sp.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS,
                        help=f"refuse images larger than this (default {DEFAULT_MAX_PIXELS}, 4096x4096: "
                             "coding peaks under 4 GB; each further megapixel costs about 130 MB), "
                             "and point clouds of more points")

    e = sub.add_parser("encode", help="compress images (PNG, JPEG, TIFF, BMP, WebP, ...) and point clouds "
                                      "(PLY, PCD, XYZ/TXT, NPY)")
    common(e, many=True)
    e.add_argument("--model", help="model name (see `strata models`; default: the registry default)")
    e.add_argument("--effort", type=int, default=0, metavar="E",
                   help="single-rate models: 0 (default) codes the analysis transform's latent; "
                        "1 and 2 first refine it for this image (about the same size, higher quality; "
                        "a Kodak image takes about 4 s and 13 s more on 2 cores; decoding unchanged); "
                        "point clouds: 1 and 2 try 4 and 16 sampler seeds and keep the closest decode")
    g = e.add_mutually_exclusive_group()
    g.add_argument("--layers", type=int, help="progressive models: write the base and K residual layers")
    g.add_argument("--bpp", type=float, help="progressive models: write the most layers within B bits per pixel")
    g.add_argument("--psnr", type=float, help="progressive models: write the fewest layers reaching P dB (RGB PSNR)")
    e.set_defaults(func=cmd_encode)
    d = sub.add_parser("decode", help="decompress streams (format from the extension; images PNG, "
                                          "point clouds PLY by default in folder outputs)")
    common(d, many=True)
    d.add_argument("--layers", type=int, help="progressive streams: use only the first K residual layers")
    d.add_argument("--steps", type=int, metavar="S",
                   help="point clouds: diffusion sampler steps (fewer than the model's T=200: the fast strided sampler; 200 or more: "
                        "the full DDPM sampler; default: the model's)")
    d.add_argument("--points", type=int, metavar="N", help="point clouds: points to decode (default: the model's count)")
    a = d.add_mutually_exclusive_group()
    a.add_argument("--domain", metavar="NAME", help="models with adapters: use this domain's adapter only "
                   "(default: the gate's blend; `strata models --json` lists each model's domains)")
    a.add_argument("--no-adapters", action="store_true", help="models with adapters: decode with the plain decoder")
    d.add_argument("--gate", choices=["soft", "top1"], default="soft",
                   help="models with adapters: blend the adapters by the gate's softmax (default) or keep its top choice")
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
    old = {}
    if threading.current_thread() is threading.main_thread():
        old = {sig: signal.signal(sig, _raise_terminated) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return _main(argv)
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def _main(argv) -> int:
    warnings.filterwarnings("ignore")  # library deprecation chatter is not the user's business
    args = build_parser().parse_args(argv)
    if getattr(args, "max_pixels", 1) < 1:
        print("strata: error: --max-pixels must be positive", file=sys.stderr)
        return EXIT_ERROR
    try:
        args.func(args)
        return 0
    except StrataError as e:
        print(f"strata: error: {_printable(_worded(e))}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # e.g. `strata models | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("strata: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _Terminated as e:
        print(f"strata: terminated by signal {e.signum}", file=sys.stderr)
        return 128 + e.signum
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
