//! Macros with injected time: delays are deadlines (other keys keep working), repetition of a
//! held macro key (`macro_timeout`, `macro_repeat_timeout`, `macro2`), `macro_sequence_timeout`,
//! `repeat()`, and `command()`.

use common::sim;
use keymapd_testkit::sim as common;

use std::sync::Arc;
use std::time::Duration;

use keymapd::engine::{Engine, KeyEvent};
use keymapd::keys::Key;

const M: &str = r#"
ids = ["*"]
[global]
macro_timeout = 300
macro_repeat_timeout = 100
[main]
f1 = "macro(C-a 50ms hi)"
f2 = "macro2(200, 40, x)"
f3 = "macro2(0, 0, macro(y z))"
f4 = "repeat()"
f5 = "macro(a 100ms b 100ms c)"
f7 = "macro(Hi)"
capslock = "layer(control)"
[control]
f6 = "macro(hi)"
"#;

const CA_HI: &str = "leftcontrol down, a down, a up, leftcontrol up, h down, h up, i down, i up";

#[test]
fn a_macro_plays_its_steps_at_their_deadlines() {
    assert_eq!(sim(M, "f1 down, f1 up, 49ms"), "leftcontrol down, a down, a up, leftcontrol up");
    assert_eq!(sim(M, "f1 down, f1 up, 50ms"), CA_HI);
    assert_eq!(sim(M, "f7 down, f7 up"), "leftshift down, h down, h up, leftshift up, i down, i up");
}

#[test]
fn typing_goes_on_while_a_macro_waits() {
    assert_eq!(
        sim(M, "f1 down, f1 up, 10ms, z down, z up, 40ms"),
        "leftcontrol down, a down, a up, leftcontrol up, z down, z up, h down, h up, i down, i up"
    );
    assert_eq!(
        sim(M, "f5 down, f5 up, 150ms, z down, z up, 100ms"),
        "a down, a up, b down, b up, z down, z up, c down, c up"
    );
    // A held key's modifiers apply to what the macro types meanwhile (as in keyd).
    assert_eq!(
        sim(M, "leftshift down, f3 down, f3 up, leftshift up"),
        "leftshift down, y down, y up, z down, z up, leftshift up"
    );
}

#[test]
fn macros_started_while_one_plays_wait_their_turn() {
    assert_eq!(
        sim(M, "f5 down, f5 up, 10ms, f1 down, f1 up, 300ms"),
        format!("a down, a up, b down, b up, c down, c up, {CA_HI}")
    );
    // At most 8 wait; more are dropped whole.
    let steps = ["f5 down, f5 up"; 10].join(", ") + ", 5000ms";
    assert_eq!(sim(M, &steps).matches("c down").count(), 8);
}

#[test]
fn a_macro_in_a_modifier_layer_plays_without_that_modifier() {
    assert_eq!(
        sim(M, "capslock down, f6 down, f6 up, capslock up"),
        "leftcontrol down, leftcontrol up, h down, h up, i down, i up, leftcontrol down, leftcontrol up"
    );
}

#[test]
fn a_held_macro_key_repeats_from_macro2_timing() {
    let x = |n: usize| vec!["x down, x up"; n].join(", ");
    assert_eq!(sim(M, "f2 down, 199ms, f2 up"), x(1));
    assert_eq!(sim(M, "f2 down, 200ms, f2 up"), x(2));
    assert_eq!(sim(M, "f2 down, 239ms, f2 up"), x(2));
    assert_eq!(sim(M, "f2 down, 240ms, f2 up"), x(3));
    assert_eq!(sim(M, "f2 down, 240ms, f2 up, 1000ms"), x(3));
    // Any other key event stops the repetition.
    assert_eq!(sim(M, "f2 down, 100ms, z down, z up, 500ms, f2 up"), format!("{}, z down, z up", x(1)));
    // macro2 with timeout 0 never repeats.
    assert_eq!(sim(M, "f3 down, 5000ms, f3 up"), "y down, y up, z down, z up");
}

