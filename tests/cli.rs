//! `keymapd` end to end: the binary's exit codes and output, and the example scripts.
// Test code: failing loudly is its job (the workspace [lints] deny this elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn keymapd(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keymapd"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("keymapd runs");
    // The child may exit before reading its input (a bad profile): a broken pipe is fine then.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every `tests/scripts/NAME.script` (whose first line names its profile) gives `NAME.expected`.
#[test]
fn example_scripts_give_their_expected_output() {
    let dir = root().join("tests/scripts");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("script") {
            continue;
        }
        let script = std::fs::read_to_string(&path).unwrap();
        let profile = script
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# profile: "))
            .expect("first line: # profile: PATH");
        let expected = std::fs::read_to_string(path.with_extension("expected")).unwrap();
        let out = keymapd(&["test", "--profile", profile, "--script", path.to_str().unwrap()], "");
        assert!(out.status.success(), "{}: {}", path.display(), text(&out.stderr));
        assert_eq!(text(&out.stdout), expected, "{}", path.display());
        n += 1;
    }
    assert!(n >= 14, "some example scripts were not found ({n})");
}

#[test]
fn test_reads_the_script_from_stdin() {
    let out = keymapd(
        &["test", "--profile", "profiles/usb-keyboard.toml", "--script", "-"],
        "leftcontrol down\nleftcontrol up\n",
    );
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "leftmeta down\nleftmeta up\n");
}

