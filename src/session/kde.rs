//! The KDE backend: a KWin script reports the active window to the agent over the session bus.
//!
//! KWin on Wayland tells other programs nothing about its windows; a script running inside it
//! sees them. The agent serves one D-Bus method (`org.keymapd.Session1.Focus` at
//! [`OBJECT_PATH`]), loads the script through KWin's scripting interface with the agent's unique
//! bus name written into it, and blocks on a channel fed by that method. Only calls from KWin's
//! own connection are taken. KWin leaving the bus (or the bus closing) ends the watch.

use std::sync::mpsc;

use zbus::blocking::{connection, fdo::DBusProxy, Proxy};
use zbus::message::Header;
use zbus::names::{BusName, OwnedUniqueName};

use super::Focus;

/// Where the agent serves the method the script calls.
pub const OBJECT_PATH: &str = "/org/keymapd/Session";
/// The script's name in KWin: one at a time (a restarted agent replaces its predecessor's).
const PLUGIN: &str = "keymapd-session";

enum Msg {
    Focus(Option<Focus>),
    Lost(String),
}

struct Receiver {
    tx: mpsc::Sender<Msg>,
    kwin: OwnedUniqueName,
}

#[zbus::interface(name = "org.keymapd.Session1")]
impl Receiver {
    /// The active window changed (or its caption did); `focused` false: no window is active.
    fn focus(&self, #[zbus(header)] header: Header<'_>, focused: bool, app_id: String, title: String) {
        if header.sender().map(|s| s.as_str()) != Some(self.kwin.as_str()) {
            return;
        }
        let _ = self.tx.send(Msg::Focus(focused.then_some(Focus { app_id, title })));
    }
}

/// The KWin script (JavaScript, KWin 5 API), reporting to the agent at `dest`.
pub fn script(dest: &str) -> String {
    format!(
        r#"// keymapd session agent: reports the active window (loaded by `keymapd session`).
var dest = "{dest}";
var watched = null;
function send(c) {{
    if (c) {{
        callDBus(dest, "{OBJECT_PATH}", "org.keymapd.Session1", "Focus", true,
                 String(c.resourceClass), String(c.caption));
    }} else {{
        callDBus(dest, "{OBJECT_PATH}", "org.keymapd.Session1", "Focus", false, "", "");
    }}
}}
function onCaption() {{ send(workspace.activeClient); }}
function onActivated(c) {{
    if (watched) {{ watched.captionChanged.disconnect(onCaption); }}
    watched = c;
    if (c) {{ c.captionChanged.connect(onCaption); }}
    send(c);
}}
workspace.clientActivated.connect(onActivated);
onActivated(workspace.activeClient);
"#
    )
}

fn bus_err(what: &str) -> impl Fn(zbus::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

/// Watches KWin's active window (see the module doc of `session`).
pub fn watch(report: &mut dyn FnMut(Option<Focus>)) -> Result<(), String> {
    let probe =
        zbus::blocking::Connection::session().map_err(bus_err("cannot connect to the session bus"))?;
    let kwin_name = BusName::try_from("org.kde.KWin").map_err(|e| e.to_string())?;
    let dbus = DBusProxy::new(&probe).map_err(bus_err("session bus"))?;
    let kwin = dbus
        .get_name_owner(kwin_name.clone())
        .map_err(|e| format!("KWin is not on the session bus (org.kde.KWin): {e}"))?;
    let (tx, rx) = mpsc::channel();
    let conn = connection::Builder::session()
        .and_then(|b| b.serve_at(OBJECT_PATH, Receiver { tx: tx.clone(), kwin: kwin.clone() }))
        .and_then(|b| b.build())
        .map_err(bus_err("cannot serve on the session bus"))?;
    let me = conn.unique_name().ok_or("the session bus gave no unique name")?.to_string();

    // KWin leaving the bus ends the watch; so does the bus going away.
    let changes = dbus
        .receive_name_owner_changed_with_args(&[(0, "org.kde.KWin")])
        .map_err(bus_err("cannot follow KWin on the session bus"))?;
    std::thread::Builder::new()
        .name("kwin-owner".into())
        .spawn(move || {
            for change in changes {
                if let Ok(args) = change.args() {
                    if args.new_owner().as_ref().map(|n| n.as_str()) != Some(kwin.as_str()) {
                        let _ = tx.send(Msg::Lost("KWin left the session bus".into()));
                        return;
                    }
                }
            }
            let _ = tx.send(Msg::Lost("the session bus closed".into()));
        })
        .map_err(|e| format!("cannot start a thread: {e}"))?;

    let mut file = Some(load_script(&conn, &me)?);
    loop {
        match rx.recv() {
            Ok(Msg::Focus(focus)) => {
                // KWin reads the file when the script starts, asynchronously: the first call
                // says it has.
                if let Some(f) = file.take() {
                    let _ = std::fs::remove_file(f);
                }
                report(focus);
            }
            Ok(Msg::Lost(why)) => return Err(why),
            Err(_) => return Err("the session bus closed".into()),
        }
    }
}

/// Loads and starts the script in KWin, replacing one an earlier agent left; returns its file.
fn load_script(conn: &zbus::blocking::Connection, me: &str) -> Result<std::path::PathBuf, String> {
    let scripting = Proxy::new(conn, "org.kde.KWin", "/Scripting", "org.kde.kwin.Scripting")
        .map_err(bus_err("KWin scripting"))?;
    let _: Result<bool, _> = scripting.call("unloadScript", &(PLUGIN,));
    let dir = std::env::var_os("XDG_RUNTIME_DIR").map_or_else(std::env::temp_dir, Into::into);
    let file = dir.join(format!("keymapd-kwin-{}.js", std::process::id()));
    std::fs::write(&file, script(me)).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    let loaded = (|| {
        let path = file.to_string_lossy().into_owned();
        let id: i32 =
            scripting.call("loadScript", &(path, PLUGIN)).map_err(bus_err("KWin refused the script"))?;
        if id < 0 {
            return Err(format!("KWin refused the script ({id})"));
        }
        // KWin 5.21 and later name the script's object /Scripting/ScriptN; older ones /N.
        let mut last = String::new();
        for path in [format!("/Scripting/Script{id}"), format!("/{id}")] {
            let run = Proxy::new(conn, "org.kde.KWin", path.as_str(), "org.kde.kwin.Script")
                .and_then(|p| p.call::<_, _, ()>("run", &()));
            match run {
                Ok(()) => return Ok(()),
                Err(e) => last = e.to_string(),
            }
        }
        Err(format!("KWin did not run the script: {last}"))
    })();
    match loaded {
        Ok(()) => Ok(file),
        Err(e) => {
            let _ = std::fs::remove_file(&file);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_script_calls_back_the_agent_by_its_unique_name() {
        let s = super::script(":1.42");
        assert!(s.contains(r#"var dest = ":1.42";"#));
        assert!(s.contains("workspace.clientActivated.connect(onActivated);"));
        assert!(s.contains(r#""/org/keymapd/Session", "org.keymapd.Session1", "Focus""#));
    }
}
