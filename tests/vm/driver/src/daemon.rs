//! The daemon under test: spawning `keymapd run`, its sd_notify socket, its log.

use std::collections::VecDeque;
use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// A user from /etc/passwd with the groups /etc/group gives it.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    pub home: String,
}

fn passwd_lines(path: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split(':').map(|s| s.to_string()).collect())
        .collect()
}

pub fn lookup_user(name: &str) -> Result<User, String> {
    let p = passwd_lines("/etc/passwd")
        .into_iter()
        .find(|f| f.len() >= 7 && f[0] == name)
        .ok_or_else(|| format!("no user `{name}` in /etc/passwd"))?;
    let uid = p[2].parse().map_err(|_| format!("bad uid for {name}"))?;
    let gid: u32 = p[3].parse().map_err(|_| format!("bad gid for {name}"))?;
    let mut groups = vec![gid];
    for g in passwd_lines("/etc/group") {
        if g.len() >= 4 && g[3].split(',').any(|m| m == name) {
            if let Ok(n) = g[2].parse::<u32>() {
                if !groups.contains(&n) {
                    groups.push(n);
                }
            }
        }
    }
    Ok(User { name: name.to_string(), uid, gid, groups, home: p[5].clone() })
}

pub fn user_name(uid: u32) -> String {
    passwd_lines("/etc/passwd")
        .into_iter()
        .find(|f| f.len() >= 3 && f[2] == uid.to_string())
        .map(|f| f[0].clone())
        .unwrap_or_else(|| uid.to_string())
}

pub fn group_name(gid: u32) -> String {
    passwd_lines("/etc/group")
        .into_iter()
        .find(|f| f.len() >= 3 && f[2] == gid.to_string())
        .map(|f| f[0].clone())
        .unwrap_or_else(|| gid.to_string())
}

/// Makes `cmd` drop to `user` (groups, then gid, then uid) before exec.
pub fn run_as(cmd: &mut Command, user: &User) {
    let groups: Vec<libc::gid_t> = user.groups.clone();
    let (uid, gid) = (user.uid, user.gid);
    cmd.env("HOME", &user.home).env("USER", &user.name).env("LOGNAME", &user.name);
    // SAFETY: only async-signal-safe syscalls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                || libc::setgid(gid) != 0
                || libc::setuid(uid) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Makes this process the reaper of its orphaned descendants, so that
/// `kill_descendants` finds what `run sh -c "… &"` left behind.
pub fn become_subreaper() {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
}

fn parent_of(pid: i32) -> Option<(i32, String)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (head, rest) = stat.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_string();
    let mut f = rest.split_whitespace();
    let state = f.next()?;
    if state == "Z" {
        return None;
    }
    Some((f.next()?.parse().ok()?, comm))
}

/// Kills (SIGKILL) every live process descending from this one and reaps
/// them; prints what it killed. Processes this driver did not start (a
/// system service) are never touched.
pub fn kill_descendants() {
    let me = std::process::id() as i32;
    for _round in 0..3 {
        let mut victims = Vec::new();
        if let Ok(rd) = std::fs::read_dir("/proc") {
            for e in rd.flatten() {
                let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
                let Some((_, comm)) = parent_of(pid) else { continue };
                let mut p = pid;
                for _ in 0..64 {
                    match parent_of(p) {
                        Some((pp, _)) if pp == me => {
                            victims.push((pid, comm.clone()));
                            break;
                        }
                        Some((pp, _)) if pp > 1 => p = pp,
                        _ => break,
                    }
                }
            }
        }
        if victims.is_empty() {
            break;
        }
        for (pid, comm) in &victims {
            println!("    cleanup: killing leftover {comm} (pid {pid})");
            // SAFETY: kill(2) on a descendant of ours.
            unsafe { libc::kill(*pid, libc::SIGKILL) };
        }
        std::thread::sleep(Duration::from_millis(20));
        reap();
    }
    reap();
}

