//! The control socket's server (docs/protocol.md), served from the daemon's one mio loop.
//!
//! Every client socket is non-blocking and the key path never waits on one: what a client reads
//! is bounded (the line decoder's 64 KiB, a per-client rate limit), what it is sent is queued up
//! to a bound, and a client past either bound gets an error line and is dropped. Access: root,
//! the daemon's own user, and the user of the active session on seat0 (logind's
//! `/run/systemd/seats/seat0`, `ACTIVE_UID=`), by the peer's `SO_PEERCRED`.
//!
//! A flood of connections is cheap: a per-user connection limit, and an accept limit that, once
//! spent, takes the listener out of epoll until the loop's timerfd deadline
//! ([`Server::next_deadline`]); the seat file is read again only after it changed (inotify).
//!
//! The pure parts (the per-connection protocol state, the rate and accept limits, the access
//! rule, the layer snapshot) are unit-tested here on injected time, and so are the listener's
//! pause and the per-user limit on real sockets and the seat file's cache on a real directory;
//! the daemon's sockets are tested in the VM (tests/vm/scenarios/7*).

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use mio::net::{UnixListener, UnixStream};
use mio::{Interest, Token};

use crate::control::protocol::{
    self, Agent, ClientMessage, DaemonMessage, Device, DeviceChange, LineDecoder, ProtocolError, Role,
    Status, Window,
};
use crate::keymap::LayerId;
use crate::profile::ProfileSet;

use super::keyboard::Keyboard;
use super::registry::Registry;

/// The listening socket's token.
pub const LISTENER: Token = Token(5);
/// The first client token (slot `i` is `Token(CLIENT_BASE + i)`), far above the keyboards'.
pub const CLIENT_BASE: usize = 1 << 24;

/// At most this many connections are accepted, and bytes read from one client, per wake-up.
const ACCEPTS_PER_WAKE: usize = 16;
const READ_PER_WAKE: usize = 64 * 1024;
/// At most this many lines are served per wake-up across all clients (the rest wait, re-armed,
/// for the next round, after the keys): a round of client work stays short.
const LINES_PER_ROUND: usize = 64;
/// At most this many clients at once; more are refused with an error line.
const MAX_CLIENTS: usize = 256;
/// The most output queued for one client; a listener that does not read is dropped past it.
const OUT_LIMIT: usize = 1 << 20;
/// Lines per client: a burst of this many, refilled at this rate per second.
const LINES_BURST: u64 = 64;
const LINES_PER_SEC: u64 = 32;
/// Bytes per client: a burst of this many, refilled at this rate per second.
const BYTES_BURST: u64 = 512 * 1024;
const BYTES_PER_SEC: u64 = 256 * 1024;
/// The most output queued for an agent at which a `run` is still queued for it; past it the
/// daemon runs the command itself (the agent is not dropped for that: it may be busy a moment).
const RUN_QUEUE_LIMIT: usize = 64 * 1024;
/// Where logind says who is active on the seat.
pub const SEAT_FILE: &str = "/run/systemd/seats/seat0";
/// Connections held at once by one user: root may hold half the table, so that a runaway root
/// script never locks the active user's agent and status bars out; any other user (the active
/// one: an agent, a few status bars, a few commands at once) 8.
const PER_UID_ROOT: usize = MAX_CLIENTS / 2;
const PER_UID: usize = 8;
/// Accepts: a burst of 32, then 32 a second. Once they are spent, the listener leaves epoll
/// until 16 have come back (half a second, on the loop's timerfd): a flood of reconnecting
/// clients costs one round of accepts every half second, not one per connection.
const ACCEPT_BURST: u64 = 32;
const ACCEPTS_PER_SEC: u64 = 32;
const ACCEPT_RESUME: u64 = 16;
/// The listen backlog. While the listener is paused, connecting clients wait asleep in
/// `connect()` once this many are queued, instead of queueing thousands of connections (the
/// kernel's default) that flooders drop and that would all have to be accepted later.
const BACKLOG: libc::c_int = 32;

/// The user of the active session from logind's seat file (`ACTIVE_UID=1000`); `None` if no
/// session is active or the file says nothing.
pub fn active_uid(seat_file: &str) -> Option<u32> {
    seat_file.lines().find_map(|l| l.strip_prefix("ACTIVE_UID=")).and_then(|v| v.trim().parse().ok())
}

/// Who may use the socket: root, the daemon's own user, and the active session's user.
pub fn allowed(uid: u32, own: u32, active: Option<u32>) -> bool {
    uid == 0 || uid == own || Some(uid) == active
}

/// How many connections `uid` may hold at once.
pub fn uid_limit(uid: u32, (root, others): (usize, usize)) -> usize {
    if uid == 0 {
        root
    } else {
        others
    }
}

fn read_seat_file(file: &Path) -> Option<u32> {
    std::fs::read_to_string(file).ok().as_deref().and_then(active_uid)
}

/// The active session's user, from logind's seat file, read again only after something changed
/// in its directory. An inotify watch on the directory (or, while it does not exist, on its
/// nearest existing ancestor, to see it appear) is drained by each query with one non-blocking
/// read; any event there makes the next query read the file again. The fd is not in the loop's
/// epoll: a busy `/run` wakes nobody. A change is seen by the next query (inotify queues the
/// event before the writer's `write` or `rename` returns), unlike a time-to-live, which would
/// serve a user who just stopped being the active one.
pub struct ActiveUid {
    file: PathBuf,
    inotify: Option<std::os::fd::OwnedFd>,
    /// The watch, and which ancestor of the file it is on (1: its directory).
    watch: Option<(libc::c_int, usize)>,
    /// The last answer (None: to be read again).
    cached: Option<Option<u32>>,
    /// Reads of the file so far.
    pub reads: u64,
}

impl ActiveUid {
    pub fn new(file: &Path) -> ActiveUid {
        // SAFETY: inotify_init1 has no preconditions; a non-negative result is a new fd we own.
        let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        let inotify = if fd < 0 {
            log::warn!(
                "control: no inotify ({}): the seat file is read at each connection",
                io::Error::last_os_error()
            );
            None
        } else {
            use std::os::fd::FromRawFd;
            // SAFETY: `fd` was just returned by inotify_init1 and is owned by nobody else.
            Some(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
        };
        let mut a = ActiveUid { file: file.to_path_buf(), inotify, watch: None, cached: None, reads: 0 };
        a.rewatch();
        a
    }

    /// Watches the file's directory, or its nearest existing ancestor; drops the previous watch
    /// if it was elsewhere.
    fn rewatch(&mut self) {
        let Some(fd) = self.inotify.as_ref().map(AsRawFd::as_raw_fd) else { return };
        let mut new = None;
        for (level, dir) in self.file.ancestors().enumerate().skip(1) {
            let Ok(c) = std::ffi::CString::new(std::os::unix::ffi::OsStrExt::as_bytes(dir.as_os_str()))
            else {
                break;
            };
            let mask = if level == 1 {
                libc::IN_CREATE
                    | libc::IN_DELETE
                    | libc::IN_MODIFY
                    | libc::IN_CLOSE_WRITE
                    | libc::IN_MOVED_TO
                    | libc::IN_MOVED_FROM
            } else {
                libc::IN_CREATE | libc::IN_MOVED_TO
            } | libc::IN_DELETE_SELF
                | libc::IN_MOVE_SELF
                | libc::IN_ONLYDIR;
            // SAFETY: `fd` is our inotify fd and `c` a NUL-terminated path.
            let wd = unsafe { libc::inotify_add_watch(fd, c.as_ptr(), mask) };
            if wd >= 0 {
                new = Some((wd, level));
                break;
            }
        }
        if let Some((old, _)) = self.watch.filter(|&(w, _)| Some(w) != new.map(|(n, _)| n)) {
            // SAFETY: removing a watch of our own inotify fd (an error if it is gone already).
            unsafe { libc::inotify_rm_watch(fd, old) };
        }
        self.watch = new;
    }

    /// Reads every pending event; whether any may mean a change (not the end of a watch that
    /// [`ActiveUid::rewatch`] removed).
    fn drain(&self) -> bool {
        let Some(fd) = self.inotify.as_ref().map(AsRawFd::as_raw_fd) else { return false };
        let mut buf = [0u8; 4096];
        let mut any = false;
        let current = self.watch.map(|(w, _)| w);
        loop {
            // SAFETY: `buf` is valid for writes of its length; `fd` is our non-blocking inotify fd.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                // Each event: wd (i32), mask, cookie, len (u32 each), then `len` bytes of name.
                let mut events = &buf[..n as usize];
                while events.len() >= 16 {
                    let word = |i: usize| {
                        u32::from_ne_bytes([events[i], events[i + 1], events[i + 2], events[i + 3]])
                    };
                    let (wd, mask, len) = (word(0) as libc::c_int, word(4), word(12) as usize);
                    any |= mask & libc::IN_IGNORED == 0 || Some(wd) == current;
                    events = events.get(16 + len..).unwrap_or_default();
                }
                continue;
            }
            if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return any;
        }
    }