#[test]
fn global_macro_timing_counts_from_the_end_of_the_playback() {
    // Played 0..50 ms; first repetition at 50 + 300, which ends at 400; the next at 400 + 100.
    assert_eq!(sim(M, "f1 down, 349ms, f1 up, 500ms"), CA_HI);
    assert_eq!(sim(M, "f1 down, 350ms, f1 up, 500ms"), format!("{CA_HI}, {CA_HI}"));
    assert_eq!(sim(M, "f1 down, 499ms, f1 up, 500ms"), format!("{CA_HI}, {CA_HI}"));
    assert_eq!(sim(M, "f1 down, 500ms, f1 up, 500ms"), format!("{CA_HI}, {CA_HI}, {CA_HI}"));
}

#[test]
fn macro_sequence_timeout_spaces_every_key_event() {
    let p = M.replace("macro_timeout = 300", "macro_timeout = 300\nmacro_sequence_timeout = 1000");
    assert_eq!(sim(&p, "f3 down, f3 up"), "y down");
    assert_eq!(sim(&p, "f3 down, f3 up, 2ms"), "y down, y up, z down");
    assert_eq!(sim(&p, "f3 down, f3 up, 3ms"), "y down, y up, z down, z up");
}

#[test]
fn repeat_does_the_last_key_or_macro_again() {
    assert_eq!(sim(M, "f4 down, f4 up"), "");
    assert_eq!(sim(M, "a down, a up, f4 down, f4 up"), "a down, a up, a down, a up");
    // With the modifiers the key had.
    assert_eq!(
        sim(M, "leftshift down, a down, a up, leftshift up, f4 down, f4 up"),
        "leftshift down, a down, a up, leftshift up, leftshift down, a down, a up, leftshift up"
    );
    assert_eq!(
        sim(M, "f3 down, f3 up, f4 down, f4 up"),
        "y down, y up, z down, z up, y down, y up, z down, z up"
    );
}

#[test]
fn commands_are_handed_to_the_sink_only_when_allowed() {
    let p =
        "ids = [\"*\"]\n[global]\nallow_commands = true\n[main]\nf1 = \"command(brightnessctl s +10%)\"\n\
             leftshift = \"oneshot(shift)\"\n";
    assert_eq!(sim(p, "f1 down, f1 up"), "command brightnessctl s +10%");
    // A command uses up a pending oneshot, as a key would.
    assert_eq!(
        sim(p, "leftshift down, leftshift up, f1 down, f1 up, a down, a up"),
        "leftshift down, command brightnessctl s +10%, leftshift up, a down, a up"
    );
    // A sink that does not run commands still compiles and ignores them.
    let prof = common::profile(p);
    let mut e = Engine::new(Arc::clone(&prof.keymap));
    let mut out: Vec<KeyEvent> = Vec::new();
    e.process(KeyEvent::down(Key::F1), Duration::ZERO, &mut out);
    assert!(out.is_empty());
}

#[test]
fn tick_always_moves_past_now() {
    let prof = common::profile(M);
    let mut e = Engine::new(Arc::clone(&prof.keymap));
    let mut out: Vec<KeyEvent> = Vec::new();
    let mut now = Duration::ZERO;
    let mut deadline = e.process(KeyEvent::down(Key::F1), now, &mut out);
    let mut ticks = 0;
    while let Some(t) = deadline.filter(|&t| t < Duration::from_secs(2)) {
        assert!(t > now, "deadline {t:?} not after {now:?}");
        now = t;
        deadline = e.tick(now, &mut out);
        assert!(deadline.is_none_or(|d| d > now));
        ticks += 1;
    }
    assert!(ticks > 10, "a held macro key keeps repeating");
    e.process(KeyEvent::up(Key::F1), now, &mut out);
    assert_eq!(e.next_deadline().filter(|&d| d > now + Duration::from_millis(100)), None);
    e.release_all(&mut out);
    assert!(e.is_idle());
    assert_eq!(e.next_deadline(), None);
}

