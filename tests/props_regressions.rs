//! Shrunk counterexamples of `tests/props.rs`, kept as named tests: each is a session (profiles,
//! devices, ops in the harness's text form) that once broke, or would break, an invariant.
//!
//! A new one: copy the `Case` a failing property prints (its profiles and its `ops` string) into
//! a test below, named after what went wrong, with a line saying which bug it catches.
// Test code: failing loudly is its job (the workspace [lints] deny this elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keymapd_testkit::harness;

use std::path::Path;
use std::sync::Arc;

use keymapd::keymap::Keymap;
use keymapd::profile::Profile;

fn keymap(text: &str) -> Arc<Keymap> {
    match Profile::parse(Path::new("regression.toml"), text) {
        Ok((p, _)) => p.keymap,
        Err(d) => panic!("profile did not parse: {d:?}"),
    }
}

/// Runs the session through the checked simulation; panics with the trace on a violation.
fn check(profiles: &[&str], devices: usize, ops: &str) {
    let keymaps: Vec<Arc<Keymap>> = profiles.iter().map(|p| keymap(p)).collect();
    let ops = harness::parse_ops(ops).unwrap_or_else(|e| panic!("{e}"));
    if let Err(v) = harness::run(&keymaps, devices, &ops, true) {
        panic!("{v}");
    }
}

const EMPTY: &str = "ids = [\"*\"]\n[main]\n";

// ---- Found by breaking the core on purpose (see tests/RELIABILITY.md): each catches that bug. ----

/// Catches `Merger::event` not passing on the release of a modifier (the end of the session
/// lets leftcontrol go; the merged stream must follow).
#[test]
fn merged_modifier_release_is_passed_on() {
    check(&[EMPTY], 1, "dev0 leftcontrol down");
}

/// Catches `Merger::remove_source` forgetting a source without releasing its keys.
#[test]
fn unplug_while_a_key_is_down_releases_it() {
    check(&[EMPTY], 1, "dev0 a down; dev0 removed");
}

/// Catches a key-sequence release that does not drop the modifiers it added.
#[test]
fn sequence_release_drops_its_modifiers() {
    check(&["ids = [\"*\"]\n[main]\nleftmeta = \"C-a\"\n"], 1, "dev0 leftmeta down");
}

/// Catches `Engine::release_all` (here through a reload) skipping the modifiers it holds.
#[test]
fn reload_while_a_modifier_is_held_releases_it() {
    check(&[EMPTY], 1, "dev0 leftcontrol down; dev0 reload profile0");
}

/// Catches the engine's per-key reference count emitting a second press of an output key.
#[test]
fn two_physical_keys_on_one_output_key_press_it_once() {
    check(&["ids = [\"*\"]\n[main]\nesc = \"a\"\n"], 1, "dev0 esc down; dev0 a down");
}

/// Catches the replay of a pending decision's queue dropping the releases in it: `b` waits for
/// its chord partner, its release ends the wait, and both must be replayed.
#[test]
fn release_queued_during_a_pending_chord_is_replayed() {
    check(&["ids = [\"*\"]\n[main]\n\"b+esc\" = \"a\"\n"], 1, "dev0 b down; dev0 b up");
}

/// Catches `Engine::set_keymap` not releasing first: the pending tap-hold decision survives the
/// reload and, resolved later, looks its tap up in the new keymap (an index out of bounds, in
/// the command table here). Shrunk by `no_stuck_or_invented_keys` from a 3-device session.
#[test]
fn reload_while_a_tap_hold_decision_is_pending() {
    let p = "ids = [\"*\"]\n[global]\nallow_commands = true\n[main]\n\
             c = \"overloadt2(control, command(true), 1000)\"\n[control]\n";
    check(&[EMPTY, p], 3, "dev1 c down; reload all profile0");
    check(&[EMPTY, p], 1, "dev0 reload profile1; dev0 c down; dev0 reload profile0");
}

