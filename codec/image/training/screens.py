"""Synthetic screen content: deterministic screenshots for training and testing the adapters.

No public screen-content set can be fetched here, so screens are rendered: a desktop with one to
three windows, each holding a text document, a code editor, a spreadsheet, a chart (matplotlib),
or a form / dashboard, with real anti-aliased fonts (DejaVu, STIX and Computer Modern, shipped
with matplotlib), flat colours, thin rules and photos inside (crops of real photographs, when
a photo folder is given). Text is real: prose from the docstrings and code from the source of
Python's standard library. The train and test splits use disjoint halves of that library (module
names a-m / n-z), disjoint photo folders and separate seeds, so test screens show text and
layouts never seen in training. Same (split, index, seed, photos) -> same pixels.
"""
from __future__ import annotations

import ast
import io
import keyword
import sysconfig
import tokenize
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SPLITS = ("train", "test")
SIZES = ((1024, 768), (1280, 800), (960, 640), (1152, 720), (800, 600))
KINDS = ("document", "code", "sheet", "chart", "form")

# (window, title bar, text, accent, muted, rule) colour themes
THEMES = (
    ((255, 255, 255), (236, 236, 236), (30, 30, 30), (26, 115, 232), (110, 110, 110), (218, 220, 224)),
    ((250, 249, 246), (60, 64, 72), (40, 40, 40), (217, 72, 15), (120, 120, 120), (210, 205, 195)),
    ((30, 31, 34), (43, 45, 49), (220, 221, 222), (88, 166, 255), (140, 144, 150), (60, 63, 68)),
    ((40, 44, 52), (33, 37, 43), (171, 178, 191), (97, 175, 239), (92, 99, 112), (55, 60, 70)),
    ((246, 248, 250), (36, 41, 47), (36, 41, 47), (46, 160, 67), (87, 96, 106), (208, 215, 222)),
)
DESKTOPS = ((0, 78, 146), (32, 32, 40), (90, 110, 90), (180, 190, 200), (55, 42, 80), (236, 236, 236))


def _font_dir() -> Path:
    import matplotlib
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@lru_cache(maxsize=256)
def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(_font_dir() / name), size)


SANS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
SERIF = ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf")
STIX = ("STIXGeneral.ttf", "STIXGeneralBol.ttf")
MONO = ("DejaVuSansMono.ttf", "cmtt10.ttf")


