//! What keymapd's programs print on the terminal: `keymapd: error: …` lines, and the colour of
//! their `error:`, `warning:` and `note:` labels. Shared by the command line and the daemon.

use std::process::ExitCode;

/// `keymapd: error: {msg}` on stderr; the exit code of a failed command.
pub fn fail(msg: std::fmt::Arguments) -> ExitCode {
    eprintln!("{}", paint(&format!("keymapd: error: {msg}")));
    ExitCode::FAILURE
}

/// Whether keymapd's own `error:`, `warning:` and `note:` labels are coloured: only on a
/// terminal, and never with NO_COLOR set to anything non-empty (https://no-color.org).
fn colour_stderr() -> bool {
    use std::io::IsTerminal;
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        colour_wanted(std::io::stderr().is_terminal(), std::env::var_os("NO_COLOR").as_deref())
    })
}

fn colour_wanted(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|v| v.is_empty())
}

/// A stderr line with its first `error:`/`warning:`/`note:` label coloured (bold red, bold
/// yellow, bold cyan) when stderr wants colour.
pub fn paint(line: &str) -> String {
    if colour_stderr() {
        paint_labels(line)
    } else {
        line.to_owned()
    }
}

fn paint_labels(line: &str) -> String {
    const LABELS: [(&str, &str); 3] = [("error:", "1;31"), ("warning:", "1;33"), ("note:", "1;36")];
    let found = LABELS
        .iter()
        .filter_map(|&(label, code)| {
            // A label starts the line or follows `: ` (after `path:line:col` or `keymapd`).
            let at = if line.starts_with(label) {
                Some(0)
            } else {
                line.find(&format!(": {label}")).map(|i| i + 2)
            };
            at.map(|i| (i, label, code))
        })
        .min_by_key(|&(i, _, _)| i);
    match found {
        Some((i, label, code)) => {
            format!("{}\x1b[{code}m{label}\x1b[0m{}", &line[..i], &line[i + label.len()..])
        }
        None => line.to_owned(),
    }
}

/// The log on stderr (`RUST_LOG` overrides `default_level`): no timestamps (journald adds its
/// own) and no module paths.
pub fn init_log(default_level: &str) {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default_level))
        .format_timestamp(None)
        .format_target(false)
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        assert!(colour_wanted(true, None));
        assert!(colour_wanted(true, Some(std::ffi::OsStr::new(""))), "an empty NO_COLOR is unset");
        assert!(!colour_wanted(true, Some(std::ffi::OsStr::new("1"))));
        assert!(!colour_wanted(false, None));
    }

    #[test]
    fn the_first_label_is_coloured() {
        assert_eq!(
            paint_labels("a.toml:3:1: error: unknown key `x`: warning: no"),
            "a.toml:3:1: \x1b[1;31merror:\x1b[0m unknown key `x`: warning: no"
        );
        assert_eq!(paint_labels("keymapd: warning: w"), "keymapd: \x1b[1;33mwarning:\x1b[0m w");
        assert_eq!(paint_labels("x.conf:4: note: n"), "x.conf:4: \x1b[1;36mnote:\x1b[0m n");
        assert_eq!(paint_labels("ok: 2 profiles"), "ok: 2 profiles");
    }
}
