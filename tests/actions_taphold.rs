//! keyd's tap-hold actions with injected time: `overload`, `overloadt`, `overloadt2`,
//! `overloadi`, `lettermod`, `timeout`, `overload_tap_timeout`, and the modifier guard.

use common::sim;
use keymapd_testkit::sim as common;

const P: &str = r#"
ids = ["*"]
[main]
capslock = "overload(control, esc)"
leftmeta = "overload(meta, esc)"
tab = "overload(nav, macro(h i))"
rightctrl = "overload(nav, toggle(nav))"
a = "overloadt(nav, a, 200)"
s = "overloadt2(nav, s, 200)"
f = "timeout(f, 300, layer(control))"
d = "lettermod(shift, d, 150, 200)"
g = "overloadi(g, overloadt2(nav, x, 200), 100)"
insert = "noop"
f11 = "C-e"
f12 = "S-e"
[nav]
h = "left"
j = "down"
"#;

#[test]
fn overload_tap_hold_and_interruption() {
    assert_eq!(sim(P, "capslock down, capslock up"), "leftcontrol down, leftcontrol up, esc down, esc up");
    assert_eq!(
        sim(P, "capslock down, c down, c up, capslock up"),
        "leftcontrol down, c down, c up, leftcontrol up"
    );
    // A key pressed while held (even still down at the release) means no tap.
    assert_eq!(
        sim(P, "capslock down, c down, capslock up, c up"),
        "leftcontrol down, c down, leftcontrol up, c up"
    );
    // A key released (not pressed) meanwhile does not count.
    assert_eq!(
        sim(P, "x down, capslock down, x up, capslock up"),
        "x down, leftcontrol down, x up, leftcontrol up, esc down, esc up"
    );
    // Without overload_tap_timeout, a long lone hold still taps (keyd).
    assert_eq!(
        sim(P, "capslock down, 5000ms, capslock up"),
        "leftcontrol down, leftcontrol up, esc down, esc up"
    );
}

#[test]
fn overload_nests_macros_and_layer_actions_as_its_tap() {
    assert_eq!(sim(P, "tab down, tab up"), "h down, h up, i down, i up");
    assert_eq!(sim(P, "tab down, h down, h up, tab up"), "left down, left up");
    // Tap toggles nav on; holding still works; tapping again toggles it off.
    assert_eq!(
        sim(P, "rightctrl down, rightctrl up, h down, h up, rightctrl down, rightctrl up, h down, h up"),
        "left down, left up, h down, h up"
    );
}

#[test]
fn overload_tap_timeout_at_the_boundary() {
    let p = P.replace("[main]", "[global]\noverload_tap_timeout = 200\n[main]");
    assert_eq!(
        sim(&p, "capslock down, 199ms, capslock up"),
        "leftcontrol down, leftcontrol up, esc down, esc up"
    );
    assert_eq!(sim(&p, "capslock down, 200ms, capslock up"), "leftcontrol down, leftcontrol up");
}

#[test]
fn overloadt_taps_before_its_timeout_and_holds_from_it() {
    assert_eq!(sim(P, "a down, a up"), "a down, a up");
    assert_eq!(sim(P, "a down, 199ms, a up"), "a down, a up");
    assert_eq!(sim(P, "a down, 200ms, a up"), "");
    assert_eq!(sim(P, "a down, 200ms, h down, h up, a up"), "left down, left up");
    assert_eq!(sim(P, "a down, 199ms, h down, h up, a up"), "a down, h down, h up, a up");
}

#[test]
fn overloadt_holds_other_keys_back_until_it_knows() {
    // Keys struck while pending wait; a release of the overloaded key first means tap.
    assert_eq!(sim(P, "a down, h down, h up, a up"), "a down, h down, h up, a up");
    // Still pending when its time is up: the waiting keys see the layer.
    assert_eq!(sim(P, "a down, h down, 200ms, h up, a up"), "left down, left up");
    assert_eq!(sim(P, "a down, h down, 199ms, h up, a up"), "a down, h down, h up, a up");
    // A key pressed before it is released straight through.
    assert_eq!(sim(P, "x down, a down, x up, a up"), "x down, x up, a down, a up");
}

#[test]
fn overloadt_at_the_queue_bound_resolves_as_hold_and_drops_nothing() {
    let steps = format!("a down, {}, a up, h down, h up", ["x down, x up"; 20].join(", "));
    let want = format!("{}, h down, h up", ["x down, x up"; 20].join(", "));
    assert_eq!(sim(P, &steps), want);
}

