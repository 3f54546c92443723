//! keymapd-daemon: the daemon, started by `keymapd run` (see `keymapd::daemon::program`).
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    keymapd::daemon::program::main()
}
