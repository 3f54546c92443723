//! The control protocol: versioned JSON lines between the daemon and its clients (the session
//! agent, `keymapd status`/`reload`/`listen`). Pure: types, encoding, and a line decoder that is fed
//! bytes and hands out whole lines; the sockets live elsewhere. See docs/protocol.md.
//!
//! Every message is one JSON object on one line, tagged by `"type"`. The first line each side
//! sends is a `hello` carrying [`VERSION`]; a peer speaking another version gets an error and is
//! dropped. No line may be longer than [`MAX_LINE`] bytes (the newline excluded).

use serde::{Deserialize, Serialize};

/// The protocol version this build speaks. Bumped on any change an older peer would misread.
/// 2: the daemon sends `run` to agents (they run `command()` in the session) and `status` has
/// `agents`.
pub const VERSION: u32 = 2;

/// The oldest version the daemon still serves: a version-1 peer gets version-1 answers (no
/// `run`, no `agents` in `status`).
pub const MIN_VERSION: u32 = 1;

/// The longest line either side accepts, in bytes, without its newline.
pub const MAX_LINE: usize = 64 * 1024;

/// Where the daemon listens (its systemd unit's RuntimeDirectory).
pub const SOCKET_PATH: &str = "/run/keymapd/control.sock";

/// The focused window as the agent reports it: Wayland `app_id` or X11 `WM_CLASS` class, and title.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub app_id: String,
    pub title: String,
}

/// Who is speaking: the session agent (reports focus, may run commands) or a command-line client.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Agent,
    Client,
}

/// What a client sends to the daemon.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum ClientMessage {
    /// The first line: the version spoken and the role.
    Hello { version: u32, role: Role },
    /// Agent only: the focused window changed; `null` when nothing is focused.
    Focus { window: Option<Window> },
    /// Answered by one `status` line.
    Status,
    /// Re-read the profiles; answered by one `reloaded` line once the new set is applied or refused.
    Reload,
    /// From now on the connection receives events (`layer`, `focus`, `device`, `reloaded`).
    Listen,
    /// Agent only: the outcome of a `run` the daemon sent: `ok` once the command started.
    Ran { id: u64, ok: bool, error: Option<String> },
}

/// One grabbed keyboard, as `status` shows it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub path: String,
    pub id: String,
    pub name: String,
    pub profile: String,
    /// Active layers, most recently activated first.
    pub layers: Vec<String>,
}

/// The daemon's state, the answer to `status`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Status {
    pub devices: Vec<Device>,
    pub profiles: Vec<String>,
    pub focus: Option<Window>,
    /// Whether a session agent is connected.
    pub agent: bool,
    /// The connected session agents (version 2; absent for a version-1 client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents: Option<Vec<Agent>>,
}

/// A connected session agent, as `status` shows it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    pub uid: u32,
    pub pid: u32,
    /// The protocol version it spoke (1: it does not run commands).
    pub version: u32,
    /// Whether `command()` actions go to this agent now (the active user's agent that reported
    /// the focus last, else the one connected last).
    pub commands: bool,
}

/// A device event's kind.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChange {
    Grabbed,
    Released,
}

/// What the daemon sends to a client.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum DaemonMessage {
    /// The first line: the version the daemon speaks.
    Hello { version: u32 },
    /// The answer to `status`.
    Status(Status),
    /// The answer to `reload`, and the `reload` event: `errors` are `path:line:col: …` lines.
    Reloaded { ok: bool, errors: Vec<String> },
    /// Event: a device's active layers changed (most recently activated first).
    Layer { device: String, layers: Vec<String> },
    /// Event: the focused window changed.
    Focus { window: Option<Window> },
    /// Event: a keyboard was grabbed or released.
    Device { change: DeviceChange, path: String, name: String, profile: Option<String> },
    /// To an agent of version 2: run a profile's `command()` in the session (`sh -c COMMAND`).
    Run { id: u64, command: String },
    /// A request was refused or a line was bad; after a protocol error the daemon closes.
    Error { message: String },
}

/// Why a line could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("line longer than {MAX_LINE} bytes")]
    TooLong,
    #[error("line is not UTF-8")]
    NotUtf8,
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("expected hello first, got `{0}`")]
    NoHello(String),
    #[error("unsupported protocol version {0} (this keymapd speaks {MIN_VERSION} to {VERSION})")]
    Version(u32),
}

