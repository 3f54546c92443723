//! The session agent's link to the daemon: it waits for the socket to appear (inotify), says
//! hello, sends the latest focus, reports each change, comes back after the daemon restarts, and
//! runs the commands the daemon sends (the real `keymapd session`, with no desktop). A plain
//! listener speaking the protocol stands in for the daemon, so each step is seen on the wire; the
//! real daemon and agent together are VM 77 and 78 (tests/vm/scenarios).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use keymapd::control::protocol::{self, ClientMessage, DaemonMessage, Role, Window};
use keymapd::session::{self, Focus};

fn focus(app: &str, title: &str) -> Option<Focus> {
    Some(Focus { app_id: app.into(), title: title.into() })
}

fn window(app: &str, title: &str) -> Option<Window> {
    Some(Window { app_id: app.into(), title: title.into() })
}

/// Accepts one agent; reads its hello; answers with `reply` (the daemon's hello, or a refusal).
fn accept(listener: &UnixListener, reply: &DaemonMessage) -> (UnixStream, BufReader<UnixStream>) {
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    assert_eq!(read(&mut reader), ClientMessage::Hello { version: protocol::VERSION, role: Role::Agent });
    conn.write_all(protocol::encode(reply).as_bytes()).unwrap();
    (conn, reader)
}

fn read(reader: &mut BufReader<UnixStream>) -> ClientMessage {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    protocol::parse_client(line.trim_end()).unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

/// Binds `socket` as the daemon does: bind and listen, then chmod (0666). The chmod after
/// listen() matters: an agent woken by the socket's creation may knock between bind and listen
/// and be refused; it tries again on the chmod's ATTRIB event.
fn bind(socket: &Path) -> UnixListener {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::remove_file(socket);
    std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
    let listener = UnixListener::bind(socket).unwrap();
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    listener
}

/// Waits until the agent's daemon-link thread is asleep: having found no daemon, it blocks (on
/// inotify). Binding the socket only then makes the test see the agent wake up for it, rather
/// than find the socket already there on its first try.
fn until_the_link_sleeps() {
    loop {
        for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            // `pid (comm) S …`: the state follows the closing parenthesis.
            let state = stat.rsplit_once(") ").map(|(_, rest)| rest.starts_with('S'));
            if comm.trim_end() == "daemon-link" && state == Some(true) {
                return;
            }
        }
        std::thread::yield_now();
    }
}

/// Runs `body` on a thread; fails (rather than hangs) if it does not finish in time.
fn within(secs: u64, body: impl FnOnce() + Send + 'static) {
    let (done, finished) = mpsc::channel();
    let t = std::thread::spawn(move || {
        body();
        let _ = done.send(());
    });
    match finished.recv_timeout(Duration::from_secs(secs)) {
        Ok(()) => t.join().unwrap(),
        Err(_) if t.is_finished() => t.join().unwrap(), // it panicked: show why
        Err(_) => panic!("the agent did not do it within {secs} s"),
    }
}

