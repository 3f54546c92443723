//! Every Linux key code (KEY_* and BTN_*, 0..KEY_CNT) and its names: canonical, kernel and keyd.
//! Pure static tables: it never parses profiles and never touches the system; only listing every
//! name ([`all_names`], [`suggest`]: help and error paths) allocates.
//!
//! # Names
//!
//! * **Canonical** ([`Key::name`]): keyd's name where keyd has one (`leftcontrol`, `esc`,
//!   `minus`, `leftmouse`, `102nd`, …), otherwise the kernel name lowercased without `KEY_`
//!   (`KEY_BRIGHTNESSUP` → `brightnessup`); buttons keep the `btn_` prefix (`btn_south`). Where
//!   a code has several kernel names, the last the header defines by number wins (`BTN_0` after
//!   `BTN_MISC`), never one defined as another (`#define KEY_SCREENLOCK KEY_COFFEE`). One clash:
//!   keyd's `next` is `KEY_VIDEO_NEXT` (241), so the kernel's `KEY_NEXT` (0x197) is `key_next`.
//! * **Accepted** ([`Key::from_name`]): the canonical name, every kernel spelling of the code
//!   (`leftctrl`, `kpenter`, `screenlock`, `hanguel`, `btn_a`, `btn_left`, `btn_mouse`, …) and
//!   keyd's extra spellings (`escape`, and the symbols `-` `=` `[` `]` `;` `'` `` ` `` `\` `,`
//!   `.` `/`). Names are matched exactly (case-sensitive; they are all lowercase).
//! * **Numbered form** `key_<decimal code>` (`key_195`, `key_744`): accepted for every code below
//!   [`KEY_CNT`], named or not, and returned by [`Key::name`] for codes the kernel leaves unnamed.
//!   It is not listed by [`all_names`] and never suggested.
//! * `iso-level3-shift` (84) has no kernel name but keyd names it, so it counts as named.
//! * Shifted symbols (`!`, `A`, `{`, …) are not key names: [`shifted`] maps them to their
//!   unshifted key on a US layout.
//! * Constants: one per kernel name, named as the kernel does without `KEY_` (`Key::LEFTCTRL`,
//!   `Key::KP1`, `Key::F24`), with `BTN_` kept (`Key::BTN_LEFT`, `Key::BTN_SOUTH`). Names that
//!   would start with a digit keep their `KEY_` prefix: `Key::KEY_1`, `Key::KEY_102ND`.
//!
//! The kernel's names and codes are generated from `linux/input-event-codes.h` into
//! `keys/kernel.rs` by `cargo run -p xtask -- keys` (`cargo test -p xtask` checks it is up to
//! date); only keyd's names, its other spellings and the shifted symbols are written here.

#[rustfmt::skip]
mod kernel;

pub use kernel::KEY_CNT;

/// A Linux key code, always below [`KEY_CNT`]. One constant per kernel name (`Key::ESC`,
/// `Key::BTN_LEFT`) is generated in `keys/kernel.rs`.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(u16);

/// keyd's own names: each is the canonical name of its code, and wins over a kernel name
/// spelled the same (keyd's `next` is KEY_VIDEO_NEXT, so the kernel's KEY_NEXT is `key_next`).
const KEYD: [(&str, u16); 19] = [
    ("leftcontrol", 29),
    ("iso-level3-shift", 84),
    ("rightcontrol", 97),
    ("display", 153),
    ("dashboard", 204),
    ("next", 241),
    ("prev", 242),
    ("cycle", 243),
    ("auto", 244),
    ("off", 245),
    ("leftmouse", 0x110),
    ("rightmouse", 0x111),
    ("middlemouse", 0x112),
    ("mouse1", 0x113),
    ("mouse2", 0x114),
    ("mouseforward", 0x115),
    ("mouseback", 0x116),
    ("zoom", 0x174),
    ("key_next", 0x197),
];

/// keyd's other spellings: accepted, never canonical.
const ALIASES: [(&str, u16); 12] = [
    ("escape", 1),
    ("-", 12),
    ("=", 13),
    ("[", 26),
    ("]", 27),
    (";", 39),
    ("'", 40),
    ("`", 41),
    ("\\", 43),
    (",", 51),
    (".", 52),
    ("/", 53),
];

