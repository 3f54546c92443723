//! `keymapd session` (its own program, `keymapd-session`: `program.rs`): the agent that runs as
//! the user in the graphical session, watches which window has the focus and reports it to the
//! daemon over the control socket.
//!
//! A separate process, never on the daemon's key path. Each backend is a module with
//! `pub fn watch(report: &mut dyn FnMut(Option<Focus>)) -> Result<(), String>`: it blocks, calls
//! `report` once with the current focus and then on every change, and returns `Err` when its
//! connection to the desktop is lost. Nothing here polls: the backend blocks on its desktop
//! connection, the daemon link blocks on its socket, and waiting for the daemon is inotify.
//!
//! The daemon link also runs the profiles' `command()` actions the daemon sends it (`run`), as
//! this user with this process's environment: `/bin/sh -c COMMAND`, standard input `/dev/null`,
//! output to the agent's own (the journal), in a process group of its own; a small thread per
//! command waits for it, so the link never does.

pub mod gnome;
pub mod kde;
pub mod program;
pub mod sway;
pub mod wlr;
pub mod x11;

use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::control::protocol::{self, ClientMessage, DaemonMessage, LineDecoder, Role, Window};
use crate::daemon::sys;

/// The focused window: Wayland `app_id` (X11: the class part of `WM_CLASS`) and its title.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Focus {
    pub app_id: String,
    pub title: String,
}

/// The desktops keymapd can watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// Any EWMH window manager on X11 (`_NET_ACTIVE_WINDOW`, `WM_CLASS`, `_NET_WM_NAME`).
    X11,
    /// sway, through its IPC socket (`$SWAYSOCK`).
    Sway,
    /// wlroots compositors (Hyprland, river, labwc, Wayfire, …): wlr-foreign-toplevel-management.
    Wlr,
    /// KDE Plasma (KWin), through a KWin script that calls the agent on the session bus.
    Kde,
    /// GNOME Shell on Wayland, through keymapd's Shell extension.
    Gnome,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::X11 => "x11",
            Backend::Sway => "sway",
            Backend::Wlr => "wlr",
            Backend::Kde => "kde",
            Backend::Gnome => "gnome",
        }
    }

    /// Runs the backend's watch loop (see the module doc).
    pub fn watch(self, report: &mut dyn FnMut(Option<Focus>)) -> Result<(), String> {
        match self {
            Backend::X11 => x11::watch(report),
            Backend::Sway => sway::watch(report),
            Backend::Wlr => wlr::watch(report),
            Backend::Kde => kde::watch(report),
            Backend::Gnome => gnome::watch(report),
        }
    }
}

/// Picks the backend for the session described by `env` (a variable's value by name).
/// On Wayland the X11 backend would only see Xwayland windows, so it is used only without Wayland.
pub fn detect(env: &dyn Fn(&str) -> Option<String>) -> Result<Backend, String> {
    let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
    let desktop = env("XDG_CURRENT_DESKTOP").unwrap_or_default();
    let is = |name: &str| desktop.split(':').any(|d| d.eq_ignore_ascii_case(name));
    if set("WAYLAND_DISPLAY") {
        if set("SWAYSOCK") {
            return Ok(Backend::Sway);
        }
        if is("GNOME") {
            return Ok(Backend::Gnome);
        }
        if is("KDE") {
            return Ok(Backend::Kde);
        }
        // Hyprland, river, labwc, Wayfire and the other wlroots compositors; one that lacks the
        // protocol makes the backend say so.
        return Ok(Backend::Wlr);
    }
    if set("SWAYSOCK") {
        return Ok(Backend::Sway);
    }
    if set("DISPLAY") {
        return Ok(Backend::X11);
    }
    Err("no graphical session found: neither WAYLAND_DISPLAY nor DISPLAY is set \
         (a user unit sees them once the desktop ran `systemctl --user import-environment`)"
        .into())
}

