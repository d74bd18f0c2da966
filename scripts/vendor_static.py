"""Copy the browser assets the app serves itself into static/vendor/ (git-ignored).

No CDN is reachable where the dashboard runs, so everything a page loads comes from
`./static/`, which Streamlit serves at `/app/static/` (server.enableStaticServing):

- Leaflet 1.9.4 (js, css, marker images) from the PyPI package django-js-lib-leaflet;
- jQuery 3.7 from the PyPI package XStatic-jQuery (folium popups need it);
- a WOFF webfont of Noto Sans CJK SC, subset to GB2312 + CJK punctuation, made from
  Debian's fonts-noto-cjk with fontTools, so that Chinese renders on a screen that has
  no CJK font of its own (.streamlit/config.toml names it in [[theme.fontFaces]]).

Idempotent: files already in place are left alone, and the subset fonts, which take
about half a minute to make, are cached under ~/.cache so a fresh clone copies them.

    python scripts/vendor_static.py [--require-font] [--skip-font]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENDOR_DIR = PROJECT_ROOT / "static" / "vendor"

LEAFLET_VERSION = "1.9.4"
LEAFLET_FILES = ("leaflet.js", "leaflet.css", "leaflet.js.map")
LEAFLET_IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")
JQUERY_FILES = ("jquery.min.js", "jquery.min.map")

# Debian's fonts-noto-cjk; face 2 of each collection is the Simplified Chinese one.
NOTO_CJK_DIR = Path("/usr/share/fonts/opentype/noto")
NOTO_SC_FACE = 2
FONT_WEIGHTS = {"Regular": "NotoSansCJK-Regular.ttc", "Bold": "NotoSansCJK-Bold.ttc"}
FONT_LICENSE_SOURCE = Path("/usr/share/doc/fonts-noto-cjk/copyright")
# WOFF (zlib), not WOFF2 (Brotli at its highest quality): 18% larger (2.4 MB a weight, fetched once
# by each screen from its own server) and made in half the time (14 s a weight against 26 s
# here), which every fresh machine, CI included, pays at set-up.
FONT_FILE_PATTERN = "NotoSansSC-GB2312-{weight}.woff"
# Bump when the character set or subsetting options change, so caches are rebuilt.
FONT_SUBSET_VERSION = "2"
FONT_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "huajie-dashboard" / "fonts"

# The webfont's family and the characters it is used for (Latin stays in the app's own
# font); keep in step with [[theme.fontFaces]] in .streamlit/config.toml.
FONT_FAMILY = "Noto Sans SC Web"
FONT_UNICODE_RANGE = (
    "U+2460-24FF, U+2E80-2FDF, U+3000-33FF, U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF, U+FE30-FE4F, U+FF00-FFEF"
)
FONT_CSS_WEIGHTS = {"Regular": 400, "Bold": 700}
# Loaded inside the folium map's iframe (ui/offline_map.py), which does not see the
# app's theme fonts: tooltips and popups need the webfont too.
MAP_FONT_CSS = "map-fonts.css"

# Common characters of personal and place names that GB2312 lacks.
EXTRA_NAME_CHARACTERS = "喆堃玥珺昇燚犇淼焱垚祎赟翀旻昉昀晔晗玮琪瑄璟珏琛瑾瑜璐婧妍媛婕彧邨峯祐禕頔珝琇瑢"


def log(message: str) -> None:
    print(f"[vendor_static] {message}", flush=True)


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"[vendor_static] ERROR: Python package {module!r} is not installed "
            "(pip install -r requirements.txt)"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _copy_if_changed(source: Path, target: Path) -> bool:
    if target.is_file() and target.stat().st_size == source.stat().st_size:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    shutil.copyfile(source, tmp)
    tmp.replace(target)
    return True


def vendor_leaflet() -> int:
    source = _package_dir("js_lib_leaflet") / "static" / "js_lib_leaflet"
    head = (source / "leaflet.js").read_text(encoding="utf-8", errors="replace")[:300]
    if LEAFLET_VERSION not in head:
        raise SystemExit(f"[vendor_static] ERROR: {source}/leaflet.js is not Leaflet {LEAFLET_VERSION}")
    target = VENDOR_DIR / "leaflet"
    copied = sum(_copy_if_changed(source / name, target / name) for name in LEAFLET_FILES)
    copied += sum(
        _copy_if_changed(source / "images" / name, target / "images" / name) for name in LEAFLET_IMAGES
    )
    return copied


def vendor_jquery() -> int:
    source = _package_dir("xstatic.pkg.jquery") / "data"
    target = VENDOR_DIR / "jquery"
    return sum(_copy_if_changed(source / name, target / name) for name in JQUERY_FILES)


def font_codepoints() -> set[int]:
    """GB2312 (all 7,445 characters: 6,763 hanzi and its symbols) + CJK punctuation + extras."""
    codepoints: set[int] = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                codepoints.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    codepoints |= set(range(0x3000, 0x3040))  # CJK symbols and punctuation
    codepoints |= set(range(0xFF00, 0xFFF0))  # full-width forms
    codepoints |= set(range(0xFE30, 0xFE50))  # CJK compatibility forms
    codepoints |= set(range(0x2460, 0x2500))  # ①②③ and friends
    codepoints |= {ord(c) for c in EXTRA_NAME_CHARACTERS}
    return codepoints


def _subset_font(source: str, target: str) -> str:
    """Subset one weight to WOFF (run in a worker process: about 15 s each)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff"
    options.hinting = False  # CFF hints barely matter at screen sizes; smaller file
    font = TTFont(source, fontNumber=NOTO_SC_FACE, lazy=True)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=font_codepoints())
    subsetter.subset(font)
    font.flavor = "woff"
    tmp = target + ".tmp"
    font.save(tmp)
    os.replace(tmp, target)
    return target