/// The canonical name of every code, built at compile time: keyd's name, else the kernel's
/// primary name, else the numbered form.
static NAMES: [&str; KEY_CNT] = canonical_names_by_code();

const fn canonical_names_by_code() -> [&'static str; KEY_CNT] {
    let mut names = kernel::NUMBERED;
    let mut i = 0;
    while i < kernel::KERNEL.len() {
        let (name, code, primary) = kernel::KERNEL[i];
        if primary {
            names[code as usize] = name;
        }
        i += 1;
    }
    let mut i = 0;
    while i < KEYD.len() {
        names[KEYD[i].1 as usize] = KEYD[i].0;
        i += 1;
    }
    names
}

impl Key {
    /// The key with this code, if the code is below [`KEY_CNT`].
    pub const fn new(code: u16) -> Option<Key> {
        if (code as usize) < KEY_CNT {
            Some(Key(code))
        } else {
            None
        }
    }

    /// The kernel key code.
    pub const fn code(self) -> u16 {
        self.0
    }

    /// The code as an index into `[_; KEY_CNT]` tables.
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// A mouse button, BTN_LEFT ..= BTN_TASK (`leftmouse`, `rightmouse`, `middlemouse`, …):
    /// emitted on keymapd's virtual pointer.
    pub const fn is_mouse_button(self) -> bool {
        self.0 >= 0x110 && self.0 <= 0x117
    }

    /// A keyboard key: every code but the pointer, joystick, gamepad and tablet buttons
    /// (BTN_MISC ..= 0x15f and BTN_TRIGGER_HAPPY*), which a keyboard must not declare.
    pub const fn is_keyboard_key(self) -> bool {
        self.0 >= 1 && !(self.0 >= 0x100 && self.0 <= 0x15f) && !(self.0 >= 0x2c0 && self.0 <= 0x2e7)
    }

    /// Whether keymapd's virtual devices can emit it: a keyboard key or a mouse button.
    pub const fn is_emittable(self) -> bool {
        self.is_keyboard_key() || self.is_mouse_button()
    }

    /// The canonical (keyd-style) name; `key_<code>` for a code without a name.
    pub fn name(self) -> &'static str {
        NAMES[self.index()]
    }

    /// Whether the code has a real name (the kernel's or keyd's), not just `key_<code>`.
    pub fn has_name(self) -> bool {
        parse_numbered(self.name()).is_none()
    }

    /// Looks a key up by any accepted name: canonical, kernel spelling, keyd spelling, or the
    /// numbered form `key_<decimal code>`.
    pub fn from_name(name: &str) -> Option<Key> {
        if let Some(&(_, code)) = KEYD.iter().chain(&ALIASES).find(|&&(n, _)| n == name) {
            return Some(Key(code));
        }
        match kernel::KERNEL.binary_search_by(|&(n, _, _)| n.cmp(name)) {
            Ok(i) => Some(Key(kernel::KERNEL[i].1)),
            Err(_) => parse_numbered(name),
        }
    }

    /// Whether the code is in one of the kernel's `BTN_*` blocks (mouse, joystick, gamepad,
    /// digitizer, wheel, d-pad, trigger-happy), rather than a key.
    pub const fn is_button(self) -> bool {
        matches!(self.0, 0x100..=0x15f | 0x220..=0x223 | 0x2c0..=0x2e7)
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `key_<decimal code>` with no sign or leading zero, for a code below [`KEY_CNT`].
fn parse_numbered(name: &str) -> Option<Key> {
    let digits = name.strip_prefix("key_")?;
    let bytes = digits.as_bytes();
    if bytes.is_empty() || bytes.len() > 3 || (bytes[0] == b'0' && bytes.len() > 1) {
        return None;
    }
    let mut code: u16 = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return None;
        }
        code = code * 10 + u16::from(b - b'0');
    }
    Key::new(code)
}

