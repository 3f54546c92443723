//! The command line: `run`, `check`, `test`, `list`; argument parsing, output formats, exit codes.
//! It never remaps anything itself: it wires files and the terminal to the core and the daemon.

pub fn main() -> i32 {
    0
}
