//! The engine, driven through profiles and scripts: each test is one line in, one line out.

use common::sim;
use keymapd_testkit::sim as common;

use std::sync::Arc;
use std::time::Duration;

use keymapd::engine::{Engine, KeyEvent, KeyValue};
use keymapd::keys::Key;

const SWAP: &str = r#"
ids = ["*"]
[main]
leftcontrol = "leftmeta"
leftmeta = "leftcontrol"
rightalt = "rightmeta"
rightmeta = "rightalt"
"#;

#[test]
fn unmapped_keys_pass_through() {
    assert_eq!(sim(SWAP, "a down, a up"), "a down, a up");
    assert_eq!(
        sim(SWAP, "leftshift down, a down, a up, leftshift up"),
        "leftshift down, a down, a up, leftshift up"
    );
}

#[test]
fn swap_table() {
    assert_eq!(sim(SWAP, "leftcontrol down, leftcontrol up"), "leftmeta down, leftmeta up");
    assert_eq!(sim(SWAP, "leftmeta down, leftmeta up"), "leftcontrol down, leftcontrol up");
    assert_eq!(sim(SWAP, "rightalt down, rightalt up"), "rightmeta down, rightmeta up");
    assert_eq!(sim(SWAP, "rightmeta down, rightmeta up"), "rightalt down, rightalt up");
    // A chord through the swap: physical ctrl+c becomes meta+c.
    assert_eq!(
        sim(SWAP, "leftcontrol down, c down, c up, leftcontrol up"),
        "leftmeta down, c down, c up, leftmeta up"
    );
}

#[test]
fn both_swapped_keys_held_together() {
    assert_eq!(
        sim(SWAP, "leftcontrol down, leftmeta down, leftcontrol up, leftmeta up"),
        "leftmeta down, leftcontrol down, leftmeta up, leftcontrol up"
    );
}

#[test]
fn key_with_modifiers() {
    let p = "ids = [\"*\"]\n[main]\ncapslock = \"C-a\"\nf1 = \"M-S-t\"\n";
    assert_eq!(sim(p, "capslock down, capslock up"), "leftcontrol down, a down, a up, leftcontrol up");
    assert_eq!(
        sim(p, "f1 down, f1 up"),
        "leftshift down, leftmeta down, t down, t up, leftshift up, leftmeta up"
    );
}

#[test]
fn repeat_repeats_the_mapped_key() {
    let p = "ids = [\"*\"]\n[main]\ncapslock = \"esc\"\n";
    assert_eq!(
        sim(p, "capslock down, capslock repeat, capslock repeat, capslock up"),
        "esc down, esc repeat, esc repeat, esc up"
    );
    // A repeat of a key that is not down is dropped; so is a repeat of a layer key.
    assert_eq!(sim(p, "capslock repeat"), "");
    assert_eq!(
        sim(SWAP, "leftcontrol down, leftcontrol repeat, leftcontrol up"),
        "leftmeta down, leftmeta up"
    );
}

/// Only a key that emits a key repeats (with the modifiers it was pressed with). A key that is
/// or is mapped to a modifier does not: desktops do not repeat modifiers, and keyd passes no
/// repeat for them either. Nor do layer, tap-hold and macro keys (a held macro repeats on its
/// own timing, `macro_timeout`).
#[test]
fn repeats_of_modifiers_layers_and_macros_are_dropped() {
    let p = r#"
ids = ["*"]
[main]
capslock = "leftcontrol"
rightalt = "rightshift"
a = "C-a"
b = "overload(shift, b)"
c = "layer(control)"
m = "macro(x y)"
"#;
    let rep = |k: &str| sim(p, &format!("{k} down, {k} repeat, {k} repeat, {k} up"));
    assert_eq!(rep("capslock"), "leftcontrol down, leftcontrol up");
    assert_eq!(rep("rightalt"), "rightshift down, rightshift up");
    assert_eq!(rep("leftshift"), "leftshift down, leftshift up", "a modifier as itself");
    assert_eq!(rep("c"), "leftcontrol down, leftcontrol up");
    assert_eq!(rep("b"), "leftshift down, leftshift up, b down, b up");
    assert_eq!(rep("m"), "x down, x up, y down, y up");
    // A key with modifiers repeats its key, the modifiers held throughout.
    assert_eq!(rep("a"), "leftcontrol down, a down, a repeat, a repeat, a up, leftcontrol up");
    // A plain key held inside a modifier layer still repeats.
    assert_eq!(
        sim(p, "capslock down, j down, j repeat, capslock repeat, j up, capslock up"),
        "leftcontrol down, j down, j repeat, j up, leftcontrol up"
    );
}

