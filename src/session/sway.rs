//! The sway backend: sway's IPC socket (`$SWAYSOCK`).
//!
//! Two connections: one subscribed to `window` and `workspace` events, on which this blocks,
//! and one for `GET_TREE`, asked after each event that can move the focus or rename the focused
//! window. The focused leaf of the tree is the answer (a focused workspace means nothing is);
//! asking the tree rather than trusting each event's container also covers closing the last
//! window and switching to an empty workspace, which send no `focus` event.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

use serde_json::Value;

use super::Focus;

const MAGIC: &[u8; 6] = b"i3-ipc";
const SUBSCRIBE: u32 = 2;
const GET_TREE: u32 = 4;
const EVENT_WORKSPACE: u32 = 0x8000_0000;
const EVENT_WINDOW: u32 = 0x8000_0003;
const EVENT_SHUTDOWN: u32 = 0x8000_0006;
/// A reply larger than this is not sway's (a tree of thousands of windows is a few MiB).
const MAX_PAYLOAD: usize = 64 << 20;

fn send(stream: &mut UnixStream, kind: u32, payload: &[u8]) -> Result<(), String> {
    let len = u32::try_from(payload.len()).map_err(|_| "sway IPC: message too long".to_string())?;
    let mut msg = Vec::with_capacity(14 + payload.len());
    msg.extend_from_slice(MAGIC);
    msg.extend_from_slice(&len.to_ne_bytes());
    msg.extend_from_slice(&kind.to_ne_bytes());
    msg.extend_from_slice(payload);
    stream.write_all(&msg).map_err(|e| format!("lost the connection to sway: {e}"))
}

fn recv(stream: &mut UnixStream) -> Result<(u32, Value), String> {
    let lost = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => {
            "lost the connection to sway: it closed the IPC socket".to_string()
        }
        _ => format!("lost the connection to sway: {e}"),
    };
    let mut head = [0u8; 14];
    stream.read_exact(&mut head).map_err(lost)?;
    if &head[..6] != MAGIC {
        return Err("sway IPC: not an i3-ipc message".into());
    }
    let len = u32::from_ne_bytes([head[6], head[7], head[8], head[9]]) as usize;
    let kind = u32::from_ne_bytes([head[10], head[11], head[12], head[13]]);
    if len > MAX_PAYLOAD {
        return Err(format!("sway IPC: a {len}-byte message"));
    }
    let mut payload = vec![0u8; len];
    stream.read_exact(&mut payload).map_err(lost)?;
    let value = serde_json::from_slice(&payload).map_err(|e| format!("sway IPC: bad JSON: {e}"))?;
    Ok((kind, value))
}

/// The focused window in a sway tree, if a window (not a workspace or output) has the focus.
pub fn focused(tree: &Value) -> Option<Focus> {
    if tree.get("focused").and_then(Value::as_bool) == Some(true) {
        let kind = tree.get("type").and_then(Value::as_str);
        if !matches!(kind, Some("con" | "floating_con")) {
            return None;
        }
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
        // Wayland clients have an app_id; Xwayland ones a WM_CLASS class instead.
        let app_id = text(tree.get("app_id"))
            .or_else(|| text(tree.get("window_properties").and_then(|p| p.get("class"))))
            .unwrap_or_default();
        let title = text(tree.get("name")).unwrap_or_default();
        return Some(Focus { app_id, title });
    }
    ["nodes", "floating_nodes"]
        .iter()
        .filter_map(|k| tree.get(*k).and_then(Value::as_array))
        .flatten()
        .find_map(focused)
}

/// Whether an event can change the focus or the focused window's title.
fn relevant(kind: u32, event: &Value) -> bool {
    let change = event.get("change").and_then(Value::as_str).unwrap_or("");
    match kind {
        EVENT_WINDOW => match change {
            // Title changes of background windows (a busy terminal) do not matter.
            "title" => event.pointer("/container/focused").and_then(Value::as_bool) == Some(true),
            _ => true,
        },
        EVENT_WORKSPACE => matches!(change, "focus" | "empty" | "move" | "reload"),
        _ => false,
    }
}

/// Watches sway's focus (see the module doc of `session`).
pub fn watch(report: &mut dyn FnMut(Option<Focus>)) -> Result<(), String> {
    let path = std::env::var_os("SWAYSOCK").ok_or("SWAYSOCK is not set: is this a sway session?")?;
    let connect = || {
        UnixStream::connect(&path)
            .map_err(|e| format!("cannot connect to sway at {}: {e}", path.to_string_lossy()))
    };
    let mut events = connect()?;
    let mut query = connect()?;
    send(&mut events, SUBSCRIBE, br#"["window","workspace","shutdown"]"#)?;
    let (_, reply) = recv(&mut events)?;
    if reply.get("success").and_then(Value::as_bool) != Some(true) {
        return Err(format!("sway refused the subscription: {reply}"));
    }
    let mut current = || -> Result<Option<Focus>, String> {
        send(&mut query, GET_TREE, b"")?;
        Ok(focused(&recv(&mut query)?.1))
    };
    report(current()?);
    loop {
        let (kind, event) = recv(&mut events)?;
        if kind == EVENT_SHUTDOWN {
            return Err("sway is shutting down".into());
        }
        if relevant(kind, &event) {
            report(current()?);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_focused_leaf_is_found_anywhere_in_the_tree() {
        let tree: Value = serde_json::from_str(
            r#"{"type":"root","focused":false,"nodes":[{"type":"output","focused":false,"nodes":[
                {"type":"workspace","focused":false,"nodes":[
                    {"type":"con","focused":false,"app_id":"foot","name":"a","nodes":[]}],
                 "floating_nodes":[
                    {"type":"floating_con","focused":true,"app_id":null,"name":"xterm",
                     "window_properties":{"class":"XTerm"},"nodes":[]}]}]}]}"#,
        )
        .unwrap();
        assert_eq!(focused(&tree), Some(Focus { app_id: "XTerm".into(), title: "xterm".into() }));
        let empty: Value = serde_json::from_str(
            r#"{"type":"root","focused":false,"nodes":[{"type":"workspace","focused":true,"nodes":[]}]}"#,
        )
        .unwrap();
        assert_eq!(focused(&empty), None);
    }

    #[test]
    fn background_title_changes_are_not_events() {
        let ev = |s: &str| serde_json::from_str::<Value>(s).unwrap();
        assert!(!relevant(EVENT_WINDOW, &ev(r#"{"change":"title","container":{"focused":false}}"#)));
        assert!(relevant(EVENT_WINDOW, &ev(r#"{"change":"title","container":{"focused":true}}"#)));
        assert!(relevant(EVENT_WINDOW, &ev(r#"{"change":"close","container":{"focused":false}}"#)));
        assert!(relevant(EVENT_WORKSPACE, &ev(r#"{"change":"focus"}"#)));
        assert!(!relevant(EVENT_WORKSPACE, &ev(r#"{"change":"rename"}"#)));
    }
}
