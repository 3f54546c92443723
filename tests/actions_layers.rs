//! keyd's layer actions with injected time: `layerm`, `oneshot` (+`m`, `k`), `toggle` (+`m`),
//! `swap` (+`m`), `clear` (+`m`), composite layers, layouts and `setlayout`.

use common::sim;
use keymapd_testkit::sim as common;

const P: &str = r#"
ids = ["*"]
[global]
oneshot_timeout = 500
[main]
leftshift = "oneshot(shift)"
leftcontrol = "oneshot(control)"
capslock = "oneshot(nav)"
f1 = "layerm(nav, C-x)"
f2 = "toggle(nav)"
f3 = "togglem(nav, macro(t g))"
f4 = "toggle(control)"
f5 = "oneshotm(nav, macro(o s))"
f6 = "oneshotk(nav, esc)"
f7 = "clear()"
f8 = "clearm(macro(c l))"
f9 = "layer(nav)"
f10 = "toggle(sym)"
[nav]
h = "left"
l = "right"
s = "swap(sym)"
m = "swapm(sym, macro(s w))"
[sym]
h = "!"
[control]
leftcontrol = "toggle(control)"
"#;

#[test]
fn layerm_plays_its_macro_then_holds_the_layer() {
    assert_eq!(
        sim(P, "f1 down, h down, h up, f1 up, h down, h up"),
        "leftcontrol down, x down, x up, leftcontrol up, left down, left up, h down, h up"
    );
}

#[test]
fn oneshot_tapped_applies_to_the_next_key_only() {
    assert_eq!(
        sim(P, "leftshift down, leftshift up, a down, a up, b down, b up"),
        "leftshift down, a down, a up, leftshift up, b down, b up"
    );
    // A oneshot plain layer.
    assert_eq!(
        sim(P, "capslock down, capslock up, h down, h up, h down, h up"),
        "left down, left up, h down, h up"
    );
}

#[test]
fn oneshot_held_acts_as_a_layer() {
    // Interrupted by a key while held: a plain layer, gone with the release.
    assert_eq!(
        sim(P, "leftshift down, a down, a up, b down, b up, leftshift up, c down, c up"),
        "leftshift down, a down, a up, b down, b up, leftshift up, c down, c up"
    );
    assert_eq!(
        sim(P, "capslock down, h down, h up, capslock up, h down, h up"),
        "left down, left up, h down, h up"
    );
}

#[test]
fn oneshots_stack() {
    assert_eq!(
        sim(P, "leftshift down, leftshift up, leftcontrol down, leftcontrol up, a down, a up"),
        "leftshift down, leftcontrol down, a down, a up, leftshift up, leftcontrol up"
    );
}

#[test]
fn oneshot_timeout_at_the_boundary() {
    // Released at 0: expires at 500. A key at 499 ms still gets it, at 500 ms it does not.
    assert_eq!(
        sim(P, "leftshift down, leftshift up, 499ms, a down, a up"),
        "leftshift down, a down, a up, leftshift up"
    );
    assert_eq!(
        sim(P, "leftshift down, leftshift up, 500ms, a down, a up"),
        "leftshift down, leftshift up, a down, a up"
    );
    // The timer runs from the release, not the press.
    assert_eq!(
        sim(P, "leftshift down, 300ms, leftshift up, 499ms, a down, a up"),
        "leftshift down, a down, a up, leftshift up"
    );
}

#[test]
fn oneshot_then_a_layer_key_keeps_the_oneshot() {
    // oneshot(shift), then nav held: h in nav is shift+left.
    assert_eq!(
        sim(P, "leftshift down, leftshift up, f9 down, h down, h up, f9 up"),
        "leftshift down, left down, left up, leftshift up"
    );
}

#[test]
fn double_tap_of_a_oneshot_toggles_through_its_layer() {
    // keyd's example 3: tapping control once is oneshot, twice toggles it, a third tap clears.
    assert_eq!(
        sim(
            P,
            "leftcontrol down, leftcontrol up, leftcontrol down, leftcontrol up, a down, a up, b down, b up"
        ),
        "leftcontrol down, a down, a up, b down, b up"
    );
    assert_eq!(
        sim(
            P,
            "leftcontrol down, leftcontrol up, leftcontrol down, leftcontrol up, leftcontrol down, leftcontrol up, \
             a down, a up"
        ),
        "leftcontrol down, leftcontrol up, a down, a up"
    );
}