#[test]
fn layer_of_a_builtin_modifier() {
    let p = "ids = [\"*\"]\n[main]\ncapslock = \"layer(control)\"\n";
    assert_eq!(
        sim(p, "capslock down, c down, c up, capslock up"),
        "leftcontrol down, c down, c up, leftcontrol up"
    );
}

#[test]
fn binding_in_a_modifier_layer_replaces_its_modifier() {
    let p = "ids = [\"*\"]\n[main]\ncapslock = \"layer(control)\"\n[control]\nj = \"down\"\n";
    assert_eq!(
        sim(p, "capslock down, j down, j up, x down, x up, capslock up"),
        "leftcontrol down, leftcontrol up, down down, down up, leftcontrol down, x down, x up, leftcontrol up"
    );
}

#[test]
fn plain_layer_active_while_held() {
    let p = "ids = [\"*\"]\n[main]\ncapslock = \"layer(nav)\"\n[nav]\nh = \"left\"\nl = \"right\"\n";
    assert_eq!(
        sim(p, "capslock down, h down, h up, capslock up, h down, h up"),
        "left down, left up, h down, h up"
    );
    // Keys the layer does not bind fall through to main.
    assert_eq!(sim(p, "capslock down, x down, x up, capslock up"), "x down, x up");
}

#[test]
fn custom_modifier_layer() {
    let p = "ids = [\"*\"]\n[main]\ncapslock = \"layer(nav)\"\n[\"nav:C-S\"]\nh = \"left\"\n";
    assert_eq!(
        sim(p, "capslock down, t down, t up, capslock up"),
        "leftshift down, leftcontrol down, t down, t up, leftshift up, leftcontrol up"
    );
    assert_eq!(
        sim(p, "capslock down, h down, h up, capslock up"),
        "leftshift down, leftcontrol down, leftshift up, leftcontrol up, left down, left up, leftshift down, leftcontrol down, leftshift up, leftcontrol up"
    );
}

#[test]
fn release_undoes_the_press_even_after_the_layer_changed() {
    let p = "ids = [\"*\"]\n[main]\ncapslock = \"layer(nav)\"\n[nav]\nh = \"left\"\n";
    // h pressed in nav, nav released first, then h: `left` comes up, `h` never goes down.
    assert_eq!(sim(p, "capslock down, h down, capslock up, h up"), "left down, left up");
    // h pressed in main, then nav: its release is still `h`.
    assert_eq!(sim(p, "h down, capslock down, h up, capslock up"), "h down, h up");
}

#[test]
fn most_recent_layer_wins() {
    let p = "ids = [\"*\"]\n[main]\nf1 = \"layer(one)\"\nf2 = \"layer(two)\"\n[one]\na = \"x\"\n[two]\na = \"y\"\n";
    assert_eq!(
        sim(p, "f1 down, f2 down, a down, a up, f2 up, a down, a up, f1 up"),
        "y down, y up, x down, x up"
    );
}

#[test]
fn two_keys_mapped_to_one_output_key_are_refcounted() {
    let p = "ids = [\"*\"]\n[main]\ncapslock = \"esc\"\n";
    // A press of a key already down releases it first, so that the press is seen (keyd); the
    // key goes up only with its last holder.
    assert_eq!(sim(p, "capslock down, esc down, capslock up, esc up"), "esc down, esc up, esc down, esc up");
    assert_eq!(sim(p, "capslock down, esc down, esc up, capslock up"), "esc down, esc up, esc down, esc up");
    // Left meta is mapped to control, right control is control by keyd's default aliases: one
    // left control, down while either holds it.
    assert_eq!(
        sim(SWAP, "leftmeta down, rightcontrol down, leftmeta up, rightcontrol up"),
        "leftcontrol down, leftcontrol up"
    );
}

