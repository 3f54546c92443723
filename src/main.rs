fn main() -> std::process::ExitCode {
    keymapd::cli::main()
}