#[test]
fn oneshotm_plays_its_macro_first() {
    assert_eq!(
        sim(P, "f5 down, f5 up, h down, h up, h down, h up"),
        "o down, o up, s down, s up, left down, left up, h down, h up"
    );
}

#[test]
fn oneshotk_holds_its_key_while_held_and_leaves_the_layer_for_one_key() {
    assert_eq!(
        sim(P, "f6 down, f6 up, h down, h up, h down, h up"),
        "esc down, esc up, left down, left up, h down, h up"
    );
    // Used while held: a plain layer key that also holds esc.
    assert_eq!(
        sim(P, "f6 down, h down, h up, f6 up, h down, h up"),
        "esc down, left down, left up, esc up, h down, h up"
    );
}

#[test]
fn toggle_flips_a_layer() {
    assert_eq!(
        sim(P, "f2 down, f2 up, h down, h up, l down, l up, f2 down, f2 up, h down, h up"),
        "left down, left up, right down, right up, h down, h up"
    );
    // A toggled modifier layer holds its modifier until toggled off.
    assert_eq!(
        sim(P, "f4 down, f4 up, a down, a up, f4 down, f4 up, a down, a up"),
        "leftcontrol down, a down, a up, leftcontrol up, a down, a up"
    );
}

#[test]
fn toggle_clears_pending_oneshots() {
    assert_eq!(
        sim(P, "leftshift down, leftshift up, f2 down, f2 up, h down, h up"),
        "leftshift down, leftshift up, left down, left up"
    );
}

#[test]
fn togglem_plays_its_macro_then_toggles() {
    assert_eq!(sim(P, "f3 down, f3 up, h down, h up"), "t down, t up, g down, g up, left down, left up");
}

#[test]
fn swap_in_a_held_layer_replaces_it_until_the_key_goes_up() {
    assert_eq!(
        sim(P, "f9 down, s down, s up, h down, h up, f9 up, h down, h up"),
        "leftshift down, 1 down, 1 up, leftshift up, h down, h up"
    );
}

#[test]
fn swap_in_a_toggled_layer_toggles_the_new_one() {
    assert_eq!(
        sim(P, "f2 down, f2 up, s down, s up, h down, h up, f10 down, f10 up, h down, h up"),
        "leftshift down, 1 down, 1 up, leftshift up, h down, h up"
    );
}

#[test]
fn swap_in_a_oneshot_layer_keeps_it_oneshot() {
    assert_eq!(
        sim(P, "capslock down, capslock up, s down, s up, h down, h up, h down, h up"),
        "leftshift down, 1 down, 1 up, leftshift up, h down, h up"
    );
}

#[test]
fn swapm_swaps_then_plays_its_macro() {
    assert_eq!(
        sim(P, "f9 down, m down, m up, h down, h up, f9 up"),
        "s down, s up, w down, w up, leftshift down, 1 down, 1 up, leftshift up"
    );
}

#[test]
fn clear_ends_toggled_and_oneshot_layers_but_not_held_ones() {
    assert_eq!(
        sim(P, "f2 down, f2 up, leftshift down, leftshift up, f7 down, f7 up, h down, h up"),
        "leftshift down, leftshift up, h down, h up"
    );
    assert_eq!(sim(P, "f9 down, f7 down, f7 up, h down, h up, f9 up"), "left down, left up");
    assert_eq!(
        sim(P, "f4 down, f4 up, f8 down, f8 up, a down, a up"),
        "leftcontrol down, leftcontrol up, c down, c up, l down, l up, a down, a up"
    );
}

const COMPOSITE: &str = r#"
ids = ["*"]
[main]
capslock = "layer(caps)"
["caps:C"]
j = "down"
["control+alt"]
h = "left"
["caps+shift"]
h = "home"
"#;

