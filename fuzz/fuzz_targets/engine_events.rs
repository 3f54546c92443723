//! Arbitrary bytes → a session (devices, key events, time, reloads, unplugs, shutdowns) over a
//! fixed set of profiles that use every kind of action → engines and merger, checked by the
//! harness (`crates/keymapd-testkit/src/harness.rs`): no stuck key, no release of a key that is up, no double
//! press, deadlines that move forward, nothing left down after `release_all`.
//!
//! Input format (the seeds in `fuzz/corpus/engine_events/` are written in it; see fuzz/README.md):
//! byte 0: bits 0-1 = devices - 1, bits 2-7 = which profiles are loaded (a mask over
//! [`PROFILES`], nothing set = all); then two bytes per op, `[kind | dev << 4, arg]`:
//! kind 0-3 press, 4-7 release, 8 repeat (key = `KEYS[arg % len]`), 9 advance `arg * 4` ms,
//! 10 focus `harness::FOCUS_APPS[arg % len]` (before application layers: also an advance),
//! 11 reload dev to profile `arg`, 12 reload every device, 13 unplug dev / plug in one more
//! (`arg` even / odd), 14 release_all dev / shutdown (`arg` even / odd), 15 spurious tick.
#![no_main]

use keymapd_testkit::harness;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use harness::Op;
use keymapd_core::engine::KeyValue;
use keymapd_core::keymap::Keymap;
use keymapd_core::keys::Key;
use keymapd_core::profile::Profile;
use libfuzzer_sys::fuzz_target;

/// The profiles a session may load: between them, every kind of keyd action keymapd has.
const PROFILES: &[&str] = &[
    // 0: the example USB profile: swapped modifiers.
    r#"ids = ["usb:kb"]
[main]
leftcontrol = "leftmeta"
leftmeta = "leftcontrol"
rightalt = "rightmeta"
rightmeta = "rightalt"
"#,
    // 1: layers, sequences, modifier layers with bindings, aliases.
    r#"ids = ["*"]
[main]
capslock = "layer(nav)"
f1 = "C-a"
f2 = "M-S-t"
space = "layer(control)"
j = "!"
[nav]
j = "down"
k = "C-up"
space = "layer(sym)"
["sym:S"]
j = "1"
[control]
j = "leftmeta"
[meta]
shift = "x"
"#,
    // 2: tap-hold.
    r#"ids = ["*"]
[global]
overload_tap_timeout = 300
[main]
capslock = "overload(control, esc)"
space = "overloadt(nav, space, 200)"
a = "overloadt2(shift, a, 150)"
j = "lettermod(alt, j, 150, 200)"
k = "overloadi(k, overloadt2(meta, k, 200), 100)"
f1 = "timeout(f1, 300, layer(nav))"
leftshift = "overload(shift, macro(S-9))"
[nav]
j = "left"
k = "right"
"#,
    // 3: oneshot, toggle, swap, clear, layouts, composite.
    r#"ids = ["*"]
[global]
oneshot_timeout = 500
[main]
leftshift = "oneshot(shift)"
capslock = "toggle(nav)"
f1 = "oneshotk(nav, esc)"
f2 = "setlayout(dv)"
f3 = "setlayout(main)"
esc = "clear()"
space = "oneshotm(control, macro(a))"
[nav]
j = "down"
capslock = "swap(sym)"
f1 = "togglem(sym, macro(b))"
[sym]
j = "clearm(macro(x))"
k = "swapm(nav, macro(y))"
["nav+shift"]
j = "pagedown"
["dv:layout"]
j = "c"
k = "v"
"#,
    // 4: macros, repeat, chords.
    r#"ids = ["*"]
[global]
macro_timeout = 100
macro_repeat_timeout = 20
macro_sequence_timeout = 500
chord_timeout = 40
[main]
f1 = "macro(Hello 10ms C-a leftcontrol+b)"
f2 = "macro2(50, 10, macro(x y))"
f3 = "repeat()"
"j+k" = "esc"
"a+s+d" = "layer(nav)"
capslock = "layerm(shift, macro(z))"
[nav]
j = "macro(C-c)"
"#,
    // 5: application layers (the focus ops choose among harness::FOCUS_APPS), with a composite
    // and a tap-hold that may be pending across a focus change.
    r#"ids = ["*"]
[main]
leftcontrol = "leftmeta"
leftmeta = "leftcontrol"
[nav]
j = "left"
["app:kitty"]
a = "overloadt(nav, a, 150)"
s = "C-S-v"
["app:org.gnome.*"]
a = "oneshot(shift)"
["control+app:org.gnome.Terminal"]
k = "C-S-c"
j = "macro(C-x y)"
"#,
];

/// Keys the events come from: those the profiles bind, and a few they do not.
const KEYS: &[Key] = &[
    Key::A,
    Key::S,
    Key::D,
    Key::J,
    Key::K,
    Key::CAPSLOCK,
    Key::SPACE,
    Key::ESC,
    Key::F1,
    Key::F2,
    Key::F3,
    Key::LEFTCTRL,
    Key::LEFTSHIFT,
    Key::LEFTMETA,
    Key::RIGHTALT,
    Key::RIGHTMETA,
    Key::Z,
];

fn keymaps() -> &'static [Arc<Keymap>] {
    static KEYMAPS: OnceLock<Vec<Arc<Keymap>>> = OnceLock::new();
    KEYMAPS.get_or_init(|| {
        PROFILES
            .iter()
            .enumerate()
            .map(|(i, text)| match Profile::parse(Path::new("fuzz.toml"), text) {
                Ok((p, _)) => p.keymap,
                Err(d) => panic!("fixed profile {i} does not parse: {d:?}"),
            })
            .collect()
    })
}

fn decode(data: &[u8]) -> Option<(Vec<Arc<Keymap>>, usize, Vec<Op>)> {
    let (&head, rest) = data.split_first()?;
    let devices = usize::from(head & 3) + 1;
    let mask = head >> 2;
    let all = keymaps();
    let mut chosen: Vec<Arc<Keymap>> =
        all.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, k)| k.clone()).collect();
    if chosen.is_empty() {
        chosen = all.to_vec();
    }
    let ops = rest
        .chunks_exact(2)
        .map(|op| {
            let (kind, dev, arg) = (op[0] & 15, op[0] >> 4, op[1]);
            let key = KEYS[usize::from(arg) % KEYS.len()];
            match kind {
                0..=3 => Op::Key { dev, key, value: KeyValue::Down },
                4..=7 => Op::Key { dev, key, value: KeyValue::Up },
                8 => Op::Key { dev, key, value: KeyValue::Repeat },
                9 => Op::Advance { ms: u32::from(arg) * 4 },
                10 => Op::Focus { app: arg },
                11 => Op::Reload { dev, profile: arg },
                12 => Op::ReloadAll { profile: arg },
                13 if arg % 2 == 0 => Op::Remove { dev },
                13 => Op::Add { profile: arg / 2 },
                14 if arg % 2 == 0 => Op::ReleaseDev { dev },
                14 => Op::Shutdown,
                _ => Op::SpuriousTick { dev },
            }
        })
        .collect();
    Some((chosen, devices, ops))
}

fuzz_target!(|data: &[u8]| {
    let Some((keymaps, devices, ops)) = decode(data) else { return };
    if let Err(v) = harness::run_traced_on_failure(&keymaps, devices, &ops) {
        panic!("{v}\nops: {}", harness::format_ops(&ops));
    }
});