    /// The active session's user now.
    pub fn get(&mut self) -> Option<u32> {
        if self.drain() {
            self.cached = None;
            self.rewatch();
        }
        if self.watch.is_none() {
            // Nothing to be told of a change by: read it each time, as without a cache.
            self.cached = None;
        }
        if let Some(uid) = self.cached {
            return uid;
        }
        self.reads += 1;
        let uid = read_seat_file(&self.file);
        self.cached = Some(uid);
        uid
    }
}

/// The accept limit: a token bucket on injected time (in thousandths, like [`RateLimit`]).
#[derive(Debug, Clone)]
pub struct AcceptLimit {
    tokens: u64,
    last: Duration,
    burst: u64,
    per_sec: u64,
    resume: u64,
}

impl AcceptLimit {
    pub fn new(now: Duration) -> AcceptLimit {
        AcceptLimit::with(now, ACCEPT_BURST, ACCEPTS_PER_SEC, ACCEPT_RESUME)
    }

    fn with(now: Duration, burst: u64, per_sec: u64, resume: u64) -> AcceptLimit {
        AcceptLimit { tokens: burst * 1000, last: now, burst, per_sec, resume }
    }

    fn refill(&mut self, now: Duration) {
        let ms = now.saturating_sub(self.last).as_millis().min(60_000) as u64;
        if ms > 0 {
            self.tokens = (self.tokens + ms * self.per_sec).min(self.burst * 1000);
            self.last = now;
        }
    }

    /// Whether one more connection may be accepted at `now`.
    pub fn ready(&mut self, now: Duration) -> bool {
        self.refill(now);
        self.tokens >= 1000
    }

    /// One connection was accepted.
    pub fn take(&mut self) {
        self.tokens = self.tokens.saturating_sub(1000);
    }

    /// When, after [`AcceptLimit::ready`] said no at `now`, enough accepts have come back to
    /// resume (a round of them, not one at a time).
    pub fn resume_at(&self, now: Duration) -> Duration {
        let missing = (self.resume * 1000).saturating_sub(self.tokens);
        now + Duration::from_millis(missing.div_ceil(self.per_sec.max(1)))
    }
}

/// What of `out` is still to be sent once a client is dropped: the rest of a line it has
/// begun to receive (`mid_line`), so that its error line starts a line of its own; the whole
/// lines it did not read are not sent.
pub fn cut_unsent(out: &mut VecDeque<u8>, mid_line: bool) {
    let keep = if mid_line { out.iter().position(|&b| b == b'\n').map_or(out.len(), |i| i + 1) } else { 0 };
    out.truncate(keep);
}

/// The active session's user now, from logind's seat file (the server's own checks use its
/// cache, [`Server::active_uid`]).
pub fn read_active_uid() -> Option<u32> {
    read_seat_file(Path::new(SEAT_FILE))
}

/// A token bucket per client (lines and bytes), on injected time. Counted in thousandths, so
/// that no fraction of the refill is lost between two reads close together.
#[derive(Debug, Clone)]
pub struct RateLimit {
    lines: u64,
    bytes: u64,
    last: Duration,
}

impl RateLimit {
    pub fn new(now: Duration) -> RateLimit {
        RateLimit { lines: LINES_BURST * 1000, bytes: BYTES_BURST * 1000, last: now }
    }

    fn refill(&mut self, now: Duration) {
        let ms = now.saturating_sub(self.last).as_millis().min(60_000) as u64;
        if ms > 0 {
            self.lines = (self.lines + ms * LINES_PER_SEC).min(LINES_BURST * 1000);
            self.bytes = (self.bytes + ms * BYTES_PER_SEC).min(BYTES_BURST * 1000);
            self.last = now;
        }
    }

    /// Takes `n` bytes read at `now`; false once the client sends faster than allowed.
    pub fn take_bytes(&mut self, now: Duration, n: usize) -> bool {
        self.refill(now);
        let n = (n as u64).saturating_mul(1000);
        let ok = self.bytes >= n;
        self.bytes = self.bytes.saturating_sub(n);
        ok
    }

    /// Takes one line at `now`; false once the client sends faster than allowed.
    pub fn take_line(&mut self, now: Duration) -> bool {
        self.refill(now);
        let ok = self.lines >= 1000;
        self.lines = self.lines.saturating_sub(1000);
        ok
    }
}

/// What one line from a client asks of the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Send this line.
    Reply(DaemonMessage),
    /// Send this error line, then drop the client.
    Close(DaemonMessage),
    Status,
    Reload,
    /// The client now gets events; first the current state.
    Listen,
    Focus(Option<Window>),
    /// An agent's answer to a `run`.
    Ran {
        id: u64,
        ok: bool,
        error: Option<String>,
    },
    Nothing,
}

/// One connection's protocol state: the hello first, then requests. Pure.
#[derive(Debug, Default, Clone)]
pub struct Conn {
    pub role: Option<Role>,
    /// The version its hello named (and the daemon answers in).
    pub version: u32,
    pub listening: bool,
    /// The order of the hellos: the agent connected last has the highest.
    pub serial: u64,
}

fn error(message: impl Into<String>) -> DaemonMessage {
    DaemonMessage::Error { message: message.into() }
}

impl Conn {
    /// What a line (or the decoder's error for it) asks.
    pub fn on_line(&mut self, line: Result<String, ProtocolError>) -> Request {
        let line = match line {
            Ok(l) => l,
            Err(e) => return Request::Close(error(e.to_string())),
        };
        if self.role.is_none() {
            return match protocol::expect_client_hello(&line) {
                Ok((role, version)) => {
                    self.role = Some(role);
                    self.version = version;
                    Request::Reply(DaemonMessage::Hello { version })
                }
                Err(e) => Request::Close(error(e.to_string())),
            };
        }
        match protocol::parse_client(&line) {
            Err(e) => Request::Close(error(e.to_string())),
            Ok(ClientMessage::Hello { .. }) => Request::Close(error("hello sent twice")),
            Ok(ClientMessage::Status) => Request::Status,
            Ok(ClientMessage::Reload) => Request::Reload,
            Ok(ClientMessage::Listen) if self.listening => Request::Nothing,
            Ok(ClientMessage::Listen) => {
                self.listening = true;
                Request::Listen
            }
            Ok(ClientMessage::Focus { window }) => Request::Focus(window),
            Ok(ClientMessage::Ran { id, ok, error }) => Request::Ran { id, ok, error },
        }
    }
}