#[test]
fn composite_layer_binds_when_all_of_its_layers_are_active() {
    // control+alt+h: `left` without the modifiers of either layer.
    assert_eq!(
        sim(COMPOSITE, "leftcontrol down, leftalt down, h down, h up, leftalt up, leftcontrol up"),
        "leftcontrol down, leftalt down, leftalt up, leftcontrol up, left down, left up, leftalt down, \
         leftcontrol down, leftalt up, leftcontrol up"
    );
    // No binding in the composite: what was pressed, modifiers and all.
    assert_eq!(
        sim(COMPOSITE, "leftcontrol down, leftalt down, f1 down, f1 up, leftalt up, leftcontrol up"),
        "leftcontrol down, leftalt down, f1 down, f1 up, leftalt up, leftcontrol up"
    );
    // One constituent alone: the composite is not active.
    assert_eq!(
        sim(COMPOSITE, "leftalt down, h down, h up, leftalt up"),
        "leftalt down, h down, h up, leftalt up"
    );
    // A custom modifier layer with a built-in one.
    assert_eq!(
        sim(COMPOSITE, "capslock down, leftshift down, h down, h up, leftshift up, capslock up"),
        "leftcontrol down, leftshift down, leftshift up, leftcontrol up, home down, home up, leftshift down, \
         leftcontrol down, leftshift up, leftcontrol up"
    );
}

const LAYOUT: &str = r#"
ids = ["*"]
[global]
default_layout = "dvorak"
[main]
f1 = "setlayout(main)"
f2 = "setlayout(dvorak)"
f3 = "toggle(nav)"
["dvorak:layout"]
s = "o"
d = "e"
[nav]
s = "left"
[shift]
d = "x"
"#;

#[test]
fn layouts_and_setlayout() {
    assert_eq!(sim(LAYOUT, "s down, s up"), "o down, o up");
    assert_eq!(
        sim(LAYOUT, "f1 down, f1 up, s down, s up, f2 down, f2 up, s down, s up"),
        "s down, s up, o down, o up"
    );
    // A layer binding occludes the layout; the layout's keys keep active modifiers.
    assert_eq!(sim(LAYOUT, "f3 down, f3 up, s down, s up, d down, d up"), "left down, left up, e down, e up");
    assert_eq!(
        sim(LAYOUT, "leftshift down, s down, s up, leftshift up"),
        "leftshift down, o down, o up, leftshift up"
    );
    // setlayout clears toggled layers, as keyd does.
    assert_eq!(sim(LAYOUT, "f3 down, f3 up, f2 down, f2 up, s down, s up"), "o down, o up");
}

#[test]
fn oneshotk_expires_like_a_oneshot() {
    assert_eq!(sim(P, "f6 down, f6 up, 499ms, h down, h up"), "esc down, esc up, left down, left up");
    assert_eq!(sim(P, "f6 down, f6 up, 500ms, h down, h up"), "esc down, esc up, h down, h up");
}

#[test]
fn keyd_manual_examples() {
    // Example 4: meta+` starts alt-tab switching that lasts as long as meta is held (meta's
    // release there is guarded: it must not open the launcher).
    let p = "ids = [\"*\"]\n[meta]\n\"`\" = \"swap(alt_tab, A-tab)\"\n[\"alt_tab:A\"]\ntab = \"A-S-tab\"\n\"`\" = \"A-tab\"\n";
    assert_eq!(
        sim(p, "leftmeta down, grave down, grave up, grave down, grave up, tab down, tab up, leftmeta up"),
        "leftmeta down, leftalt down, leftmeta up, tab down, tab up, tab down, \
         tab up, leftshift down, tab down, tab up, leftshift up, leftalt up"
    );
    // Example 6: both shifts together are caps lock.
    let p = "ids = [\"*\"]\n[shift]\nleftshift = \"capslock\"\nrightshift = \"capslock\"\n";
    assert_eq!(
        sim(p, "leftshift down, rightshift down, rightshift up, leftshift up"),
        "leftshift down, leftshift up, capslock down, capslock up, leftshift down, leftshift up"
    );
}

/// The `m` variants, interrupted by another key while they act, and nested inside tap-hold
/// actions (the tap of `overload()`, the branches of `timeout()`), where they keep the layer
/// their binding was found in (`swapm` inside `[nav]` swaps `nav`).
const M: &str = r#"
ids = ["*"]
[main]
f1 = "layerm(nav, macro(x 100ms y))"
f2 = "toggle(nav)"
f3 = "togglem(nav, macro(t g))"
f5 = "oneshotm(nav, macro(o s))"
f8 = "clearm(macro(c l))"
f9 = "layer(nav)"
f11 = "layerm(control, x)"
a = "overload(control, togglem(nav, macro(t)))"
b = "overload(shift, oneshotm(nav, macro(o)))"
c = "overload(alt, clearm(macro(c)))"
d = "timeout(layerm(nav, macro(x)), 200, layer(control))"
e = "timeout(oneshotm(nav, o), 200, togglem(nav, t))"
[nav]
h = "left"
s = "swapm(sym, macro(s w))"
t = "overload(control, swapm(sym, macro(s w)))"
u = "timeout(u, 200, swapm(sym, w))"
[sym]
h = "!"
"#;

