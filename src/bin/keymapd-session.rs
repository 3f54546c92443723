//! keymapd-session: the session agent, started by `keymapd session` (see
//! `keymapd::session::program`).
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    keymapd::session::program::main()
}