/// Calls `report` only when the focus differs from the last one reported.
fn dedup<'a>(mut report: impl FnMut(Option<Focus>) + 'a) -> impl FnMut(Option<Focus>) + 'a {
    let mut last: Option<Option<Focus>> = None;
    move |focus| {
        if last.as_ref() != Some(&focus) {
            last = Some(focus.clone());
            report(focus);
        }
    }
}

/// The `--print` line for a focus: `focus <app-id>\t<title>`, or `focus` when nothing has it.
/// Tabs and line breaks inside the fields become spaces so a line stays one record.
pub fn print_line(focus: Option<&Focus>) -> String {
    let clean = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    match focus {
        Some(f) => format!("focus {}\t{}", clean(&f.app_id), clean(&f.title)),
        None => "focus".into(),
    }
}

/// `keymapd session --print`: one line per focus change on standard output; no daemon needed.
pub fn print(watch: impl FnOnce(&mut dyn FnMut(Option<Focus>)) -> Result<(), String>) -> Result<(), String> {
    let mut report = dedup(|focus: Option<Focus>| {
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{}", print_line(focus.as_ref())).and_then(|()| out.flush()).is_err() {
            // The reader went away (a closed pipe): nothing left to do.
            std::process::exit(0);
        }
    });
    watch(&mut report)
}

/// `keymapd session` with no desktop it recognises (a TTY, an unsupported compositor): no focus
/// is ever reported, but the agent connects and runs commands. Blocks for good, without waking.
pub fn no_desktop(_report: &mut dyn FnMut(Option<Focus>)) -> Result<(), String> {
    loop {
        std::thread::park();
    }
}

/// Whether commands from a peer of uid `peer` are run: only the daemon can bind in
/// `/run/keymapd/`, and it runs as root or as the `keymapd` user; a daemon of this agent's own
/// user (a test, a user's own instance) can run nothing this user could not.
pub fn trusted(peer: Option<u32>, own: u32, keymapd: Option<u32>) -> bool {
    peer.is_some_and(|p| p == 0 || p == own || Some(p) == keymapd)
}

/// What the agent does with one line from the daemon after the hellos: the answer to send, if
/// any. A `run` from a `trusted` daemon goes to `run` (which starts the command and does not wait
/// for it); anything malformed or unexpected is logged and ignored.
pub fn on_daemon_line(
    line: &str,
    trusted: bool,
    run: &mut dyn FnMut(u64, &str) -> Result<(), String>,
) -> Option<ClientMessage> {
    match protocol::parse_daemon(line) {
        Ok(DaemonMessage::Run { id, .. }) if !trusted => {
            log::warn!("refused to run command #{id}: the peer is not the keymapd daemon");
            let error = Some("refused: the peer is not the keymapd daemon (root or the keymapd user)".into());
            Some(ClientMessage::Ran { id, ok: false, error })
        }
        Ok(DaemonMessage::Run { id, command }) => {
            let outcome = run(id, &command);
            if let Err(e) = &outcome {
                log::warn!("cannot run command #{id} `{command}`: {e}");
            }
            Some(ClientMessage::Ran { id, ok: outcome.is_ok(), error: outcome.err() })
        }
        Ok(DaemonMessage::Error { message }) => {
            log::warn!("the daemon says: {message}");
            None
        }
        Ok(other) => {
            log::debug!("from the daemon: {other:?}");
            None
        }
        Err(e) => {
            log::warn!("the daemon sent a line this agent does not understand ({e}); ignored");
            None
        }
    }
}

/// Starts `/bin/sh -c COMMAND` as this user, in this process's environment, standard input
/// `/dev/null`, output to the agent's own, in a process group of its own (a signal to the
/// agent's group does not reach it); a small thread waits for it and logs a failure. Returns
/// once it started.
pub fn spawn_command(id: u64, command: &str) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    let mut child = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start /bin/sh: {e}"))?;
    log::info!("command #{id} started (pid {}): {command}", child.id());
    let reaper =
        std::thread::Builder::new().name(format!("command-{id}")).stack_size(256 * 1024).spawn(move || {
            match child.wait() {
                Ok(status) if status.success() => log::debug!("command #{id} finished"),
                Ok(status) => log::warn!("command #{id} failed: {status}"),
                Err(e) => log::warn!("command #{id}: waiting for it: {e}"),
            }
        });
    if let Err(e) = reaper {
        // Started all the same; it stays a zombie until the agent exits.
        log::warn!("command #{id}: no thread to wait for it ({e})");
    }
    Ok(())
}

