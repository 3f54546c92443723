//! README's reference is checked against the code: every action the parser accepts, every
//! `[global]` setting, and every command of the command line is documented.
// Test code: failing loudly is its job (the workspace [lints] deny this elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clap::CommandFactory;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`.
fn between(text: &str, name: &str) -> String {
    let begin = format!("<!-- {name}:begin -->");
    let end = format!("<!-- {name}:end -->");
    let start = text.find(&begin).unwrap_or_else(|| panic!("README has no {begin}")) + begin.len();
    let len = text[start..].find(&end).unwrap_or_else(|| panic!("README has no {end}"));
    text[start..start + len].to_owned()
}

#[test]
fn every_action_the_parser_accepts_is_in_the_actions_reference() {
    let actions = between(&readme(), "actions");
    let missing: Vec<&str> = keymapd::profile::expr::ACTIONS
        .iter()
        .copied()
        .filter(|a| !actions.contains(&format!("| `{a}(")))
        .collect();
    assert!(missing.is_empty(), "README's actions tables lack a row `{{name}}(…)` for: {missing:?}");
    assert!(actions.contains("| `noop` |"), "README's actions section lacks `noop`");
    assert!(keymapd::profile::expr::ACTIONS.len() >= 22, "the list of actions shrank");
}

#[test]
fn every_global_setting_is_in_the_settings_table() {
    let actions = between(&readme(), "actions");
    let missing: Vec<&str> = keymapd::profile::SETTINGS
        .iter()
        .copied()
        .filter(|s| !actions.contains(&format!("| `{s}` |")))
        .collect();
    assert!(missing.is_empty(), "README's [global] table lacks: {missing:?}");
}

#[test]
fn every_command_is_in_the_command_line_table() {
    let text = readme();
    let start = text.find("## Command line").expect("README has a Command line section");
    let table = &text[start..];
    let cmd = keymapd::cli::Cli::command();
    let missing: Vec<String> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_owned())
        .filter(|name| !table.contains(&format!("| `keymapd {name}")))
        .collect();
    assert!(missing.is_empty(), "README's command table lacks: {missing:?}");
    assert!(table.contains("| `keymapd import-keyd"), "import-keyd is a command");
}