#[test]
fn the_agent_waits_for_the_daemon_reports_focus_and_reconnects_after_a_restart() {
    within(60, || {
        let tmp = std::env::temp_dir().join(format!("keymapd-session-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).unwrap();
        // Neither the runtime directory nor its parent exist yet: systemd creates the first when
        // the daemon starts.
        let socket = tmp.join("run").join("keymapd").join("control.sock");

        let (tx, rx) = mpsc::channel::<Option<Focus>>();
        let agent_socket = socket.clone();
        std::thread::spawn(move || {
            // The backend: each focus the test sends, reported in turn; ends when the test does.
            let watch = |report: &mut dyn FnMut(Option<Focus>)| {
                for f in rx {
                    report(f);
                }
                Ok(())
            };
            session::agent(&agent_socket, watch)
        });

        // Focus reported with no daemon: kept, sent as soon as the daemon is there.
        tx.send(focus("foot", "one")).unwrap();
        tx.send(focus("foot", "two")).unwrap();
        let hello = DaemonMessage::Hello { version: protocol::VERSION };
        until_the_link_sleeps();
        let listener = bind(&socket);
        let (conn, mut reader) = accept(&listener, &hello);
        assert_eq!(read(&mut reader), ClientMessage::Focus { window: window("foot", "two") });

        // Changes go out one by one; a repeat is no change.
        tx.send(focus("firefox", "docs")).unwrap();
        tx.send(focus("firefox", "docs")).unwrap();
        tx.send(None).unwrap();
        assert_eq!(read(&mut reader), ClientMessage::Focus { window: window("firefox", "docs") });
        assert_eq!(read(&mut reader), ClientMessage::Focus { window: None });

        // The daemon restarts: its socket and runtime directory go, the agent notices, they come
        // back.
        drop(conn);
        drop(reader);
        drop(listener);
        std::fs::remove_dir_all(socket.parent().unwrap()).unwrap();
        tx.send(focus("xterm", "while away")).unwrap();
        until_the_link_sleeps();
        let listener = bind(&socket);
        let (_conn, mut reader) = accept(&listener, &hello);
        assert_eq!(read(&mut reader), ClientMessage::Focus { window: window("xterm", "while away") });
        tx.send(focus("foot", "back")).unwrap();
        assert_eq!(read(&mut reader), ClientMessage::Focus { window: window("foot", "back") });
        drop(tx);
        let _ = std::fs::remove_dir_all(&tmp);
    });
}

#[test]
fn a_refused_agent_waits_for_a_new_socket_before_knocking_again() {
    within(60, || {
        let tmp = std::env::temp_dir().join(format!("keymapd-session-refused-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let socket = tmp.join("control.sock");
        let listener = bind(&socket);

        let (tx, rx) = mpsc::channel::<Option<Focus>>();
        let agent_socket = socket.clone();
        std::thread::spawn(move || {
            let watch = |report: &mut dyn FnMut(Option<Focus>)| {
                for f in rx {
                    report(f);
                }
                Ok(())
            };
            session::agent(&agent_socket, watch)
        });
        tx.send(focus("foot", "one")).unwrap();
        // A daemon of another version refuses the agent.
        let (conn, mut reader) = accept(&listener, &DaemonMessage::Hello { version: protocol::VERSION + 1 });
        let mut rest = String::new();
        // The agent hangs up without sending its focus to a daemon it does not speak with.
        std::io::Read::read_to_string(reader.get_mut(), &mut rest).unwrap();
        assert_eq!(rest, "");
        drop(conn);
        // It does not knock again on the same socket: the listener stays unconnected while the
        // test opens its own connection and finds itself first in the queue.
        let probe = UnixStream::connect(&socket).unwrap();
        let (first, _) = listener.accept().unwrap();
        // The probe sends nothing; an agent would have sent its hello at once (this bound only
        // makes a wrong pass less likely, never a right one fail).
        first.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let mut buf = [0u8; 1];
        let got = std::io::Read::read(&mut &first, &mut buf);
        assert!(got.is_err(), "the first connection after the refusal spoke: {got:?}");
        drop((probe, first, listener));

        // The daemon restarts (a new socket): now the agent connects again.
        let listener = bind(&socket);
        let (_conn, mut reader) = accept(&listener, &DaemonMessage::Hello { version: protocol::VERSION });
        assert_eq!(read(&mut reader), ClientMessage::Focus { window: window("foot", "one") });
        drop(tx);
        let _ = std::fs::remove_dir_all(&tmp);
    });
}

/// The real `keymapd session` with no desktop in its environment: it still connects, runs the
/// `run`s it is sent with its own environment, answers each, ignores malformed lines without
/// losing the connection, and reaps what it ran.
#[test]
fn an_agent_without_a_desktop_connects_and_runs_commands_in_its_environment() {
    within(60, || {
        let tmp = std::env::temp_dir().join(format!("keymapd-session-run-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let socket = tmp.join("control.sock");
        let listener = bind(&socket);
        let mut agent = std::process::Command::new(env!("CARGO_BIN_EXE_keymapd"))
            .args(["session", "--socket"])
            .arg(&socket)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("SWAYSOCK")
            .env("KEYMAPD_AGENT_MARK", "only-in-the-agent")
            .env("RUST_LOG", "info")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let (mut conn, mut reader) = accept(&listener, &DaemonMessage::Hello { version: protocol::VERSION });
        let out = tmp.join("ran");
        // Garbage first: a line that is not UTF-8, one that is not JSON, an unknown type, a `run`
        // without its command. All are ignored; the connection stays.
        conn.write_all(b"\xff\xfe\nnot json\n{\"type\":\"nope\"}\n{\"type\":\"run\",\"id\":1}\n").unwrap();
        let run = DaemonMessage::Run {
            id: 2,
            command: format!("echo \"$(id -u) $KEYMAPD_AGENT_MARK $(cat)\" > {}; exit 3", out.display()),
        };
        conn.write_all(protocol::encode(&run).as_bytes()).unwrap();
        assert_eq!(read(&mut reader), ClientMessage::Ran { id: 2, ok: true, error: None });
        let uid = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m)).unwrap();
        let want = format!("{uid} only-in-the-agent \n");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(&out).ok().as_deref() != Some(want.as_str()) {
            assert!(
                std::time::Instant::now() < deadline,
                "{}: {:?}",
                out.display(),
                std::fs::read_to_string(&out)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // The command (it exited 3) is reaped: no zombie child of the agent stays.
        let zombies = || {
            std::fs::read_dir("/proc")
                .unwrap()
                .flatten()
                .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
                .filter(|stat| {
                    let rest = stat.rsplit_once(") ").map(|(_, r)| r.to_owned()).unwrap_or_default();
                    let mut f = rest.split(' ');
                    f.next() == Some("Z") && f.next() == Some(agent.id().to_string().as_str())
                })
                .count()
        };
        while zombies() > 0 {
            assert!(std::time::Instant::now() < deadline, "a command of the agent stays a zombie");
            std::thread::sleep(Duration::from_millis(20));
        }
        // Still connected and serving: a second command is answered.
        let run = DaemonMessage::Run { id: 3, command: "true".into() };
        conn.write_all(protocol::encode(&run).as_bytes()).unwrap();
        assert_eq!(read(&mut reader), ClientMessage::Ran { id: 3, ok: true, error: None });
        agent.kill().unwrap();
        let output = agent.wait_with_output().unwrap();
        let log = String::from_utf8_lossy(&output.stderr);
        assert_eq!(log.matches("no desktop detected").count(), 1, "{log}");
        assert!(log.contains("does not understand"), "{log}");
        assert!(log.contains("command #2 failed: exit status: 3"), "{log}");
        let _ = std::fs::remove_dir_all(&tmp);
    });
}