// ---- Risky paths, written by hand. ----

/// A layer key held across a reload to a keymap with fewer layers: the release must not look
/// up a layer that no longer exists.
#[test]
fn layer_key_held_across_a_reload_to_fewer_layers() {
    let many = "ids = [\"*\"]\n[main]\ncapslock = \"layer(l3)\"\n[l1]\n[l2]\n[\"l3:C\"]\nj = \"down\"\n";
    check(
        &[many, EMPTY],
        1,
        "dev0 capslock down; dev0 j down; dev0 reload profile1; dev0 j up; dev0 capslock up",
    );
}

/// Two devices hold shift; one is unplugged: shift stays down for the other, then comes up.
#[test]
fn shift_held_on_two_devices_one_unplugged() {
    check(
        &[EMPTY],
        2,
        "dev0 leftshift down; dev1 leftshift down; dev0 removed; dev0 a down; dev0 a up; dev0 leftshift up",
    );
}

/// Shutdown in the middle of a chord, then the physical releases arrive: they are ignored.
#[test]
fn releases_after_a_shutdown_are_ignored() {
    let p = "ids = [\"*\"]\n[main]\ncapslock = \"layer(control)\"\nf1 = \"M-S-t\"\n";
    check(
        &[p],
        2,
        "dev0 capslock down; dev1 f1 down; dev0 c down; shutdown; dev0 c up; dev1 f1 up; dev0 capslock up",
    );
}

/// Layers that name each other, held in both orders: no loop, nothing stuck.
#[test]
fn layers_that_refer_to_each_other() {
    let p = "ids = [\"*\"]\n[main]\ncapslock = \"layer(a)\"\n[a]\nj = \"layer(b)\"\nx = \"C-x\"\n[\"b:M\"]\ncapslock = \"layer(a)\"\nj = \"layer(a)\"\n";
    check(
        &[p],
        1,
        "dev0 capslock down; dev0 j down; dev0 capslock up; dev0 capslock down; dev0 x down; dev0 j up; dev0 x up",
    );
}

/// More layer keys held at once than the engine has room for: the extra ones do nothing, and
/// nothing is stranded.
#[test]
fn more_held_layer_keys_than_slots() {
    let mut p = String::from("ids = [\"*\"]\n[main]\n");
    let keys: Vec<&str> = keymapd::keys::all_names()
        .map(|(n, _)| n)
        .filter(|n| n.len() > 1 && n.chars().all(|c| c.is_ascii_lowercase()))
        .take(40)
        .collect();
    for k in &keys {
        p.push_str(&format!("{k} = \"layer(shift)\"\n"));
    }
    let mut ops: Vec<String> = keys.iter().map(|k| format!("dev0 {k} down")).collect();
    ops.push("dev0 a down".into());
    ops.extend(keys.iter().rev().map(|k| format!("dev0 {k} up")));
    check(&[&p], 1, &ops.join(";"));
}

/// Repeats of keys that are up, of layer keys and of modifiers are never passed on as repeats
/// of keys that are not down.
#[test]
fn repeats_only_of_keys_that_are_down() {
    let p = "ids = [\"*\"]\n[main]\ncapslock = \"layer(nav)\"\n[nav]\nj = \"down\"\n";
    check(
        &[p],
        1,
        "dev0 j repeat; dev0 capslock down; dev0 capslock repeat; dev0 j down; dev0 j repeat; \
         dev0 capslock up; dev0 j repeat; dev0 j up; dev0 j repeat",
    );
}

/// Devices come and go while others hold keys; a freed merger slot is reused clean.
#[test]
fn hotplug_churn() {
    check(
        &[EMPTY, "ids = [\"*\"]\n[main]\na = \"leftshift\"\n"],
        2,
        "dev0 a down; dev1 a down; dev0 removed; add device with profile1; dev1 a down; dev1 removed; \
         dev0 a up; add device with profile0; dev1 leftshift down; shutdown",
    );
}