/// One message as a line, newline included.
pub fn encode<T: Serialize>(msg: &T) -> String {
    // Serializing these types cannot fail (string keys, no non-finite floats); fall back to an
    // error line rather than panic all the same.
    let mut s = serde_json::to_string(msg)
        .unwrap_or_else(|e| format!(r#"{{"type":"error","message":"encode: {e}"}}"#));
    s.push('\n');
    s
}

fn decode<'a, T: Deserialize<'a>>(line: &'a str) -> Result<T, ProtocolError> {
    if line.len() > MAX_LINE {
        return Err(ProtocolError::TooLong);
    }
    serde_json::from_str(line).map_err(|e| ProtocolError::Malformed(e.to_string()))
}

/// Parses a line a client sent.
pub fn parse_client(line: &str) -> Result<ClientMessage, ProtocolError> {
    decode(line)
}

/// Parses a line the daemon sent.
pub fn parse_daemon(line: &str) -> Result<DaemonMessage, ProtocolError> {
    decode(line)
}

/// Checks a client's first line: a hello of a version the daemon serves
/// ([`MIN_VERSION`]..=[`VERSION`]); returns its role and version.
pub fn expect_client_hello(line: &str) -> Result<(Role, u32), ProtocolError> {
    match parse_client(line)? {
        ClientMessage::Hello { version, role } if (MIN_VERSION..=VERSION).contains(&version) => {
            Ok((role, version))
        }
        ClientMessage::Hello { version, .. } => Err(ProtocolError::Version(version)),
        _ => Err(ProtocolError::NoHello(line.chars().take(80).collect())),
    }
}

/// Checks the daemon's first line: a hello of this version (an `error` line is passed on as such).
pub fn expect_daemon_hello(line: &str) -> Result<(), ProtocolError> {
    match parse_daemon(line)? {
        DaemonMessage::Hello { version: VERSION } => Ok(()),
        DaemonMessage::Hello { version } => Err(ProtocolError::Version(version)),
        DaemonMessage::Error { message } => Err(ProtocolError::Malformed(message)),
        _ => Err(ProtocolError::NoHello(line.chars().take(80).collect())),
    }
}

/// Splits a byte stream into lines. Fed whatever a read returned; hands out each whole line
/// (without its newline, a trailing `\r` kept as data). A line growing past [`MAX_LINE`] is an
/// error as soon as that is known, without buffering more than `MAX_LINE + 1` bytes of it; the
/// stream cannot be resynchronised after that, so the caller drops the peer.
#[derive(Debug, Default)]
pub struct LineDecoder {
    buf: Vec<u8>,
    /// Bytes of `buf` already handed out as lines.
    start: usize,
    failed: bool,
}

impl LineDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends bytes read from the peer.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.failed {
            return;
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
        // Never hold more of an unfinished line than it takes to know it is too long.
        let tail = self.buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        self.buf.truncate(tail + (self.buf.len() - tail).min(MAX_LINE + 1));
    }

    /// The next whole line, if one is buffered; `Err` once the stream is unusable.
    pub fn next_line(&mut self) -> Option<Result<String, ProtocolError>> {
        if self.failed {
            return Some(Err(ProtocolError::TooLong));
        }
        let rest = &self.buf[self.start..];
        match rest.iter().position(|&b| b == b'\n') {
            Some(n) if n > MAX_LINE => self.fail(),
            Some(n) => {
                let line = String::from_utf8(rest[..n].to_vec());
                self.start += n + 1;
                Some(line.map_err(|_| ProtocolError::NotUtf8))
            }
            None if rest.len() > MAX_LINE => self.fail(),
            None => None,
        }
    }

    fn fail(&mut self) -> Option<Result<String, ProtocolError>> {
        self.failed = true;
        self.buf = Vec::new();
        self.start = 0;
        Some(Err(ProtocolError::TooLong))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(app: &str, title: &str) -> Option<Window> {
        Some(Window { app_id: app.into(), title: title.into() })
    }

    #[test]
    fn client_messages_round_trip() {
        let all = [
            ClientMessage::Hello { version: VERSION, role: Role::Agent },
            ClientMessage::Hello { version: VERSION, role: Role::Client },
            ClientMessage::Focus { window: window("org.gnome.Terminal", "~ — bash\t\"x\"") },
            ClientMessage::Focus { window: None },
            ClientMessage::Status,
            ClientMessage::Reload,
            ClientMessage::Listen,
            ClientMessage::Ran { id: 7, ok: false, error: Some("exit status 1".into()) },
        ];
        for msg in all {
            let line = encode(&msg);
            assert!(line.ends_with('\n') && !line[..line.len() - 1].contains('\n'), "{line}");
            assert_eq!(parse_client(line.trim_end()), Ok(msg), "{line}");
        }
    }

    #[test]
    fn daemon_messages_round_trip() {
        let status = Status {
            devices: vec![Device {
                path: "/dev/input/event3".into(),
                id: "046d:c52b".into(),
                name: "Logitech USB Receiver".into(),
                profile: "usb-keyboard".into(),
                layers: vec!["meta".into(), "app:foot".into()],
            }],
            profiles: vec!["usb-keyboard".into()],
            focus: window("foot", "vim"),
            agent: true,
            agents: Some(vec![Agent { uid: 1000, pid: 4321, version: 2, commands: true }]),
        };
        // A version-1 status has no `agents`, and reads back as such.
        let v1 = Status { agents: None, ..status.clone() };
        assert!(!encode(&DaemonMessage::Status(v1.clone())).contains("agents"));
        assert_eq!(
            parse_daemon(encode(&DaemonMessage::Status(v1.clone())).trim_end()),
            Ok(DaemonMessage::Status(v1))
        );
        let all = [
            DaemonMessage::Hello { version: VERSION },
            DaemonMessage::Status(status),
            DaemonMessage::Reloaded { ok: false, errors: vec!["a.toml:1:1: error: x".into()] },
            DaemonMessage::Layer { device: "/dev/input/event3".into(), layers: vec!["nav".into()] },
            DaemonMessage::Focus { window: None },
            DaemonMessage::Device {
                change: DeviceChange::Grabbed,
                path: "/dev/input/event3".into(),
                name: "kb".into(),
                profile: Some("usb-keyboard".into()),
            },
            DaemonMessage::Run { id: 1, command: "notify-send hi".into() },
            DaemonMessage::Error { message: "permission denied".into() },
        ];
        for msg in all {
            let line = encode(&msg);
            assert_eq!(parse_daemon(line.trim_end()), Ok(msg), "{line}");
        }
    }

    #[test]
    fn the_wire_form_is_the_documented_one() {
        // docs/protocol.md shows these lines; a change here is a protocol change.
        assert_eq!(
            encode(&ClientMessage::Hello { version: 1, role: Role::Agent }),
            "{\"type\":\"hello\",\"version\":1,\"role\":\"agent\"}\n"
        );
        assert_eq!(
            encode(&ClientMessage::Focus { window: window("foot", "~") }),
            "{\"type\":\"focus\",\"window\":{\"app_id\":\"foot\",\"title\":\"~\"}}\n"
        );
        assert_eq!(encode(&ClientMessage::Focus { window: None }), "{\"type\":\"focus\",\"window\":null}\n");
        assert_eq!(encode(&ClientMessage::Status), "{\"type\":\"status\"}\n");
        assert_eq!(encode(&DaemonMessage::Hello { version: 1 }), "{\"type\":\"hello\",\"version\":1}\n");
        assert_eq!(
            encode(&DaemonMessage::Run { id: 7, command: "notify-send hi".into() }),
            "{\"type\":\"run\",\"id\":7,\"command\":\"notify-send hi\"}\n"
        );
        assert_eq!(
            encode(&ClientMessage::Ran { id: 7, ok: true, error: None }),
            "{\"type\":\"ran\",\"id\":7,\"ok\":true,\"error\":null}\n"
        );
        assert_eq!(
            encode(&Agent { uid: 1000, pid: 321, version: 2, commands: true }),
            "{\"uid\":1000,\"pid\":321,\"version\":2,\"commands\":true}\n"
        );
    }

    #[test]
    fn malformed_runs_are_errors_not_panics() {
        for line in [
            "{\"type\":\"run\"}",
            "{\"type\":\"run\",\"id\":-1,\"command\":\"x\"}",
            "{\"type\":\"run\",\"id\":1}",
            "{\"type\":\"run\",\"id\":1,\"command\":7}",
            "{\"type\":\"run\",\"id\":1,\"command\":\"x\",\"as\":\"root\"}",
            "{\"type\":\"run\",\"id\":18446744073709551616,\"command\":\"x\"}",
        ] {
            assert!(matches!(parse_daemon(line), Err(ProtocolError::Malformed(_))), "{line}");
        }
    }

    #[test]
    fn malformed_lines_are_errors_not_panics() {
        for line in [
            "",
            "{",
            "null",
            "[]",
            "{\"type\":\"nope\"}",
            "{\"version\":1}",
            "{\"type\":\"focus\",\"window\":{\"app_id\":\"a\"}}",
            "{\"type\":\"focus\",\"window\":null,\"extra\":1}",
            "{\"type\":\"hello\",\"version\":-1,\"role\":\"agent\"}",
            "{\"type\":\"hello\",\"version\":1,\"role\":\"root\"}",
        ] {
            assert!(
                matches!(parse_client(line), Err(ProtocolError::Malformed(_))),
                "{line:?} -> {:?}",
                parse_client(line)
            );
        }
    }

    #[test]
    fn an_absent_window_is_no_window() {
        assert_eq!(parse_client("{\"type\":\"focus\"}"), Ok(ClientMessage::Focus { window: None }));
    }

    #[test]
    fn the_hello_comes_first_and_names_this_version() {
        assert_eq!(
            expect_client_hello("{\"type\":\"hello\",\"version\":1,\"role\":\"agent\"}"),
            Ok((Role::Agent, 1))
        );
        assert_eq!(
            expect_client_hello("{\"type\":\"hello\",\"version\":2,\"role\":\"agent\"}"),
            Ok((Role::Agent, 2))
        );
        assert_eq!(
            expect_client_hello("{\"type\":\"hello\",\"version\":3,\"role\":\"client\"}"),
            Err(ProtocolError::Version(3))
        );
        assert_eq!(
            expect_client_hello("{\"type\":\"hello\",\"version\":0,\"role\":\"client\"}"),
            Err(ProtocolError::Version(0))
        );
        assert!(matches!(expect_client_hello("{\"type\":\"status\"}"), Err(ProtocolError::NoHello(_))));
        assert_eq!(expect_daemon_hello("{\"type\":\"hello\",\"version\":2}"), Ok(()));
        // A client of this version takes no other answer (the daemon answers in the client's).
        assert_eq!(expect_daemon_hello("{\"type\":\"hello\",\"version\":1}"), Err(ProtocolError::Version(1)));
        assert_eq!(expect_daemon_hello("{\"type\":\"hello\",\"version\":9}"), Err(ProtocolError::Version(9)));
        assert_eq!(
            expect_daemon_hello("{\"type\":\"error\",\"message\":\"permission denied\"}"),
            Err(ProtocolError::Malformed("permission denied".into()))
        );
        assert_eq!(
            ProtocolError::Version(3).to_string(),
            "unsupported protocol version 3 (this keymapd speaks 1 to 2)"
        );
    }

    #[test]
    fn the_decoder_splits_lines_across_reads() {
        let mut d = LineDecoder::new();
        d.feed(b"{\"type\":\"st");
        assert_eq!(d.next_line(), None);
        d.feed(b"atus\"}\n{\"type\":\"reload\"}\n{\"ty");
        assert_eq!(d.next_line(), Some(Ok("{\"type\":\"status\"}".into())));
        assert_eq!(d.next_line(), Some(Ok("{\"type\":\"reload\"}".into())));
        assert_eq!(d.next_line(), None);
        d.feed(b"pe\":\"listen\"}\n");
        assert_eq!(d.next_line(), Some(Ok("{\"type\":\"listen\"}".into())));
        assert_eq!(d.next_line(), None);
    }

    #[test]
    fn a_line_of_exactly_the_limit_passes_one_more_byte_fails() {
        let mut d = LineDecoder::new();
        let mut ok = vec![b'x'; MAX_LINE];
        ok.push(b'\n');
        d.feed(&ok);
        assert_eq!(d.next_line().map(|l| l.map(|s| s.len())), Some(Ok(MAX_LINE)));

        let mut d = LineDecoder::new();
        let mut long = vec![b'x'; MAX_LINE + 1];
        long.push(b'\n');
        d.feed(&long);
        assert_eq!(d.next_line(), Some(Err(ProtocolError::TooLong)));
        // The stream stays failed: nothing after it is trusted.
        d.feed(b"{\"type\":\"status\"}\n");
        assert_eq!(d.next_line(), Some(Err(ProtocolError::TooLong)));
    }

    #[test]
    fn an_endless_line_fails_early_and_buffers_little() {
        let mut d = LineDecoder::new();
        let chunk = vec![b'a'; 4096];
        let mut fed = 0;
        loop {
            d.feed(&chunk);
            fed += chunk.len();
            assert!(d.buf.len() <= MAX_LINE + 1, "buffered {}", d.buf.len());
            if let Some(r) = d.next_line() {
                assert_eq!(r, Err(ProtocolError::TooLong));
                break;
            }
            assert!(fed <= MAX_LINE + chunk.len(), "no error after {fed} bytes");
        }
        // One huge read is capped too.
        let mut d = LineDecoder::new();
        d.feed(&vec![b'a'; 10 * MAX_LINE]);
        assert!(d.buf.len() <= MAX_LINE + 1);
        assert_eq!(d.next_line(), Some(Err(ProtocolError::TooLong)));
    }

    #[test]
    fn oversized_and_non_utf8_lines() {
        let long = format!(
            "{{\"type\":\"focus\",\"window\":{{\"app_id\":\"{}\",\"title\":\"\"}}}}",
            "a".repeat(MAX_LINE)
        );
        assert_eq!(parse_client(&long), Err(ProtocolError::TooLong));
        let mut d = LineDecoder::new();
        d.feed(b"\xff\xfe\n{\"type\":\"status\"}\n");
        assert_eq!(d.next_line(), Some(Err(ProtocolError::NotUtf8)));
        assert_eq!(d.next_line(), Some(Ok("{\"type\":\"status\"}".into())));
    }
}
