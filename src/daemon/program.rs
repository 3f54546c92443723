//! `keymapd-daemon`, the daemon's own program: `keymapd run` execs it, so the process that stays
//! up holding the keyboards maps only the daemon's code, not the command line's (clap, the man
//! pages, `show`, `import-keyd`) nor the session agent's libraries (zbus, wayland, x11rb). The
//! kernel maps a program's code 64 KiB at a time around each page that runs, so code that merely
//! sits beside the daemon's counts in its memory (BENCHMARKS.md, "Memory (issues 12, 13)").
//!
//! Its arguments are few and fixed, and parsed by hand: `--config DIR` and `--socket PATH`, as
//! `keymapd run` passes them.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::profile::DEFAULT_DIR;
use crate::program_args::{default_socket, options, unexpected};
use crate::term::{fail, init_log};

/// The program's file name; `keymapd run` finds it beside its own executable.
pub const PROGRAM: &str = "keymapd-daemon";

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    Run { config: PathBuf, socket: PathBuf },
    Help,
    Version,
}

const USAGE: &str = "\
Usage: keymapd-daemon [--config DIR] [--socket PATH]

The keymapd daemon itself: grabs the keyboards the profiles claim, remaps them and re-emits each
through its own virtual clone. It is started by `keymapd run` (and so by keymapd.service); see
keymapd(1).

Options:
  -c, --config DIR     profile directory [default: /etc/keymapd]
      --socket PATH    control socket [env: KEYMAPD_SOCKET] [default: /run/keymapd/control.sock]
  -h, --help           print this
  -V, --version        print the version";

/// Parses the arguments after the program name; `env_socket` is `KEYMAPD_SOCKET`.
/// The error names the offending argument.
pub fn parse(
    args: impl IntoIterator<Item = OsString>,
    env_socket: Option<OsString>,
) -> Result<Request, String> {
    let mut config = PathBuf::from(DEFAULT_DIR);
    let mut socket = default_socket(env_socket);
    for (name, value) in options(PROGRAM, args, &["-c", "--config", "--socket"])? {
        match (name.as_str(), value) {
            ("-c" | "--config", Some(v)) => config = PathBuf::from(v),
            ("--socket", Some(v)) => socket = PathBuf::from(v),
            ("-h" | "--help", None) => return Ok(Request::Help),
            ("-V" | "--version", None) => return Ok(Request::Version),
            _ => return Err(unexpected(PROGRAM, &name)),
        }
    }
    Ok(Request::Run { config, socket })
}

/// `keymapd-daemon`'s `main`: serve until SIGTERM/SIGINT. Exit 2 for bad arguments.
pub fn main() -> ExitCode {
    match parse(std::env::args_os().skip(1), std::env::var_os("KEYMAPD_SOCKET")) {
        Ok(Request::Run { config, socket }) => {
            init_log("info");
            match super::run(&config, &socket) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(format_args!("{e}")),
            }
        }
        Ok(Request::Help) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Ok(Request::Version) => {
            println!("{PROGRAM} {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            fail(format_args!("{PROGRAM}: {e}"));
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::protocol::SOCKET_PATH;

    fn run(args: &[&str], env: Option<&str>) -> Result<Request, String> {
        parse(args.iter().map(OsString::from), env.map(OsString::from))
    }

    fn serve(config: &str, socket: &str) -> Result<Request, String> {
        Ok(Request::Run { config: config.into(), socket: socket.into() })
    }

    #[test]
    fn defaults_and_what_keymapd_run_passes() {
        assert_eq!(run(&[], None), serve(DEFAULT_DIR, SOCKET_PATH));
        assert_eq!(run(&["--config", "/p", "--socket", "/s"], None), serve("/p", "/s"));
        assert_eq!(run(&["-c", "/p", "--socket=/s"], None), serve("/p", "/s"));
        assert_eq!(run(&["--config=/p"], Some("/e")), serve("/p", "/e"));
        assert_eq!(run(&["--socket", "/s"], Some("/e")), serve(DEFAULT_DIR, "/s"), "the option wins");
        assert_eq!(run(&[], Some("")), serve(DEFAULT_DIR, SOCKET_PATH), "an empty variable is unset");
        assert_eq!(run(&["--help"], None), Ok(Request::Help));
        assert_eq!(run(&["-V"], None), Ok(Request::Version));
    }

    #[test]
    fn bad_arguments_are_named() {
        assert_eq!(
            run(&["run"], None),
            Err("unexpected argument 'run' (see `keymapd-daemon --help`)".into())
        );
        assert_eq!(run(&["--config"], None), Err("--config needs a value".into()));
        assert_eq!(run(&["--socket="], None), Err("--socket needs a value".into()));
        assert_eq!(
            run(&["--help=x"], None),
            Err("unexpected argument '--help=x' (see `keymapd-daemon --help`)".into())
        );
        assert!(run(&["-x"], None).is_err_and(|e| e.contains("'-x'")));
    }
}
