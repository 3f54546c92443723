//! Application layers (`["app:GLOB"]`): active while the focused application's id matches,
//! the most specific pattern wins, composites with them, and a focus change never changes what a
//! held key does. Time is injected (`<N>ms` script steps); focus changes are `focus` steps.

use std::sync::Arc;
use std::time::Duration;

use keymapd::engine::{Engine, KeyEvent};
use keymapd::keys::Key;
use keymapd_testkit::sim::{profile, sim};

const KITTY: &str = r#"
ids = ["*"]
["app:kitty"]
a = "b"
"#;

#[test]
fn active_only_while_its_application_has_the_focus() {
    assert_eq!(sim(KITTY, "a down, a up"), "a down, a up");
    assert_eq!(sim(KITTY, "focus kitty, a down, a up"), "b down, b up");
    assert_eq!(sim(KITTY, "focus firefox, a down, a up"), "a down, a up");
    // `focus` alone: no window has the focus.
    assert_eq!(sim(KITTY, "focus kitty, focus, a down, a up"), "a down, a up");
    assert_eq!(
        sim(KITTY, "focus kitty, focus firefox, a down, a up, focus kitty, a down, a up"),
        "a down, a up, b down, b up"
    );
}

#[test]
fn patterns_are_case_sensitive_globs() {
    assert_eq!(sim(KITTY, "focus Kitty, a down, a up"), "a down, a up");
    assert_eq!(sim(KITTY, "focus kitty2, a down, a up"), "a down, a up");
    let gnome = "ids = [\"*\"]\n[\"app:org.gnome.*\"]\na = \"b\"\n";
    assert_eq!(sim(gnome, "focus org.gnome.Terminal, a down, a up"), "b down, b up");
    assert_eq!(sim(gnome, "focus org.gnome.Nautilus, a down, a up"), "b down, b up");
    assert_eq!(sim(gnome, "focus org.kde.konsole, a down, a up"), "a down, a up");
    let any = "ids = [\"*\"]\n[\"app:*\"]\na = \"b\"\n";
    assert_eq!(sim(any, "focus anything at all, a down, a up"), "b down, b up");
    assert_eq!(sim(any, "focus, a down, a up"), "a down, a up");
    let q = "ids = [\"*\"]\n[\"app:xterm-?\"]\na = \"b\"\n";
    assert_eq!(sim(q, "focus xterm-1, a down, a up"), "b down, b up");
    assert_eq!(sim(q, "focus xterm-12, a down, a up"), "a down, a up");
}

const PRECEDENCE: &str = r#"
ids = ["*"]
["app:*"]
a = "1"
["app:org.gnome.*"]
a = "2"
["app:org.gnome.Terminal"]
a = "3"
["app:org.gnome.Termina?"]
a = "4"
["app:*.Terminal"]
a = "5"
"#;

#[test]
fn the_most_specific_pattern_wins() {
    let typed = |app: &str| sim(PRECEDENCE, &format!("focus {app}, a down, a up"));
    // An exact id beats every glob that matches it.
    assert_eq!(typed("org.gnome.Terminal"), "3 down, 3 up");
    // More literal characters: `org.gnome.Termina?` (17) over `org.gnome.*` (10) and `*` (0).
    assert_eq!(typed("org.gnome.Terminax"), "4 down, 4 up");
    assert_eq!(typed("org.gnome.Nautilus"), "2 down, 2 up");
    // `*.Terminal` (9 literals) over `*`.
    assert_eq!(typed("org.kde.Terminal"), "5 down, 5 up");
    assert_eq!(typed("firefox"), "1 down, 1 up");
    // Only the winner is active: its unbound keys do not fall through to other matches.
    assert_eq!(sim(PRECEDENCE, "focus org.gnome.Terminal, b down, b up"), "b down, b up");
}

#[test]
fn equal_specificity_fewer_wildcards_then_file_order() {
    // `kitty*` and `kitty` both match `kitty` with 5 literals: fewer wildcards wins.
    let p = "ids = [\"*\"]\n[\"app:kitty*\"]\na = \"1\"\n[\"app:kitty\"]\na = \"2\"\n";
    assert_eq!(sim(p, "focus kitty, a down, a up"), "2 down, 2 up");
    // `kit*` and `*tty`: 3 literals and one wildcard each: the first in the file.
    let p = "ids = [\"*\"]\n[\"app:kit*\"]\na = \"1\"\n[\"app:*tty\"]\na = \"2\"\n";
    assert_eq!(sim(p, "focus kitty, a down, a up"), "1 down, 1 up");
    let p = "ids = [\"*\"]\n[\"app:*tty\"]\na = \"2\"\n[\"app:kit*\"]\na = \"1\"\n";
    assert_eq!(sim(p, "focus kitty, a down, a up"), "2 down, 2 up");
}

