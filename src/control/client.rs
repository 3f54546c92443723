//! The command-line side of the control socket: `keymapd status`, `reload` and `listen`.
//! Blocking, one connection each; every failure is a one-line message for the user.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use super::protocol::{self, ClientMessage, DaemonMessage, ProtocolError, Role, Status, VERSION};

/// How long `status` and `reload` wait for the daemon's answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection past the handshake.
pub struct Client {
    stream: UnixStream,
    reader: BufReader<UnixStream>,
}

/// The message for a daemon's refusal.
fn refused(message: &str, path: &Path) -> String {
    if message == "permission denied" {
        format!(
            "{}: permission denied: keymapd serves root and the user of the active session on the seat",
            path.display()
        )
    } else {
        format!("the daemon refused the connection: {message}")
    }
}

impl Client {
    /// Connects and says hello; the error says whether the daemon is not running or refused.
    pub fn connect(path: &Path) -> Result<Client, String> {
        let stream = UnixStream::connect(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => format!(
                "keymapd is not running (no control socket at {}); start it with `systemctl start keymapd`",
                path.display()
            ),
            std::io::ErrorKind::PermissionDenied => format!("{}: permission denied", path.display()),
            _ => format!("{}: {e}", path.display()),
        })?;
        let _ = stream.set_read_timeout(Some(ANSWER_TIMEOUT));
        let reader = BufReader::new(stream.try_clone().map_err(|e| e.to_string())?);
        let mut c = Client { stream, reader };
        // The daemon may refuse before reading the hello: its error is read even if the write fails.
        let sent = c.send(&ClientMessage::Hello { version: VERSION, role: Role::Client });
        match c.read_line()? {
            None => Err(sent.err().unwrap_or_else(|| "the daemon closed the connection".into())),
            Some(line) => match protocol::expect_daemon_hello(&line) {
                Ok(()) => Ok(c),
                Err(ProtocolError::Malformed(m)) if line.contains("\"error\"") => Err(refused(&m, path)),
                Err(e) => Err(format!("the daemon answered the hello with: {e}")),
            },
        }
    }

    pub fn send(&mut self, msg: &ClientMessage) -> Result<(), String> {
        self.stream
            .write_all(protocol::encode(msg).as_bytes())
            .map_err(|e| format!("writing to the daemon: {e}"))
    }

    /// The next line; `None` at the end of the stream.
    pub fn read_line(&mut self) -> Result<Option<String>, String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(line.trim_end_matches('\n').to_owned())),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                Err(format!("no answer from the daemon in {} s", ANSWER_TIMEOUT.as_secs()))
            }
            Err(e) => Err(format!("reading from the daemon: {e}")),
        }
    }

    /// The next message, events skipped until `want` says yes; an `error` line is an error.
    fn answer(&mut self, want: impl Fn(&DaemonMessage) -> bool) -> Result<DaemonMessage, String> {
        loop {
            let Some(line) = self.read_line()? else {
                return Err("the daemon closed the connection before answering".into());
            };
            match protocol::parse_daemon(&line) {
                Ok(DaemonMessage::Error { message }) => return Err(format!("the daemon said: {message}")),
                Ok(m) if want(&m) => return Ok(m),
                Ok(_) => {}
                Err(e) => return Err(format!("the daemon sent a line this keymapd does not read: {e}")),
            }
        }
    }

    pub fn status(&mut self) -> Result<Status, String> {
        self.send(&ClientMessage::Status)?;
        match self.answer(|m| matches!(m, DaemonMessage::Status(_)))? {
            DaemonMessage::Status(s) => Ok(s),
            _ => unreachable!("answer returns what it was asked for"),
        }
    }

    /// Asks for a reload and waits for its outcome: the error lines of a refused set.
    pub fn reload(&mut self) -> Result<Vec<String>, String> {
        self.send(&ClientMessage::Reload)?;
        match self.answer(|m| matches!(m, DaemonMessage::Reloaded { .. }))? {
            DaemonMessage::Reloaded { errors, .. } => Ok(errors),
            _ => unreachable!("answer returns what it was asked for"),
        }
    }

    /// Streams events to `out`, one line each as the daemon sent it, until the daemon goes.
    pub fn listen(mut self, out: &mut impl Write) -> Result<(), String> {
        self.send(&ClientMessage::Listen)?;
        let _ = self.stream.set_read_timeout(None);
        while let Some(line) = self.read_line()? {
            if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                return Ok(()); // the reader went away (a status bar restarting): done
            }
        }
        Err("the daemon closed the connection (it stopped or restarted)".into())
    }
}

