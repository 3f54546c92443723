//! Chords with injected time: keys struck within `chord_timeout` act as one; disambiguation
//! between a chord and a longer one; `chord_hold_timeout`; chords in layers.

use common::sim;
use keymapd_testkit::sim as common;

const C: &str = r#"
ids = ["*"]
[main]
"j+k" = "esc"
"a+s" = "x"
"a+s+d" = "y"
"v+b" = "layer(nav)"
capslock = "layer(nav)"
[nav]
"n+m" = "C-z"
h = "left"
"#;

#[test]
fn a_chord_acts_once_all_its_keys_are_down_and_ends_with_the_last() {
    assert_eq!(sim(C, "j down, k down, k up, j up"), "esc down, esc up");
    assert_eq!(sim(C, "k down, j down, 10ms, j up, 100ms, k up"), "esc down, esc up");
    assert_eq!(
        sim(C, "j down, k down, j up, k up, j down, k down, k up, j up"),
        "esc down, esc up, esc down, esc up"
    );
}

#[test]
fn chord_timeout_at_the_boundary() {
    assert_eq!(sim(C, "j down, 49ms, k down, k up, j up"), "esc down, esc up");
    assert_eq!(sim(C, "j down, 50ms, k down, k up, j up"), "j down, k down, k up, j up");
    // Alone and held: the key itself once the chord time is up.
    assert_eq!(sim(C, "j down, 49ms"), "");
    assert_eq!(sim(C, "j down, 50ms"), "j down");
}

/// A `chord_timeout` other than the default is the one used: 120 ms, where the default 50 would
/// have given up on every one of these chords long before.
#[test]
fn a_non_default_chord_timeout_is_used_at_its_boundary() {
    let p = C.replace("[main]", "[global]\nchord_timeout = 120\n[main]");
    // Inside the window: well past the default, and one millisecond before the boundary.
    assert_eq!(sim(&p, "j down, 80ms, k down, k up, j up"), "esc down, esc up");
    assert_eq!(sim(&p, "j down, 119ms, k down, k up, j up"), "esc down, esc up");
    // At the boundary the time is up: the keys are themselves.
    assert_eq!(sim(&p, "j down, 120ms, k down, k up, j up"), "j down, k down, k up, j up");
    // A lone held key waits for the whole window, then is itself.
    assert_eq!(sim(&p, "j down, 119ms"), "");
    assert_eq!(sim(&p, "j down, 120ms"), "j down");
    // A chord that could grow waits the same window for the longer one, from its last key.
    assert_eq!(sim(&p, "a down, s down, 119ms, d down, d up, s up, a up"), "y down, y up");
    assert_eq!(sim(&p, "a down, 100ms, s down, 119ms"), "");
    assert_eq!(sim(&p, "a down, 100ms, s down, 120ms, s up, a up"), "x down, x up");
    // A short window: 10 ms.
    let p = C.replace("[main]", "[global]\nchord_timeout = 10\n[main]");
    assert_eq!(sim(&p, "j down, 9ms, k down, k up, j up"), "esc down, esc up");
    assert_eq!(sim(&p, "j down, 10ms, k down, k up, j up"), "j down, k down, k up, j up");
}

#[test]
fn anything_else_replays_the_keys_as_themselves() {
    assert_eq!(sim(C, "j down, j up"), "j down, j up");
    assert_eq!(sim(C, "j down, x down, x up, j up"), "j down, x down, x up, j up");
    // Keys in no chord are never delayed.
    assert_eq!(sim(C, "x down"), "x down");
}

#[test]
fn a_chord_that_could_grow_waits_for_the_longer_one() {
    assert_eq!(sim(C, "a down, s down, d down, d up, s up, a up"), "y down, y up");
    assert_eq!(sim(C, "a down, s down, 49ms, d down, d up, s up, a up"), "y down, y up");
    // Time up with the shorter one complete: the shorter one.
    assert_eq!(sim(C, "a down, s down, 50ms, s up, a up"), "x down, x up");
    // A key released while the chord could still grow gives it up, complete or not (keyd).
    assert_eq!(sim(C, "a down, s down, s up, a up"), "a down, s down, s up, a up");
    // The time counts from the last key: s at 30 ms waits until 80 ms.
    assert_eq!(sim(C, "a down, 30ms, s down, 49ms"), "");
    assert_eq!(sim(C, "a down, 30ms, s down, 50ms, s up, a up"), "x down, x up");
}

#[test]
fn chord_hold_timeout_at_the_boundary() {
    let p = C.replace("[main]", "[global]\nchord_hold_timeout = 100\n[main]");
    assert_eq!(sim(&p, "j down, k down, 99ms"), "");
    assert_eq!(sim(&p, "j down, k down, 100ms, k up, j up"), "esc down, esc up");
    // Released before its hold time: not a chord.
    assert_eq!(sim(&p, "j down, k down, 99ms, k up, j up"), "j down, k down, k up, j up");
    // Other keys struck while it is held wait for the decision.
    assert_eq!(sim(&p, "j down, k down, x down, 100ms, x up, k up, j up"), "esc down, x down, x up, esc up");
}

#[test]
fn chords_belong_to_their_layer() {
    assert_eq!(
        sim(C, "capslock down, n down, m down, m up, n up, capslock up"),
        "leftcontrol down, z down, z up, leftcontrol up"
    );
    assert_eq!(sim(C, "n down, m down, m up, n up"), "n down, m down, m up, n up");
    // A chord can hold a layer.
    assert_eq!(
        sim(C, "v down, b down, h down, h up, b up, v up, h down, h up"),
        "left down, left up, h down, h up"
    );
}

#[test]
fn a_chord_can_be_a_tap_hold_key() {
    let p =
        "ids = [\"*\"]\n[main]\n\"j+k\" = \"overloadt(nav, esc, 200)\"\n\"d+f\" = \"timeout(x, 300, y)\"\n\
             [nav]\nh = \"left\"\n";
    // Released (any of its keys) before 200 ms: the tap.
    assert_eq!(sim(p, "j down, k down, 100ms, k up, j up"), "esc down, esc up");
    assert_eq!(sim(p, "j down, k down, 199ms, j up, k up"), "esc down, esc up");
    // Held: the layer, until the last key goes up.
    assert_eq!(
        sim(p, "j down, k down, 200ms, h down, h up, k up, h down, h up, j up, h down, h up"),
        "left down, left up, left down, left up, h down, h up"
    );
    assert_eq!(sim(p, "d down, f down, 299ms, f up, d up"), "x down, x up");
    assert_eq!(sim(p, "d down, f down, 300ms, f up, d up"), "y down, y up");
}

#[test]
fn a_key_released_and_pressed_again_while_a_chord_waits_is_not_lost() {
    assert_eq!(
        sim(C, "x down, j down, x up, x down, x up, 50ms, j up"),
        "x down, j down, x up, x down, x up, j up"
    );
}