#[test]
fn clear_stops_a_repeating_macro_and_release_all_stops_playback() {
    let p = M.replace("[main]", "[main]\nf8 = \"clear()\"");
    // clear() is a key event anyway: the repetition stops.
    assert_eq!(sim(&p, "f2 down, 100ms, f8 down, f8 up, 500ms, f2 up"), "x down, x up");
    let prof = common::profile(M);
    let mut e = Engine::new(Arc::clone(&prof.keymap));
    let mut out: Vec<KeyEvent> = Vec::new();
    e.process(KeyEvent::down(Key::F5), Duration::ZERO, &mut out);
    assert_eq!(e.next_deadline(), Some(Duration::from_millis(100)));
    e.release_all(&mut out);
    assert!(e.is_idle());
    assert_eq!(e.next_deadline(), None, "a macro waiting to go on is forgotten");
    e.tick(Duration::from_millis(500), &mut out);
    assert_eq!(out.iter().map(|e| e.to_string()).collect::<Vec<_>>(), ["a down", "a up"]);
}

/// keyd's escapes in macro text: `\\` a backslash, `\n` enter, `\t` tab, `\(` and `\)`
/// parentheses (which would otherwise end the macro).
#[test]
fn macro_escapes() {
    let p = "ids = [\"*\"]\n[main]\nf1 = 'macro(\\\\)'\nf2 = 'macro(a\\nb\\t)'\nf3 = 'macro(\\(x\\))'\n\
             f4 = 'overload(control, macro(\\\\))'\n";
    assert_eq!(sim(p, "f1 down, f1 up"), "backslash down, backslash up");
    assert_eq!(
        sim(p, "f2 down, f2 up"),
        "a down, a up, enter down, enter up, b down, b up, tab down, tab up"
    );
    assert_eq!(
        sim(p, "f3 down, f3 up"),
        "leftshift down, 9 down, 9 up, leftshift up, x down, x up, leftshift down, 0 down, 0 up, leftshift up"
    );
    assert_eq!(sim(p, "f4 down, f4 up"), "leftcontrol down, leftcontrol up, backslash down, backslash up");
}

/// keyd's macro sequencing: the modifiers of the other active layers first (not the binding's
/// layer's), then per key sequence its modifiers down, the key, its modifiers up; a `+` group
/// held together and released in the order it was pressed; the layers' modifiers back at the end.
#[test]
fn macros_sequence_modifiers_as_keyd_does() {
    let p = "ids = [\"*\"]\n[main]\nf1 = \"layer(nav)\"\nf2 = \"layer(shift)\"\n\
             [\"nav:C\"]\ne = \"macro(leftcontrol o+n leftcontrol+1)\"\nx = \"macro(A-x y)\"\nc = \"macro(S-c)\"\n";
    assert_eq!(
        sim(p, "f1 down, e down, e up, f1 up"),
        "leftcontrol down, leftcontrol up, leftcontrol down, leftcontrol up, o down, n down, o up, n up, \
         leftcontrol down, 1 down, leftcontrol up, 1 up, leftcontrol down, leftcontrol up"
    );
    // Another layer's shift stays through the macro, but a key sequence's own modifiers go.
    assert_eq!(
        sim(p, "f2 down, f1 down, x down, x up, f1 up, f2 up"),
        "leftshift down, leftcontrol down, leftcontrol up, leftalt down, x down, x up, leftalt up, y down, y up, \
         leftcontrol down, leftcontrol up, leftshift up"
    );
    // One key sequence: straight from the layers' modifiers to its own, and back.
    assert_eq!(
        sim(p, "f1 down, c down, c up, f1 up"),
        "leftcontrol down, leftshift down, leftcontrol up, c down, c up, leftshift up, leftcontrol down, leftcontrol up"
    );
}