def _font_cache_key(sources: list[Path]) -> str:
    import fontTools

    digest = hashlib.sha256(f"{FONT_SUBSET_VERSION}|{fontTools.version}".encode())
    for path in sources:
        stat = path.stat()
        digest.update(f"|{path}|{stat.st_size}|{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:16]


def vendor_font(require: bool) -> int:
    """Make (or copy from the cache) the CJK webfont; returns how many files were written."""

    def unavailable(reason: str) -> int:
        if require:
            raise SystemExit(f"[vendor_static] ERROR: CJK webfont cannot be made: {reason}")
        log(f"WARNING: skipping the CJK webfont ({reason}); Chinese then needs a CJK font on each screen")
        return 0

    target_dir = VENDOR_DIR / "fonts"
    targets = {weight: target_dir / FONT_FILE_PATTERN.format(weight=weight) for weight in FONT_WEIGHTS}
    if all(path.is_file() and path.stat().st_size > 0 for path in targets.values()):
        return 0
    sources = {weight: NOTO_CJK_DIR / name for weight, name in FONT_WEIGHTS.items()}
    missing = [str(path) for path in sources.values() if not path.is_file()]
    if missing:
        return unavailable(f"{', '.join(missing)} missing (Debian package fonts-noto-cjk)")
    try:
        import fontTools  # noqa: F401
    except ImportError as error:
        return unavailable(f"{error.name} not installed (pip install fonttools)")

    cache = FONT_CACHE_DIR / _font_cache_key(list(sources.values()))
    cache.mkdir(parents=True, exist_ok=True)
    to_make = {w: cache / targets[w].name for w in FONT_WEIGHTS if not (cache / targets[w].name).is_file()}
    if to_make:
        started = time.monotonic()
        log(f"subsetting Noto Sans CJK SC to GB2312 ({', '.join(to_make)}), about 15-30 s, once per machine")
        with ProcessPoolExecutor(max_workers=min(len(to_make), os.cpu_count() or 1)) as pool:
            sources_to_make = [str(sources[weight]) for weight in to_make]
            list(pool.map(_subset_font, sources_to_make, [str(path) for path in to_make.values()]))
        log(f"fonts made in {time.monotonic() - started:.0f} s")
    written = sum(_copy_if_changed(cache / path.name, path) for path in targets.values())
    if FONT_LICENSE_SOURCE.is_file():
        written += _copy_if_changed(FONT_LICENSE_SOURCE, target_dir / "LICENSE-NotoSansCJK.txt")
    return written


def write_map_font_css(with_font: bool) -> int:
    """The stylesheet the map iframe loads: the webfont (when made) for Leaflet's text."""
    rules = []
    if with_font:
        for weight, css_weight in FONT_CSS_WEIGHTS.items():
            rules.append(
                "@font-face {\n"
                f'  font-family: "{FONT_FAMILY}";\n'
                f'  src: url("fonts/{FONT_FILE_PATTERN.format(weight=weight)}") format("woff");\n'
                f"  font-weight: {css_weight};\n  font-style: normal;\n  font-display: swap;\n"
                f"  unicode-range: {FONT_UNICODE_RANGE};\n}}\n"
            )
    leaflet_fonts = f'"Helvetica Neue", Arial, "{FONT_FAMILY}", sans-serif'
    rules.append(f".leaflet-container {{ font-family: {leaflet_fonts}; }}\n")
    text = "/* Written by scripts/vendor_static.py */\n" + "".join(rules)
    target = VENDOR_DIR / MAP_FONT_CSS
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return 0
    target.write_text(text, encoding="utf-8")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--require-font", action="store_true", help="fail when the CJK webfont cannot be made"
    )
    parser.add_argument("--skip-font", action="store_true", help="do not make the CJK webfont")
    args = parser.parse_args(argv)
    written = vendor_leaflet() + vendor_jquery()
    if not args.skip_font:
        written += vendor_font(require=args.require_font)
    fonts = (VENDOR_DIR / "fonts" / FONT_FILE_PATTERN.format(weight=w) for w in FONT_WEIGHTS)
    written += write_map_font_css(with_font=all(path.is_file() for path in fonts))
    log(f"static/vendor ready ({written} file(s) written)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
