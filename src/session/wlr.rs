//! The wlroots backend: the `wlr-foreign-toplevel-management` Wayland protocol, which wlroots
//! compositors offer to task bars (Hyprland, river, labwc, Wayfire, sway, …).
//!
//! Each window is a toplevel handle that announces its app id, title and state (`activated`
//! among them), each batch closed by `done`. The focused window is the activated one (with
//! several seats, the one activated last). Blocks on the Wayland socket between events.

use std::collections::HashMap;

use wayland_client::backend::ObjectId;
use wayland_client::globals::{registry_queue_init, GlobalListContents};
use wayland_client::protocol::wl_registry::WlRegistry;
use wayland_client::{event_created_child, Connection, Dispatch, Proxy, QueueHandle};
use wayland_protocols_wlr::foreign_toplevel::v1::client::zwlr_foreign_toplevel_handle_v1::{
    self as handle, ZwlrForeignToplevelHandleV1,
};
use wayland_protocols_wlr::foreign_toplevel::v1::client::zwlr_foreign_toplevel_manager_v1::{
    self as manager, ZwlrForeignToplevelManagerV1,
};

use super::Focus;

#[derive(Default)]
struct Toplevel {
    app_id: String,
    title: String,
    activated: bool,
    /// When it was last activated (a counter), to choose among several activated ones.
    since: u64,
    pending_app_id: Option<String>,
    pending_title: Option<String>,
    pending_activated: Option<bool>,
}

#[derive(Default)]
struct State {
    toplevels: HashMap<ObjectId, Toplevel>,
    activations: u64,
    finished: bool,
}

impl State {
    fn focus(&self) -> Option<Focus> {
        self.toplevels
            .values()
            .filter(|t| t.activated)
            .max_by_key(|t| t.since)
            .map(|t| Focus { app_id: t.app_id.clone(), title: t.title.clone() })
    }
}

/// Whether a `state` event's array (native-endian u32s) holds `activated`.
fn is_activated(states: &[u8]) -> bool {
    let activated = handle::State::Activated as u32;
    states.chunks_exact(4).any(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]) == activated)
}

impl Dispatch<WlRegistry, GlobalListContents> for State {
    fn event(
        _: &mut Self,
        _: &WlRegistry,
        _: <WlRegistry as Proxy>::Event,
        _: &GlobalListContents,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}

impl Dispatch<ZwlrForeignToplevelManagerV1, ()> for State {
    fn event(
        state: &mut Self,
        _: &ZwlrForeignToplevelManagerV1,
        event: manager::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        match event {
            manager::Event::Toplevel { toplevel } => {
                state.toplevels.insert(toplevel.id(), Toplevel::default());
            }
            manager::Event::Finished => state.finished = true,
            _ => {}
        }
    }

    event_created_child!(State, ZwlrForeignToplevelManagerV1, [
        manager::EVT_TOPLEVEL_OPCODE => (ZwlrForeignToplevelHandleV1, ()),
    ]);
}

impl Dispatch<ZwlrForeignToplevelHandleV1, ()> for State {
    fn event(
        state: &mut Self,
        proxy: &ZwlrForeignToplevelHandleV1,
        event: handle::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let handle::Event::Closed = event {
            state.toplevels.remove(&proxy.id());
            proxy.destroy();
            return;
        }
        let Some(t) = state.toplevels.get_mut(&proxy.id()) else { return };
        match event {
            handle::Event::Title { title } => t.pending_title = Some(title),
            handle::Event::AppId { app_id } => t.pending_app_id = Some(app_id),
            handle::Event::State { state: states } => t.pending_activated = Some(is_activated(&states)),
            handle::Event::Done => {
                if let Some(title) = t.pending_title.take() {
                    t.title = title;
                }
                if let Some(app_id) = t.pending_app_id.take() {
                    t.app_id = app_id;
                }
                if let Some(activated) = t.pending_activated.take() {
                    if activated && !t.activated {
                        state.activations += 1;
                        t.since = state.activations;
                    }
                    t.activated = activated;
                }
            }
            _ => {}
        }
    }
}

/// Watches the focus through wlr-foreign-toplevel-management (see the module doc of `session`).
pub fn watch(report: &mut dyn FnMut(Option<Focus>)) -> Result<(), String> {
    let lost = |e: &dyn std::fmt::Display| format!("lost the connection to the Wayland compositor: {e}");
    let conn =
        Connection::connect_to_env().map_err(|e| format!("cannot connect to the Wayland compositor: {e}"))?;
    let (globals, mut queue) = registry_queue_init::<State>(&conn).map_err(|e| lost(&e))?;
    let Ok(_manager) = globals.bind::<ZwlrForeignToplevelManagerV1, _, _>(&queue.handle(), 1..=3, ()) else {
        // An unsupported compositor: no focus to report, but the agent still serves the daemon
        // (it runs the profiles' commands in this session).
        log::warn!(
            "no desktop detected (this compositor does not offer wlr-foreign-toplevel-management, \
             zwlr_foreign_toplevel_manager_v1): the focus is not reported (no application layers); \
             command() actions still run in this session"
        );
        return super::no_desktop(report);
    };
    let mut state = State::default();
    // The manager announces every existing window, each followed by its state and `done`.
    queue.roundtrip(&mut state).map_err(|e| lost(&e))?;
    report(state.focus());
    loop {
        queue.blocking_dispatch(&mut state).map_err(|e| lost(&e))?;
        if state.finished {
            return Err("the compositor stopped reporting windows (foreign-toplevel manager finished)".into());
        }
        report(state.focus());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activated_is_read_from_the_state_array() {
        let arr = |v: &[u32]| v.iter().flat_map(|s| s.to_ne_bytes()).collect::<Vec<u8>>();
        assert!(is_activated(&arr(&[0, 2])));
        assert!(!is_activated(&arr(&[0, 1, 3])));
        assert!(!is_activated(&[]));
    }
}
