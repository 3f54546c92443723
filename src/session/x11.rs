//! The X11 backend: EWMH, for any window manager that maintains `_NET_ACTIVE_WINDOW`.
//!
//! Listens for PropertyNotify on the root window (the active window changed) and on the active
//! window itself (its title or class changed); blocks on the X connection in between. The app id
//! is the class part of `WM_CLASS`; the title `_NET_WM_NAME`, else `WM_NAME`.

use x11rb::connection::Connection;
use x11rb::errors::ReplyError;
use x11rb::protocol::xproto::{Atom, AtomEnum, ChangeWindowAttributesAux, ConnectionExt, EventMask, Window};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;

use super::Focus;

struct Atoms {
    active: Atom,
    net_wm_name: Atom,
}

fn lost(e: impl std::fmt::Display) -> String {
    format!("lost the connection to the X server: {e}")
}

fn intern(conn: &RustConnection, name: &str) -> Result<Atom, String> {
    Ok(conn.intern_atom(false, name.as_bytes()).map_err(lost)?.reply().map_err(lost)?.atom)
}

/// A property's bytes; `None` when it is absent or the window is gone (an X error, not a loss).
fn property(
    conn: &RustConnection,
    window: Window,
    prop: Atom,
    kind: Atom,
) -> Result<Option<Vec<u8>>, String> {
    let cookie = conn.get_property(false, window, prop, kind, 0, 64 * 1024).map_err(lost)?;
    match cookie.reply() {
        // Absent, or of another type than asked (the reply then carries no value).
        Ok(r) if r.format == 0 || r.value.is_empty() => Ok(None),
        Ok(r) => Ok(Some(r.value)),
        Err(ReplyError::X11Error(_)) => Ok(None),
        Err(e) => Err(lost(e)),
    }
}

fn active_window(conn: &RustConnection, root: Window, atoms: &Atoms) -> Result<Option<Window>, String> {
    let value = property(conn, root, atoms.active, AtomEnum::WINDOW.into())?;
    Ok(value
        .and_then(|v| v.get(..4).map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]])))
        .filter(|&w| w != 0))
}

/// The class part of `WM_CLASS` (`instance\0class\0`).
pub fn class_of(wm_class: &[u8]) -> String {
    let mut parts = wm_class.split(|&b| b == 0);
    let instance = parts.next().unwrap_or_default();
    let class = parts.next().filter(|c| !c.is_empty()).unwrap_or(instance);
    String::from_utf8_lossy(class).into_owned()
}

fn describe(conn: &RustConnection, window: Option<Window>, atoms: &Atoms) -> Result<Option<Focus>, String> {
    let Some(w) = window else { return Ok(None) };
    let class = property(conn, w, AtomEnum::WM_CLASS.into(), AtomEnum::ANY.into())?;
    let title = match property(conn, w, atoms.net_wm_name, AtomEnum::ANY.into())? {
        Some(t) => Some(t),
        None => property(conn, w, AtomEnum::WM_NAME.into(), AtomEnum::ANY.into())?,
    };
    // A window that vanished between the notification and these requests has neither.
    if class.is_none() && title.is_none() {
        return Ok(None);
    }
    Ok(Some(Focus {
        app_id: class.as_deref().map(class_of).unwrap_or_default(),
        title: String::from_utf8_lossy(&title.unwrap_or_default()).into_owned(),
    }))
}

/// What is watched on the active window: its properties, and its end.
fn watched() -> EventMask {
    EventMask::PROPERTY_CHANGE | EventMask::STRUCTURE_NOTIFY
}

/// Asks for (or stops) PropertyNotify on a client window; errors (a window already gone)
/// arrive as events and are ignored there.
fn follow(conn: &RustConnection, window: Option<Window>, mask: EventMask) -> Result<(), String> {
    if let Some(w) = window {
        conn.change_window_attributes(w, &ChangeWindowAttributesAux::new().event_mask(mask)).map_err(lost)?;
    }
    Ok(())
}

/// Watches the X11 focus (see the module doc of `session`).
pub fn watch(report: &mut dyn FnMut(Option<Focus>)) -> Result<(), String> {
    let (conn, screen) = x11rb::connect(None).map_err(|e| format!("cannot connect to the X server: {e}"))?;
    let root = conn.setup().roots.get(screen).ok_or("the X server has no such screen")?.root;
    let atoms =
        Atoms { active: intern(&conn, "_NET_ACTIVE_WINDOW")?, net_wm_name: intern(&conn, "_NET_WM_NAME")? };
    conn.change_window_attributes(
        root,
        &ChangeWindowAttributesAux::new().event_mask(EventMask::PROPERTY_CHANGE),
    )
    .map_err(lost)?
    .check()
    .map_err(|e| format!("cannot watch the X root window: {e}"))?;
    let mut active = active_window(&conn, root, &atoms)?;
    follow(&conn, active, watched())?;
    report(describe(&conn, active, &atoms)?);
    loop {
        conn.flush().map_err(lost)?;
        // Block for one event, then take those already queued with it before reporting: a
        // window manager moving the focus often clears _NET_ACTIVE_WINDOW and sets it again in
        // one go, and that passing "nothing focused" is no change worth reporting.
        let mut event = Some(conn.wait_for_event().map_err(lost)?);
        let mut changed = false;
        while let Some(ev) = event {
            match ev {
                Event::PropertyNotify(e) if e.window == root && e.atom == atoms.active => {
                    let now = active_window(&conn, root, &atoms)?;
                    if now != active {
                        follow(&conn, active, EventMask::NO_EVENT)?;
                        follow(&conn, now, watched())?;
                        active = now;
                    }
                    changed = true;
                }
                Event::PropertyNotify(e)
                    if Some(e.window) == active
                        && [atoms.net_wm_name, AtomEnum::WM_NAME.into(), AtomEnum::WM_CLASS.into()]
                            .contains(&e.atom) =>
                {
                    changed = true;
                }
                // Some window managers (openbox) leave _NET_ACTIVE_WINDOW naming a window that
                // was destroyed while focused, until another one is focused.
                Event::DestroyNotify(e) if Some(e.window) == active => {
                    active = None;
                    changed = true;
                }
                _ => {}
            }
            event = conn.poll_for_event().map_err(lost)?;
        }
        if changed {
            report(describe(&conn, active, &atoms)?);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::class_of;

    #[test]
    fn the_class_is_the_second_part_of_wm_class() {
        assert_eq!(class_of(b"xterm\0XTerm\0"), "XTerm");
        assert_eq!(class_of(b"navigator\0firefox\0"), "firefox");
        assert_eq!(class_of(b"only\0"), "only");
        assert_eq!(class_of(b""), "");
    }
}
