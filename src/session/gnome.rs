//! GNOME Shell backend: the focused window as published on the session bus by keymapd's
//! Shell extension (packaging/gnome-shell/{43,45}/keymapd@keymapd.github.io: one copy for
//! GNOME Shell 43 and 44, one for 45 and later, which loads extensions as ES modules).
//!
//! The extension owns [`BUS_NAME`] and exports [`OBJECT_PATH`] with the interface
//! [`INTERFACE`]: a property `Focus` of type `(bss)` (a window has focus, its application
//! id, its title) and a signal `FocusChanged` carrying the same triple whenever any part of it
//! changes. GNOME Shell offers no such thing itself (its Introspect interface is closed to
//! ordinary clients), hence the extension.
//!
//! [`watch`] subscribes first and reads the property second, so no change falls between the
//! two; then it blocks on the bus, waking only for the extension's signal or for the
//! extension's name changing owner (disabled, or the shell gone), which ends the watch with an
//! error so that the agent reconnects.

use super::Focus;
use zbus::blocking::{fdo::DBusProxy, Connection, MessageIterator};
use zbus::message::Type;
use zbus::names::BusName;
use zbus::zvariant::OwnedValue;
use zbus::MatchRule;

/// The well-known name the extension owns on the session bus.
pub const BUS_NAME: &str = "io.github.keymapd.Shell";
/// The object the extension exports.
pub const OBJECT_PATH: &str = "/io/github/keymapd/Shell";
/// The interface with the `Focus` property and the `FocusChanged` signal.
pub const INTERFACE: &str = "io.github.keymapd.Focus";
/// The extension's UUID, as `gnome-extensions enable` wants it.
pub const EXTENSION_UUID: &str = "keymapd@keymapd.github.io";

const SIGNAL: &str = "FocusChanged";
const PROPERTY: &str = "Focus";
const DBUS_NAME: &str = "org.freedesktop.DBus";

/// The extension's wire form `(focused, app_id, title)` as a focus: `focused` false is "no
/// window has the focus" whatever the strings say.
pub fn decode((focused, app_id, title): (bool, String, String)) -> Option<Focus> {
    focused.then_some(Focus { app_id, title })
}

/// Reports the focus once now and then at every change, until the session bus or the
/// extension goes away (an `Err` saying which).
pub fn watch(report: &mut dyn FnMut(Option<Focus>)) -> Result<(), String> {
    let conn = session_bus().map_err(|e| format!("GNOME: cannot connect to the session bus: {e}"))?;
    watch_on(&conn, report)
}

/// The session bus, its socket connected here rather than by zbus: zbus connects a Unix
/// socket on the `blocking` crate's thread pool, whose idle thread then wakes every 500 ms for
/// the life of the process; the agent must sleep while nothing happens.
fn session_bus() -> zbus::Result<Connection> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr, UnixStream};
    use zbus::address::transport::{Transport, UnixSocket};

    let address = zbus::Address::session()?;
    let stream = match address.transport() {
        Transport::Unix(unix) => match unix.path() {
            UnixSocket::File(path) => UnixStream::connect(path)?,
            UnixSocket::Abstract(name) => {
                UnixStream::connect_addr(&SocketAddr::from_abstract_name(name.as_encoded_bytes())?)?
            }
            _ => return zbus::blocking::connection::Builder::address(address)?.build(),
        },
        _ => return zbus::blocking::connection::Builder::address(address)?.build(),
    };
    zbus::blocking::connection::Builder::unix_stream(stream).build()
}