/// At most this many distinct active layers are compared per keyboard (the engine's own bound).
const MAX_LAYERS: usize = 32;

/// A keyboard's active layers, deduplicated, most recent first, in a fixed array: comparing
/// them after each wake-up allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layers {
    ids: [LayerId; MAX_LAYERS],
    n: usize,
}

impl Layers {
    pub fn of(ids: impl Iterator<Item = LayerId>) -> Layers {
        let mut l = Layers { ids: [0; MAX_LAYERS], n: 0 };
        for id in ids {
            if l.n < MAX_LAYERS && !l.ids[..l.n].contains(&id) {
                l.ids[l.n] = id;
                l.n += 1;
            }
        }
        l
    }

    pub fn ids(&self) -> &[LayerId] {
        &self.ids[..self.n]
    }
}

/// What listeners last heard of a grabbed keyboard.
struct Seen {
    path: PathBuf,
    layers: Layers,
    /// Still present at the current diff.
    mark: bool,
}

struct Client {
    stream: UnixStream,
    uid: u32,
    conn: Conn,
    decoder: LineDecoder,
    out: VecDeque<u8>,
    limit: RateLimit,
    /// The last write ended inside a line.
    mid_line: bool,
    /// To be dropped after this round (its error line, if any, was queued and flushed once).
    dead: bool,
}

impl Client {
    /// Writes what is queued until the socket would block.
    fn flush(&mut self) {
        while !self.out.is_empty() {
            let (a, _) = self.out.as_slices();
            match self.stream.write(a) {
                Ok(0) => {
                    self.dead = true;
                    return;
                }
                Ok(n) => {
                    self.mid_line = a[n - 1] != b'\n';
                    self.out.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => {
                    self.dead = true;
                    self.out.clear();
                    return;
                }
            }
        }
    }

    fn send(&mut self, msg: &DaemonMessage) {
        if self.dead {
            return;
        }
        let line = protocol::encode(msg);
        if self.out.len() + line.len() > OUT_LIMIT {
            log::warn!("control: dropping a client (uid {}) that does not read what it is sent", self.uid);
            self.drop_with(&error("too much unread output"));
            return;
        }
        self.out.extend(line.as_bytes());
        self.flush();
    }

    fn flooded(&mut self) {
        log::warn!("control: dropping a client (uid {}) that sends faster than allowed", self.uid);
        self.drop_with(&error("too many requests: sending faster than allowed"));
    }

    /// Drops the client with an error line: the answers it has not read are not sent, so that
    /// the error line goes out next (as far as its socket takes it).
    fn drop_with(&mut self, msg: &DaemonMessage) {
        if self.dead {
            return;
        }
        cut_unsent(&mut self.out, self.mid_line);
        self.out.extend(protocol::encode(msg).as_bytes());
        self.flush();
        self.dead = true;
    }

    fn close_with(&mut self, msg: &DaemonMessage) {
        self.send(msg);
        self.dead = true;
    }
}

/// The peer's pid (`SO_PEERCRED`), for `status` and the log; 0 if unknown.
fn peer_pid(stream: &UnixStream) -> u32 {
    super::sys::peer_cred(stream.as_raw_fd()).map_or(0, |c| c.pid.max(0) as u32)
}

/// A connected agent, as [`pick_agent`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentConn {
    pub slot: usize,
    pub uid: u32,
    pub version: u32,
    pub serial: u64,
}

/// The agent that runs `command()` actions: one of the active user's agents that speak version
/// 2, the one whose focus report counts (`focus_from`) if it is one of them, else the one
/// connected last. `None`: the daemon runs the command itself.
pub fn pick_agent(
    agents: impl Iterator<Item = AgentConn>,
    active: Option<u32>,
    focus_from: Option<usize>,
) -> Option<usize> {
    let active = active?;
    let mut best: Option<AgentConn> = None;
    for a in agents.filter(|a| a.uid == active && a.version >= 2) {
        if Some(a.slot) == focus_from {
            return Some(a.slot);
        }
        if best.is_none_or(|b| a.serial > b.serial) {
            best = Some(a);
        }
    }
    best.map(|a| a.slot)
}

/// Why a command was not handed to an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotSent {
    /// No agent of the active user (that runs commands) is connected: the normal case without one.
    NoAgent,
    /// The agent's output queue is full (it does not read).
    Full,
    /// The agent's connection failed as the command was written to it.
    Gone,
}

/// The peer's uid (`SO_PEERCRED`).
fn peer_uid(stream: &UnixStream) -> io::Result<u32> {
    super::sys::peer_cred(stream.as_raw_fd()).map(|c| c.uid)
}

/// The control socket: the listener, its clients, the last focus report, and what listeners
/// last heard of each keyboard.
pub struct Server {
    listener: UnixListener,
    path: PathBuf,
    clients: Vec<Option<Client>>,
    own_uid: u32,
    focus: Option<Window>,
    /// The client whose report `focus` is.
    focus_from: Option<usize>,
    /// `focus` changed since the daemon last took it ([`Server::take_focus_change`]).
    focus_changed: bool,
    seen: Vec<Seen>,
    /// `seen` is current (kept only while someone listens).
    tracking: bool,
    /// The registry's generation `seen` was last compared with in full.
    seen_generation: Option<u64>,
    /// Lines still to be served this round ([`LINES_PER_ROUND`]).
    round: usize,
    /// Connections one user may hold: root, everyone else ([`PER_UID_ROOT`], [`PER_UID`]).
    uid_limits: (usize, usize),
    accepts: AcceptLimit,
    /// The listener is out of epoll until then (accepts spent).
    paused: Option<Duration>,
    /// When the last pause ended (a pause soon after it is the same flood: not logged again).
    last_pause: Option<Duration>,
    active: ActiveUid,
    /// The last hello's serial ([`Conn::serial`]) and `run` id.
    serials: u64,
    run_ids: u64,
    /// A fallback from an agent to the daemon was logged (once, until an agent takes one again).
    fallback_said: bool,
}