/// `keymapd status` as text.
pub fn format_status(s: &Status) -> String {
    let mut out = String::new();
    if s.devices.is_empty() {
        out.push_str("devices: none grabbed\n");
    }
    for d in &s.devices {
        let layers = if d.layers.is_empty() { "-".to_owned() } else { d.layers.join(", ") };
        out.push_str(&format!(
            "device {}  {} {}\n  profile {}, layers: {}\n",
            d.path, d.id, d.name, d.profile, layers
        ));
    }
    let profiles = if s.profiles.is_empty() { "none".to_owned() } else { s.profiles.join(", ") };
    out.push_str(&format!("profiles: {profiles}\n"));
    match &s.focus {
        Some(w) => out.push_str(&format!("focus: {}\t{}\n", w.app_id, w.title)),
        None => out.push_str("focus: none\n"),
    }
    match s.agents.as_deref() {
        Some([]) => out.push_str("session agent: not connected\n"),
        Some(agents) => {
            for a in agents {
                let does = match (a.commands, a.version >= 2) {
                    (true, _) => "runs command() actions",
                    (false, true) => "reports focus; command() actions go to another agent",
                    (false, false) => "reports focus; too old to run command() actions",
                };
                out.push_str(&format!("session agent: connected (uid {}, pid {}): {does}\n", a.uid, a.pid));
            }
        }
        None if s.agent => out.push_str("session agent: connected\n"),
        None => out.push_str("session agent: not connected\n"),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::protocol::{Agent, Device, Window};

    #[test]
    fn status_text_names_devices_layers_profiles_and_focus() {
        let s = Status {
            devices: vec![Device {
                path: "/dev/input/event3".into(),
                id: "046d:c31c".into(),
                name: "Logitech K120".into(),
                profile: "kb".into(),
                layers: vec!["nav".into(), "meta".into()],
            }],
            profiles: vec!["kb".into(), "laptop".into()],
            focus: Some(Window { app_id: "foot".into(), title: "~".into() }),
            agent: true,
            agents: None,
        };
        assert_eq!(
            format_status(&s),
            "device /dev/input/event3  046d:c31c Logitech K120\n  profile kb, layers: nav, meta\n\
             profiles: kb, laptop\nfocus: foot\t~\nsession agent: connected\n"
        );
        let empty = Status { devices: vec![], profiles: vec![], focus: None, agent: false, agents: None };
        assert_eq!(
            format_status(&empty),
            "devices: none grabbed\nprofiles: none\nfocus: none\nsession agent: not connected\n"
        );
        let none = Status { agents: Some(vec![]), ..empty.clone() };
        assert_eq!(format_status(&none), format_status(&empty));
    }

    #[test]
    fn status_text_names_each_agent_and_which_runs_commands() {
        let agent = |uid, pid, version, commands| Agent { uid, pid, version, commands };
        let s = Status {
            devices: vec![],
            profiles: vec![],
            focus: None,
            agent: true,
            agents: Some(vec![
                agent(1000, 321, 2, true),
                agent(1000, 400, 2, false),
                agent(1000, 9, 1, false),
            ]),
        };
        assert_eq!(
            format_status(&s),
            "devices: none grabbed\nprofiles: none\nfocus: none\n\
             session agent: connected (uid 1000, pid 321): runs command() actions\n\
             session agent: connected (uid 1000, pid 400): reports focus; command() actions go to another agent\n\
             session agent: connected (uid 1000, pid 9): reports focus; too old to run command() actions\n"
        );
    }

    #[test]
    fn no_daemon_is_said_plainly() {
        let Err(e) = Client::connect(Path::new("/nonexistent/keymapd/control.sock")) else {
            panic!("connected")
        };
        assert!(e.starts_with("keymapd is not running (no control socket at /nonexistent/"), "{e}");
    }

    #[test]
    fn a_refusal_names_who_is_served() {
        assert_eq!(
            refused("permission denied", Path::new("/run/keymapd/control.sock")),
            "/run/keymapd/control.sock: permission denied: keymapd serves root and the user of the active session on the seat"
        );
    }
}