/// The key a shifted symbol is typed with on a US layout (`!` → `1`, `{` → `leftbrace`,
/// `A` → `a`); keyd reads such a symbol in a key sequence as shift + that key.
pub fn shifted(name: &str) -> Option<Key> {
    let &[c] = name.as_bytes() else {
        return None;
    };
    let key = match c {
        b'!' => Key::KEY_1,
        b'@' => Key::KEY_2,
        b'#' => Key::KEY_3,
        b'$' => Key::KEY_4,
        b'%' => Key::KEY_5,
        b'^' => Key::KEY_6,
        b'&' => Key::KEY_7,
        b'*' => Key::KEY_8,
        b'(' => Key::KEY_9,
        b')' => Key::KEY_0,
        b'_' => Key::MINUS,
        b'+' => Key::EQUAL,
        b'{' => Key::LEFTBRACE,
        b'}' => Key::RIGHTBRACE,
        b'|' => Key::BACKSLASH,
        b':' => Key::SEMICOLON,
        b'"' => Key::APOSTROPHE,
        b'<' => Key::COMMA,
        b'>' => Key::DOT,
        b'?' => Key::SLASH,
        b'~' => Key::GRAVE,
        b'A'..=b'Z' => {
            let lower = [c.to_ascii_lowercase()];
            // The lowercase letter is its own key name.
            return Key::from_name(std::str::from_utf8(&lower).ok()?);
        }
        _ => return None,
    };
    Some(key)
}

/// Every named code with its canonical name, in code order.
pub fn canonical_names() -> impl Iterator<Item = (Key, &'static str)> {
    (0..KEY_CNT as u16).map(Key).filter(|k| k.has_name()).map(|k| (k, k.name()))
}