/// [`watch`] on a given connection.
pub fn watch_on(conn: &Connection, report: &mut dyn FnMut(Option<Focus>)) -> Result<(), String> {
    let bus_err = |e: zbus::Error| format!("GNOME: session bus: {e}");
    // The stream exists before the subscriptions, so that it holds every signal they bring.
    let messages = MessageIterator::from(conn);
    let dbus = DBusProxy::new(conn).map_err(bus_err)?;
    let changes = MatchRule::builder()
        .msg_type(Type::Signal)
        .interface(INTERFACE)
        .and_then(|b| b.member(SIGNAL))
        .and_then(|b| b.path(OBJECT_PATH))
        .map_err(bus_err)?
        .build();
    let owner_changes = MatchRule::builder()
        .msg_type(Type::Signal)
        .sender(DBUS_NAME)
        .and_then(|b| b.interface(DBUS_NAME))
        .and_then(|b| b.member("NameOwnerChanged"))
        .and_then(|b| b.arg(0, BUS_NAME))
        .map_err(bus_err)?
        .build();
    for rule in [changes, owner_changes] {
        dbus.add_match_rule(rule).map_err(|e| format!("GNOME: session bus: cannot subscribe: {e}"))?;
    }

    let not_running = || {
        format!(
            "GNOME: the keymapd Shell extension is not running (no {BUS_NAME} on the session \
             bus); enable it with: gnome-extensions enable {EXTENSION_UUID}"
        )
    };
    let bus_name = BusName::try_from(BUS_NAME).map_err(|e| format!("GNOME: {e}"))?;
    let owner = dbus.get_name_owner(bus_name).map_err(|_| not_running())?;

    let reply = conn
        .call_method(
            Some(owner.as_str()),
            OBJECT_PATH,
            Some("org.freedesktop.DBus.Properties"),
            "Get",
            &(INTERFACE, PROPERTY),
        )
        .map_err(|e| format!("GNOME: cannot read {INTERFACE}.{PROPERTY}: {e}"))?;
    let value: OwnedValue =
        reply.body().deserialize().map_err(|e| format!("GNOME: {INTERFACE}.{PROPERTY}: {e}"))?;
    let initial = <(bool, String, String)>::try_from(value)
        .map_err(|e| format!("GNOME: {INTERFACE}.{PROPERTY} is not (bss): {e}"))?;
    let mut last = decode(initial);
    report(last.clone());

    for message in messages {
        let message = message.map_err(bus_err)?;
        let header = message.header();
        if header.message_type() != Type::Signal {
            continue;
        }
        let (Some(interface), Some(member)) = (header.interface(), header.member()) else {
            continue;
        };
        if interface.as_str() == DBUS_NAME && member.as_str() == "NameOwnerChanged" {
            let Ok((name, _, _)) = message.body().deserialize::<(String, String, String)>() else {
                continue;
            };
            if name == BUS_NAME {
                return Err(format!(
                    "GNOME: the keymapd Shell extension left the session bus ({BUS_NAME} \
                     changed owner: extension disabled or GNOME Shell gone)"
                ));
            }
            continue;
        }
        if interface.as_str() != INTERFACE
            || member.as_str() != SIGNAL
            || header.sender().map(|s| s.as_str()) != Some(owner.as_str())
            || header.path().map(|p| p.as_str()) != Some(OBJECT_PATH)
        {
            continue;
        }
        let Ok(wire) = message.body().deserialize::<(bool, String, String)>() else {
            log::warn!("GNOME: ignoring a {SIGNAL} signal that is not (bss)");
            continue;
        };
        let focus = decode(wire);
        if focus != last {
            last = focus;
            report(last.clone());
        }
    }
    Err("GNOME: the session bus connection closed".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_focused_window_decodes_to_its_app_id_and_title() {
        let focus = decode((true, "org.gnome.Terminal".into(), "~: vim".into()));
        assert_eq!(focus, Some(Focus { app_id: "org.gnome.Terminal".into(), title: "~: vim".into() }));
    }

    #[test]
    fn not_focused_decodes_to_none_whatever_the_strings() {
        assert_eq!(decode((false, String::new(), String::new())), None);
        assert_eq!(decode((false, "stale".into(), "stale".into())), None);
    }

    #[test]
    fn a_focused_window_without_app_id_is_still_a_focus() {
        assert_eq!(
            decode((true, String::new(), "untitled".into())),
            Some(Focus { app_id: String::new(), title: "untitled".into() })
        );
    }

    /// The extension's two copies (GNOME 43-44, and 45 on as an ES module) name what this
    /// module expects, and share one body between their imports and their entry points.
    #[test]
    fn names_match_the_shipped_extensions() {
        let read = |shell: &str, file: &str| {
            let dir = env!("CARGO_MANIFEST_DIR");
            std::fs::read_to_string(format!("{dir}/packaging/gnome-shell/{shell}/{EXTENSION_UUID}/{file}"))
                .unwrap()
        };
        let mut bodies = Vec::new();
        for (shell, versions, entry) in [
            ("43", r#"["43", "44"]"#, "function init()"),
            ("45", r#"["45", "46", "47", "48", "49"]"#, "export default class"),
        ] {
            let js = read(shell, "extension.js");
            for needle in [
                format!("'{BUS_NAME}'"),
                format!("'{OBJECT_PATH}'"),
                format!("<interface name=\"{INTERFACE}\">"),
                format!("<property name=\"{PROPERTY}\" type=\"(bss)\""),
                format!("<signal name=\"{SIGNAL}\">"),
                format!("emit_signal('{SIGNAL}', new GLib.Variant('(bss)'"),
            ] {
                assert!(js.contains(&needle), "{shell}/extension.js lacks {needle}");
            }
            let start = js.find("const BUS_NAME").unwrap();
            let end = js.find(entry).unwrap();
            bodies.push(js[start..end].to_string());
            let metadata = read(shell, "metadata.json");
            assert!(metadata.contains(&format!("\"uuid\": \"{EXTENSION_UUID}\"")));
            assert!(metadata.contains(&format!("\"shell-version\": {versions}")));
        }
        assert_eq!(bodies[0], bodies[1], "the two extension.js copies diverged");
    }
}
