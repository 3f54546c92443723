//! Prints the focus as GNOME Shell's keymapd extension reports it, one line per change in
//! `keymapd session --print`'s format: `focus <app-id>\t<title>`, or `focus` alone when no
//! window has the focus. Exits 1 with the reason when the bus or the extension goes away.
//! The GNOME backend's end-to-end test (tests/desktop/gnome.sh) runs it.

use std::io::Write;

fn main() {
    let mut out = std::io::stdout();
    let result = keymapd::session::gnome::watch(&mut |focus| {
        let line = match focus {
            Some(f) => format!("focus {}\t{}\n", f.app_id, f.title),
            None => "focus\n".to_string(),
        };
        // A closed stdout ends the program on the next line's failure; nothing to do here.
        let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
    });
    if let Err(e) = result {
        eprintln!("gnome-focus: {e}");
        std::process::exit(1);
    }
}
