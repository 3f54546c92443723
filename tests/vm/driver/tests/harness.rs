//! Host-side checks of the test bed's own tools (no VM needed).
// Test code: failing loudly is its job (the workspace [lints] deny this elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn vm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(cmd: &mut Command) -> std::process::Output {
    let shown = format!("{cmd:?}");
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {shown}: {e}"));
    assert!(
        out.status.success(),
        "{shown} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// run.sh unpacks the kernel's evdev and uinput modules however they are compressed (.ko,
/// .ko.xz as Debian trixie ships them, .ko.zst, .ko.gz) and installs the decompressor it lacks.
#[test]
fn kernel_modules_are_unpacked_whatever_their_compression() {
    run(Command::new("bash").arg(vm_dir().join("lib/test-fetch-kernel.sh")));
}

/// The committed churn scenario is what tests/vm/gen-churn.py makes (edit the generator, not
/// the scenario).
#[test]
fn churn_scenario_is_the_generators() {
    let out = run(Command::new("python3").arg(vm_dir().join("gen-churn.py")).args(["-o", "-"]));
    let committed = std::fs::read_to_string(vm_dir().join("scenarios/80-device-churn.scn"))
        .expect("read tests/vm/scenarios/80-device-churn.scn");
    assert!(
        String::from_utf8_lossy(&out.stdout) == committed,
        "tests/vm/scenarios/80-device-churn.scn differs from what tests/vm/gen-churn.py writes: \
         run tests/vm/gen-churn.py (without arguments) to regenerate it"
    );
}
