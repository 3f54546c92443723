#!/bin/bash
# `keymapd show --svg` rendered by a real browser: headless Chromium (Debian's package) takes a
# screenshot of the SVG of tests/show/nav.toml, and the pixels are checked against the SVG: the
# image has the SVG's size; exactly the keys the SVG marks as mapped are highlighted, each where
# its rectangle is; every other key is drawn in its own colour; the labels are drawn (ink inside
# the mapped keys). Chromium that cannot start is a failure, never a skip.
# As root it installs what it needs (chromium, python3). Closing line: `show-svg: ok` or FAIL.
#
# Environment: KEYMAPD_BIN=path to use a built keymapd instead of building target/debug/keymapd.
#              SHOW_SVG_KEEP=DIR keeps the SVG and the screenshot in DIR.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing ${need[*]}"
        apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
            --no-install-recommends "${need[@]}" >/dev/null
    else
        echo "FAIL show-svg: missing ${need[*]} (Debian packages; run as root to install them)"
        exit 1
    fi
fi

if [ -n "${KEYMAPD_BIN:-}" ]; then
    BIN=$(realpath "$KEYMAPD_BIN")
else
    (cd "$REPO" && cargo build -q --package keymapd)
    BIN=${CARGO_TARGET_DIR:-$REPO/target}/debug/keymapd
fi

"$BIN" show "$REPO/tests/show/nav.toml" --svg "$WORK/nav.svg"
read -r W H < <(sed -n '1s/.* width="\([0-9]*\)" height="\([0-9]*\)".*/\1 \2/p' "$WORK/nav.svg") || true
if [ -z "${W:-}" ] || [ -z "${H:-}" ]; then
    echo "FAIL show-svg: no width and height on the SVG's first line"
    exit 1
fi

# The flags a root, display-less, offline machine needs; a fresh profile directory each time.
if ! chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$WORK/profile" \
    --hide-scrollbars --force-device-scale-factor=1 --window-size="$W,$H" \
    --screenshot="$WORK/nav.png" "file://$WORK/nav.svg" > "$WORK/chromium.log" 2>&1 \
    || [ ! -s "$WORK/nav.png" ]; then
    tail -n 20 "$WORK/chromium.log"
    echo "FAIL show-svg: Chromium did not start or took no screenshot (log above)"
    exit 1
fi
if [ -n "${SHOW_SVG_KEEP:-}" ]; then
    mkdir -p "$SHOW_SVG_KEEP" && cp "$WORK/nav.svg" "$WORK/nav.png" "$SHOW_SVG_KEEP/"
fi

python3 - "$WORK/nav.svg" "$WORK/nav.png" <<'PY'
import re, struct, sys, zlib

svg = open(sys.argv[1]).read()
data = open(sys.argv[2], "rb").read()

# ---- a PNG decoder (8-bit RGB/RGBA, not interlaced: what Chromium writes) ----
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    (n,) = struct.unpack(">I", data[pos:pos + 4])
    kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
w, h, depth, ctype, _, _, interlace = ihdr
assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
bpp = 4 if ctype == 6 else 3
raw = zlib.decompress(idat)
stride = w * bpp
rows, prev, i = [], bytearray(stride), 0
for _ in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line)
    prev = line
px = lambda x, y: tuple(rows[y][x * bpp:x * bpp + 3])

sw, sh = (int(v) for v in re.search(r'width="(\d+)" height="(\d+)"', svg).groups())
assert (w, h) == (sw, sh), f"screenshot {w}x{h}, SVG {sw}x{sh}"

def near(c, want, tol=3):
    return all(abs(a - b) <= tol for a, b in zip(c, want))

def components(want):
    """Bounding boxes of the connected regions (at least 300 px) of colour `want`."""
    seen = bytearray(w * h)
    boxes = []
    for y0 in range(h):
        for x0 in range(w):
            if seen[y0 * w + x0] or not near(px(x0, y0), want):
                continue
            stack, n, box = [(x0, y0)], 0, [x0, y0, x0, y0]
            seen[y0 * w + x0] = 1
            while stack:
                x, y = stack.pop()
                n += 1
                box = [min(box[0], x), min(box[1], y), max(box[2], x), max(box[3], y)]
                for nx, ny in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                    if 0 <= nx < w and 0 <= ny < h and not seen[ny * w + nx] and near(px(nx, ny), want):
                        seen[ny * w + nx] = 1
                        stack.append((nx, ny))
            if n >= 300:
                boxes.append(box)
    return boxes

# The SVG's keys: class, and the rectangle.
keys = [(cls, title, float(x), float(y), float(kw), float(kh)) for cls, title, x, y, kw, kh in re.findall(
    r'<g class="(key[^"]*)"><title>([^<]*)</title><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"', svg)]
mapped = [k for k in keys if k[0] == "key mapped"]
assert len(keys) == 2 * 104, f"{len(keys)} keys in the SVG, want two boards of 104"
assert len(mapped) == 8, [k[1] for k in mapped]

def matches(boxes, k):
    _, _, x, y, kw, kh = k
    return any(abs(b[0] - x) <= 3 and abs(b[1] - y) <= 3 and abs(b[2] - (x + kw)) <= 3 and abs(b[3] - (y + kh)) <= 3
               for b in boxes)

yellow = components((0xff, 0xd2, 0x4d))
missing = [k[1] for k in mapped if not matches(yellow, k)]
assert not missing, f"mapped keys not highlighted where the SVG puts them: {missing}; highlighted: {yellow}"
assert len(yellow) == len(mapped), f"{len(yellow)} highlighted regions, {len(mapped)} mapped keys"

grey = components((0xf2, 0xf2, 0xf2))
light = components((0xfa, 0xfa, 0xfa))
plain = [k for k in keys if k[0] == "key"]
through = [k for k in keys if k[0] == "key through"]
assert all(matches(grey, k) for k in plain) and len(grey) == len(plain), (len(grey), len(plain))
assert all(matches(light, k) for k in through) and len(light) == len(through), (len(light), len(through))

# Labels: inside every mapped key, pixels far from its fill (the glyphs of its name and action).
for k in mapped:
    _, title, x, y, kw, kh = k
    ink = sum(1 for yy in range(int(y) + 4, int(y + kh) - 4) for xx in range(int(x) + 4, int(x + kw) - 4)
              if not near(px(xx, yy), (0xff, 0xd2, 0x4d), 60))
    assert ink >= 20, f"no label drawn in {title} ({ink} pixels of ink)"
print(f"show-svg: {w}x{h} screenshot; {len(mapped)} mapped keys highlighted where the SVG puts them, "
      f"{len(plain)} plain and {len(through)} fall-through keys drawn")
PY
echo "show-svg: ok"
