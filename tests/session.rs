//! The session agent's link to the daemon: it waits for the socket to appear (inotify), says
//! hello, sends the latest focus, reports each change, and comes back after the daemon restarts.
//! The daemon's socket server is not built yet: a plain listener speaking the protocol stands in.

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

fn bind(socket: &Path) -> UnixListener {
    let _ = std::fs::remove_file(socket);
    std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
    UnixListener::bind(socket).unwrap()
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