/// Every accepted name (canonical and aliases) with its key, in byte order of the name. The
/// numbered form `key_<code>` is accepted too but not listed.
pub fn all_names() -> impl Iterator<Item = (&'static str, Key)> {
    let mut all: Vec<(&'static str, Key)> = names().collect();
    all.sort_unstable();
    all.into_iter()
}

/// Every accepted name with its key, unordered: keyd's, then the kernel's it does not shadow.
fn names() -> impl Iterator<Item = (&'static str, Key)> {
    let keyd = KEYD.iter().chain(&ALIASES).copied();
    let kernel = kernel::KERNEL.iter().map(|&(n, c, _)| (n, c));
    let kernel = kernel.filter(|&(n, _)| !KEYD.iter().any(|k| k.0 == n));
    keyd.chain(kernel).map(|(n, c)| (n, Key(c)))
}

/// Longest input [`suggest`] considers; longer than any name plus the allowed distance.
const SUGGEST_MAX: usize = 32;

/// The accepted name closest to `name`, for "did you mean" hints: by optimal-string-alignment
/// distance (Levenshtein plus adjacent swaps), ignoring ASCII case, at most 2 edits away (1 for
/// inputs of up to 3 bytes). Ties go to canonical names, then to the first in byte order.
pub fn suggest(name: &str) -> Option<&'static str> {
    let input = name.as_bytes();
    if input.is_empty() || input.len() > SUGGEST_MAX {
        return None;
    }
    let limit = if input.len() <= 3 { 1 } else { 2 };
    let mut best: Option<(usize, bool, &'static str)> = None;
    for (candidate, key) in names() {
        if candidate.len().abs_diff(input.len()) > limit {
            continue;
        }
        let d = distance(input, candidate.as_bytes());
        if d > limit {
            continue;
        }
        let canonical = key.name() == candidate;
        let better = match best {
            None => true,
            Some((bd, bc, bn)) => {
                d < bd || (d == bd && (canonical && !bc || canonical == bc && candidate < bn))
            }
        };
        if better {
            best = Some((d, canonical, candidate));
        }
    }
    best.map(|(_, _, n)| n)
}

/// The word among `candidates` closest to `word` (same measure and limits as [`suggest`]; `b`
/// must be lowercase ASCII): for "did you mean" hints about action and section names. Ties go
/// to the first candidate.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input = word.as_bytes();
    if input.is_empty() || input.len() > SUGGEST_MAX {
        return None;
    }
    let limit = if input.len() <= 3 { 1 } else { 2 };
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c.len().abs_diff(input.len()) > limit || c == word {
            continue;
        }
        let d = distance(input, c.as_bytes());
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The edit distance [`suggest`] and [`closest`] use (ASCII case ignored in `a`), or `None`
/// when `a` is longer than they consider.
pub fn edit_distance(a: &str, b: &str) -> Option<usize> {
    (a.len() <= SUGGEST_MAX).then(|| distance(a.as_bytes(), b.as_bytes()))
}

/// Optimal-string-alignment distance between `a` (compared ASCII-lowercased, at most
/// [`SUGGEST_MAX`] bytes) and `b`, using three stack rows over `a`.
fn distance(a: &[u8], b: &[u8]) -> usize {
    let n = a.len();
    let mut prev2 = [0usize; SUGGEST_MAX + 1];
    let mut prev: [usize; SUGGEST_MAX + 1] = std::array::from_fn(|i| i);
    let mut cur = [0usize; SUGGEST_MAX + 1];
    for (j, &bj) in b.iter().enumerate() {
        cur[0] = j + 1;
        for i in 1..=n {
            let ai = a[i - 1].to_ascii_lowercase();
            let cost = usize::from(ai != bj);
            let mut d = (prev[i] + 1).min(cur[i - 1] + 1).min(prev[i - 1] + cost);
            if i > 1 && j > 0 && ai == b[j - 1] && a[i - 2].to_ascii_lowercase() == bj {
                d = d.min(prev2[i - 2] + 1);
            }
            cur[i] = d;
        }
        prev2 = prev;
        prev = cur;
    }
    prev[n]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn code(name: &str) -> Option<u16> {
        Key::from_name(name).map(Key::code)
    }

    #[test]
    fn keys_canonical_names_round_trip_and_are_unique() {
        let mut seen = HashSet::new();
        for (key, name) in canonical_names() {
            assert_eq!(Key::from_name(name), Some(key), "{name}");
            assert_eq!(key.name(), name);
            assert!(seen.insert(name), "canonical name {name} used twice");
        }
    }

    #[test]
    fn keys_every_accepted_name_maps_to_one_code() {
        let mut map: HashMap<&str, Key> = HashMap::new();
        for (name, key) in all_names() {
            assert!(map.insert(name, key).is_none(), "{name} listed twice");
            assert_eq!(Key::from_name(name), Some(key), "{name}");
            assert!(key.has_name(), "{name} points at an unnamed code");
            assert!(parse_numbered(name).is_none(), "{name} looks numbered");
        }
        // Every canonical name is an accepted name.
        for (key, name) in canonical_names() {
            assert_eq!(map.get(name), Some(&key));
        }
        // The binary search relies on byte order.
        assert!(kernel::KERNEL.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn keys_named_code_count_matches_header() {
        // Linux 6.1 input-event-codes.h defines 612 distinct KEY_/BTN_ codes below KEY_CNT;
        // keyd's iso-level3-shift (84) makes 613.
        assert_eq!(canonical_names().count(), 613);
        assert_eq!(all_names().count(), 660);
    }

    #[test]
    fn keys_well_known_codes() {
        assert_eq!(code("leftcontrol"), Some(29));
        assert_eq!(code("leftctrl"), Some(29));
        assert_eq!(Key::LEFTCTRL.name(), "leftcontrol");
        assert_eq!(code("rightcontrol"), Some(97));
        assert_eq!(code("rightctrl"), Some(97));
        assert_eq!(code("esc"), Some(1));
        assert_eq!(code("escape"), Some(1));
        assert_eq!(code("leftmeta"), Some(125));
        assert_eq!(code("capslock"), Some(58));
        assert_eq!(code("rightalt"), Some(100));
        assert_eq!(code("102nd"), Some(86));
        assert_eq!(code("kp1"), Some(79));
        assert_eq!(code("f24"), Some(194));
        assert_eq!(code("space"), Some(57));
        assert_eq!(code("kpenter"), Some(96));
        assert_eq!(Key::from_name("LeftCtrl"), None, "case-sensitive");
        assert_eq!(Key::from_name(""), None);
        assert_eq!(Key::from_name("nosuchkey"), None);
    }

    #[test]
    fn keys_keyd_symbol_spellings() {
        for (sym, word) in [
            ("-", "minus"),
            ("=", "equal"),
            ("[", "leftbrace"),
            ("]", "rightbrace"),
            (";", "semicolon"),
            ("'", "apostrophe"),
            ("`", "grave"),
            ("\\", "backslash"),
            (",", "comma"),
            (".", "dot"),
            ("/", "slash"),
        ] {
            assert_eq!(Key::from_name(sym), Key::from_name(word), "{sym}");
            assert_eq!(Key::from_name(word).unwrap().name(), word);
        }
    }

    #[test]
    fn keys_alternative_kernel_names() {
        assert_eq!(code("coffee"), Some(152));
        assert_eq!(code("screenlock"), Some(152));
        assert_eq!(code("hangeul"), Some(122));
        assert_eq!(code("hanguel"), Some(122));
        assert_eq!(code("btn_a"), Some(0x130));
        assert_eq!(code("btn_south"), Some(0x130));
        assert_eq!(code("btn_gamepad"), Some(0x130));
        assert_eq!(Key::BTN_SOUTH.name(), "btn_south");
        assert_eq!(Key::BTN_A, Key::BTN_SOUTH);
        assert_eq!(code("btn_misc"), Some(0x100));
        assert_eq!(Key::BTN_0.name(), "btn_0");
        assert_eq!(code("zoom"), Some(0x174));
        assert_eq!(code("full_screen"), Some(0x174));
        assert_eq!(Key::FULL_SCREEN.name(), "zoom");
        // keyd's `next` is the video key; the kernel's KEY_NEXT is `key_next`.
        assert_eq!(code("next"), Some(241));
        assert_eq!(code("video_next"), Some(241));
        assert_eq!(Key::NEXT.name(), "key_next");
        assert_eq!(code("key_next"), Some(0x197));
    }

    #[test]
    fn keys_mouse_buttons() {
        assert_eq!(Key::BTN_LEFT.name(), "leftmouse");
        assert_eq!(code("btn_left"), Some(0x110));
        assert_eq!(code("btn_mouse"), Some(0x110));
        assert_eq!(code("rightmouse"), Some(0x111));
        assert_eq!(code("middlemouse"), Some(0x112));
        assert_eq!(code("mouse1"), Some(0x113));
        assert_eq!(code("mouse2"), Some(0x114));
        assert_eq!(code("mouseforward"), Some(0x115));
        assert_eq!(code("mouseback"), Some(0x116));
        assert!(Key::BTN_LEFT.is_button());
        assert!(Key::BTN_DPAD_UP.is_button());
        assert!(Key::BTN_TRIGGER_HAPPY40.is_button());
        assert!(!Key::A.is_button());
        assert!(!Key::OK.is_button());
        assert!(!Key::MACRO1.is_button());
    }

    #[test]
    fn keys_codes_above_255_are_named() {
        assert_eq!(Key::from_name("macro1"), Key::new(0x290));
        assert_eq!(Key::MACRO1.code(), 0x290);
        assert_eq!(Key::new(0x290).unwrap().name(), "macro1");
        assert_eq!(Key::new(0x2c0).unwrap().name(), "btn_trigger_happy1");
        assert_eq!(code("btn_trigger_happy"), Some(0x2c0));
        assert_eq!(Key::new(0x2b8).unwrap().name(), "kbd_lcd_menu1");
        assert_eq!(Key::new(0x2e7).unwrap().name(), "btn_trigger_happy40");
        assert_eq!(code("brightnessup"), Some(225));
        assert_eq!(code("fn"), Some(0x1d0));
        assert_eq!(code("voicecommand"), Some(0x246));
    }

    #[test]
    fn keys_unnamed_codes_use_numbered_form() {
        let gap = Key::new(0x2e8).unwrap();
        assert!(!gap.has_name());
        assert_eq!(gap.name(), "key_744");
        assert_eq!(Key::from_name("key_744"), Some(gap));
        assert_eq!(Key::from_name("key_30"), Some(Key::A));
        assert_eq!(Key::from_name("key_0"), Some(Key::RESERVED));
        assert_eq!(Key::from_name("key_767"), Key::new(767));
        for bad in ["key_768", "key_030", "key_", "key_+1", "key_1a", "key_9999"] {
            assert_eq!(Key::from_name(bad), None, "{bad}");
        }
        assert!(Key::new(0x300).is_none());
        assert_eq!(Key::new(84).unwrap().name(), "iso-level3-shift");
        assert!(canonical_names().all(|(k, _)| k.has_name()));
    }

    #[test]
    fn keys_shifted_symbols() {
        assert_eq!(shifted("!"), Some(Key::KEY_1));
        assert_eq!(shifted(")"), Some(Key::KEY_0));
        assert_eq!(shifted("_"), Key::from_name("minus"));
        assert_eq!(shifted("+"), Key::from_name("equal"));
        assert_eq!(shifted("\""), Key::from_name("apostrophe"));
        assert_eq!(shifted("~"), Key::from_name("grave"));
        assert_eq!(shifted("?"), Key::from_name("slash"));
        assert_eq!(shifted("A"), Some(Key::A));
        assert_eq!(shifted("Z"), Key::from_name("z"));
        assert_eq!(shifted("a"), None);
        assert_eq!(shifted("1"), None);
        assert_eq!(shifted("!!"), None);
        assert_eq!(shifted(""), None);
        // No shifted symbol is also a key name.
        for c in b'!'..=b'~' {
            let s = [c];
            let s = std::str::from_utf8(&s).unwrap();
            assert!(shifted(s).is_none() || Key::from_name(s).is_none(), "{s}");
        }
    }

    #[test]
    fn keys_suggest() {
        assert_eq!(suggest("leftctl"), Some("leftctrl"));
        assert_eq!(suggest("LeftCtrl"), Some("leftctrl"));
        assert_eq!(suggest("LEFTCONTROL"), Some("leftcontrol"));
        assert_eq!(suggest("capslok"), Some("capslock"));
        assert_eq!(suggest("cpaslock"), Some("capslock"));
        assert_eq!(suggest("esx"), Some("esc"));
        assert_eq!(suggest("Esc"), Some("esc"));
        assert_eq!(suggest("xyzzyq"), None);
        assert_eq!(suggest("backspaec"), Some("backspace"));
        assert_eq!(suggest(""), None);
        assert_eq!(suggest(&"a".repeat(100)), None);
        assert_eq!(distance(b"abc", b"acb"), 1);
        assert_eq!(distance(b"kitten", b"sitting"), 3);
    }
}

/// A set of key codes: one bit per code, no allocation. Used for "which keys are down".
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct KeySet([u64; KEY_CNT.div_ceil(64)]);

impl KeySet {
    pub fn contains(&self, key: Key) -> bool {
        self.0[key.index() / 64] & (1 << (key.index() % 64)) != 0
    }

    pub fn set(&mut self, key: Key, on: bool) {
        let (w, b) = (key.index() / 64, 1u64 << (key.index() % 64));
        if on {
            self.0[w] |= b;
        } else {
            self.0[w] &= !b;
        }
    }

    /// Sets `key` to `on`; returns false if it already was (a press of a key already down, or a
    /// release of a key that is not).
    pub fn record(&mut self, key: Key, on: bool) -> bool {
        let changed = self.contains(key) != on;
        self.set(key, on);
        changed
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }

    pub fn clear(&mut self) {
        *self = KeySet::default();
    }

    /// The keys in the set, in code order.
    pub fn iter(&self) -> impl Iterator<Item = Key> + '_ {
        (0..KEY_CNT as u16).filter_map(Key::new).filter(|&k| self.contains(k))
    }

    /// The set of these codes (codes of KEY_CNT and above are ignored).
    pub fn from_codes(codes: impl IntoIterator<Item = u16>) -> KeySet {
        let mut set = KeySet::default();
        for k in codes.into_iter().filter_map(Key::new) {
            set.set(k, true);
        }
        set
    }
}
