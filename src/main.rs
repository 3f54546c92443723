// No unwrap/expect/panic (the workspace [lints]) and no unsafe code here.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    keymapd::cli::main()
}