#[test]
fn a_bad_script_line_names_its_line() {
    let out = keymapd(
        &["test", "--profile", "profiles/laptop.toml", "--script", "-"],
        "# c\na down\nleftctl down\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "<stdin>:3: error: unknown key `leftctl`; did you mean `leftctrl`?\n");
    let out = keymapd(&["test", "--profile", "profiles/laptop.toml", "--script", "-"], "a pressed\n");
    assert_eq!(
        text(&out.stderr),
        "<stdin>:1: error: bad event `pressed`; expected `down`, `up` or `repeat`\n"
    );
    let out = keymapd(&["test", "--profile", "profiles/laptop.toml", "--script", "-"], "1.5ms\n");
    assert_eq!(
        text(&out.stderr),
        "<stdin>:1: error: bad duration `1.5ms`; write whole milliseconds, e.g. `150ms`\n"
    );
}

#[test]
fn an_endless_script_is_refused_not_read_forever() {
    let out = keymapd(&["test", "--profile", "profiles/laptop.toml", "--script", "/dev/zero"], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "keymapd: error: cannot read script /dev/zero: larger than 64 MiB\n");
}

#[test]
fn check_accepts_valid_profiles() {
    let out = keymapd(&["check", "profiles"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "ok: 2 profiles (laptop, usb-keyboard)\n");
    let out = keymapd(&["check", "profiles/laptop.toml"], "");
    assert_eq!(text(&out.stdout), "ok: 1 profile (laptop)\n");
}

#[test]
fn check_rejects_a_bad_profile_with_its_position() {
    let dir = std::env::temp_dir().join(format!("keymapd-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "ids = [\"*\"]\n[main]\nleftctl = \"leftmeta\"\n").unwrap();
    let out = keymapd(&["check", bad.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "{}:3:1: error: unknown key `leftctl`; did you mean `leftctrl`?\nkeymapd: 1 error found\n",
            bad.display()
        )
    );
    let out = keymapd(&["test", "--profile", bad.to_str().unwrap(), "--script", "-"], "a down\n");
    assert_eq!(out.status.code(), Some(1), "test refuses an invalid profile too");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_on_an_empty_or_missing_directory_fails_clearly() {
    let empty = std::env::temp_dir().join(format!("keymapd-cli-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let out = keymapd(&["check", empty.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("keymapd: error: no profiles (*.toml) found in {}\n", empty.display())
    );
    std::fs::remove_dir_all(&empty).unwrap();
    let out = keymapd(&["check", "/nonexistent"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("/nonexistent: error: cannot read: No such file"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_command_lines_fail_with_a_message() {
    for args in [&["frobnicate"][..], &["test", "--script", "-"], &["check", "--bogus"], &[]] {
        let out = keymapd(args, "");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?} printed no message");
    }
}

#[test]
fn version_help_man_and_completions() {
    let out = keymapd(&["--version"], "");
    assert_eq!(text(&out.stdout), format!("keymapd {}\n", env!("CARGO_PKG_VERSION")));
    let out = keymapd(&["--help"], "");
    assert!(out.status.success() && text(&out.stdout).contains("Examples:"));
    let out = keymapd(&["man"], "");
    let page = text(&out.stdout);
    assert!(out.status.success() && page.contains(".TH keymapd") && page.contains(".SH COMMANDS"));
    assert!(page.contains("keymapd check") && !page.contains("keymapd-run(1)"), "one self-contained page");
    let out = keymapd(&["completions", "bash"], "");
    assert!(out.status.success() && text(&out.stdout).contains("keymapd"));
    assert!(Path::new(env!("CARGO_BIN_EXE_keymapd")).exists());
}

/// `keymapd check` on sections nothing activates: a typo of a reserved name fails, any other
/// such layer passes with a warning giving its position.
#[test]
fn check_fails_on_a_mistyped_section_and_warns_about_an_unused_layer() {
    let dir = std::env::temp_dir().join(format!("keymapd-cli-unused-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let typo = dir.join("typo.toml");
    std::fs::write(&typo, "ids = [\"*\"]\n[alias]\nleftalt = \"meta\"\n").unwrap();
    let out = keymapd(&["check", typo.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "{}:2:2: error: unknown section [alias]; did you mean [aliases]?\nkeymapd: 1 error found\n",
            typo.display()
        )
    );
    std::fs::remove_file(&typo).unwrap();
    let unused = dir.join("unused.toml");
    std::fs::write(
        &unused,
        "ids = [\"*\"]\n[main]\ncapslock = \"layer(nav)\"\n[nav]\n[nav_]\nh = \"left\"\n",
    )
    .unwrap();
    let out = keymapd(&["check", unused.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stderr),
        format!("{}:5:2: warning: layer `nav_` is never activated by any action\n", unused.display())
    );
    assert_eq!(text(&out.stdout), "ok: 1 profile (unused)\n");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The script's end does not drop what is pending: the rest of a macro plays, a held tap-hold
/// key resolves at its time.
#[test]
fn test_runs_the_clock_on_until_nothing_is_pending() {
    let p = ["test", "--profile", "tests/scripts/actions.toml", "--script", "-"];
    // f1 = macro(C-a 50ms hi): `hi` comes 50 ms after the script's last step.
    let out = keymapd(&p, "f1 down\nf1 up\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "leftcontrol down\na down\na up\nleftcontrol up\nh down\nh up\ni down\ni up\n"
    );
    // d = lettermod(shift, d, 150, 200), held alone as the script ends: shift at 200 ms.
    let out = keymapd(&[&p[..], &["--timestamps"]].concat(), "d down\n");
    assert_eq!(text(&out.stdout), "   200 ms  leftshift down\n");
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn test_prints_timestamps_or_json() {
    let p = ["test", "--profile", "tests/scripts/actions.toml", "--script", "-"];
    let out = keymapd(&[&p[..], &["--timestamps"]].concat(), "f1 down\n10ms\nf1 up\n");
    assert_eq!(
        text(&out.stdout),
        "     0 ms  leftcontrol down\n     0 ms  a down\n     0 ms  a up\n     0 ms  leftcontrol up\n\
         \x20   50 ms  h down\n    50 ms  h up\n    50 ms  i down\n    50 ms  i up\n"
    );
    let out = keymapd(&[&p[..], &["--json"]].concat(), "capslock down\nc down\nf5 down\n");
    assert_eq!(
        text(&out.stdout),
        "{\"time_ms\":0,\"key\":\"leftcontrol\",\"code\":29,\"value\":\"down\"}\n\
         {\"time_ms\":0,\"key\":\"c\",\"code\":46,\"value\":\"down\"}\n\
         {\"time_ms\":0,\"command\":\"notify-send hello\"}\n"
    );
    let out = keymapd(&[&p[..], &["--json", "--timestamps"]].concat(), "");
    assert_eq!(out.status.code(), Some(2), "--json and --timestamps exclude each other");
}

#[test]
fn check_points_keyd_configs_to_import_keyd() {
    let out = keymapd(&["check", "tests/keyd-examples/capslock-esc.conf"], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "keymapd: error: tests/keyd-examples/capslock-esc.conf is keyd's format, not a keymapd profile: convert \
         it with `keymapd import-keyd tests/keyd-examples/capslock-esc.conf` (or `-o DIR` to write the \
         profiles), then check those\n"
    );
    let out = keymapd(&["check", "tests/keyd-examples"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("`keymapd import-keyd tests/keyd-examples`"), "{}", text(&out.stderr));
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("keymapd-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn list_fails_on_a_missing_config_and_labels_warnings_as_warnings() {
    let out = keymapd(&["list", "--config", "/nonexistent"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("keymapd: error: /nonexistent: no such profile directory"),
        "{}",
        text(&out.stderr)
    );
    // An error and a warning: the warning is not an [ERROR], and only the error is counted.
    let dir = scratch("list");
    std::fs::write(dir.join("a.toml"), "ids = [\"*\"]\n[main]\nleftctl = \"a\"\n").unwrap();
    std::fs::write(dir.join("b.toml"), "ids = [\"usb:kb\"]\n[main]\na = \"b\"\n[nav_]\nh = \"left\"\n")
        .unwrap();
    let out = keymapd(&["list", "--config", dir.to_str().unwrap()], "");
    let err = text(&out.stderr);
    assert!(err.contains("[ERROR] ") && err.contains(": error: unknown key `leftctl`"), "{err}");
    assert!(err.lines().any(|l| l.starts_with("[WARN") && l.contains(": warning: layer `nav_`")), "{err}");
    assert!(!err.lines().any(|l| l.starts_with("[ERROR]") && l.contains(": warning:")), "{err}");
    assert!(err.contains("keymapd: 1 error(s) in the profiles"), "{err}");
    // No profile at all: said, and the devices are listed anyway.
    let empty = scratch("list-empty");
    let out = keymapd(&["list", "--config", empty.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&format!("keymapd: no profiles in {}", empty.display())),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&empty).unwrap();
}

#[test]
fn keys_lists_names_codes_and_aliases() {
    let out = keymapd(&["keys"], "");
    assert!(out.status.success());
    let all = text(&out.stdout);
    assert!(all.lines().count() > 500, "every named code is listed");
    assert!(all.contains("\n  29  leftcontrol               leftctrl\n"), "{all}");
    let out = keymapd(&["keys", "CTRL"], "");
    assert_eq!(
        text(&out.stdout),
        "  29  leftcontrol               leftctrl\n  97  rightcontrol              rightctrl\n"
    );
    let out = keymapd(&["keys", "0x110"], "");
    assert_eq!(text(&out.stdout), " 272  leftmouse                 btn_left btn_mouse\n");
    let out = keymapd(&["keys", "nosuchkey"], "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "keymapd: error: no key name contains `nosuchkey` (and no key has that code)\n"
    );
}

#[test]
fn no_colour_when_stderr_is_not_a_terminal() {
    let out = keymapd(&["check", "/nonexistent.toml"], "");
    assert!(!text(&out.stderr).contains('\x1b'), "{:?}", text(&out.stderr));
}

/// keymapd's stderr on a real terminal (a pseudo-terminal): the labels are coloured, unless
/// NO_COLOR is set.
#[test]
fn labels_are_coloured_on_a_terminal_unless_no_color() {
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};
    let on_a_tty = |no_color: Option<&str>| -> String {
        let (mut master, mut slave) = (0, 0);
        // SAFETY: openpty writes two fds into the integers given; the other pointers may be null.
        let rc = unsafe {
            libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null())
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both fds were just opened by openpty and are owned here alone.
        let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_keymapd"));
        cmd.args(["check", "/nonexistent/x.toml"]).current_dir(root()).stderr(Stdio::from(slave));
        match no_color {
            Some(v) => cmd.env("NO_COLOR", v),
            None => cmd.env_remove("NO_COLOR"),
        };
        let status = cmd.status().expect("keymapd runs");
        assert_eq!(status.code(), Some(1));
        drop(cmd); // closes our copy of the slave: reading the master then ends (EIO)
        let mut out = Vec::new();
        let mut f = std::fs::File::from(master);
        let mut buf = [0u8; 4096];
        while let Ok(n) = f.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        text(&out)
    };
    let coloured = on_a_tty(None);
    assert!(coloured.contains("/nonexistent/x.toml: \x1b[1;31merror:\x1b[0m cannot read"), "{coloured:?}");
    assert!(coloured.contains("keymapd: 1 error found"), "{coloured:?}");
    let plain = on_a_tty(Some("1"));
    assert!(
        !plain.contains('\x1b') && plain.contains("/nonexistent/x.toml: error: cannot read"),
        "{plain:?}"
    );
}

/// `keymapd run` becomes `keymapd-daemon` (exec), found beside `keymapd`: the daemon's own
/// messages come through it; without the program beside it `keymapd run` says so, and so does
/// `keymapd session` without `keymapd-session`.
#[test]
fn run_execs_the_daemon_program_beside_it() {
    let out = keymapd(&["run", "--config", "/nonexistent/keymapd-profiles"], "");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        text(&out.stderr)
            .contains("keymapd: error: /nonexistent/keymapd-profiles: no such profile directory"),
        "{}",
        text(&out.stderr)
    );

    let dir = std::env::temp_dir().join(format!("keymapd-alone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let alone = dir.join("keymapd");
    std::fs::copy(env!("CARGO_BIN_EXE_keymapd"), &alone).unwrap();
    for (args, program) in [
        (["run", "--config", "/x"], "keymapd-daemon"),
        (["session", "--print", "--backend=x11"], "keymapd-session"),
    ] {
        let out = Command::new(&alone).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let err = text(&out.stderr);
        assert!(
            err.starts_with(&format!("keymapd: error: cannot start {}: ", dir.join(program).display()))
                && err.contains("installed beside keymapd"),
            "{err}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `keymapd-daemon`'s own command line: help, version, and exit 2 naming a bad argument; and
/// `keymapd-session`'s.
#[test]
fn the_daemon_and_agent_programs_name_a_bad_argument() {
    let daemon = env!("CARGO_BIN_EXE_keymapd-daemon");
    let out = Command::new(daemon).arg("--help").output().unwrap();
    assert!(out.status.success() && text(&out.stdout).starts_with("Usage: keymapd-daemon "), "{out:?}");
    let out = Command::new(daemon).arg("--version").output().unwrap();
    assert_eq!(text(&out.stdout), format!("keymapd-daemon {}\n", env!("CARGO_PKG_VERSION")));
    let out = Command::new(daemon).args(["--config", "/x", "--verbose"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        text(&out.stderr),
        "keymapd: error: keymapd-daemon: unexpected argument '--verbose' (see `keymapd-daemon --help`)\n"
    );
    let agent = env!("CARGO_BIN_EXE_keymapd-session");
    let out = Command::new(agent).arg("-h").output().unwrap();
    assert!(out.status.success() && text(&out.stdout).starts_with("Usage: keymapd-session "), "{out:?}");
    let out = Command::new(agent).args(["--print", "--backend", "mutter"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(
        text(&out.stderr),
        "keymapd: error: keymapd-session: --backend mutter: not a backend (x11, sway, wlr, kde, gnome)\n"
    );
}

/// `keymapd session --print` (through `keymapd-session`) with no desktop in its environment:
/// exit 2, saying so.
#[test]
fn session_print_without_a_desktop_says_so() {
    let out = Command::new(env!("CARGO_BIN_EXE_keymapd"))
        .args(["session", "--print"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = text(&out.stderr);
    assert!(
        err.starts_with("keymapd: error: session: ") && err.ends_with("; or name one with --backend\n"),
        "{err}"
    );
}