@lru_cache(maxsize=2)
def corpus(split: str) -> tuple[list[str], list[str]]:
    """(prose paragraphs, code snippets) of one split, from the standard library's sources."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    root = Path(sysconfig.get_paths()["stdlib"])
    lo, hi = ("a", "m") if split == "train" else ("n", "z")
    prose, code = [], []
    for path in sorted(root.glob("*.py")):
        if not lo <= path.name[0].lower() <= hi:
            continue
        try:
            src = path.read_text(encoding="utf-8")
            tree = ast.parse(src)
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module)):
                doc = ast.get_docstring(node)
                if doc and len(doc) > 120:
                    prose.extend(p.replace("\n", " ") for p in doc.split("\n\n") if len(p) > 60)
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.end_lineno - node.lineno > 6:
                code.append("\n".join(src.splitlines()[node.lineno - 1:node.end_lineno][:60]))
    return prose, code


class Screen:
    """One screenshot being drawn: the canvas, a random generator and the split's material."""

    def __init__(self, split: str, rng: np.random.Generator, photos: list[Path]):
        self.rng, self.photos = rng, photos
        self.prose, self.code = corpus(split)

    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def photo(self, w: int, h: int) -> Image.Image:
        """A crop of a real photo, or (no photo folder) a soft two-colour gradient."""
        if self.photos:
            with Image.open(self.pick(self.photos)) as im:
                im = im.convert("RGB")
            s = max(w / im.width, h / im.height) * float(self.rng.uniform(1.0, 1.6))
            im = im.resize((max(w, round(im.width * s)), max(h, round(im.height * s))), Image.LANCZOS)
            x, y = int(self.rng.integers(im.width - w + 1)), int(self.rng.integers(im.height - h + 1))
            return im.crop((x, y, x + w, y + h))
        a, b = self.rng.integers(0, 256, 3), self.rng.integers(0, 256, 3)
        t = np.linspace(0, 1, w)[None, :, None] * np.linspace(0.6, 1, h)[:, None, None]
        return Image.fromarray((a * (1 - t) + b * t).astype(np.uint8))

    def text_lines(self, text: str, font, width: int) -> list[str]:
        """Greedy word wrap to a pixel width."""
        lines, line = [], ""
        for word in text.split():
            trial = f"{line} {word}".strip()
            if font.getlength(trial) <= width or not line:
                line = trial
            else:
                lines.append(line)
                line = word
        return lines + ([line] if line else [])

    # ------------------------------------------------------------ window contents
    def document(self, im, d, box, theme):
        x0, y0, x1, y1 = box
        bg, _, fg, accent, muted, rule = theme
        regular, bold = self.pick((SANS, SERIF, STIX))
        size = int(self.rng.integers(12, 19))
        body, head = _font(regular, size), _font(bold, int(size * 1.6))
        x, y, width = x0 + 24, y0 + 18, x1 - x0 - 48
        title = " ".join(self.pick(self.prose).split()[:int(self.rng.integers(3, 8))]).rstrip(".,;:")
        d.text((x, y), title.capitalize(), font=head, fill=fg)
        y += int(size * 2.4)
        d.line((x, y - 8, x1 - 24, y - 8), fill=rule, width=1)
        while y < y1 - size * 2:
            r = self.rng.random()
            if r < 0.12 and y + 140 < y1:  # a figure with a caption
                pw = min(width, int(self.rng.integers(180, 420)))
                ph = int(pw * self.rng.uniform(0.5, 0.75))
                if y + ph + size * 2 > y1:
                    break
                im.paste(self.photo(pw, ph), (x, y))
                d.rectangle((x, y, x + pw - 1, y + ph - 1), outline=rule)
                d.text((x, y + ph + 4), "Figure " + str(int(self.rng.integers(1, 9))) + ". "
                       + " ".join(self.pick(self.prose).split()[:6]), font=_font(regular, max(10, size - 2)), fill=muted)
                y += ph + size * 3
                continue
            bullet = r < 0.3
            lines = self.text_lines(self.pick(self.prose), body, width - (20 if bullet else 0))
            for i, line in enumerate(lines[:int(self.rng.integers(2, 9))]):
                if y > y1 - size * 2:
                    break
                if bullet and i == 0:
                    d.ellipse((x + 4, y + size // 2 - 3, x + 10, y + size // 2 + 3), fill=accent)
                d.text((x + (20 if bullet else 0), y), line, font=body, fill=fg)
                y += int(size * 1.45)
            y += int(size * 0.8)

    def code_view(self, im, d, box, theme):
        x0, y0, x1, y1 = box
        bg, bar, fg, accent, muted, rule = theme
        size = int(self.rng.integers(11, 16))
        font = _font(self.pick(MONO), size)
        side = int(self.rng.integers(0, 2)) * int(self.rng.integers(120, 200))
        if side:  # a file tree
            d.rectangle((x0, y0, x0 + side, y1), fill=bar)
            for i, name in enumerate(self.pick(self.code).split()[:30]):
                yy = y0 + 10 + i * (size + 8)
                if yy > y1 - size:
                    break
                d.text((x0 + 12 + 10 * (i % 3 == 1), yy), name.strip("():,")[:18] + ".py", font=font, fill=muted)
        gutter = x0 + side + 8
        text_x = gutter + int(font.getlength("0000")) + 14
        colours = {"kw": accent, "str": (206, 145, 120) if sum(bg) < 300 else (163, 21, 21),
                   "com": (106, 153, 85) if sum(bg) < 300 else (0, 128, 0),
                   "num": (181, 206, 168) if sum(bg) < 300 else (9, 134, 88)}
        src = "\n\n".join(self.pick(self.code) for _ in range(3))
        cur = int(self.rng.integers(3, 20))
        line_h = int(size * 1.45)
        for n, line in enumerate(src.splitlines()):
            y = y0 + 8 + n * line_h
            if y > y1 - line_h:
                break
            if n == cur:
                d.rectangle((gutter, y - 1, x1, y + line_h - 2), fill=tuple(min(255, c + 18) for c in bg))
            d.text((gutter, y), f"{n + 1:>4}", font=font, fill=muted)
            x = text_x
            for kind, tok in _tokens(line):
                d.text((x, y), tok, font=font, fill=colours.get(kind, fg))
                x += font.getlength(tok)
                if x > x1:
                    break

    def sheet(self, im, d, box, theme):
        x0, y0, x1, y1 = box
        bg, bar, fg, accent, muted, rule = theme
        size = int(self.rng.integers(11, 15))
        font, bold = _font(SANS[0], size), _font(SANS[1], size)
        row_h, head_w = size + 10, 40
        cols = [int(self.rng.integers(70, 150)) for _ in range(20)]
        words = " ".join(self.pick(self.prose) for _ in range(4)).split()
        d.rectangle((x0, y0, x1, y0 + row_h), fill=bar)
        d.rectangle((x0, y0, x0 + head_w, y1), fill=bar)
        x, kinds = x0 + head_w, []
        for c, w in enumerate(cols):
            d.text((x + w // 2 - 4, y0 + 4), chr(65 + c), font=font, fill=muted)
            kinds.append("word" if c == 0 or self.rng.random() < 0.25 else "number")
            x += w
            if x > x1:
                break
        header_fill = tuple(int(a * 0.25 + b * 0.75) for a, b in zip(accent, bg))
        sel = (int(self.rng.integers(1, 12)), int(self.rng.integers(0, 5)))
        for r in range(1, 200):
            y = y0 + r * row_h
            if y > y1 - row_h:
                break
            d.text((x0 + 8, y + 4), str(r), font=font, fill=muted)
            x = x0 + head_w
            if r == 1:
                d.rectangle((x, y, x1, y + row_h), fill=header_fill)
            for c, w in enumerate(cols):
                if x > x1:
                    break
                if r == 1:
                    val, f = words[c % len(words)].strip(".,:;()").capitalize()[:12], bold
                elif kinds[c] == "word":
                    val, f = words[(r * 7 + c) % len(words)].strip(".,:;()")[:14], font
                else:
                    v = float(self.rng.lognormal(4, 1.5))
                    val, f = (f"{v:,.2f}" if self.rng.random() < 0.7 else f"{v / 1000:.1%}"), font
                tw = f.getlength(val)
                tx = x + 6 if kinds[c] == "word" or r == 1 else x + w - 6 - tw
                d.text((tx, y + 4), val, font=f, fill=fg if r > 1 else accent)
                if (r, c) == sel:
                    d.rectangle((x, y, x + w, y + row_h), outline=accent, width=2)
                x += w
        x = x0 + head_w
        for w in cols:
            d.line((x, y0, x, y1), fill=rule)
            x += w
        for r in range(0, 200):
            y = y0 + r * row_h
            if y > y1:
                break
            d.line((x0, y, x1, y), fill=rule)

    def chart(self, im, d, box, theme):
        x0, y0, x1, y1 = box
        im.paste(self.plot(x1 - x0, y1 - y0, theme), (x0, y0))

    def plot(self, w: int, h: int, theme) -> Image.Image:
        """A matplotlib chart (line, bar, scatter, area or pie) of random data, w x h pixels."""
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib.figure import Figure
        bg, _, fg, accent, muted, rule = theme
        c = lambda t: tuple(v / 255 for v in t)
        dpi = 100
        fig = Figure(figsize=(w / dpi, h / dpi), dpi=dpi, facecolor=c(bg))
        ax = fig.add_subplot(111, facecolor=c(bg))
        kind = self.pick(("line", "bar", "scatter", "area", "pie", "hist"))
        words = [wd.strip(".,:;()")[:10] for wd in self.pick(self.prose).split()[:8]]
        n = int(self.rng.integers(6, 40))
        xs = np.arange(n)
        series = int(self.rng.integers(1, 4))
        for s in range(series):
            ys = np.cumsum(self.rng.normal(0.2, 1.0, n)) + 10 * s
            label = words[s % len(words)] if words else f"series {s}"
            if kind == "line":
                ax.plot(xs, ys, lw=float(self.rng.uniform(1, 2.5)), marker="o" if n < 15 else None, label=label)
            elif kind == "bar":
                ax.bar(xs + s * 0.8 / series, np.abs(ys), width=0.8 / series, label=label)
            elif kind == "scatter":
                ax.scatter(self.rng.normal(size=n * 4), self.rng.normal(size=n * 4) + s, s=12, label=label)
            elif kind == "area":
                ax.fill_between(xs, np.abs(ys), alpha=0.5, label=label)
            elif kind == "hist":
                ax.hist(self.rng.normal(s, 1, 400), bins=24, alpha=0.7, label=label)
        if kind == "pie":
            ax.pie(self.rng.uniform(1, 5, 5), labels=(words + ["other"] * 5)[:5], textprops={"color": c(fg)})
        else:
            if self.rng.random() < 0.7:
                ax.grid(True, color=c(rule), lw=0.6)
            ax.legend(facecolor=c(bg), edgecolor=c(rule), labelcolor=c(fg), fontsize=8)
            for sp in ax.spines.values():
                sp.set_color(c(muted))
            ax.tick_params(colors=c(muted), labelsize=8)
        ax.set_title(" ".join(words[:4]).capitalize(), color=c(fg), fontsize=11)
        fig.tight_layout()
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        return Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3]).resize((w, h))

    def form(self, im, d, box, theme):
        x0, y0, x1, y1 = box
        if x1 - x0 < 560 or y1 - y0 < 300:  # too small for a sidebar, cards and fields
            return self.document(im, d, box, theme)
        bg, bar, fg, accent, muted, rule = theme
        size = int(self.rng.integers(12, 16))
        font, bold = _font(SANS[0], size), _font(SANS[1], size + 2)
        words = [wd.strip(".,:;()") for wd in " ".join(self.pick(self.prose) for _ in range(3)).split()]
        side = int(self.rng.integers(150, 230))
        d.rectangle((x0, y0, x0 + side, y1), fill=bar)
        for i in range(12):  # menu
            y = y0 + 16 + i * (size + 18)
            if y > y1 - 30:
                break
            if i == 2:
                d.rounded_rectangle((x0 + 8, y - 6, x0 + side - 8, y + size + 6), 6, fill=accent)
            d.text((x0 + 20, y), words[i % len(words)].capitalize()[:16], font=font,
                   fill=(255, 255, 255) if i == 2 else muted)
        x, y = x0 + side + 24, y0 + 18
        d.text((x, y), " ".join(words[12:15]).capitalize(), font=_font(SANS[1], size + 8), fill=fg)
        y += size * 3
        cw = (x1 - x - 24 - 2 * 16) // 3
        for k in range(3):  # cards with figures
            cx = x + k * (cw + 16)
            d.rounded_rectangle((cx, y, cx + cw, y + 90), 8, outline=rule, fill=bg, width=1)
            d.text((cx + 14, y + 12), words[15 + k].capitalize()[:14], font=font, fill=muted)
            d.text((cx + 14, y + 40), f"{self.rng.lognormal(6, 1):,.0f}", font=_font(SANS[1], size + 12), fill=fg)
        y += 110
        if self.rng.random() < 0.6 and y + 160 < y1:  # a chart or a photo
            w, h = x1 - x - 24, min(220, y1 - y - 120)
            if h > 80:
                im.paste(self.plot(w, h, theme) if self.rng.random() < 0.5 else self.photo(w, h), (x, y))
                y += h + 16
        for i in range(6):  # fields and a button row
            if y > y1 - 50:
                break
            d.text((x, y), words[20 + i].capitalize()[:18] + ":", font=font, fill=fg)
            fx = x + 160
            d.rounded_rectangle((fx, y - 4, min(x1 - 24, fx + 320), y + size + 8), 4, outline=rule, fill=bg)
            d.text((fx + 8, y), " ".join(words[30 + i:33 + i])[:30], font=font, fill=muted)
            y += size + 22
        if y < y1 - 40:
            for k, label in enumerate(("Save", "Cancel")):
                bx = x + k * 110
                d.rounded_rectangle((bx, y, bx + 96, y + size + 14), 6, fill=accent if k == 0 else bg, outline=accent)
                d.text((bx + 24, y + 6), label, font=bold, fill=(255, 255, 255) if k == 0 else accent)

    # ------------------------------------------------------------ composition
    def window(self, im, d, box, kind: str):
        x0, y0, x1, y1 = box
        theme = self.pick(THEMES)
        bg, bar, fg, accent, muted, rule = theme
        d.rectangle((x0 + 3, y0 + 3, x1 + 3, y1 + 3), fill=(0, 0, 0))  # hard shadow
        d.rectangle(box, fill=bg, outline=rule)
        title_h = 30
        d.rectangle((x0, y0, x1, y0 + title_h), fill=bar)
        for k, col in enumerate(((255, 95, 86), (255, 189, 46), (39, 201, 63))):
            d.ellipse((x0 + 10 + k * 20, y0 + 9, x0 + 22 + k * 20, y0 + 21), fill=col)
        title_fg = (240, 240, 240) if sum(bar) < 384 else (40, 40, 40)
        title = " ".join(self.pick(self.prose).split()[:4])[:40]
        d.text((x0 + 80, y0 + 7), title, font=_font(SANS[0], 13), fill=title_fg)
        inner = (x0 + 1, y0 + title_h + 1, x1 - 1, y1 - 1)
        tile = Image.new("RGB", (inner[2] - inner[0], inner[3] - inner[1]), bg)
        td = ImageDraw.Draw(tile)
        w, h = tile.size
        getattr(self, {"code": "code_view"}.get(kind, kind))(tile, td, (0, 0, w, h), theme)
        im.paste(tile, inner[:2])

    def render(self, size: tuple[int, int]) -> Image.Image:
        W, H = size
        im = Image.new("RGB", size, self.pick(DESKTOPS))
        if self.rng.random() < 0.4:  # photo wallpaper
            im.paste(self.photo(W, H), (0, 0))
        d = ImageDraw.Draw(im)
        n = int(self.rng.choice([1, 1, 2, 2, 3]))
        for k in range(n):
            if n == 1:
                box = (0, 0, W - 1, H - 41) if self.rng.random() < 0.5 else (
                    int(self.rng.integers(10, 80)), int(self.rng.integers(10, 60)),
                    W - int(self.rng.integers(10, 80)), H - 40 - int(self.rng.integers(10, 40)))
            else:
                w, h = int(W * self.rng.uniform(0.45, 0.7)), int(H * self.rng.uniform(0.5, 0.85))
                h = min(h, H - 42)  # binds only on small canvases (tests)
                x = int(self.rng.integers(0, W - w))
                y = int(self.rng.integers(0, H - 40 - h))
                box = (x, y, x + w, y + h)
            self.window(im, d, box, self.pick(KINDS))
        d.rectangle((0, H - 40, W, H), fill=(28, 28, 32))  # task bar
        for k in range(int(self.rng.integers(3, 8))):
            d.rounded_rectangle((12 + k * 44, H - 34, 40 + k * 44, H - 6), 5, fill=self.pick(DESKTOPS))
        d.text((W - 60, H - 28), f"{int(self.rng.integers(0, 24)):02d}:{int(self.rng.integers(0, 60)):02d}",
               font=_font(SANS[0], 13), fill=(230, 230, 230))
        return im


def _tokens(line: str):
    """(kind, text) pieces of one line of Python: keywords, strings, comments, numbers, other."""
    out, pos = [], 0
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(line + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [("", line)]
    for t in toks:
        if t.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT):
            continue
        start, end = t.start[1], t.end[1] if t.end[0] == 1 else len(line)
        if start > pos:
            out.append(("", line[pos:start]))
        kind = ("kw" if t.type == tokenize.NAME and keyword.iskeyword(t.string) else
                "str" if t.type == tokenize.STRING else "com" if t.type == tokenize.COMMENT else
                "num" if t.type == tokenize.NUMBER else "")
        out.append((kind, line[start:end]))
        pos = end
    if pos < len(line):
        out.append(("", line[pos:]))
    return out


def screen(split: str, index: int, seed: int = 0, photos: list[Path] | None = None,
           size: tuple[int, int] | None = None) -> Image.Image:
    """Screenshot number index of a split. The generator is seeded by (split, seed, index), so
    any one image can be remade alone."""
    rng = np.random.default_rng([SPLITS.index(split), seed, index])
    s = Screen(split, rng, sorted(photos or []))
    return s.render(size or SIZES[int(rng.integers(len(SIZES)))])


def with_overlaid_text(rgb: np.ndarray, index: int, seed: int = 0) -> np.ndarray:
    """A photo with text drawn over it (a caption bar, a title, a watermark): out-of-domain input
    for the gate, between natural photos and screen content. Text from the test split."""
    rng = np.random.default_rng([7, seed, index])
    prose, _ = corpus("test")
    im = Image.fromarray(rgb)
    d = ImageDraw.Draw(im, "RGBA")
    W, H = im.size
    bar = int(H * rng.uniform(0.12, 0.2))
    d.rectangle((0, H - bar, W, H), fill=(0, 0, 0, int(rng.integers(120, 220))))
    words = prose[int(rng.integers(len(prose)))].split()
    d.text((16, H - bar + 10), " ".join(words[:10]), font=_font(SANS[1], max(14, bar // 3)), fill=(255, 255, 255))
    d.text((16, 12), " ".join(words[10:14]).upper(), font=_font(SERIF[1], int(H * 0.07)), fill=(255, 255, 0, 230))
    d.text((W - 180, 16), "(c) " + words[-1][:12], font=_font(SANS[0], 16), fill=(255, 255, 255, 160))
    return np.asarray(im.convert("RGB"))