#[test]
fn layerm_interrupted_while_its_macro_plays_and_with_a_modifier_layer() {
    // The layer is active while the macro still waits; the macro goes on at its time.
    assert_eq!(
        sim(M, "f1 down, 50ms, h down, h up, 50ms, f1 up, h down, h up"),
        "x down, x up, left down, left up, y down, y up, h down, h up"
    );
    // Released before the macro ends: the layer goes, the macro still finishes.
    assert_eq!(
        sim(M, "f1 down, 50ms, f1 up, h down, h up, 50ms"),
        "x down, x up, h down, h up, y down, y up"
    );
    // The macro plays before the layer's modifier is held; keys struck after get it.
    assert_eq!(
        sim(M, "f11 down, j down, j up, f11 up"),
        "x down, x up, leftcontrol down, j down, j up, leftcontrol up"
    );
}

#[test]
fn layerm_inside_a_timeout_is_held_when_another_key_interrupts() {
    // Tapped: the macro, and the layer for the instant of the tap.
    assert_eq!(sim(M, "d down, d up, h down, h up"), "x down, x up, h down, h up");
    // Another key first: the tap branch is pressed and held, so its layer is active.
    assert_eq!(
        sim(M, "d down, h down, h up, d up, h down, h up"),
        "x down, x up, left down, left up, h down, h up"
    );
    assert_eq!(sim(M, "d down, 200ms, x down, x up, d up"), "leftcontrol down, x down, x up, leftcontrol up");
}

#[test]
fn togglem_interrupted_and_inside_an_overload() {
    // The toggle happens on the press: a key struck while it is held is in the layer already.
    assert_eq!(
        sim(M, "f3 down, h down, h up, f3 up, h down, h up, f3 down, f3 up, h down, h up"),
        "t down, t up, g down, g up, left down, left up, left down, left up, t down, t up, g down, g up, \
         h down, h up"
    );
    // As an overload's tap: each tap plays the macro and flips the layer.
    assert_eq!(
        sim(M, "a down, a up, h down, h up, a down, a up, h down, h up"),
        "leftcontrol down, leftcontrol up, t down, t up, left down, left up, leftcontrol down, leftcontrol up, \
         t down, t up, h down, h up"
    );
    // Interrupted, the overload is its layer and the togglem never runs.
    assert_eq!(
        sim(M, "a down, h down, h up, a up, h down, h up"),
        "leftcontrol down, h down, h up, leftcontrol up, h down, h up"
    );
    // As a timeout's hold branch.
    assert_eq!(sim(M, "e down, 200ms, e up, h down, h up"), "t down, t up, left down, left up");
}

#[test]
fn oneshotm_interrupted_and_nested() {
    // Held and used: a plain layer for as long as it is held, after its macro.
    assert_eq!(
        sim(M, "f5 down, h down, h up, f5 up, h down, h up"),
        "o down, o up, s down, s up, left down, left up, h down, h up"
    );
    // Tapped, then a layer key: the oneshot waits for a key that is not a layer key.
    assert_eq!(
        sim(M, "f5 down, f5 up, f9 down, h down, h up, f9 up, h down, h up"),
        "o down, o up, s down, s up, left down, left up, h down, h up"
    );
    // As an overload's tap: the macro, then the layer for the next key only.
    assert_eq!(
        sim(M, "b down, b up, h down, h up, h down, h up"),
        "leftshift down, leftshift up, o down, o up, left down, left up, h down, h up"
    );
    assert_eq!(
        sim(M, "b down, x down, x up, b up, h down, h up"),
        "leftshift down, x down, x up, leftshift up, h down, h up"
    );
    // As a timeout's tap branch.
    assert_eq!(
        sim(M, "e down, e up, h down, h up, h down, h up"),
        "o down, o up, left down, left up, h down, h up"
    );
}