impl Server {
    /// Binds `path` (its directory created if missing; a stale socket replaced) and registers it.
    pub fn bind(path: &Path, reg: &mio::Registry) -> io::Result<Server> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                std::fs::create_dir_all(dir)?;
                std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
            }
        }
        match std::fs::symlink_metadata(path) {
            // A live daemon's socket is left alone (a second `keymapd run` started by mistake
            // must not take the first one's clients); only a stale one is replaced.
            Ok(m) if m.file_type().is_socket() && std::os::unix::net::UnixStream::connect(path).is_ok() => {
                return Err(io::Error::new(io::ErrorKind::AddrInUse, "a keymapd is already listening there"))
            }
            Ok(m) if m.file_type().is_socket() => std::fs::remove_file(path)?,
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a socket", path.display()),
                ))
            }
            Err(_) => {}
        }
        let mut listener = UnixListener::bind(path)?;
        // Listening again sets the backlog (see BACKLOG).
        // SAFETY: a listen call on a socket we own.
        if unsafe { libc::listen(listener.as_raw_fd(), BACKLOG) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // Anyone may connect; who is served is decided by the peer's credentials.
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))?;
        reg.register(&mut listener, LISTENER, Interest::READABLE)?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let own_uid = unsafe { libc::geteuid() };
        Ok(Server {
            listener,
            path: path.to_path_buf(),
            clients: Vec::new(),
            own_uid,
            focus: None,
            focus_from: None,
            focus_changed: false,
            seen: Vec::new(),
            tracking: false,
            seen_generation: None,
            round: LINES_PER_ROUND,
            uid_limits: (PER_UID_ROOT, PER_UID),
            accepts: AcceptLimit::new(super::sys::monotonic_now()),
            paused: None,
            last_pause: None,
            active: ActiveUid::new(Path::new(SEAT_FILE)),
            serials: 0,
            run_ids: 0,
            fallback_said: false,
        })
    }

    /// The active session's user (the seat file, read again only after it changed).
    pub fn active_uid(&mut self) -> Option<u32> {
        self.active.get()
    }

    /// When the paused listener is to be watched again (for the loop's timerfd).
    pub fn next_deadline(&self) -> Option<Duration> {
        self.paused
    }

    /// The timerfd fired: watches the listener again once its pause is over.
    pub fn on_timer(&mut self, reg: &mio::Registry, now: Duration) {
        if self.paused.is_some_and(|t| t <= now) {
            self.paused = None;
            self.last_pause = Some(now);
            if let Err(e) = reg.register(&mut self.listener, LISTENER, Interest::READABLE) {
                log::error!("control: watching the listener again: {e}");
            }
        }
    }

    /// Takes the listener out of epoll until enough accepts have come back.
    fn pause(&mut self, reg: &mio::Registry, now: Duration) {
        let until = self.accepts.resume_at(now);
        if let Err(e) = reg.deregister(&mut self.listener) {
            log::warn!("control: pausing the listener: {e}");
            return;
        }
        self.paused = Some(until);
        let ms = (until - now).as_millis();
        if self.last_pause.is_some_and(|t| now.saturating_sub(t) < Duration::from_secs(10)) {
            log::debug!("control: connections still arrive too fast: accepting again in {ms} ms");
        } else {
            log::warn!(
                "control: more than {ACCEPTS_PER_SEC} connections a second: accepting them in turns (again in {ms} ms)"
            );
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new wake-up of the loop: a new round's budget of lines.
    pub fn new_round(&mut self) {
        self.round = LINES_PER_ROUND;
    }

    /// Accepts every pending connection: served if its user may, else told and closed.
    pub fn on_listener(&mut self, reg: &mio::Registry, now: Duration) {
        if self.paused.is_some() {
            return;
        }
        for _ in 0..ACCEPTS_PER_WAKE {
            if !self.accepts.ready(now) {
                self.pause(reg, now);
                return;
            }
            let (mut stream, _) = match self.listener.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::warn!("control: accept: {e}");
                    return;
                }
            };
            self.accepts.take();
            let uid = match peer_uid(&stream) {
                Ok(u) => u,
                Err(e) => {
                    log::warn!("control: no peer credentials ({e}): refused");
                    continue;
                }
            };
            let refuse = |stream: &mut UnixStream, why: &str| {
                let _ = stream.write(protocol::encode(&error(why)).as_bytes());
            };
            // Root and the daemon's user need no seat file.
            let active = if uid == 0 || uid == self.own_uid { None } else { self.active.get() };
            if !allowed(uid, self.own_uid, active) {
                log::info!("control: refused uid {uid} (not root, not the active session's user)");
                refuse(&mut stream, "permission denied");
                continue;
            }
            let limit = uid_limit(uid, self.uid_limits);
            if self.clients.iter().flatten().filter(|c| c.uid == uid && !c.dead).count() >= limit {
                log::warn!("control: uid {uid} holds {limit} connections: refused one more");
                refuse(&mut stream, &format!("too many connections from uid {uid} (at most {limit})"));
                continue;
            }
            let slot = match self.clients.iter().position(Option::is_none) {
                Some(i) => i,
                None if self.clients.len() < MAX_CLIENTS => {
                    self.clients.push(None);
                    self.clients.len() - 1
                }
                None => {
                    log::warn!("control: {MAX_CLIENTS} clients connected: refused one more (uid {uid})");
                    refuse(&mut stream, "too many clients");
                    continue;
                }
            };
            if let Err(e) =
                reg.register(&mut stream, Token(CLIENT_BASE + slot), Interest::READABLE | Interest::WRITABLE)
            {
                log::warn!("control: cannot watch a client: {e}");
                continue;
            }
            log::debug!("control: client {slot} connected (uid {uid})");
            self.clients[slot] = Some(Client {
                stream,
                uid,
                conn: Conn::default(),
                decoder: LineDecoder::new(),
                out: VecDeque::new(),
                limit: RateLimit::new(now),
                mid_line: false,
                dead: false,
            });
        }
        // More may be waiting: epoll reports the listener again (re-armed), after the other
        // ready fds of this round, so that connecting clients never starve the keys.
        if let Err(e) = reg.reregister(&mut self.listener, LISTENER, Interest::READABLE) {
            log::warn!("control: re-arming the listener: {e}");
        }
    }

    /// A client's socket is ready: flush its output, read and answer its lines. Returns whether
    /// it asked for a reload (the daemon then calls [`Server::reloaded`]).
    pub fn on_client(
        &mut self,
        slot: usize,
        reg: &mio::Registry,
        now: Duration,
        devices: &Registry,
        set: &ProfileSet,
    ) -> bool {
        let mut reload = false;
        let mut requests = Vec::new();
        {
            let Some(c) = self.clients.get_mut(slot).and_then(Option::as_mut) else { return false };
            c.flush();
            // Small reads: at most a few dozen lines are decoded past the round's budget.
            let mut buf = [0u8; 1024];
            let mut budget = READ_PER_WAKE;
            while !c.dead {
                if budget == 0 || self.round == 0 {
                    // More to read: re-armed, served again after the other ready fds.
                    if reg
                        .reregister(
                            &mut c.stream,
                            Token(CLIENT_BASE + slot),
                            Interest::READABLE | Interest::WRITABLE,
                        )
                        .is_err()
                    {
                        c.dead = true;
                    }
                    break;
                }
                match c.stream.read(&mut buf) {
                    Ok(0) => c.dead = true,
                    Ok(n) => {
                        budget = budget.saturating_sub(n);
                        if !c.limit.take_bytes(now, n) {
                            c.flooded();
                            break;
                        }
                        c.decoder.feed(&buf[..n]);
                        while let Some(line) = c.decoder.next_line() {
                            if !c.limit.take_line(now) {
                                c.flooded();
                                break;
                            }
                            self.round = self.round.saturating_sub(1);
                            match c.conn.on_line(line) {
                                Request::Reply(m) => {
                                    if matches!(m, DaemonMessage::Hello { .. }) {
                                        self.serials += 1;
                                        c.conn.serial = self.serials;
                                        if c.conn.role == Some(Role::Agent) {
                                            log::info!(
                                                "control: session agent connected (uid {}, pid {}, protocol {})",
                                                c.uid,
                                                peer_pid(&c.stream),
                                                c.conn.version
                                            );
                                        }
                                    }
                                    c.send(&m)
                                }
                                Request::Close(m) => c.close_with(&m),
                                Request::Nothing => {}
                                r => requests.push((c.uid, r)),
                            }
                            if c.dead {
                                break;
                            }
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(_) => c.dead = true,
                }
            }
        }
        for (uid, r) in requests {
            match r {
                Request::Status => {
                    let v2 =
                        self.clients.get(slot).and_then(Option::as_ref).is_some_and(|c| c.conn.version >= 2);
                    let status = DaemonMessage::Status(self.status(devices, set, v2));
                    self.send(slot, &status);
                }
                Request::Ran { id, ok: true, .. } => {
                    log::debug!("control: command #{id} started in the session of uid {uid}")
                }
                Request::Ran { id, ok: false, error } => log::warn!(
                    "control: command #{id} did not start in the session of uid {uid}: {}",
                    error.as_deref().unwrap_or("no reason given")
                ),
                Request::Reload => reload = true,
                Request::Listen => self.start_listening(slot, devices),
                Request::Focus(window) => self.on_focus(slot, uid, window),
                _ => {}
            }
        }
        self.reap(reg);
        reload
    }

    fn send(&mut self, slot: usize, msg: &DaemonMessage) {
        if let Some(c) = self.clients.get_mut(slot).and_then(Option::as_mut) {
            c.send(msg);
        }
    }

    fn listeners(&self) -> bool {
        self.clients.iter().flatten().any(|c| c.conn.listening && !c.dead)
    }

    /// Sends an event to every listener.
    fn broadcast(&mut self, msg: &DaemonMessage) {
        for c in self.clients.iter_mut().flatten().filter(|c| c.conn.listening) {
            c.send(msg);
        }
    }

    /// Drops the clients that are done (closed, failed, refused, over a bound).
    fn reap(&mut self, reg: &mio::Registry) {
        let mut lost_focus = false;
        for (slot, entry) in self.clients.iter_mut().enumerate() {
            if entry.as_ref().is_some_and(|c| c.dead) {
                if let Some(mut c) = entry.take() {
                    c.flush();
                    let _ = reg.deregister(&mut c.stream);
                    log::debug!("control: client {slot} gone");
                    if c.conn.role == Some(Role::Agent) {
                        log::info!("control: session agent gone (uid {})", c.uid);
                    }
                }
                if self.focus_from == Some(slot) {
                    lost_focus = true;
                }
            }
        }
        if lost_focus {
            // Nobody reports the focus any more: no application stays focused.
            self.focus_from = None;
            self.set_focus(None);
        }
        if self.tracking && !self.listeners() {
            self.tracking = false;
            self.seen.clear();
        }
    }

    fn on_focus(&mut self, slot: usize, uid: u32, window: Option<Window>) {
        // The active session may have changed since the client connected.
        if uid != 0 && Some(uid) != self.active.get() {
            log::info!("control: ignored a focus report from uid {uid} (not the active session's user)");
            return;
        }
        self.focus_from = Some(slot);
        self.set_focus(window);
    }

    /// The focused application's id, once after each change of it (`Some(None)`: nothing is
    /// focused any more), for the engines' application layers.
    pub fn take_focus_change(&mut self) -> Option<Option<&str>> {
        if !std::mem::take(&mut self.focus_changed) {
            return None;
        }
        Some(self.focus.as_ref().map(|w| w.app_id.as_str()))
    }

    fn set_focus(&mut self, window: Option<Window>) {
        if self.focus != window {
            self.focus = window.clone();
            self.focus_changed = true;
            self.broadcast(&DaemonMessage::Focus { window });
        }
    }

    /// The connected agents that said hello, live.
    fn agent_conns(&self) -> impl Iterator<Item = AgentConn> + '_ {
        self.clients.iter().enumerate().filter_map(|(slot, c)| {
            let c = c.as_ref().filter(|c| c.conn.role == Some(Role::Agent) && !c.dead)?;
            Some(AgentConn { slot, uid: c.uid, version: c.conn.version, serial: c.conn.serial })
        })
    }

    /// Hands a `command()` to the active user's session agent ([`pick_agent`]), never waiting
    /// for it: queued on its connection if there is room. Returns the agent's uid and the
    /// command's id, or why the daemon must run it itself (a full queue or a failed
    /// connection is logged once, until an agent takes a command again).
    /// `active`: the active session's user ([`read_active_uid`]).
    pub fn run_in_session(
        &mut self,
        command: &str,
        active: Option<u32>,
        reg: &mio::Registry,
    ) -> Result<(u32, u64), NotSent> {
        let Some(slot) = pick_agent(self.agent_conns(), active, self.focus_from) else {
            return Err(NotSent::NoAgent);
        };
        let Some(c) = self.clients.get_mut(slot).and_then(Option::as_mut) else {
            return Err(NotSent::NoAgent);
        };
        let id = self.run_ids + 1;
        let uid = c.uid;
        let line = protocol::encode(&DaemonMessage::Run { id, command: command.to_owned() });
        let result = if c.out.len() + line.len() > RUN_QUEUE_LIMIT {
            Err(NotSent::Full)
        } else {
            c.out.extend(line.as_bytes());
            c.flush();
            if c.dead {
                Err(NotSent::Gone)
            } else {
                Ok((uid, id))
            }
        };
        match result {
            Ok(_) => {
                self.run_ids = id;
                self.fallback_said = false;
            }
            Err(why) if !self.fallback_said => {
                self.fallback_said = true;
                let what = if why == NotSent::Full { "does not read what it is sent" } else { "is gone" };
                log::warn!(
                    "control: the session agent of uid {uid} {what}: commands run as the daemon's user \
                     until an agent takes them again"
                );
            }
            Err(_) => {}
        }
        if result.is_err() {
            self.reap(reg);
        }
        result
    }

    fn status(&self, devices: &Registry, set: &ProfileSet, with_agents: bool) -> Status {
        Status {
            devices: devices
                .keyboards()
                .filter(|k| k.is_grabbed())
                .map(|k| {
                    let (id, name) = k.label().split_once(' ').unwrap_or((k.label(), ""));
                    Device {
                        path: k.node().devnode.display().to_string(),
                        id: id.to_owned(),
                        name: name.to_owned(),
                        profile: k.profile().to_owned(),
                        layers: layer_names(k.keymap(), Layers::of(k.active_layers()).ids()),
                    }
                })
                .collect(),
            profiles: set.profiles.iter().map(|p| p.name.clone()).collect(),
            focus: self.focus.clone(),
            agent: self.clients.iter().flatten().any(|c| c.conn.role == Some(Role::Agent) && !c.dead),
            agents: with_agents.then(|| {
                let to = pick_agent(self.agent_conns(), read_active_uid(), self.focus_from);
                self.agent_conns()
                    .map(|a| Agent {
                        uid: a.uid,
                        pid: self.clients[a.slot].as_ref().map_or(0, |c| peer_pid(&c.stream)),
                        version: a.version,
                        commands: Some(a.slot) == to,
                    })
                    .collect()
            }),
        }
    }

    fn start_listening(&mut self, slot: usize, devices: &Registry) {
        if !self.tracking {
            self.tracking = true;
            self.seen.clear();
            self.diff(devices, false);
        }
        // The current state first, so that a status bar has something to show at once.
        let mut first = Vec::new();
        for k in devices.keyboards().filter(|k| k.is_grabbed()) {
            first.push(layer_event(k, Layers::of(k.active_layers())));
        }
        first.push(DaemonMessage::Focus { window: self.focus.clone() });
        for m in &first {
            self.send(slot, m);
        }
    }

    /// After each wake-up: while someone listens, compares each grabbed keyboard's layers and
    /// presence with what listeners last heard, and sends the changes. Allocates nothing unless
    /// something changed.
    ///
    /// Between two changes of the registry's [`Registry::generation`] only the layers of the
    /// keyboards that ran can have changed: only those are compared, so a key's cost does not
    /// grow with the number of keyboards while someone listens.
    pub fn after_wake(&mut self, devices: &Registry, reg: &mio::Registry) {
        if !self.tracking {
            return;
        }
        if self.seen_generation == Some(devices.generation()) {
            self.diff_layers(devices);
        } else {
            self.diff(devices, true);
        }
        self.reap(reg);
    }

    /// [`Server::diff`] for the keyboards that ran this wake-up, the set unchanged.
    fn diff_layers(&mut self, devices: &Registry) {
        for k in devices.touched().filter(|k| k.is_grabbed()) {
            let layers = Layers::of(k.active_layers());
            let path = &k.node().devnode;
            let Some(s) = self.seen.iter_mut().find(|s| &s.path == path) else { continue };
            if s.layers != layers {
                s.layers = layers;
                self.broadcast(&layer_event(k, layers));
            }
        }
    }

    fn diff(&mut self, devices: &Registry, emit: bool) {
        self.seen_generation = Some(devices.generation());
        for s in &mut self.seen {
            s.mark = false;
        }
        let mut events = Vec::new();
        for k in devices.keyboards().filter(|k| k.is_grabbed()) {
            let layers = Layers::of(k.active_layers());
            let path = &k.node().devnode;
            match self.seen.iter_mut().find(|s| &s.path == path) {
                Some(s) => {
                    s.mark = true;
                    if s.layers != layers {
                        s.layers = layers;
                        events.push(layer_event(k, layers));
                    }
                }
                None => {
                    self.seen.push(Seen { path: path.clone(), layers, mark: true });
                    let (_, name) = k.label().split_once(' ').unwrap_or(("", k.label()));
                    events.push(DaemonMessage::Device {
                        change: DeviceChange::Grabbed,
                        path: path.display().to_string(),
                        name: name.to_owned(),
                        profile: Some(k.profile().to_owned()),
                    });
                    if !layers.ids().is_empty() {
                        events.push(layer_event(k, layers));
                    }
                }
            }
        }
        self.seen.retain(|s| {
            if !s.mark {
                events.push(DaemonMessage::Device {
                    change: DeviceChange::Released,
                    path: s.path.display().to_string(),
                    name: String::new(),
                    profile: None,
                });
            }
            s.mark
        });
        if emit {
            for e in &events {
                self.broadcast(e);
            }
        }
    }

    /// A reload finished (from any cause): listeners get a `reloaded` event, and `asker` (the
    /// client that asked, if one did) its answer.
    pub fn reloaded(&mut self, asker: Option<usize>, errors: &[String], reg: &mio::Registry) {
        let msg = DaemonMessage::Reloaded { ok: errors.is_empty(), errors: errors.to_vec() };
        self.broadcast(&msg);
        if let Some(slot) = asker {
            let listening = self.clients.get(slot).and_then(Option::as_ref).is_some_and(|c| c.conn.listening);
            if !listening {
                self.send(slot, &msg);
            }
        }
        self.reap(reg);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn layer_names(keymap: &crate::keymap::Keymap, ids: &[LayerId]) -> Vec<String> {
    ids.iter().map(|&id| keymap.layer(id).name.clone()).collect()
}

/// The `listen` event that keyboard `k`'s active layers are now `layers`.
fn layer_event(k: &Keyboard, layers: Layers) -> DaemonMessage {
    DaemonMessage::Layer {
        device: k.node().devnode.display().to_string(),
        layers: layer_names(k.keymap(), layers.ids()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HELLO: &str = "{\"type\":\"hello\",\"version\":1,\"role\":\"client\"}";

    fn line(s: &str) -> Result<String, ProtocolError> {
        Ok(s.to_owned())
    }

    #[test]
    fn the_seat_file_names_the_active_user() {
        let text = "# This is private data. Do not parse.\nIS_SEAT0=1\nACTIVE=c2\nACTIVE_UID=1000\nSESSIONS=c2 3\nUIDS=1000 1001\n";
        assert_eq!(active_uid(text), Some(1000));
        assert_eq!(active_uid("IS_SEAT0=1\nSESSIONS=\n"), None);
        assert_eq!(active_uid("ACTIVE_UID=\n"), None);
        assert_eq!(active_uid("ACTIVE_UID=x\n"), None);
    }

    #[test]
    fn root_the_daemon_and_the_active_user_may_connect_no_one_else() {
        assert!(allowed(0, 995, None));
        assert!(allowed(995, 995, None));
        assert!(allowed(1000, 995, Some(1000)));
        assert!(!allowed(1001, 995, Some(1000)));
        assert!(!allowed(1000, 995, None));
    }

    #[test]
    fn the_hello_comes_first() {
        let mut c = Conn::default();
        assert_eq!(
            c.on_line(line("{\"type\":\"status\"}")),
            Request::Close(error("expected hello first, got `{\"type\":\"status\"}`"))
        );
        let mut c = Conn::default();
        assert_eq!(c.on_line(line(HELLO)), Request::Reply(DaemonMessage::Hello { version: 1 }));
        assert_eq!(c.version, 1);
        assert_eq!(c.on_line(line("{\"type\":\"status\"}")), Request::Status);
        assert_eq!(c.on_line(line("{\"type\":\"reload\"}")), Request::Reload);
        assert_eq!(c.on_line(line(HELLO)), Request::Close(error("hello sent twice")));
    }

    #[test]
    fn another_version_is_refused() {
        let mut c = Conn::default();
        assert_eq!(
            c.on_line(line("{\"type\":\"hello\",\"version\":3,\"role\":\"agent\"}")),
            Request::Close(error("unsupported protocol version 3 (this keymapd speaks 1 to 2)"))
        );
    }

    #[test]
    fn listen_once_then_events_focus_reports_pass_on() {
        let mut c = Conn::default();
        c.on_line(line(HELLO));
        assert_eq!(c.on_line(line("{\"type\":\"listen\"}")), Request::Listen);
        assert!(c.listening);
        assert_eq!(c.on_line(line("{\"type\":\"listen\"}")), Request::Nothing);
        assert_eq!(
            c.on_line(line("{\"type\":\"focus\",\"window\":{\"app_id\":\"foot\",\"title\":\"~\"}}")),
            Request::Focus(Some(Window { app_id: "foot".into(), title: "~".into() }))
        );
    }

    #[test]
    fn an_agent_answer_to_a_run_is_passed_on() {
        let mut c = Conn::default();
        c.on_line(line("{\"type\":\"hello\",\"version\":2,\"role\":\"agent\"}"));
        assert_eq!((c.role, c.version), (Some(Role::Agent), 2));
        assert_eq!(
            c.on_line(line("{\"type\":\"ran\",\"id\":3,\"ok\":false,\"error\":\"no sh\"}")),
            Request::Ran { id: 3, ok: false, error: Some("no sh".into()) }
        );
    }

    #[test]
    fn commands_go_to_the_active_users_agent_that_reports_the_focus_else_the_newest() {
        let a = |slot, uid, version, serial| AgentConn { slot, uid, version, serial };
        let agents = [a(0, 1000, 2, 5), a(1, 1001, 2, 9), a(2, 1000, 2, 7), a(3, 1000, 1, 8)];
        let pick = |active, focus_from| pick_agent(agents.iter().copied(), active, focus_from);
        // The newest of the active user's agents that run commands (slot 3 speaks version 1).
        assert_eq!(pick(Some(1000), None), Some(2));
        // The one whose focus reports count, if it is one of them.
        assert_eq!(pick(Some(1000), Some(0)), Some(0));
        assert_eq!(pick(Some(1000), Some(1)), Some(2));
        assert_eq!(pick(Some(1000), Some(3)), Some(2));
        assert_eq!(pick(Some(1001), None), Some(1));
        // Nobody active, or no agent of the active user: the daemon runs it.
        assert_eq!(pick(None, Some(0)), None);
        assert_eq!(pick(Some(0), None), None);
        assert_eq!(pick_agent([a(0, 1000, 1, 1)].into_iter(), Some(1000), Some(0)), None);
    }

    /// A real server and a real agent socket: commands are queued to the agent until its queue
    /// is full (it is not dropped for that), then the daemon is told to run them itself; an
    /// agent that is gone as a command is written makes the daemon run it too.
    #[test]
    fn commands_go_to_the_agent_until_its_queue_is_full_or_it_is_gone() {
        use std::io::{BufRead, BufReader};
        let dir = std::env::temp_dir().join(format!("keymapd-control-run-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("control.sock");
        let poll = mio::Poll::new().unwrap();
        let reg = poll.registry();
        let mut server = Server::bind(&path, reg).unwrap();
        let (devices, set) = (Registry::default(), ProfileSet { profiles: vec![], warnings: vec![] });
        let me = super::super::sys::euid();
        let agent = |server: &mut Server, slot: usize| {
            let mut a = std::os::unix::net::UnixStream::connect(&path).unwrap();
            a.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            server.on_listener(reg, Duration::ZERO);
            a.write_all(b"{\"type\":\"hello\",\"version\":2,\"role\":\"agent\"}\n").unwrap();
            while server.agent_conns().all(|c| c.slot != slot) {
                server.on_client(slot, reg, Duration::ZERO, &devices, &set);
            }
            a
        };
        let a = agent(&mut server, 0);
        // No agent of the active user: the daemon runs it.
        assert_eq!(server.run_in_session("true", Some(me + 1), reg), Err(NotSent::NoAgent));
        assert_eq!(server.run_in_session("true", None, reg), Err(NotSent::NoAgent));
        assert_eq!(server.run_in_session("echo one", Some(me), reg), Ok((me, 1)));
        let mut reader = BufReader::new(a.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        assert_eq!(line, "{\"type\":\"hello\",\"version\":2}\n");
        line.clear();
        reader.read_line(&mut line).unwrap();
        assert_eq!(line, "{\"type\":\"run\",\"id\":1,\"command\":\"echo one\"}\n");
        // The agent stops reading: the socket's buffer fills, then the queue, then the daemon
        // runs the commands itself; the agent stays connected.
        let big = "x".repeat(4096);
        let mut sent = 0;
        loop {
            match server.run_in_session(&big, Some(me), reg) {
                Ok((_, id)) => sent = id,
                Err(e) => {
                    assert_eq!(e, NotSent::Full);
                    break;
                }
            }
            assert!(sent < 10_000, "the queue never filled");
        }
        assert!(sent > 1 + RUN_QUEUE_LIMIT as u64 / 4096, "{sent}");
        assert_eq!(server.run_in_session(&big, Some(me), reg), Err(NotSent::Full));
        assert_eq!(server.agent_conns().count(), 1);
        // Once it reads again, commands go to it again.
        let mut got = 1;
        while got < sent {
            line.clear();
            reader.read_line(&mut line).unwrap();
            got += 1;
            assert!(line.starts_with(&format!("{{\"type\":\"run\",\"id\":{got},")), "{got}: {line:.60}");
            if got % 16 == 0 {
                server.on_client(0, reg, Duration::ZERO, &devices, &set);
            }
        }
        server.on_client(0, reg, Duration::ZERO, &devices, &set);
        assert_eq!(server.run_in_session("echo again", Some(me), reg), Ok((me, sent + 1)));
        // The agent goes, unread lines and all: the next command finds it gone.
        drop((reader, a));
        assert_eq!(server.run_in_session("true", Some(me), reg), Err(NotSent::Gone));
        assert_eq!(server.agent_conns().count(), 0);
        assert_eq!(server.run_in_session("true", Some(me), reg), Err(NotSent::NoAgent));
        // A version-1 agent gets no commands.
        let mut old = std::os::unix::net::UnixStream::connect(&path).unwrap();
        server.on_listener(reg, Duration::ZERO);
        old.write_all(b"{\"type\":\"hello\",\"version\":1,\"role\":\"agent\"}\n").unwrap();
        while server.agent_conns().count() == 0 {
            server.on_client(0, reg, Duration::ZERO, &devices, &set);
        }
        assert_eq!(server.run_in_session("true", Some(me), reg), Err(NotSent::NoAgent));
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn malformed_oversized_and_non_utf8_lines_close() {
        let mut c = Conn::default();
        c.on_line(line(HELLO));
        assert!(matches!(c.on_line(line("{\"type\":\"nope\"}")), Request::Close(_)));
        assert_eq!(
            Conn::default().on_line(Err(ProtocolError::TooLong)),
            Request::Close(error("line longer than 65536 bytes"))
        );
        assert_eq!(
            Conn::default().on_line(Err(ProtocolError::NotUtf8)),
            Request::Close(error("line is not UTF-8"))
        );
    }

    #[test]
    fn the_rate_limit_allows_a_burst_then_the_rate() {
        let t0 = Duration::from_secs(10);
        let mut r = RateLimit::new(t0);
        for _ in 0..LINES_BURST {
            assert!(r.take_line(t0));
        }
        assert!(!r.take_line(t0), "past the burst");
        // A second later, a second's worth more.
        let t1 = t0 + Duration::from_secs(1);
        for _ in 0..LINES_PER_SEC {
            assert!(r.take_line(t1));
        }
        assert!(!r.take_line(t1));
        let mut r = RateLimit::new(t0);
        assert!(r.take_bytes(t0, BYTES_BURST as usize));
        assert!(!r.take_bytes(t0, 1));
        assert!(r.take_bytes(t0 + Duration::from_millis(100), (BYTES_PER_SEC / 10) as usize));
        // A steady client, one line every 20 ms (50 a second), is over 32 a second in the end;
        // one every 40 ms (25 a second) never is: fractions of a line are not lost.
        let mut r = RateLimit::new(t0);
        let fast = (1..1000).map(|i| t0 + Duration::from_millis(20 * i)).all(|t| r.take_line(t));
        assert!(!fast);
        let mut r = RateLimit::new(t0);
        assert!((1..1000).map(|i| t0 + Duration::from_millis(40 * i)).all(|t| r.take_line(t)));
    }

    /// A fresh directory for one test (removed first if a previous run left it).
    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("keymapd-control-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// Whether epoll reports the listener now (without waiting).
    fn listener_reported(poll: &mut mio::Poll) -> bool {
        let mut events = mio::Events::with_capacity(64);
        poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
        events.iter().any(|e| e.token() == LISTENER)
    }

    #[test]
    fn accepts_come_in_a_burst_then_at_the_rate_and_resume_in_a_round() {
        let t0 = Duration::from_secs(10);
        let mut a = AcceptLimit::new(t0);
        for _ in 0..ACCEPT_BURST {
            assert!(a.ready(t0));
            a.take();
        }
        assert!(!a.ready(t0));
        // Not one accept back at a time: a round of ACCEPT_RESUME of them.
        let at = a.resume_at(t0);
        assert_eq!(at, t0 + Duration::from_millis(1000 * ACCEPT_RESUME / ACCEPTS_PER_SEC));
        let mut n = 0;
        while a.ready(at) {
            a.take();
            n += 1;
        }
        assert_eq!(n, ACCEPT_RESUME);
    }

    #[test]
    fn the_listener_leaves_epoll_once_accepts_are_spent_and_returns_at_the_deadline() {
        let dir = scratch("pause");
        let mut poll = mio::Poll::new().unwrap();
        let mut s = Server::bind(&dir.join("control.sock"), poll.registry()).unwrap();
        let t0 = Duration::from_secs(100);
        // 4 at once, then 4 a second, resumed once 2 are back: at t0 + 500 ms.
        s.accepts = AcceptLimit::with(t0, 4, 4, 2);
        let clients: Vec<_> =
            (0..6).map(|_| std::os::unix::net::UnixStream::connect(s.path()).unwrap()).collect();
        assert!(listener_reported(&mut poll));
        s.on_listener(poll.registry(), t0);
        assert_eq!(s.clients.iter().flatten().count(), 4);
        assert_eq!(s.next_deadline(), Some(t0 + Duration::from_millis(500)));
        // Two connections wait, but epoll does not report them: the loop is not woken.
        assert!(!listener_reported(&mut poll));
        s.on_listener(poll.registry(), t0 + Duration::from_millis(100));
        assert_eq!(s.clients.iter().flatten().count(), 4, "paused: nothing accepted");
        s.on_timer(poll.registry(), t0 + Duration::from_millis(499));
        assert!(!listener_reported(&mut poll));
        assert_eq!(s.next_deadline(), Some(t0 + Duration::from_millis(500)));
        s.on_timer(poll.registry(), t0 + Duration::from_millis(500));
        assert_eq!(s.next_deadline(), None);
        assert!(listener_reported(&mut poll), "watched again at the deadline");
        s.on_listener(poll.registry(), t0 + Duration::from_millis(500));
        assert_eq!(s.clients.iter().flatten().count(), 6);
        drop(clients);
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_user_over_its_connection_limit_is_refused_with_a_message() {
        assert_eq!(uid_limit(0, (PER_UID_ROOT, PER_UID)), PER_UID_ROOT);
        assert_eq!(uid_limit(1000, (PER_UID_ROOT, PER_UID)), PER_UID);
        let dir = scratch("per-uid");
        let poll = mio::Poll::new().unwrap();
        let mut s = Server::bind(&dir.join("control.sock"), poll.registry()).unwrap();
        // The test runs as one user: its limit made 2.
        // SAFETY: geteuid has no preconditions.
        let uid = unsafe { libc::geteuid() };
        if uid == 0 {
            s.uid_limits.0 = 2;
        } else {
            s.uid_limits.1 = 2;
        }
        let path = s.path().to_path_buf();
        let connect = || std::os::unix::net::UnixStream::connect(&path).unwrap();
        let (a, b, mut c) = (connect(), connect(), connect());
        s.on_listener(poll.registry(), Duration::from_secs(1));
        assert_eq!(s.clients.iter().flatten().count(), 2);
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut got = String::new();
        c.read_to_string(&mut got).unwrap();
        assert_eq!(
            got,
            format!(
                "{{\"type\":\"error\",\"message\":\"too many connections from uid {uid} (at most 2)\"}}\n"
            )
        );
        // One of the two gone: room for another.
        drop(a);
        s.on_client(
            0,
            poll.registry(),
            Duration::from_secs(1),
            &Registry::default(),
            &ProfileSet { profiles: Vec::new(), warnings: Vec::new() },
        );
        let _d = connect();
        s.on_listener(poll.registry(), Duration::from_secs(1));
        assert_eq!(s.clients.iter().flatten().count(), 2);
        drop(b);
        drop(s);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_cached_active_user_follows_every_change_of_the_seat_file() {
        let base = scratch("seat");
        let dir = base.join("systemd/seats");
        let file = dir.join("seat0");
        let mut a = ActiveUid::new(&file);
        assert_eq!(a.get(), None, "no directory yet");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&file, "IS_SEAT0=1\nACTIVE_UID=1000\n").unwrap();
        assert_eq!(a.get(), Some(1000), "directory and file created");
        let reads = a.reads;
        assert_eq!(a.get(), Some(1000));
        assert_eq!(a.get(), Some(1000));
        assert_eq!(a.reads, reads, "nothing changed: not read again");
        // Rewritten in place (truncated, written).
        std::fs::write(&file, "IS_SEAT0=1\nACTIVE_UID=1001\n").unwrap();
        assert_eq!(a.get(), Some(1001));
        // Replaced the way logind does it: a new file renamed over it.
        std::fs::write(dir.join(".#seat0tmp"), "IS_SEAT0=1\nACTIVE_UID=1002\n").unwrap();
        std::fs::rename(dir.join(".#seat0tmp"), &file).unwrap();
        assert_eq!(a.get(), Some(1002));
        std::fs::write(&file, "IS_SEAT0=1\n").unwrap();
        assert_eq!(a.get(), None, "no active session");
        // The whole directory removed, then made again.
        std::fs::remove_dir_all(base.join("systemd")).unwrap();
        assert_eq!(a.get(), None);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&file, "ACTIVE_UID=1003\n").unwrap();
        assert_eq!(a.get(), Some(1003));
        let reads = a.reads;
        assert_eq!(a.get(), Some(1003));
        assert_eq!(a.reads, reads);
        let _ = std::fs::remove_dir_all(&base);
    }

    #[test]
    fn a_dropped_client_gets_the_rest_of_its_line_then_no_unread_answers() {
        let mut out: VecDeque<u8> = b"tail\"}\n{\"a\":1}\n{\"b\":2}\n".iter().copied().collect();
        cut_unsent(&mut out, true);
        assert_eq!(out.iter().copied().collect::<Vec<u8>>(), b"tail\"}\n");
        let mut out: VecDeque<u8> = b"{\"a\":1}\n{\"b\":2}\n".iter().copied().collect();
        cut_unsent(&mut out, false);
        assert!(out.is_empty());
    }

    #[test]
    fn layers_are_deduplicated_most_recent_first_and_bounded() {
        let l = Layers::of([3, 1, 3, 2].into_iter());
        assert_eq!(l.ids(), &[3, 1, 2]);
        assert_eq!(Layers::of(0..100).ids().len(), MAX_LAYERS);
        assert_ne!(Layers::of([1].into_iter()), Layers::of([1, 2].into_iter()));
    }

    proptest! {
        /// Whatever bytes a client sends, in whatever pieces, the server's line handling never
        /// panics, and once it closes a connection nothing more is served.
        #[test]
        fn no_input_panics_the_line_handling(
            chunks in proptest::collection::vec(
                prop_oneof![
                    proptest::collection::vec(any::<u8>(), 0..200),
                    Just(HELLO.as_bytes().to_vec()),
                    Just(b"\n".to_vec()),
                    Just(b"{\"type\":\"focus\",\"window\":{\"app_id\":\"a\",\"title\":\"\"}}\n".to_vec()),
                    Just(b"{\"type\":\"listen\"}\n{\"type\":\"status\"}\n".to_vec()),
                    Just(vec![b'x'; 70_000]),
                ],
                0..20,
            )
        ) {
            let mut conn = Conn::default();
            let mut dec = LineDecoder::new();
            let mut limit = RateLimit::new(Duration::ZERO);
            let mut closed = false;
            for (i, chunk) in chunks.iter().enumerate() {
                let now = Duration::from_millis(i as u64);
                let _ = limit.take_bytes(now, chunk.len());
                dec.feed(chunk);
                while let Some(l) = dec.next_line() {
                    prop_assert!(!closed, "served after close");
                    let _ = limit.take_line(now);
                    if let Request::Close(m) = conn.on_line(l) {
                        let is_error = matches!(m, DaemonMessage::Error { .. });
                        prop_assert!(is_error, "close without an error line");
                        closed = true;
                        break;
                    }
                }
                if closed {
                    break;
                }
            }
        }
    }
}