#[test]
fn overloadt2_resolves_as_hold_on_a_tap_inside() {
    assert_eq!(sim(P, "s down, h down, h up, s up"), "left down, left up");
    // A roll (the other key still down when s goes up) is a tap.
    assert_eq!(sim(P, "s down, h down, s up, h up"), "s down, h down, s up, h up");
    assert_eq!(sim(P, "s down, 199ms, s up"), "s down, s up");
    assert_eq!(sim(P, "s down, 200ms, s up"), "");
    assert_eq!(sim(P, "s down, 200ms, j down, j up, s up"), "down down, down up");
}

#[test]
fn timeout_tap_hold_interruption_and_boundary() {
    assert_eq!(sim(P, "f down, f up"), "f down, f up");
    assert_eq!(sim(P, "f down, 299ms, f up"), "f down, f up");
    assert_eq!(sim(P, "f down, 300ms, f up"), "leftcontrol down, leftcontrol up");
    assert_eq!(sim(P, "f down, 300ms, c down, c up, f up"), "leftcontrol down, c down, c up, leftcontrol up");
    // Another key before the time is up: the first action, held until the key goes up.
    assert_eq!(sim(P, "f down, 100ms, c down, c up, f up"), "f down, c down, c up, f up");
}

#[test]
fn lettermod_types_fast_and_holds_when_idle() {
    // Idle: overloadt2(shift, d, 200).
    assert_eq!(sim(P, "d down, d up"), "d down, d up");
    assert_eq!(sim(P, "d down, 200ms, x down, x up, d up"), "leftshift down, x down, x up, leftshift up");
    assert_eq!(sim(P, "d down, x down, x up, d up"), "leftshift down, x down, x up, leftshift up");
    assert_eq!(sim(P, "d down, x down, d up, x up"), "d down, x down, d up, x up");
    // Typing: a plain key less than 150 ms before makes d a plain d, however long it is held.
    assert_eq!(sim(P, "e down, e up, 149ms, d down, 300ms, d up"), "e down, e up, d down, d up");
    assert_eq!(
        sim(P, "e down, e up, 150ms, d down, 200ms, x down, x up, d up"),
        "e down, e up, leftshift down, x down, x up, leftshift up"
    );
}

#[test]
fn overloadi_picks_by_idle_time() {
    assert_eq!(sim(P, "g down, g up"), "x down, x up");
    assert_eq!(sim(P, "e down, e up, 99ms, g down, g up"), "e down, e up, g down, g up");
    assert_eq!(sim(P, "e down, e up, 100ms, g down, g up"), "e down, e up, x down, x up");
    // A binding with modifiers other than shift is not typing (keyd looks at the binding, so a
    // physically held control does not count).
    assert_eq!(
        sim(P, "f11 down, f11 up, g down, g up"),
        "leftcontrol down, e down, e up, leftcontrol up, x down, x up"
    );
    assert_eq!(
        sim(P, "f12 down, f12 up, g down, g up"),
        "leftshift down, e down, e up, leftshift up, g down, g up"
    );
}

#[test]
fn modifier_guard() {
    // A lone tap of a (mapped or unmapped) meta key is what the user typed: unguarded.
    assert_eq!(sim(P, "rightmeta down, rightmeta up"), "rightmeta down, rightmeta up");
    // overload(meta, esc) tapped: meta alone would open the menu; control covers its release.
    assert_eq!(
        sim(P, "leftmeta down, leftmeta up"),
        "leftmeta down, leftcontrol down, leftmeta up, leftcontrol up, esc down, esc up"
    );
    // Meta held over a key that types nothing.
    assert_eq!(
        sim(P, "rightmeta down, insert down, insert up, rightmeta up"),
        "rightmeta down, leftcontrol down, rightmeta up, leftcontrol up"
    );
    // Not needed when control is down anyway, nor after another key.
    assert_eq!(
        sim(P, "leftcontrol down, leftmeta down, leftmeta up, leftcontrol up"),
        "leftcontrol down, leftmeta down, leftmeta up, esc down, esc up, leftcontrol up"
    );
    assert_eq!(
        sim(P, "rightmeta down, t down, t up, rightmeta up"),
        "rightmeta down, t down, t up, rightmeta up"
    );
    // A binding in the alt layer releases alt first: guarded; and so is the alt pressed again
    // after it, when the layer key goes up.
    let alt = "ids = [\"*\"]\n[main]\ncapslock = \"layer(alt)\"\n[alt]\nj = \"down\"\n";
    assert_eq!(
        sim(alt, "capslock down, j down, j up, capslock up"),
        "leftalt down, leftcontrol down, leftalt up, leftcontrol up, down down, down up, leftalt down, \
         leftcontrol down, leftalt up, leftcontrol up"
    );
    let off = P.replace("[main]", "[global]\ndisable_modifier_guard = true\n[main]");
    assert_eq!(sim(&off, "leftmeta down, leftmeta up"), "leftmeta down, leftmeta up, esc down, esc up");
}