#[test]
fn stray_events_invent_nothing() {
    assert_eq!(sim(SWAP, "a up"), "");
    assert_eq!(sim(SWAP, "a down, a down, a up, a up"), "a down, a up");
}

#[test]
fn noop_swallows_the_key() {
    let p = "ids = [\"*\"]\n[main]\ninsert = \"noop\"\n";
    assert_eq!(sim(p, "insert down, insert repeat, insert up"), "");
}

#[test]
fn release_all_releases_modifiers_last_and_forgets_held_keys() {
    let p = common::profile("ids = [\"*\"]\n[main]\ncapslock = \"layer(control)\"\n");
    let mut e = Engine::new(p.keymap.clone());
    let mut out = Vec::new();
    let t = Duration::ZERO;
    e.process(KeyEvent::down(Key::CAPSLOCK), t, &mut out);
    e.process(KeyEvent::down(Key::A), t, &mut out);
    out.clear();
    e.release_all(&mut out);
    assert_eq!(out, vec![KeyEvent::up(Key::A), KeyEvent::up(Key::LEFTCTRL)]);
    assert!(e.is_idle());
    out.clear();
    // The physical releases that follow produce nothing.
    e.process(KeyEvent::up(Key::A), t, &mut out);
    e.process(KeyEvent::up(Key::CAPSLOCK), t, &mut out);
    assert_eq!(out, vec![]);
}

#[test]
fn set_keymap_releases_what_the_old_keymap_held() {
    let old = common::profile(SWAP);
    let new = common::profile("ids = [\"*\"]\n[main]\nleftcontrol = \"leftalt\"\n");
    let mut e = Engine::new(old.keymap.clone());
    let mut out = Vec::new();
    let t = Duration::ZERO;
    e.process(KeyEvent::down(Key::LEFTCTRL), t, &mut out);
    e.set_keymap(Arc::clone(&new.keymap), &mut out);
    e.process(KeyEvent::up(Key::LEFTCTRL), t, &mut out);
    e.process(KeyEvent::down(Key::LEFTCTRL), t, &mut out);
    e.process(KeyEvent::up(Key::LEFTCTRL), t, &mut out);
    let s: Vec<String> = out.iter().map(|e| e.to_string()).collect();
    assert_eq!(s, ["leftmeta down", "leftmeta up", "leftalt down", "leftalt up"]);
}

#[test]
fn no_timers_without_timed_actions() {
    let p = common::profile(SWAP);
    let mut e = Engine::new(p.keymap.clone());
    let mut out = Vec::new();
    assert_eq!(e.process(KeyEvent::new(Key::A, KeyValue::Down), Duration::from_millis(5), &mut out), None);
    assert_eq!(e.next_deadline(), None);
}

/// keyd's default aliases: an unbound right control, shift or meta is its modifier layer
/// (`control`, `shift`, `meta`), which holds the left-hand key; right alt is `altgr`. A binding
/// of the key itself keeps it.
#[test]
fn right_modifiers_come_out_as_keyd_emits_them() {
    let p = "ids = [\"*\"]\n[main]\n";
    assert_eq!(
        sim(p, "rightcontrol down, a down, a up, rightcontrol up"),
        "leftcontrol down, a down, a up, leftcontrol up"
    );
    assert_eq!(sim(p, "rightshift down, rightshift up"), "leftshift down, leftshift up");
    assert_eq!(sim(p, "rightmeta down, rightmeta up"), "leftmeta down, leftmeta up");
    assert_eq!(sim(p, "rightalt down, rightalt up"), "rightalt down, rightalt up");
    // The `control` layer's bindings apply to right control too.
    let c = "ids = [\"*\"]\n[control]\na = \"b\"\n";
    assert_eq!(
        sim(c, "rightcontrol down, a down, a up, rightcontrol up"),
        "leftcontrol down, leftcontrol up, b down, b up, leftcontrol down, leftcontrol up"
    );
    // Bound to itself, right control stays right control.
    let keep = "ids = [\"*\"]\n[main]\nrightcontrol = \"rightcontrol\"\n";
    assert_eq!(sim(keep, "rightcontrol down, rightcontrol up"), "rightcontrol down, rightcontrol up");
}