#[test]
fn swapm_interrupted_and_nested() {
    // While the swap key is held, and after: the swapped-in layer lasts as long as the key that
    // held the layer it replaced.
    assert_eq!(
        sim(M, "f9 down, s down, h down, h up, s up, f9 up, h down, h up"),
        "s down, s up, w down, w up, leftshift down, 1 down, 1 up, leftshift up, h down, h up"
    );
    // That key going up first ends it, the swap key still down.
    assert_eq!(
        sim(M, "f9 down, s down, f9 up, h down, h up, s up"),
        "s down, s up, w down, w up, h down, h up"
    );
    // As an overload's tap in [nav]: it swaps [nav], where the binding is.
    assert_eq!(
        sim(M, "f9 down, t down, t up, h down, h up, f9 up, h down, h up"),
        "leftcontrol down, leftcontrol up, s down, s up, w down, w up, leftshift down, 1 down, 1 up, \
         leftshift up, h down, h up"
    );
    // That overload interrupted: control over [nav], no swap.
    assert_eq!(
        sim(M, "f9 down, t down, h down, h up, t up, f9 up"),
        "leftcontrol down, left down, left up, leftcontrol up"
    );
    // As a timeout's hold branch; tapped or interrupted, the timeout is its key.
    assert_eq!(
        sim(M, "f9 down, u down, 200ms, h down, h up, u up, f9 up, h down, h up"),
        "w down, w up, leftshift down, 1 down, 1 up, leftshift up, h down, h up"
    );
    assert_eq!(sim(M, "f9 down, u down, u up, h down, h up, f9 up"), "u down, u up, left down, left up");
    assert_eq!(sim(M, "f9 down, u down, h down, h up, u up, f9 up"), "u down, left down, left up, u up");
}

#[test]
fn clearm_interrupted_and_inside_an_overload() {
    // The clear happens on the press: a key struck while it is held finds the toggle gone.
    assert_eq!(
        sim(M, "f2 down, f2 up, f8 down, h down, h up, f8 up, h down, h up"),
        "c down, c up, l down, l up, h down, h up, h down, h up"
    );
    // A layer held by a key is not cleared.
    assert_eq!(
        sim(M, "f9 down, f8 down, f8 up, h down, h up, f9 up"),
        "c down, c up, l down, l up, left down, left up"
    );
    // As the tap of an alt overload: alt's lone tap is guarded, then the clear and the macro.
    assert_eq!(
        sim(M, "f2 down, f2 up, c down, c up, h down, h up"),
        "leftalt down, leftcontrol down, leftalt up, leftcontrol up, c down, c up, h down, h up"
    );
    // Interrupted, that overload is alt, and nothing is cleared.
    assert_eq!(
        sim(M, "f2 down, f2 up, c down, j down, j up, c up, h down, h up"),
        "leftalt down, j down, j up, leftalt up, left down, left up"
    );
}

/// A layout can be part of a composite layer (keyd's `[ara+control]`): it counts as active
/// while it is the current layout, so shortcuts can keep the printed letters.
#[test]
fn a_layout_can_be_part_of_a_composite_layer() {
    let p = r#"
ids = ["*"]
[global]
default_layout = "swapped"
[main]
f1 = "setlayout(main)"
f2 = "setlayout(swapped)"
["swapped:layout"]
q = "w"
w = "q"
["swapped+control"]
q = "C-q"
"#;
    assert_eq!(sim(p, "q down, q up"), "w down, w up");
    assert_eq!(
        sim(p, "leftcontrol down, q down, q up, w down, w up, leftcontrol up"),
        "leftcontrol down, q down, q up, q down, q up, leftcontrol up"
    );
    // Another layout current: the composite is not active, control+q is control+q of [main].
    assert_eq!(
        sim(p, "f1 down, f1 up, leftcontrol down, q down, q up, leftcontrol up"),
        "leftcontrol down, q down, q up, leftcontrol up"
    );
    assert_eq!(
        sim(p, "f1 down, f1 up, f2 down, f2 up, leftcontrol down, w down, w up, leftcontrol up"),
        "leftcontrol down, q down, q up, leftcontrol up"
    );
}

/// keyd's `oneshotk(layer, key)`: the key goes down first, as a key of its own, then the layer
/// (and its modifiers).
#[test]
fn oneshotk_presses_its_key_before_the_layer() {
    let p = "ids = [\"*\"]\n[main]\nf = \"oneshotk(shift, f)\"\n";
    assert_eq!(
        sim(p, "f down, f up, a down, a up"),
        "f down, leftshift down, f up, a down, a up, leftshift up"
    );
}