#[test]
fn timeout_can_start_an_overload() {
    // keyd's "simlayer": a layer key that still types (and repeats) its key when held alone.
    let p =
        "ids = [\"*\"]\n[main]\nbackspace = \"timeout(overload(shortcuts, backspace), 500, backspace)\"\n\
             [shortcuts]\n1 = \"M-pageup\"\n";
    assert_eq!(sim(p, "backspace down, 100ms, backspace up"), "backspace down, backspace up");
    assert_eq!(sim(p, "backspace down, 499ms, backspace up"), "backspace down, backspace up");
    assert_eq!(
        sim(p, "backspace down, 500ms, backspace repeat, backspace up"),
        "backspace down, backspace repeat, backspace up"
    );
    assert_eq!(
        sim(p, "backspace down, 100ms, 1 down, 1 up, backspace up"),
        "leftmeta down, pageup down, pageup up, leftmeta up"
    );
}

#[test]
fn overloadt_and_timeout_nest_macros_and_layer_actions() {
    let p = "ids = [\"*\"]\n[main]\nf1 = \"overloadt(nav, macro(x y), 200)\"\nf2 = \"timeout(toggle(nav), 200, oneshot(shift))\"\n\
             [nav]\nh = \"left\"\n";
    assert_eq!(sim(p, "f1 down, 199ms, f1 up"), "x down, x up, y down, y up");
    assert_eq!(sim(p, "f1 down, 200ms, h down, h up, f1 up"), "left down, left up");
    // Tapped: toggles nav; held alone: a oneshot shift for the next key.
    assert_eq!(sim(p, "f2 down, f2 up, h down, h up"), "left down, left up");
    assert_eq!(
        sim(p, "f2 down, 200ms, f2 up, h down, h up, h down, h up"),
        "leftshift down, h down, h up, leftshift up, h down, h up"
    );
    // A control already down (either one) makes the guard unnecessary.
    let g = "ids = [\"*\"]\n[main]\nleftmeta = \"overload(meta, esc)\"\n";
    assert_eq!(
        sim(g, "rightctrl down, leftmeta down, leftmeta up, rightctrl up"),
        "rightcontrol down, leftmeta down, leftmeta up, esc down, esc up, rightcontrol up"
    );
}

/// `overloadi(g, overloadt2(nav, x, 200), 100)` held and interrupted: idle, the slow branch
/// decides as an `overloadt2` does; typing, the fast branch is a plain key from its press on.
#[test]
fn overloadi_held_and_interrupted() {
    // Idle and held to the slow branch's timeout: its layer; released just before: its tap.
    assert_eq!(sim(P, "g down, 200ms, h down, h up, g up"), "left down, left up");
    assert_eq!(sim(P, "g down, 199ms, g up"), "x down, x up");
    assert_eq!(sim(P, "g down, 200ms, g up"), "");
    // Idle and interrupted by a tap inside: the layer (overloadt2); by an overlapping press
    // that outlasts it: the tap, then the key.
    assert_eq!(sim(P, "g down, h down, h up, g up"), "left down, left up");
    assert_eq!(sim(P, "g down, h down, g up, h up"), "x down, h down, x up, h up");
    // Typing: the fast branch, pressed at once, held however long, and interrupted freely.
    assert_eq!(
        sim(P, "e down, e up, 50ms, g down, 300ms, h down, h up, g up"),
        "e down, e up, g down, h down, h up, g up"
    );
    assert_eq!(
        sim(P, "e down, e up, 99ms, g down, h down, h up, g up"),
        "e down, e up, g down, h down, h up, g up"
    );
    assert_eq!(sim(P, "e down, e up, 100ms, g down, h down, h up, g up"), "e down, e up, left down, left up");
}

/// keyd counts a plain key's release as typing, as its press: a key held long and let go just
/// before the `overloadi()` key makes it fast.
#[test]
fn overloadi_counts_idle_time_from_the_last_release_too() {
    assert_eq!(
        sim(P, "e down, 150ms, e up, 99ms, g down, h down, h up, g up"),
        "e down, e up, g down, h down, h up, g up"
    );
    assert_eq!(
        sim(P, "e down, 150ms, e up, 100ms, g down, h down, h up, g up"),
        "e down, e up, left down, left up"
    );
    // A plain key still held is typing since its press.
    assert_eq!(sim(P, "e down, 200ms, g down, h down, h up, g up, e up"), "e down, left down, left up, e up");
}