const LAYERS: &str = r#"
ids = ["*"]
[main]
capslock = "layer(nav)"
f1 = "setlayout(dv)"
a = "m"
["dv:layout"]
a = "l"
s = "l"
[nav]
a = "n"
["app:kitty"]
a = "k"
s = "k"
d = "k"
"#;

#[test]
fn below_held_layers_above_the_layout_and_main() {
    assert_eq!(sim(LAYERS, "focus kitty, capslock down, a down, a up, capslock up"), "n down, n up");
    // A held layer that does not bind the key lets the application layer's binding through.
    assert_eq!(sim(LAYERS, "focus kitty, capslock down, d down, d up, capslock up"), "k down, k up");
    assert_eq!(sim(LAYERS, "focus kitty, f1 down, f1 up, s down, s up"), "k down, k up");
    assert_eq!(sim(LAYERS, "f1 down, f1 up, s down, s up"), "l down, l up");
    assert_eq!(sim(LAYERS, "focus kitty, a down, a up"), "k down, k up");
    assert_eq!(sim(LAYERS, "a down, a up"), "m down, m up");
}

/// The README's macOS-style example, reduced: control and meta swapped; in terminals meta+c and
/// meta+v stay copy and paste (control+shift+c/v), and control+c stays an interrupt.
const MACOS: &str = r#"
ids = ["*"]
[main]
leftcontrol = "leftmeta"
leftmeta = "leftcontrol"
["control+app:org.gnome.Terminal"]
c = "C-S-c"
v = "C-S-v"
["meta+app:org.gnome.Terminal"]
c = "C-c"
["control+app:kitty"]
c = "C-S-c"
"#;

#[test]
fn composite_with_a_modifier_layer() {
    // Outside a terminal: meta+c is control+c.
    assert_eq!(
        sim(MACOS, "focus org.gnome.TextEditor, leftmeta down, c down, c up, leftmeta up"),
        "leftcontrol down, c down, c up, leftcontrol up"
    );
    // In one: control+shift+c, with control held on for the rest of the chord.
    assert_eq!(
        sim(MACOS, "focus org.gnome.Terminal, leftmeta down, c down, c up, leftmeta up"),
        "leftcontrol down, leftshift down, c down, c up, leftshift up, leftcontrol up"
    );
    assert_eq!(
        sim(MACOS, "focus kitty, leftmeta down, c down, c up, leftmeta up"),
        "leftcontrol down, leftshift down, c down, c up, leftshift up, leftcontrol up"
    );
    // Physical control (meta now) + c in the terminal: an interrupt, control+c, exactly as a
    // `[meta] c = "C-c"` binding does it (meta let go around it, under the modifier guard).
    let plain = "ids = [\"*\"]\n[main]\nleftcontrol = \"leftmeta\"\n[meta]\nc = \"C-c\"\n";
    let ctrl_c = "leftcontrol down, c down, c up, leftcontrol up";
    assert_eq!(sim(MACOS, &format!("focus org.gnome.Terminal, {ctrl_c}")), sim(plain, ctrl_c));
    assert_eq!(
        sim(plain, ctrl_c),
        "leftmeta down, leftcontrol down, leftmeta up, leftcontrol up, leftcontrol down, c down, c up, \
         leftmeta down, leftcontrol up, leftcontrol down, leftmeta up, leftcontrol up"
    );
    assert_eq!(sim(MACOS, &format!("focus kitty, {ctrl_c}")), "leftmeta down, c down, c up, leftmeta up");
    // A key the composite does not bind: through the modifier layer as always.
    assert_eq!(
        sim(MACOS, "focus kitty, leftmeta down, x down, x up, leftmeta up"),
        "leftcontrol down, x down, x up, leftcontrol up"
    );
}

#[test]
fn a_focus_change_never_changes_what_a_held_key_does() {
    // Pressed in the application, released elsewhere: the release undoes the press.
    assert_eq!(sim(KITTY, "focus kitty, a down, focus, a up"), "b down, b up");
    assert_eq!(sim(KITTY, "focus kitty, a down, focus firefox, a down, a up"), "b down, b up");
    // Pressed elsewhere, released in the application.
    assert_eq!(sim(KITTY, "a down, focus kitty, a up, a down, a up"), "a down, a up, b down, b up");
    // Autorepeat repeats what the press did.
    assert_eq!(sim(KITTY, "focus kitty, a down, focus, a repeat, a up"), "b down, b repeat, b up");
}