/// Reaps every exited child (orphans handed to us as subreaper).
fn reap() {
    let mut st = 0;
    // SAFETY: waitpid with WNOHANG on any child.
    while unsafe { libc::waitpid(-1, &mut st, libc::WNOHANG) } > 0 {}
}

/// Exit code as a shell would show it: the code, or 128 + the signal.
pub fn status_code(s: &ExitStatus) -> i32 {
    s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0))
}

pub fn describe_status(s: &ExitStatus) -> String {
    match (s.code(), s.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(sig)) => format!("killed by signal {sig} (code {})", 128 + sig),
        _ => "unknown status".into(),
    }
}

/// The notify messages received so far, filled by a thread of their own.
type Notes = Arc<(Mutex<VecDeque<String>>, Condvar)>;

/// Reads the notify socket as long as the daemon may write to it, as systemd does: a datagram
/// socket holds only a few unread messages (net.unix.max_dgram_qlen, 10 by default), and once
/// it is full a daemon's sd_notify blocks, so a daemon that reloads a dozen times while no step
/// waits for its notifications would hang.
fn read_notes(sock: UnixDatagram, notes: Notes, stop: Arc<AtomicBool>) {
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        match sock.recv(&mut buf) {
            Ok(n) => {
                let mut q = notes.0.lock().unwrap_or_else(|p| p.into_inner());
                for l in String::from_utf8_lossy(&buf[..n]).lines() {
                    if !l.is_empty() {
                        q.push_back(l.to_string());
                    }
                }
                notes.1.notify_all();
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

pub struct Daemon {
    child: Child,
    pub log: PathBuf,
    notes: Notes,
    stop_notes: Arc<AtomicBool>,
    note_reader: Option<std::thread::JoinHandle<()>>,
    log_cursor: usize,
    pub status: Option<ExitStatus>,
    pub argv: String,
    /// `dev::coarse_now()` just before it was started.
    pub started: (i64, i64),
}

impl Daemon {
    pub fn spawn(
        dir: &Path,
        conf: &Path,
        args: &[String],
        user: Option<&User>,
        env: &[(String, String)],
        serial: usize,
    ) -> Result<Daemon, String> {
        let sock_path = dir.join(format!("notify-{serial}.sock"));
        let _ = std::fs::remove_file(&sock_path);
        let sock =
            UnixDatagram::bind(&sock_path).map_err(|e| format!("bind {}: {e}", sock_path.display()))?;
        sock.set_read_timeout(Some(Duration::from_millis(50))).map_err(|e| e.to_string())?;
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&sock_path, std::fs::Permissions::from_mode(0o666));
        }
        let log = dir.join(format!("daemon-{serial}.log"));
        let logf = File::create(&log).map_err(|e| format!("create {}: {e}", log.display()))?;
        let logf2 = logf.try_clone().map_err(|e| e.to_string())?;
        let mut cmd = Command::new("keymapd");
        cmd.arg("run").arg("--config").arg(conf).args(args);
        cmd.env("NOTIFY_SOCKET", &sock_path)
            .env("RUST_BACKTRACE", "1")
            .stdin(Stdio::null())
            .stdout(logf)
            .stderr(logf2)
            .current_dir(dir);
        for (k, v) in env {
            cmd.env(k, v);
        }
        if let Some(u) = user {
            run_as(&mut cmd, u);
        }
        let argv = format!(
            "keymapd run --config {} {}{}",
            conf.display(),
            args.join(" "),
            user.map(|u| format!(" (as {})", u.name)).unwrap_or_default()
        );
        let started = crate::dev::coarse_now();
        let child = cmd.spawn().map_err(|e| format!("cannot start `{argv}`: {e}"))?;
        let notes: Notes = Arc::new((Mutex::new(VecDeque::new()), Condvar::new()));
        let stop_notes = Arc::new(AtomicBool::new(false));
        let note_reader = {
            let (notes, stop) = (notes.clone(), stop_notes.clone());
            Some(std::thread::spawn(move || read_notes(sock, notes, stop)))
        };
        Ok(Daemon { child, log, notes, stop_notes, note_reader, log_cursor: 0, status: None, argv, started })
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Has it exited? Reaps it if so.
    pub fn poll_exit(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            if let Ok(Some(s)) = self.child.try_wait() {
                self.status = Some(s);
            }
        }
        self.status
    }

    /// Waits up to `timeout` for the next notify message; None if none came.
    fn next_note(&self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        let mut q = self.notes.0.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(n) = q.pop_front() {
                return Some(n);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            q = self.notes.1.wait_timeout(q, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// Waits for the notify message `text` (e.g. `READY=1`), consuming the
    /// messages before it.
    pub fn wait_note(&mut self, text: &str, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut skipped = Vec::new();
        loop {
            if let Some(n) = self.next_note(Duration::from_millis(20)) {
                if n == text {
                    return Ok(());
                }
                skipped.push(n);
                continue;
            }
            if let Some(s) = self.poll_exit() {
                // Messages sent just before exiting still count: they are in the socket, and
                // the reader takes them out within a few milliseconds.
                while let Some(n) = self.next_note(Duration::from_millis(100)) {
                    if n == text {
                        return Ok(());
                    }
                    skipped.push(n);
                }
                return Err(format!("daemon exited ({}) before sending {text}", describe_status(&s)));
            }
            if Instant::now() >= deadline {
                let seen = if skipped.is_empty() { "nothing".to_string() } else { skipped.join(", ") };
                return Err(format!(
                    "no {text} from the daemon within {} ms (notify socket got: {seen})",
                    timeout.as_millis()
                ));
            }
        }
    }

    pub fn signal(&mut self, sig: i32) -> Result<(), String> {
        if let Some(s) = self.poll_exit() {
            return Err(format!("daemon already exited ({})", describe_status(&s)));
        }
        // SAFETY: plain kill(2) on our own child, not yet reaped.
        if unsafe { libc::kill(self.pid(), sig) } != 0 {
            return Err(format!("kill: {}", std::io::Error::last_os_error()));
        }
        Ok(())
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.poll_exit() {
                return Some(s);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// TERM, then KILL if it has not gone after `grace`.
    pub fn stop(&mut self, grace: Duration) -> ExitStatus {
        if let Some(s) = self.poll_exit() {
            return s;
        }
        let _ = self.signal(libc::SIGTERM);
        if let Some(s) = self.wait_exit(grace) {
            return s;
        }
        let _ = self.child.kill();
        // A child of ours that was just killed can always be waited for.
        #[allow(clippy::expect_used)]
        let s = self.child.wait().expect("wait for killed daemon");
        self.status = Some(s);
        s
    }

    pub fn log_text(&self) -> String {
        std::fs::read(&self.log).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
    }

    /// Waits until the log, past the end of the previous match, contains `text`.
    pub fn wait_log(&mut self, text: &str, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.log_text();
            let from = self.log_cursor.min(log.len());
            if let Some(pos) = log.get(from..).and_then(|rest| rest.find(text)) {
                self.log_cursor = from + pos + text.len();
                return Ok(());
            }
            if Instant::now() >= deadline {
                let why = match self.poll_exit() {
                    Some(s) => format!(" (daemon exited: {})", describe_status(&s)),
                    None => String::new(),
                };
                return Err(format!("daemon log has no \"{text}\" within {} ms{why}", timeout.as_millis()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log_tail(&self, lines: usize) -> Vec<String> {
        let t = self.log_text();
        let all: Vec<&str> = t.lines().collect();
        let start = all.len().saturating_sub(lines);
        all[start..].iter().map(|s| s.to_string()).collect()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(2));
        self.stop_notes.store(true, Ordering::Relaxed);
        if let Some(t) = self.note_reader.take() {
            let _ = t.join();
        }
    }
}
