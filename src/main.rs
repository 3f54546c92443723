// As in lib.rs: nothing here may unwrap, expect or panic on input, the system or a file.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

fn main() -> std::process::ExitCode {
    keymapd::cli::main()
}
