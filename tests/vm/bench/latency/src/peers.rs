//! The other remappers the bench measures keymapd against, each configured with the swap profile
//! (`profiles/usb-keyboard.toml`: left control and meta trade places, right alt and meta) and
//! told to take only its own synthetic keyboard.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The name of kanata's output device (its `linux-output-device-name`).
pub const KANATA_OUTPUT: &str = "keymapd-bench kanata output";
/// keyd's output device (fixed by keyd).
pub const KEYD_OUTPUT: &str = "keyd virtual keyboard";

/// kanata's equivalent of the swap profile. `defsrc` names the four keys the profile maps, and
/// the one layer swaps them, as a kanata user would write it; keys not in `defsrc` (the bench's
/// letters) kanata passes on as they are, from its reading thread. `linux-dev-names-include`
/// keeps it to the one keyboard.
pub fn kanata_config(keyboard: &str) -> String {
    format!(
        ";; keymapd's VM bench: profiles/usb-keyboard.toml in kanata's terms.\n\
         (defcfg\n  linux-dev-names-include (\"{keyboard}\")\n  linux-output-device-name \"{KANATA_OUTPUT}\"\n)\n\
         (defsrc lctl lmet ralt rmet)\n\
         (deflayer swap lmet lctl rmet ralt)\n"
    )
}

/// keyd's equivalent: the profile's `[main]` as it is, `[ids]` naming the keyboard's
/// vendor:product (keyd claims nothing else).
pub fn keyd_config(vendor: u16, product: u16) -> String {
    format!(
        "# keymapd's VM bench: profiles/usb-keyboard.toml in keyd's terms.\n\
         [ids]\n{vendor:04x}:{product:04x}\n\n\
         [main]\nleftcontrol = leftmeta\nleftmeta = leftcontrol\nrightalt = rightmeta\nrightmeta = rightalt\n"
    )
}

/// Starts kanata on `config` (`--nodelay`: no half-second start-up pause, which changes nothing
/// once it runs). Its log goes to `log`.
pub fn start_kanata(bin: &Path, config: &Path, log: &Path) -> Result<Child, String> {
    let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    Command::new(bin)
        .arg("--cfg")
        .arg(config)
        .arg("--nodelay")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))
}

/// Starts keyd in the foreground with its configuration in /etc/keyd (where keyd looks).
pub fn start_keyd(bin: &Path, config_text: &str, log: &Path) -> Result<Child, String> {
    let dir = PathBuf::from("/etc/keyd");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    std::fs::create_dir_all("/var/run").map_err(|e| format!("/var/run: {e}"))?;
    std::fs::write(dir.join("bench.conf"), config_text).map_err(|e| format!("/etc/keyd/bench.conf: {e}"))?;
    let out = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    Command::new(bin)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))
}

/// The tail of a peer's log, for an error message.
pub fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}