/// keyd's modifier order: modifiers go down and up in one walk over alt, altgr, shift, meta,
/// control, whatever order they were asked for in.
#[test]
fn modifiers_go_down_and_up_in_keyds_order() {
    let p = "ids = [\"*\"]\n[main]\nf1 = \"M-C-S-x\"\nf2 = \"C-A-G-x\"\n";
    assert_eq!(
        sim(p, "f1 down, f1 up"),
        "leftshift down, leftmeta down, leftcontrol down, x down, x up, leftshift up, leftmeta up, leftcontrol up"
    );
    assert_eq!(
        sim(p, "f2 down, f2 up"),
        "leftalt down, rightalt down, leftcontrol down, x down, x up, leftalt up, rightalt up, leftcontrol up"
    );
}

/// An output key two bindings hold goes up with the first release, as in keyd; with
/// `hold_shared_keys` (keymapd's own), with the last.
#[test]
fn a_shared_key_goes_up_with_the_first_release_unless_hold_shared_keys() {
    let p = "ids = [\"*\"]\n[main]\ncapslock = \"esc\"\nf1 = \"S-a\"\n";
    assert_eq!(
        sim(p, "capslock down, esc down, capslock up, x down, esc up"),
        "esc down, esc up, esc down, esc up, x down"
    );
    let held = "ids = [\"*\"]\n[global]\nhold_shared_keys = true\n[main]\ncapslock = \"esc\"\n";
    assert_eq!(
        sim(held, "capslock down, esc down, capslock up, x down, esc up"),
        "esc down, esc up, esc down, x down, esc up"
    );
    // A modifier a layer holds, pressed again by a key (released first, as any key already
    // down) and let go by it: the layer's modifiers are pressed again after each (keyd: it is
    // simply not down any more).
    let m = "ids = [\"*\"]\n[main]\nf1 = \"layer(shift)\"\nf2 = \"C-leftshift\"\n";
    assert_eq!(
        sim(m, "f1 down, f2 down, f2 up, a down, a up, f1 up"),
        "leftshift down, leftshift up, leftshift down, leftcontrol down, leftshift up, leftshift down, \
         leftcontrol up, a down, a up, leftshift up"
    );
}

#[test]
fn active_layers_are_read_most_recent_first_and_end_with_their_keys() {
    let p = common::profile(
        "ids = [\"*\"]\n[main]\ncapslock = \"layer(nav)\"\ntab = \"layer(sym)\"\nf1 = \"toggle(fn)\"\n\
         [nav]\nh = \"left\"\n[sym]\nj = \"1\"\n[fn]\nk = \"f2\"\n",
    );
    let names =
        |e: &Engine| -> Vec<String> { e.active_layers().map(|l| p.keymap.layer(l).name.clone()).collect() };
    let mut e = Engine::new(p.keymap.clone());
    let mut out = Vec::new();
    let t = Duration::ZERO;
    assert!(names(&e).is_empty());
    e.process(KeyEvent::down(Key::CAPSLOCK), t, &mut out);
    assert_eq!(names(&e), ["nav"]);
    e.process(KeyEvent::down(Key::TAB), t, &mut out);
    assert_eq!(names(&e), ["sym", "nav"]);
    e.process(KeyEvent::up(Key::CAPSLOCK), t, &mut out);
    assert_eq!(names(&e), ["sym"]);
    e.process(KeyEvent::up(Key::TAB), t, &mut out);
    e.process(KeyEvent::down(Key::F1), t, &mut out);
    e.process(KeyEvent::up(Key::F1), t, &mut out);
    assert_eq!(names(&e), ["fn"], "a toggled layer stays after its key");
}
