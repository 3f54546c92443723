//! `keymapd-session`, the session agent's own program: `keymapd session` execs it, so the agent,
//! which stays up in every graphical session, maps only its own code (the backends and their
//! libraries: zbus, wayland-client, x11rb), not the command line's, and the command line and the
//! daemon map none of the agent's (see `crate::daemon::program`).
//!
//! Its arguments are the ones `keymapd session` passes, parsed by hand: `--print`,
//! `--backend NAME`, `--socket PATH`.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use super::Backend;
use crate::program_args::{default_socket, options, unexpected};
use crate::term::{fail, init_log};

/// The program's file name; `keymapd session` finds it beside its own executable.
pub const PROGRAM: &str = "keymapd-session";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    Run { print: bool, backend: Option<Backend>, socket: PathBuf },
    Help,
    Version,
}

const USAGE: &str = "\
Usage: keymapd-session [--print] [--backend x11|sway|wlr|kde|gnome] [--socket PATH]

keymapd's session agent: reports the focused window to the daemon and runs its command() actions
as this user. It is started by `keymapd session` (and so by the keymapd-session user unit); see
keymapd(1).

Options:
      --print          print focus changes on standard output instead (no daemon needed)
      --backend NAME   the desktop to watch [default: detected]
      --socket PATH    the daemon's control socket [env: KEYMAPD_SOCKET] [default: /run/keymapd/control.sock]
  -h, --help           print this
  -V, --version        print the version";

impl Backend {
    /// The backend called `name` (its `name()`).
    pub fn from_name(name: &str) -> Option<Backend> {
        <Backend as clap::ValueEnum>::value_variants().iter().copied().find(|b| b.name() == name)
    }
}

/// Parses the arguments after the program name; `env_socket` is `KEYMAPD_SOCKET`.
/// The error names the offending argument.
pub fn parse(
    args: impl IntoIterator<Item = OsString>,
    env_socket: Option<OsString>,
) -> Result<Request, String> {
    let mut print = false;
    let mut backend = None;
    let mut socket = default_socket(env_socket);
    for (name, value) in options(PROGRAM, args, &["--backend", "--socket"])? {
        match (name.as_str(), value) {
            ("--print", None) => print = true,
            ("--socket", Some(v)) => socket = PathBuf::from(v),
            ("--backend", Some(v)) => match v.to_str().and_then(Backend::from_name) {
                Some(b) => backend = Some(b),
                None => {
                    let names: Vec<&str> =
                        <Backend as clap::ValueEnum>::value_variants().iter().map(|b| b.name()).collect();
                    return Err(format!(
                        "--backend {}: not a backend ({})",
                        v.to_string_lossy(),
                        names.join(", ")
                    ));
                }
            },
            ("-h" | "--help", None) => return Ok(Request::Help),
            ("-V" | "--version", None) => return Ok(Request::Version),
            _ => return Err(unexpected(PROGRAM, &name)),
        }
    }
    Ok(Request::Run { print, backend, socket })
}

/// `keymapd-session`'s `main`. Exit 2 for bad arguments, and with `--print` when no desktop is
/// found (nothing to retry until the session changes; the unit does not restart on it).
pub fn main() -> ExitCode {
    let (print, backend, socket) =
        match parse(std::env::args_os().skip(1), std::env::var_os("KEYMAPD_SOCKET")) {
            Ok(Request::Run { print, backend, socket }) => (print, backend, socket),
            Ok(Request::Help) => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            Ok(Request::Version) => {
                println!("{PROGRAM} {}", env!("CARGO_PKG_VERSION"));
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                fail(format_args!("{PROGRAM}: {e}"));
                return ExitCode::from(2);
            }
        };
    init_log(if print { "warn" } else { "info" });
    let backend = match backend {
        Some(b) => b,
        None => match super::detect(&|name| std::env::var(name).ok()) {
            Ok(b) => b,
            Err(e) if print => {
                fail(format_args!("session: {e}; or name one with --backend"));
                return ExitCode::from(2);
            }
            // A TTY or an unsupported desktop: the agent still runs the profiles' commands.
            Err(e) => {
                log::warn!(
                    "no desktop detected ({e}): the focus is not reported (no application layers); \
                     command() actions still run in this session"
                );
                return match super::agent(&socket, super::no_desktop) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => fail(format_args!("session: {e}")),
                };
            }
        },
    };
    let watch = |report: &mut dyn FnMut(Option<super::Focus>)| backend.watch(report);
    let result = if print {
        super::print(watch)
    } else {
        log::info!("watching the focus with the {} backend", backend.name());
        super::agent(&socket, watch)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format_args!("session ({}): {e}", backend.name())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::protocol::SOCKET_PATH;

    fn run(args: &[&str], env: Option<&str>) -> Result<Request, String> {
        parse(args.iter().map(OsString::from), env.map(OsString::from))
    }

    fn agent(print: bool, backend: Option<Backend>, socket: &str) -> Result<Request, String> {
        Ok(Request::Run { print, backend, socket: socket.into() })
    }

    #[test]
    fn defaults_and_what_keymapd_session_passes() {
        assert_eq!(run(&[], None), agent(false, None, SOCKET_PATH));
        assert_eq!(run(&["--socket", "/s"], Some("/e")), agent(false, None, "/s"));
        assert_eq!(run(&[], Some("/e")), agent(false, None, "/e"));
        assert_eq!(
            run(&["--print", "--backend", "sway"], None),
            agent(true, Some(Backend::Sway), SOCKET_PATH)
        );
        assert_eq!(run(&["--backend=gnome", "--socket=/s"], None), agent(false, Some(Backend::Gnome), "/s"));
        for b in [Backend::X11, Backend::Sway, Backend::Wlr, Backend::Kde, Backend::Gnome] {
            assert_eq!(Backend::from_name(b.name()), Some(b));
        }
        assert_eq!(run(&["-h"], None), Ok(Request::Help));
        assert_eq!(run(&["--version"], None), Ok(Request::Version));
    }

    #[test]
    fn bad_arguments_are_named() {
        assert_eq!(
            run(&["--backend", "hyprland"], None),
            Err("--backend hyprland: not a backend (x11, sway, wlr, kde, gnome)".into())
        );
        assert_eq!(run(&["--backend"], None), Err("--backend needs a value".into()));
        assert_eq!(
            run(&["--print=yes"], None),
            Err("unexpected argument '--print=yes' (see `keymapd-session --help`)".into())
        );
        assert_eq!(
            run(&["session"], None),
            Err("unexpected argument 'session' (see `keymapd-session --help`)".into())
        );
    }
}