/// What the backend thread and the daemon link share.
#[derive(Default)]
struct Shared {
    /// The latest focus, once the backend reported one.
    focus: Option<Option<Focus>>,
    /// The connection to the daemon, while there is one.
    conn: Option<UnixStream>,
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn focus_line(focus: &Option<Focus>) -> String {
    let window = focus.as_ref().map(|f| Window { app_id: f.app_id.clone(), title: f.title.clone() });
    protocol::encode(&ClientMessage::Focus { window })
}

/// `keymapd session`: runs `watch` (the backend) and reports each focus change to the daemon at
/// `socket`, connecting whenever the daemon is there. Returns when the backend does.
pub fn agent(
    socket: &Path,
    watch: impl FnOnce(&mut dyn FnMut(Option<Focus>)) -> Result<(), String>,
) -> Result<(), String> {
    let shared = Arc::new(Mutex::new(Shared::default()));
    let link_shared = Arc::clone(&shared);
    let socket = socket.to_path_buf();
    std::thread::Builder::new()
        .name("daemon-link".into())
        .spawn(move || daemon_link(&socket, &link_shared))
        .map_err(|e| format!("cannot start the daemon link thread: {e}"))?;
    let mut report = dedup(|focus: Option<Focus>| {
        let mut s = lock(&shared);
        let line = focus_line(&focus);
        s.focus = Some(focus);
        if let Some(conn) = s.conn.as_mut() {
            if let Err(e) = conn.write_all(line.as_bytes()) {
                // The link thread sees the same end on its read and reconnects.
                log::info!("lost the daemon while reporting the focus: {e}");
                let _ = conn.shutdown(std::net::Shutdown::Both);
                s.conn = None;
            }
        }
    });
    watch(&mut report)
}

/// How a connection to the daemon ended.
enum Ended {
    /// The daemon went away (restart, crash): it is worth connecting again at once.
    Gone,
    /// The daemon refused us: connect again only once its socket is created anew.
    Refused,
}

/// The daemon link: connect, say hello, send the latest focus, then block reading until the
/// daemon goes; wait for its socket to come back (inotify), and again. Never returns.
fn daemon_link(socket: &Path, shared: &Mutex<Shared>) {
    let mut try_now = true;
    let mut said_waiting = false;
    loop {
        let stream = wait_for_socket(socket, try_now, &mut said_waiting);
        said_waiting = false;
        try_now = match session_with(stream, shared) {
            Ended::Gone => true,
            Ended::Refused => false,
        };
        let mut s = lock(shared);
        if let Some(conn) = s.conn.take() {
            let _ = conn.shutdown(std::net::Shutdown::Both);
        }
    }
}

fn session_with(mut stream: UnixStream, shared: &Mutex<Shared>) -> Ended {
    let hello = protocol::encode(&ClientMessage::Hello { version: protocol::VERSION, role: Role::Agent });
    if let Err(e) = stream.write_all(hello.as_bytes()) {
        log::info!("the daemon closed the connection: {e}");
        return Ended::Gone;
    }
    let mut decoder = LineDecoder::new();
    let mut buf = [0u8; 8192];
    let mut greeted = false;
    let mut trusted_peer = false;
    loop {
        while let Some(line) = decoder.next_line() {
            let line = match line {
                Ok(line) => line,
                // One line lost; the next ones are whole.
                Err(e @ protocol::ProtocolError::NotUtf8) => {
                    log::warn!("the daemon sent a bad line ({e}); ignored");
                    continue;
                }
                Err(e) => {
                    log::warn!("the daemon sent a bad line ({e}); disconnecting");
                    return Ended::Refused;
                }
            };
            if !greeted {
                let peer = sys::peer_cred(stream.as_raw_fd()).ok().map(|c| c.uid);
                trusted_peer = trusted(peer, sys::euid(), sys::user_uid("keymapd"));
                if !trusted_peer {
                    log::warn!(
                        "the peer at the socket (uid {}) is neither root nor the keymapd user: \
                         this agent will not run commands it sends",
                        peer.map_or_else(|| "unknown".into(), |u| u.to_string())
                    );
                }
                if let Err(e) = protocol::expect_daemon_hello(&line) {
                    log::warn!("the daemon did not take this agent: {e}; waiting for it to restart");
                    return Ended::Refused;
                }
                greeted = true;
                let Ok(writer) = stream.try_clone() else { return Ended::Gone };
                let mut s = lock(shared);
                if let Some(focus) = &s.focus {
                    let line = focus_line(focus);
                    if (&writer).write_all(line.as_bytes()).is_err() {
                        return Ended::Gone;
                    }
                }
                s.conn = Some(writer);
                log::info!("connected to the daemon");
                continue;
            }
            if let Some(answer) = on_daemon_line(&line, trusted_peer, &mut spawn_command) {
                // Under the lock: the backend's focus lines go through the same socket.
                let _s = lock(shared);
                if (&stream).write_all(protocol::encode(&answer).as_bytes()).is_err() {
                    return Ended::Gone;
                }
            }
        }
        match stream.read(&mut buf) {
            // Closed before its hello: the daemon does not take us; wait for it to restart
            // rather than knock again at once.
            Ok(0) if !greeted => {
                log::warn!("the daemon closed the connection before its hello; waiting for it to restart");
                return Ended::Refused;
            }
            Ok(0) => {
                log::info!("the daemon closed the connection; waiting for it to come back");
                return Ended::Gone;
            }
            Ok(n) => decoder.feed(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                log::info!("lost the daemon ({e}); waiting for it to come back");
                return Ended::Gone;
            }
        }
    }
}

/// The directory to watch for `socket` to appear, and the name in it that matters: the socket's
/// own directory and the socket's name when that directory exists, else the nearest existing
/// ancestor and the next component on the way (`/run` and `keymapd` before the daemon's first
/// start).
fn watch_point(socket: &Path) -> (PathBuf, Option<std::ffi::OsString>) {
    let mut wanted = socket.file_name().map(|n| n.to_os_string());
    let mut dir = socket.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
    while !dir.is_dir() {
        let Some(parent) = dir.parent() else { break };
        wanted = dir.file_name().map(|n| n.to_os_string());
        dir = parent.to_path_buf();
    }
    (dir, wanted)
}

/// An inotify watch on `dir` for what makes the socket worth trying again (its creation, its
/// chmod, `dir` itself going); `None` when `dir` does not exist (any more).
fn watch_dir(dir: &Path) -> std::io::Result<Option<inotify::Inotify>> {
    use inotify::WatchMask as M;
    let ino = inotify::Inotify::init()?;
    match ino.watches().add(dir, M::CREATE | M::MOVED_TO | M::ATTRIB | M::DELETE_SELF | M::MOVE_SELF) {
        Ok(_) => Ok(Some(ino)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Connects to `socket`, blocking (on inotify, never a timer) until the daemon creates it.
/// With `try_now` false, the socket that is there now is not tried: only a newly created one.
fn wait_for_socket(socket: &Path, mut try_now: bool, said_waiting: &mut bool) -> UnixStream {
    loop {
        // The watch first, then the attempt: a socket created in between is not missed. ATTRIB:
        // the daemon chmods its socket after listen(), so an attempt refused between its bind
        // (the CREATE event) and its listen is made again then.
        let (dir, wanted) = watch_point(socket);
        let inotify = match watch_dir(&dir) {
            // `dir` went between the look and the watch (the daemon stopped and its runtime
            // directory was removed): look again.
            Ok(None) => continue,
            Ok(Some(ino)) => Ok(ino),
            Err(e) => Err(e),
        };
        if try_now {
            match UnixStream::connect(socket) {
                Ok(stream) => return stream,
                Err(e) if !*said_waiting => {
                    log::info!("waiting for the daemon at {} ({e})", socket.display());
                    *said_waiting = true;
                }
                Err(_) => {}
            }
        }
        try_now = true;
        let mut ino = match inotify {
            Ok(ino) => ino,
            Err(e) => {
                // Nothing to wait on; park this thread for good rather than poll (the focus is
                // still watched; the unit starts the agent again with the next session).
                log::error!("inotify on {}: {e}; not connecting to the daemon", dir.display());
                loop {
                    std::thread::park();
                }
            }
        };
        // A directory on the way to the socket may have been created between `watch_point` and
        // the watch (the daemon's runtime directory, then its socket, come in quick succession):
        // its creation is past, so waiting for it would wait for good. Look again instead.
        if watch_point(socket).0 != dir {
            continue;
        }
        // Block until the wanted name appears there, or the watched directory itself goes
        // (the daemon's runtime directory is removed when it stops): then look again.
        let mut buf = [0u8; 4096];
        'wait: loop {
            match ino.read_events_blocking(&mut buf) {
                Ok(events) => {
                    for ev in events {
                        use inotify::EventMask as E;
                        let gone = ev.mask.intersects(E::DELETE_SELF | E::MOVE_SELF | E::IGNORED);
                        if gone || ev.name.map(|n| n.to_os_string()) == wanted {
                            break 'wait;
                        }
                    }
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    log::error!("inotify: {e}; not connecting to the daemon");
                    loop {
                        std::thread::park();
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory removed between `watch_point` and the watch (the daemon stopping while the
    /// agent looks) is "look again", not an error: the agent once parked its link for good then.
    #[test]
    fn a_directory_gone_before_its_watch_means_look_again() {
        let dir = std::env::temp_dir().join(format!("keymapd-watch-dir-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(matches!(watch_dir(&dir), Ok(Some(_))));
        std::fs::remove_dir(&dir).unwrap();
        assert!(matches!(watch_dir(&dir), Ok(None)));
    }

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn detection_prefers_the_compositor_over_xwayland() {
        let d = |vars: &[(&str, &str)]| detect(&env(vars));
        assert_eq!(d(&[("DISPLAY", ":0")]), Ok(Backend::X11));
        assert_eq!(d(&[("DISPLAY", ":0"), ("XDG_CURRENT_DESKTOP", "GNOME")]), Ok(Backend::X11));
        assert_eq!(
            d(&[
                ("WAYLAND_DISPLAY", "wayland-1"),
                ("SWAYSOCK", "/run/user/1000/sway.sock"),
                ("DISPLAY", ":0")
            ]),
            Ok(Backend::Sway)
        );
        assert_eq!(
            d(&[
                ("WAYLAND_DISPLAY", "wayland-0"),
                ("XDG_CURRENT_DESKTOP", "ubuntu:GNOME"),
                ("DISPLAY", ":0")
            ]),
            Ok(Backend::Gnome)
        );
        assert_eq!(
            d(&[("WAYLAND_DISPLAY", "wayland-0"), ("XDG_CURRENT_DESKTOP", "KDE"), ("DISPLAY", ":1")]),
            Ok(Backend::Kde)
        );
        assert_eq!(
            d(&[("WAYLAND_DISPLAY", "wayland-0"), ("HYPRLAND_INSTANCE_SIGNATURE", "x")]),
            Ok(Backend::Wlr)
        );
        assert_eq!(
            d(&[("WAYLAND_DISPLAY", "wayland-1"), ("XDG_CURRENT_DESKTOP", "labwc:wlroots")]),
            Ok(Backend::Wlr)
        );
        assert!(d(&[]).is_err_and(|e| e.starts_with("no graphical session found")));
        assert!(d(&[("DISPLAY", "")]).is_err());
    }

    #[test]
    fn the_nearest_existing_directory_is_watched() {
        let tmp = std::env::temp_dir().join(format!("keymapd-watch-point-{}", std::process::id()));
        let sock = tmp.join("a").join("b").join("control.sock");
        std::fs::create_dir_all(&tmp).unwrap();
        assert_eq!(watch_point(&sock), (tmp.clone(), Some("a".into())));
        std::fs::create_dir_all(tmp.join("a").join("b")).unwrap();
        assert_eq!(watch_point(&sock), (tmp.join("a").join("b"), Some("control.sock".into())));
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn print_lines_are_one_record_each() {
        let f = Focus { app_id: "foot".into(), title: "vim\ta\nb".into() };
        assert_eq!(print_line(Some(&f)), "focus foot\tvim a b");
        assert_eq!(print_line(None), "focus");
    }

    #[test]
    fn only_the_daemon_is_trusted_with_commands() {
        assert!(trusted(Some(0), 1000, Some(999)));
        assert!(trusted(Some(999), 1000, Some(999)));
        assert!(trusted(Some(1000), 1000, Some(999)));
        assert!(!trusted(Some(1001), 1000, Some(999)));
        assert!(!trusted(Some(999), 1000, None));
        assert!(!trusted(None, 1000, Some(999)));
    }

    #[test]
    fn a_run_is_started_and_answered_anything_else_is_ignored() {
        let mut ran = Vec::new();
        let mut run = |id: u64, cmd: &str| {
            ran.push((id, cmd.to_owned()));
            if cmd == "missing" {
                Err("cannot start /bin/sh: not found".to_owned())
            } else {
                Ok(())
            }
        };
        assert_eq!(
            on_daemon_line("{\"type\":\"run\",\"id\":7,\"command\":\"notify-send hi\"}", true, &mut run),
            Some(ClientMessage::Ran { id: 7, ok: true, error: None })
        );
        assert_eq!(
            on_daemon_line("{\"type\":\"run\",\"id\":8,\"command\":\"missing\"}", true, &mut run),
            Some(ClientMessage::Ran {
                id: 8,
                ok: false,
                error: Some("cannot start /bin/sh: not found".into())
            })
        );
        // From a peer that is not the daemon: refused, nothing run.
        let refused = on_daemon_line("{\"type\":\"run\",\"id\":9,\"command\":\"rm -rf ~\"}", false, &mut run);
        assert!(
            matches!(refused, Some(ClientMessage::Ran { id: 9, ok: false, error: Some(_) })),
            "{refused:?}"
        );
        // Malformed or unexpected lines: no answer, nothing run, no panic.
        for line in [
            "",
            "{",
            "null",
            "{\"type\":\"run\"}",
            "{\"type\":\"run\",\"id\":-1,\"command\":\"x\"}",
            "{\"type\":\"run\",\"id\":1,\"command\":[\"x\"]}",
            "{\"type\":\"run\",\"id\":1,\"command\":\"x\",\"user\":\"root\"}",
            "{\"type\":\"hello\",\"version\":2}",
            "{\"type\":\"error\",\"message\":\"too many requests\"}",
            "{\"type\":\"focus\",\"window\":null}",
        ] {
            assert_eq!(on_daemon_line(line, true, &mut run), None, "{line}");
        }
        assert_eq!(ran, [(7, "notify-send hi".to_owned()), (8, "missing".to_owned())]);
    }

    #[test]
    fn only_changes_are_reported() {
        let mut seen = Vec::new();
        {
            let mut r = dedup(|f: Option<Focus>| seen.push(f));
            let a = Some(Focus { app_id: "a".into(), title: "t".into() });
            r(None);
            r(None);
            r(a.clone());
            r(a.clone());
            r(Some(Focus { app_id: "a".into(), title: "u".into() }));
            r(None);
        }
        assert_eq!(seen.len(), 4);
    }
}