#[test]
fn a_focus_change_with_a_composite_key_held() {
    // meta+c pressed in the terminal: control+shift+c; the focus leaves; c's release undoes it,
    // and the next c (meta still held) is plain control+c.
    assert_eq!(
        sim(
            MACOS,
            "focus org.gnome.Terminal, leftmeta down, c down, focus org.gnome.TextEditor, c up, c down, c up, leftmeta up"
        ),
        "leftcontrol down, leftshift down, c down, c up, leftshift up, c down, c up, leftcontrol up"
    );
    // And the other way: pressed outside, the focus comes to the terminal, released there.
    assert_eq!(
        sim(MACOS, "leftmeta down, c down, focus kitty, c up, c down, c up, leftmeta up"),
        "leftcontrol down, c down, c up, leftshift down, c down, c up, leftshift up, leftcontrol up"
    );
}

const TAP_HOLD: &str = r#"
ids = ["*"]
[nav]
j = "down"
["app:kitty"]
capslock = "overloadt(nav, esc, 200)"
tab = "overload(control, tab)"
"#;

#[test]
fn a_tap_hold_pending_across_a_focus_change() {
    // Pressed in kitty, the decision pending when the focus leaves: still kitty's overloadt.
    assert_eq!(sim(TAP_HOLD, "focus kitty, capslock down, 50ms, focus, capslock up"), "esc down, esc up");
    assert_eq!(
        sim(
            TAP_HOLD,
            "focus kitty, capslock down, 50ms, focus, 300ms, j down, j up, capslock up, j down, j up"
        ),
        "down down, down up, j down, j up"
    );
    // overload(): the tap and the layer are those of the press.
    assert_eq!(
        sim(TAP_HOLD, "focus kitty, tab down, focus firefox, tab up"),
        "leftcontrol down, leftcontrol up, tab down, tab up"
    );
    assert_eq!(
        sim(TAP_HOLD, "focus kitty, tab down, focus firefox, x down, x up, tab up"),
        "leftcontrol down, x down, x up, leftcontrol up"
    );
    // Pressed outside kitty: capslock is capslock, whatever the focus does meanwhile.
    assert_eq!(sim(TAP_HOLD, "capslock down, focus kitty, 300ms, capslock up"), "capslock down, capslock up");
}

#[test]
fn engine_api_resolves_the_focus_per_keymap() {
    let kitty = profile(KITTY).keymap;
    let other = profile("ids = [\"*\"]\n[\"app:kit*\"]\na = \"c\"\n").keymap;
    let kitty_layer = kitty.app_layer_for("kitty");
    assert!(kitty_layer.is_some());
    assert_eq!(kitty.app_layer_for("firefox"), None);

    let mut e = Engine::new(Arc::clone(&kitty));
    let mut out: Vec<KeyEvent> = Vec::new();
    let t = Duration::ZERO;
    e.set_focus(Some("kitty"));
    assert_eq!(e.focus(), Some("kitty"));
    assert_eq!(e.app_layer(), kitty_layer);
    e.process(KeyEvent::down(Key::A), t, &mut out);
    e.process(KeyEvent::up(Key::A), t, &mut out);
    // A new keymap resolves the kept focus against its own patterns.
    e.set_keymap(other, &mut out);
    e.process(KeyEvent::down(Key::A), t, &mut out);
    e.process(KeyEvent::up(Key::A), t, &mut out);
    // release_all keeps the focus: it is not key state.
    e.release_all(&mut out);
    e.process(KeyEvent::down(Key::A), t, &mut out);
    e.process(KeyEvent::up(Key::A), t, &mut out);
    e.set_focus(None);
    assert_eq!((e.focus(), e.app_layer()), (None, None));
    e.process(KeyEvent::down(Key::A), t, &mut out);
    e.process(KeyEvent::up(Key::A), t, &mut out);
    let names: Vec<String> = out.iter().map(|e| e.to_string()).collect();
    assert_eq!(names, ["b down", "b up", "c down", "c up", "c down", "c up", "a down", "a up"]);
}

#[test]
fn focus_steps_take_the_rest_of_the_line() {
    use keymapd::script::{parse, Step};
    let steps = parse("focus My App   # an X11 class with a space\nfocus\n  focus   kitty\n").unwrap();
    assert_eq!(
        steps,
        [Step::Focus(Some("My App".into())), Step::Focus(None), Step::Focus(Some("kitty".into()))]
    );
    let p = "ids = [\"*\"]\n[\"app:My *\"]\na = \"b\"\n";
    assert_eq!(sim(p, "focus My App, a down, a up"), "b down, b up");
}
