fn main() {
    std::process::exit(keymapd::cli::main());
}
