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
    assert_eq!(sim(P, "f down, 1ms, f up"), "f down, f up");
    assert_eq!(sim(P, "f down, 299ms, f up"), "f down, f up");
    // Pressed and released in one millisecond (keyd 2.6): it waits out its time; the next key
    // event before then taps the first action, its time running out taps the second.
    assert_eq!(sim(P, "f down, f up"), "");
    assert_eq!(sim(P, "f down, f up, 299ms, c down, c up"), "f down, f up, c down, c up");
    assert_eq!(sim(P, "f down, f up, 300ms, c down, c up"), "leftcontrol down, leftcontrol up, c down, c up");
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
    // A lone tap of a (mapped or unmapped) meta key is what the user typed: unguarded. (Right
    // meta is `meta` by keyd's default aliases: it comes out as left meta.)
    assert_eq!(sim(P, "rightmeta down, rightmeta up"), "leftmeta down, leftmeta up");
    // overload(meta, esc) tapped: meta alone would open the menu; control covers its release.
    assert_eq!(
        sim(P, "leftmeta down, leftmeta up"),
        "leftmeta down, leftcontrol down, leftmeta up, leftcontrol up, esc down, esc up"
    );
    // Meta held over a key that types nothing.
    assert_eq!(
        sim(P, "rightmeta down, insert down, insert up, rightmeta up"),
        "leftmeta down, leftcontrol down, leftmeta up, leftcontrol up"
    );
    // Not needed when control is down anyway, nor after another key.
    assert_eq!(
        sim(P, "leftcontrol down, leftmeta down, leftmeta up, leftcontrol up"),
        "leftcontrol down, leftmeta down, leftmeta up, esc down, esc up, leftcontrol up"
    );
    assert_eq!(
        sim(P, "rightmeta down, t down, t up, rightmeta up"),
        "leftmeta down, t down, t up, leftmeta up"
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
        "leftcontrol down, leftmeta down, leftmeta up, esc down, esc up, leftcontrol up"
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

/// keyd 2.6: a `timeout()` that is the tap of another action is pressed and released at once,
/// so it waits out its time after the release: the next key event before then taps its first
/// action, its time running out taps the second. Nothing is held back meanwhile.
#[test]
fn a_tapped_timeout_waits_out_its_time() {
    let p = "ids = [\"*\"]\n[main]\nf1 = \"overloadt(control, timeout(a, 100, b), 100)\"\n\
             f2 = \"timeout(timeout(a, 100, b), 200, c)\"\n";
    assert_eq!(sim(p, "f1 down, 10ms, f1 up, 99ms, x down, x up"), "a down, a up, x down, x up");
    assert_eq!(sim(p, "f1 down, 10ms, f1 up, 100ms, x down, x up"), "b down, b up, x down, x up");
    // A release of another key decides it too.
    assert_eq!(sim(p, "x down, f1 down, 10ms, f1 up, x up"), "x down, a down, a up, x up");
    // Nested: the outer one tapped presses the inner one at its release.
    assert_eq!(sim(p, "f2 down, 50ms, f2 up, 99ms, x down, x up"), "a down, a up, x down, x up");
    assert_eq!(sim(p, "f2 down, 50ms, f2 up, 100ms, x down, x up"), "b down, b up, x down, x up");
    assert_eq!(sim(p, "f2 down, 200ms, f2 up"), "c down, c up");
    // Held, it holds nothing back: another key's release goes through.
    assert_eq!(sim(p, "x down, f2 down, x up, 200ms, f2 up"), "x down, x up, c down, c up");
}

/// keyd arms no timer for a time already past: an `overloadt()` pressed while another one was
/// deciding, replayed once that one is decided when its own time is up too, is decided by the
/// next key event (as timed out), not at once.
#[test]
fn a_replayed_overloadt_whose_time_is_past_waits_for_the_next_event() {
    let p = "ids = [\"*\"]\n[main]\nf1 = \"overloadt(control, a, 10)\"\nf2 = \"overloadt(shift, b, 10)\"\n";
    // f2 pressed at 0 ms, replayed at 10 ms when f1 becomes control: its time is up, but it
    // waits; f1's release (pressed before it) goes through, then f2's own release decides it.
    assert_eq!(
        sim(p, "f1 down, f2 down, 11ms, f1 up, f2 up"),
        "leftcontrol down, leftcontrol up, leftshift down, leftshift up"
    );
    // A press decides it too, as timed out: the layer, then the key in it.
    assert_eq!(
        sim(p, "f1 down, f2 down, 50ms, x down, x up, f2 up, f1 up"),
        "leftcontrol down, leftshift down, x down, x up, leftshift up, leftcontrol up"
    );
    // Pressed later, its time is still ahead when it is replayed: the clock decides it.
    assert_eq!(sim(p, "f1 down, 5ms, f2 down, 10ms"), "leftcontrol down, leftshift down");
    // Waiting so, a full queue decides it as timed out, like any pending key.
    let mut steps = String::from("f1 down, f2 down, 11ms");
    let mut want = String::from("leftcontrol down");
    for i in 0..20 {
        steps.push_str(", x down, x up");
        if i == 0 {
            want.push_str(", leftshift down");
        }
        want.push_str(", x down, x up");
    }
    assert_eq!(sim(p, &steps), want);
    // Replayed with its time still ahead, then a full queue in that same millisecond: decided
    // at once as timed out (found by fuzzing: this once looped forever).
    let mut steps = String::from("f1 down, 5ms, f2 down, 5ms");
    let mut want = String::from("leftcontrol down, leftshift down");
    for _ in 0..20 {
        steps.push_str(", x down, x up");
        want.push_str(", x down, x up");
    }
    assert_eq!(sim(p, &steps), want);
}

/// The tap of `overload()` can be a `timeout()`: tapped, it waits out its time (keyd 2.6).
#[test]
fn a_timeout_can_be_the_tap_of_overload() {
    let p = "ids = [\"*\"]\n[main]\nf1 = \"overload(control, timeout(a, 100, b))\"\n";
    assert_eq!(
        sim(p, "f1 down, f1 up, 99ms, x down, x up"),
        "leftcontrol down, leftcontrol up, a down, a up, x down, x up"
    );
    assert_eq!(sim(p, "f1 down, f1 up, 100ms"), "leftcontrol down, leftcontrol up, b down, b up");
}
