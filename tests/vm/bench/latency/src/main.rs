//! keymapd-latency: keymapd's VM bench, run inside the test-bed VM as root. One boot measures:
//! end-to-end latency against a pass-through floor (interleaved press by press), idle wake-ups,
//! memory, startup and reload time, and a 10 kHz flood. Prints one `@@KEYMAPD-BENCH` line each.
//!
//! Usage: keymapd-latency [--keymapd PATH] [--floor PATH] [--presses N] [--gap-us N]
//!        [--idle-s N] [--flood-s N] [--rate HZ] [--reloads N] [--starts N] [--keyboards 1|2] [--floor-epoll] [--floor-epoll-caps] [--work DIR]
//!        [--control-flood N]   (latency measured a second time while N clients flood keymapd's control socket)
//!
//! Latency is the time from just before the `write` of a frame to a synthetic keyboard's uinput
//! device to the kernel's timestamp of the remapped event on the contender's output device
//! (CLOCK_MONOTONIC on both sides), so the bench's own wake-up is not counted.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use evio::{input_event, EV_KEY, EV_SYN, SYN_DROPPED, SYN_REPORT};

const KEYMAPD_OUTPUT: &str = "keymapd virtual keyboard";
const FLOOR_OUTPUT: &str = "keymapd-floor virtual keyboard";
const KB1: &str = "keymapd-bench keyboard 1";
const KB2: &str = "keymapd-bench keyboard 2";
const KBF: &str = "keymapd-bench floor keyboard";
const KBE: &str = "keymapd-bench floor-epoll keyboard";
const FLOOR_EPOLL_OUTPUT: &str = "keymapd-floor-epoll virtual keyboard";

// Key codes (input-event-codes.h).
const LEFTCTRL: u16 = 29;
const LEFTMETA: u16 = 125;
const RIGHTALT: u16 = 100;
const RIGHTMETA: u16 = 126;
const F24: u16 = 194;
/// The keys the bench presses: the swapped modifiers and plain letters.
const KEYS: [u16; 10] = [LEFTCTRL, 30, LEFTMETA, 31, RIGHTALT, 32, 33, RIGHTMETA, 34, 35];

/// What `profiles/usb-keyboard.toml` (and the floor's table) does to a code.
fn swap(code: u16) -> u16 {
    match code {
        LEFTCTRL => LEFTMETA,
        LEFTMETA => LEFTCTRL,
        RIGHTALT => RIGHTMETA,
        RIGHTMETA => RIGHTALT,
        c => c,
    }
}
const FLOOR_MAP: [&str; 4] = ["29:125", "125:29", "100:126", "126:100"];

const SWAP_PROFILE: &str = include_str!("../../../../../profiles/usb-keyboard.toml");
const LAPTOP_PROFILE: &str = include_str!("../../../../../profiles/laptop.toml");
const LAYERS_PROFILE: &str = include_str!("../../../../../benches/profiles/layers.toml");

struct Opts {
    keymapd: PathBuf,
    floor: PathBuf,
    presses: usize,
    gap_us: u64,
    idle_s: u64,
    flood_s: u64,
    rate: u64,
    reloads: usize,
    starts: usize,
    /// Keyboards keymapd grabs: 2 (the memory setup) or 1 (to see what a second costs).
    keyboards: usize,
    /// A third contender: the floor waiting in epoll_wait, then reading (an event loop's cost).
    floor_epoll: bool,
    /// The epoll floor's output declares keymapd's capabilities (EV_MSC, EV_LED, EV_REP).
    floor_caps: bool,
    work: PathBuf,
    /// After the latency run, a second one while this many clients flood the control socket.
    control_flood: usize,
}

fn opts() -> Result<Opts, String> {
    let mut o = Opts {
        keymapd: "/usr/bin/keymapd".into(),
        floor: "/usr/bin/keymapd-floor".into(),
        presses: 2000,
        gap_us: 2000,
        idle_s: 10,
        flood_s: 10,
        rate: 10_000,
        reloads: 10,
        starts: 5,
        keyboards: 2,
        floor_epoll: false,
        floor_caps: false,
        work: "/tmp/keymapd-bench".into(),
        control_flood: 0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        let num = |v: String| v.parse::<u64>().map_err(|_| format!("{a}: not a number: {v}"));
        match a.as_str() {
            "--keymapd" => o.keymapd = val()?.into(),
            "--floor" => o.floor = val()?.into(),
            "--presses" => o.presses = num(val()?)? as usize,
            "--gap-us" => o.gap_us = num(val()?)?,
            "--idle-s" => o.idle_s = num(val()?)?,
            "--flood-s" => o.flood_s = num(val()?)?,
            "--rate" => o.rate = num(val()?)?.max(1),
            "--reloads" => o.reloads = num(val()?)? as usize,
            "--starts" => o.starts = num(val()?)?.max(1) as usize,
            "--keyboards" => o.keyboards = num(val()?)?.clamp(1, 2) as usize,
            "--floor-epoll" => o.floor_epoll = true,
            "--floor-epoll-caps" => (o.floor_epoll, o.floor_caps) = (true, true),
            "--work" => o.work = val()?.into(),
            "--control-flood" => o.control_flood = num(val()?)? as usize,
            "-h" | "--help" => {
                return Err(
                    "usage: keymapd-latency [--keymapd PATH] [--floor PATH] [--presses N] [--gap-us N] \
                     [--idle-s N] [--flood-s N] [--rate HZ] [--reloads N] [--starts N] [--keyboards 1|2] [--floor-epoll] [--floor-epoll-caps] [--work DIR]"
                        .into(),
                )
            }
            _ => return Err(format!("unknown argument `{a}`")),
        }
    }
    Ok(o)
}

fn main() -> ExitCode {
    let o = match opts() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("keymapd-latency: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&o) {
        Ok(true) => {
            println!("@@KEYMAPD-BENCH-DONE PASS");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            println!("@@KEYMAPD-BENCH-DONE FAIL (a target was missed)");
            ExitCode::from(1)
        }
        Err(e) => {
            println!("@@KEYMAPD-BENCH-ERROR {e}");
            ExitCode::from(3)
        }
    }
}

/// One result line; the harness collects them from the console.
fn report(line: &str) {
    println!("@@KEYMAPD-BENCH {line}");
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

// ------------------------------------------------------------------------------------ devices

/// A synthetic keyboard the bench types on.
struct Synthetic {
    dev: evio::Uinput,
}

impl Synthetic {
    fn new(name: &str, product: u16) -> Result<Synthetic, String> {
        let dev = evio::Uinput::create(name, evio::BUS_USB, 0xfeed, product)
            .map_err(|e| format!("creating `{name}`: {e}"))?;
        evio::find(name, Duration::from_secs(10)).map_err(|e| e.to_string())?;
        Ok(Synthetic { dev })
    }
    fn key(&self, code: u16, value: i32) -> Result<(), String> {
        let frame = [evio::ev(EV_KEY, code, value), evio::ev(EV_SYN, SYN_REPORT, 0)];
        self.dev.write(&frame).map_err(|e| format!("writing to a synthetic keyboard: {e}"))
    }
}

/// A contender's output device, read without grabbing, stamped with CLOCK_MONOTONIC.
struct Output {
    fd: OwnedFd,
    buf: Vec<input_event>,
    pending: VecDeque<input_event>,
}

impl Output {
    fn open(name: &str) -> Result<Output, String> {
        let path = evio::find(name, Duration::from_secs(10)).map_err(|e| e.to_string())?;
        let fd = evio::open(&path, true).map_err(|e| format!("{}: {e}", path.display()))?;
        evio::clock_monotonic(fd.as_raw_fd()).map_err(|e| format!("EVIOCSCLOCKID: {e}"))?;
        Ok(Output { fd, buf: vec![evio::ev(0, 0, 0); 256], pending: VecDeque::new() })
    }

    /// The next event, waiting at most `timeout`.
    fn next(&mut self, timeout: Duration) -> Result<Option<input_event>, String> {
        if let Some(e) = self.pending.pop_front() {
            return Ok(Some(e));
        }
        let deadline = Instant::now() + timeout;
        loop {
            match evio::read(self.fd.as_raw_fd(), &mut self.buf) {
                Ok(n) => {
                    self.pending.extend(&self.buf[..n]);
                    if let Some(e) = self.pending.pop_front() {
                        return Ok(Some(e));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(format!("reading an output device: {e}")),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            let mut pfd = libc::pollfd { fd: self.fd.as_raw_fd(), events: libc::POLLIN, revents: 0 };
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut pfd, 1, left.as_millis().clamp(1, 60_000) as libc::c_int) };
        }
    }

    /// Discards whatever is queued; returns how many key events that was.
    fn drain(&mut self) -> Result<usize, String> {
        let mut n = 0;
        while let Some(e) = self.next(Duration::ZERO)? {
            n += usize::from(e.type_ == EV_KEY);
        }
        Ok(n)
    }

    /// Waits for EV_KEY `code` with `value`; returns the event. Other events are skipped.
    fn expect(&mut self, code: u16, value: i32, timeout: Duration) -> Result<input_event, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left)? {
                Some(e) if e.type_ == EV_KEY && e.code == code && e.value == value => return Ok(e),
                Some(e) if e.type_ == EV_SYN && e.code == SYN_DROPPED => {
                    return Err("the bench's reader overflowed (SYN_DROPPED)".into())
                }
                Some(_) => {}
                None => return Err(format!("no key {code} value {value} within {timeout:?}")),
            }
        }
    }
}

// ------------------------------------------------------------------------------- processes

/// The service-manager side of sd_notify: a datagram socket the daemon reports to.
struct Notify {
    sock: UnixDatagram,
    path: PathBuf,
}

impl Notify {
    fn bind(path: PathBuf) -> Result<Notify, String> {
        let _ = std::fs::remove_file(&path);
        let sock = UnixDatagram::bind(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Notify { sock, path })
    }
    /// The next message, if one comes within `timeout`.
    fn recv(&self, timeout: Duration) -> Option<String> {
        self.sock.set_read_timeout(Some(timeout.max(Duration::from_millis(1)))).ok()?;
        let mut buf = [0u8; 4096];
        let n = self.sock.recv(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    }
    /// Waits for a message with the line `line`; returns when it came.
    fn wait_for(&self, line: &str, timeout: Duration) -> Result<Duration, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("no {line} from keymapd within {timeout:?}"));
            }
            if let Some(msg) = self.recv(left) {
                if msg.lines().any(|l| l == line) {
                    return Ok(evio::now());
                }
            }
        }
    }
    fn drain(&self, quiet: Duration) {
        while self.recv(quiet).is_some() {}
    }
}

struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn pid(&self) -> u32 {
        self.child.id()
    }
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
    fn signal(&self, sig: libc::c_int) {
        // SAFETY: plain kill(2) on our own child.
        unsafe { libc::kill(self.child.id() as libc::pid_t, sig) };
    }
    fn stop(mut self) -> Result<(), String> {
        self.signal(libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.child.try_wait().map_err(|e| e.to_string())?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        Err(format!("pid {} did not stop within 10 s of SIGTERM", self.child.id()))
    }
}

/// Starts keymapd and waits for READY=1; returns it and the time from spawn to READY.
fn start_keymapd(o: &Opts, notify: &Notify, config: &Path, n: usize) -> Result<(Daemon, Duration), String> {
    notify.drain(Duration::ZERO);
    let log = o.work.join(format!("keymapd.{n}.log"));
    let err = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let t0 = evio::now();
    let child = Command::new(&o.keymapd)
        .arg("run")
        .arg("--config")
        .arg(config)
        .env("NOTIFY_SOCKET", &notify.path)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .map_err(|e| format!("{}: {e}", o.keymapd.display()))?;
    let mut d = Daemon { child, log };
    match notify.wait_for("READY=1", Duration::from_secs(30)) {
        Ok(t) => Ok((d, t - t0)),
        Err(e) => {
            let status = d.child.try_wait().ok().flatten();
            let tail = d.log_tail();
            let _ = d.stop();
            Err(format!("{e} (exit status {status:?}); its log:\n{tail}"))
        }
    }
}

/// Starts the floor and waits for its READY=1; returns it and the time from spawn to READY.
fn start_floor(o: &Opts, notify: &Notify, epoll: bool) -> Result<(Child, Duration), String> {
    notify.drain(Duration::ZERO);
    let (input, output, log) =
        if epoll { (KBE, FLOOR_EPOLL_OUTPUT, "floor-epoll.log") } else { (KBF, FLOOR_OUTPUT, "floor.log") };
    let log = std::fs::File::create(o.work.join(log)).map_err(|e| e.to_string())?;
    let t0 = evio::now();
    let child = Command::new(&o.floor)
        .args(epoll.then_some("--epoll"))
        .args((epoll && o.floor_caps).then_some("--keymapd-caps"))
        .args(["--output", output, input])
        .args(FLOOR_MAP)
        .env("NOTIFY_SOCKET", &notify.path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("{}: {e}", o.floor.display()))?;
    let t = notify.wait_for("READY=1", Duration::from_secs(15))?;
    Ok((child, t - t0))
}

/// Context switches of every thread of `pid` (voluntary + involuntary).
fn ctxt_switches(pid: u32) -> Result<u64, String> {
    let mut total = 0;
    let dir = format!("/proc/{pid}/task");
    for t in std::fs::read_dir(&dir).map_err(|e| format!("{dir}: {e}"))?.flatten() {
        let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
        for l in status.lines() {
            if let Some(v) =
                l.strip_prefix("voluntary_ctxt_switches:").or(l.strip_prefix("nonvoluntary_ctxt_switches:"))
            {
                total += v.trim().parse::<u64>().unwrap_or(0);
            }
        }
    }
    Ok(total)
}

fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map(|d| d.count()).unwrap_or(0)
}

/// A `kB` field of /proc/PID/status, in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// User + system CPU time of the whole process.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<u64> = after.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
    // Fields 14 and 15 of stat; `after` starts at field 3.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_nanos(ticks * 1_000_000_000 / hz)
}

// ------------------------------------------------------------------------------- profiles

/// A profile text with its `ids = …` line replaced.
fn with_ids(text: &str, ids: &str) -> String {
    let mut out = String::new();
    for l in text.lines() {
        if l.trim_start().starts_with("ids") {
            let _ = writeln!(out, "ids = [{ids}]");
        } else {
            let _ = writeln!(out, "{l}");
        }
    }
    out
}

fn write_profiles(dir: &Path, count: usize, keyboards: usize) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let second = if keyboards > 1 { KB2 } else { "keymapd-bench absent 2" };
    let mut files = vec![
        ("bench-swap.toml", with_ids(SWAP_PROFILE, &format!("\"name:{KB1}\""))),
        ("bench-layers.toml", with_ids(LAYERS_PROFILE, &format!("\"name:{second}\""))),
        ("bench-laptop.toml", with_ids(LAPTOP_PROFILE, "\"name:keymapd-bench absent 3\"")),
        ("bench-other.toml", with_ids(LAYERS_PROFILE, "\"0001:0004\"")),
    ];
    let extra: Vec<(String, String)> = (5..=count)
        .map(|i| {
            let ids = format!("\"name:keymapd-bench absent {i}\"");
            (format!("bench-extra-{i:02}.toml"), with_ids(LAYERS_PROFILE, &ids))
        })
        .collect();
    files.truncate(count);
    for (name, text) in files.iter().map(|(n, t)| (n.to_string(), t.clone())).chain(extra) {
        let path = dir.join(&name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------- measures

struct Stats {
    n: usize,
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    mean: f64,
}

fn stats(samples: &mut [f64]) -> Stats {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    let q = |p: f64| samples[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
    Stats {
        n,
        p50: q(0.50),
        p90: q(0.90),
        p99: q(0.99),
        max: samples[n - 1],
        mean: samples.iter().sum::<f64>() / n as f64,
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Contender<'a> {
    name: &'static str,
    input: &'a Synthetic,
    output: Output,
    pid: u32,
    /// Latency from write to the kernel's stamp on the output, and to our read returning.
    stamped: Vec<f64>,
    received: Vec<f64>,
}

impl Contender<'_> {
    /// One event through the contender, timed.
    fn one(&mut self, code: u16, value: i32) -> Result<(), String> {
        let stray = self.output.drain()?;
        if stray > 0 {
            return Err(format!("{}: {stray} unexpected events on the output", self.name));
        }
        let t0 = evio::now();
        self.input.key(code, value)?;
        let e = self
            .output
            .expect(swap(code), value, Duration::from_secs(5))
            .map_err(|e| format!("{}: {e}", self.name))?;
        let t2 = evio::now();
        self.stamped.push(micros(evio::stamp(&e).saturating_sub(t0)));
        self.received.push(micros(t2 - t0));
        Ok(())
    }
    /// Taps a key until it comes through (the contender has grabbed its keyboard).
    fn wait_through(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            self.input.key(F24, 1)?;
            self.input.key(F24, 0)?;
            if self.output.expect(F24, 0, Duration::from_millis(300)).is_ok() {
                std::thread::sleep(Duration::from_millis(50));
                self.output.drain()?;
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("{}: nothing typed on its keyboard came through in 15 s", self.name));
            }
        }
    }
}

/// Sleeps until CLOCK_MONOTONIC reaches `t`.
fn sleep_until(t: Duration) {
    let ts =
        libc::timespec { tv_sec: t.as_secs() as libc::time_t, tv_nsec: t.subsec_nanos() as libc::c_long };
    // SAFETY: a valid timespec; EINTR just ends the sleep early.
    unsafe { libc::clock_nanosleep(libc::CLOCK_MONOTONIC, libc::TIMER_ABSTIME, &ts, std::ptr::null_mut()) };
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Interleaved latency: for every press, both contenders in a random order, down then up.
/// Interleaved latency: for every press, every contender in a random order, down then up.
/// `cs[0]` is keymapd, `cs[1]` the floor it is judged against; any others are for comparison.
fn latency(o: &Opts, cs: &mut [Contender<'_>]) -> Result<bool, String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let gap = |rng: &mut Rng| Duration::from_micros(o.gap_us / 2 + rng.next() % (o.gap_us + 1));
    let mut order: Vec<usize> = (0..cs.len()).collect();
    for i in 0..o.presses {
        let code = KEYS[i % KEYS.len()];
        for j in (1..order.len()).rev() {
            order.swap(j, (rng.next() % (j as u64 + 1)) as usize);
        }
        for &c in &order {
            cs[c].one(code, 1)?;
            std::thread::sleep(gap(&mut rng));
            cs[c].one(code, 0)?;
            std::thread::sleep(gap(&mut rng));
        }
    }
    let mut lines = Vec::new();
    for c in cs.iter_mut() {
        let s = stats(&mut c.stamped);
        let r = stats(&mut c.received);
        report(&format!(
            "latency {:<7} n={} p50={:.0}us p90={:.0}us p99={:.0}us max={:.0}us mean={:.0}us (to the bench's read: p50={:.0}us p99={:.0}us)",
            c.name, s.n, s.p50, s.p90, s.p99, s.max, s.mean, r.p50, r.p99
        ));
        lines.push(s);
    }
    let k = &lines[0];
    let mut ok = true;
    for (i, f) in lines.iter().enumerate().skip(1) {
        let (r50, r90, r99) = (k.p50 / f.p50, k.p90 / f.p90, k.p99 / f.p99);
        if i == 1 {
            ok = r50 <= 1.10 && r99 <= 1.25;
            report(&format!(
                "latency ratio keymapd/floor p50={r50:.3} (target <=1.10 {}) p90={r90:.3} p99={r99:.3} (target <=1.25 {}) {}",
                verdict(r50 <= 1.10),
                verdict(r99 <= 1.25),
                verdict(ok)
            ));
        } else {
            report(&format!(
                "latency ratio keymapd/{} p50={r50:.3} p90={r90:.3} p99={r99:.3} (for comparison)",
                cs[i].name
            ));
        }
    }
    Ok(ok)
}

/// At most this many events are in flight (written, not yet read back from the output) during
/// a flood: well under the 64 events an evdev client buffer holds, so that a stalled vCPU of the
/// emulated machine slows the flood down instead of overflowing a buffer. A contender that keeps
/// up never meets the limit.
const WINDOW: usize = 24;

/// What floods through one contender showed, summed over rounds.
#[derive(Default)]
struct Flood {
    sent: usize,
    received: usize,
    /// Rounds in which the output differed from the input (anything lost, added or reordered).
    bad_rounds: usize,
    first_problem: Option<String>,
    /// Autorepeats the kernel added on the output device (a key held down longer than the
    /// repeat delay while the emulated machine stalled): not compared, only counted.
    autorepeats: usize,
    stalls: u64,
    secs: f64,
    cpu: Duration,
}

/// Makes the calling thread SCHED_FIFO, so that the bench's reader keeps up with a flood.
fn realtime() {
    let p = libc::sched_param { sched_priority: 10 };
    // SAFETY: pthread_self is always valid; p is a valid sched_param.
    let r = unsafe { libc::pthread_setschedparam(libc::pthread_self(), libc::SCHED_FIFO, &p) };
    if r != 0 {
        eprintln!("keymapd-latency: SCHED_FIFO for the flood reader: error {r}");
    }
}

/// One round of a flood: `n` events at `rate` Hz, one event per frame, added to `acc`; the
/// output is compared exactly with the input, remapped.
fn flood(c: &mut Contender<'_>, rate: u64, n: usize, acc: &mut Flood) -> Result<(), String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    c.output.drain()?;
    let expected: Vec<(u16, i32)> =
        (0..n).map(|i| (swap(KEYS[(i / 2) % KEYS.len()]), if i % 2 == 0 { 1 } else { 0 })).collect();
    let fd = c.output.fd.try_clone().map_err(|e| e.to_string())?;
    let seen = Arc::new(AtomicUsize::new(0));
    let seen_by_reader = seen.clone();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        realtime();
        let mut out = Output { fd, buf: vec![evio::ev(0, 0, 0); 1024], pending: VecDeque::new() };
        let mut got: Vec<(u16, i32)> = Vec::with_capacity(n + 16);
        let (mut dropped, mut repeats) = (0, 0);
        let _ = tx.send(());
        loop {
            match out.next(Duration::from_secs(5)) {
                Ok(Some(e)) if e.type_ == EV_KEY && e.value == 2 => repeats += 1,
                Ok(Some(e)) if e.type_ == EV_KEY && e.code == F24 => {
                    if e.value == 0 {
                        break;
                    }
                }
                Ok(Some(e)) if e.type_ == EV_KEY => {
                    got.push((e.code, e.value));
                    seen_by_reader.store(got.len(), Ordering::Release);
                }
                Ok(Some(e)) if e.type_ == EV_SYN && e.code == SYN_DROPPED => dropped += 1,
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        (got, dropped, repeats)
    });
    let _ = rx.recv();
    std::thread::sleep(Duration::from_millis(20));
    let cpu0 = cpu_time(c.pid);
    let period = Duration::from_nanos(1_000_000_000 / rate);
    let start = evio::now() + Duration::from_millis(10);
    let mut gave_up = false;
    for (i, &(_, value)) in expected.iter().enumerate() {
        sleep_until(start + period * i as u32);
        if i >= WINDOW && seen.load(Ordering::Acquire) <= i - WINDOW {
            acc.stalls += 1;
            let limit = Instant::now() + Duration::from_secs(2);
            while seen.load(Ordering::Acquire) <= i - WINDOW {
                if Instant::now() > limit {
                    gave_up = true; // events were lost: the window will never reopen
                    break;
                }
                std::thread::sleep(Duration::from_micros(50));
            }
            if gave_up {
                break;
            }
        }
        c.input.key(KEYS[(i / 2) % KEYS.len()], value)?;
    }
    let end = evio::now();
    c.input.key(F24, 1)?;
    c.input.key(F24, 0)?;
    let (got, reader_dropped, repeats) = reader.join().map_err(|_| "the flood reader panicked")?;
    acc.cpu += cpu_time(c.pid) - cpu0;
    acc.secs += (end - start).as_secs_f64();
    acc.sent += n;
    acc.received += got.len();
    acc.autorepeats += repeats;
    if got != expected || reader_dropped > 0 || gave_up {
        acc.bad_rounds += 1;
        if acc.first_problem.is_none() {
            let matched = got.iter().zip(&expected).take_while(|(a, b)| a == b).count();
            let mut p = format!(
                "round {}: {} of {n} received, first difference at #{matched}: got {:?}, expected {:?}",
                acc.bad_rounds,
                got.len(),
                got.get(matched),
                expected.get(matched)
            );
            if reader_dropped > 0 {
                let _ = write!(p, "; the bench's own reader overflowed {reader_dropped} times");
            }
            if gave_up {
                let _ = write!(p, "; the output stalled for 2 s");
            }
            acc.first_problem = Some(p);
        }
    }
    Ok(())
}

/// The flood through both contenders, in one-second rounds that alternate between them (so that
/// the load of the machine falls on both alike). keymapd passes if every event came out in order
/// and it kept the target rate, or (on a machine too slow for the rate) up with the floor.
fn floods(o: &Opts, cs: &mut [Contender<'_>]) -> Result<bool, String> {
    let mut acc = [Flood::default(), Flood::default()];
    for _ in 0..o.flood_s {
        for (c, a) in cs[..2].iter_mut().zip(acc.iter_mut()) {
            flood(c, o.rate, o.rate as usize, a)?;
        }
    }
    let achieved = |a: &Flood| a.sent as f64 / a.secs;
    for (c, a) in cs.iter().zip(&acc) {
        report(&format!(
            "flood {:<7} target={}/s sent={} in {:.2}s = {:.0}/s (waited for the output {} times) received={} ({} rounds of {} differ{}) kernel autorepeats={} cpu={:.1}% of a core ({:.1}us per event) {}",
            c.name,
            o.rate,
            a.sent,
            a.secs,
            achieved(a),
            a.stalls,
            a.received,
            a.bad_rounds,
            o.flood_s,
            a.first_problem.as_deref().map(|p| format!(": {p}")).unwrap_or_default(),
            a.autorepeats,
            100.0 * a.cpu.as_secs_f64() / a.secs,
            a.cpu.as_secs_f64() * 1e6 / a.sent as f64,
            if a.bad_rounds == 0 { "EXACT" } else { "LOST" }
        ));
    }
    let (k, f) = (&acc[0], &acc[1]);
    let target = o.rate as f64 * 0.95;
    let kept_up = achieved(k) >= target || achieved(k) >= 0.9 * achieved(f);
    let exact = k.bad_rounds == 0;
    let pace = if achieved(k) >= target {
        format!("kept the target rate ({:.0}/s)", achieved(k))
    } else {
        format!(
            "{:.0}/s against the floor's {:.0}/s (ratio {:.2}; this machine does not reach {}/s)",
            achieved(k),
            achieved(f),
            achieved(k) / achieved(f),
            o.rate
        )
    };
    report(&format!(
        "flood verdict keymapd: {}, {pace} {}",
        if exact { "nothing dropped, order kept" } else { "events lost or reordered" },
        verdict(exact && kept_up)
    ));
    Ok(exact && kept_up)
}

/// Syscalls per input event, counted by strace (when the VM has it) over `presses` paced taps:
/// the evidence for "one `write` per frame" and for any extra call on the event path.
fn syscalls(c: &mut Contender<'_>, presses: usize) -> Result<(), String> {
    let strace = Path::new("/usr/bin/strace");
    if !strace.exists() {
        report(&format!("syscalls {:<7} not measured: no strace in the VM", c.name));
        return Ok(());
    }
    let file = std::env::temp_dir().join(format!("strace-{}.txt", c.name));
    let mut child = Command::new(strace)
        .args(["-c", "-f", "-o"])
        .arg(&file)
        .arg("-p")
        .arg(c.pid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("strace: {e}"))?;
    std::thread::sleep(Duration::from_millis(500));
    c.output.drain()?;
    for i in 0..presses {
        let code = KEYS[i % KEYS.len()];
        // Typing speed, not a flood: the contender goes back to sleep between events (strace
        // slows it down enough that, without the pause, the next event would already wait).
        c.input.key(code, 1)?;
        c.output.expect(swap(code), 1, Duration::from_secs(5))?;
        std::thread::sleep(Duration::from_millis(10));
        c.input.key(code, 0)?;
        c.output.expect(swap(code), 0, Duration::from_secs(5))?;
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let _ = child.wait();
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    // The whole table, for the console log.
    for l in text.lines() {
        println!("  strace {} | {l}", c.name);
    }
    let events = (2 * presses) as f64;
    let mut per = Vec::new();
    let mut total = 0.0;
    for l in text.lines() {
        let f: Vec<&str> = l.split_whitespace().collect();
        // `% time  seconds  usecs/call  calls  [errors]  syscall`
        if f.len() >= 5 && f[0].parse::<f64>().is_ok() && f[f.len() - 1] != "total" {
            let calls: f64 = f[3].parse().unwrap_or(0.0);
            let errors = if f.len() == 6 { f[4].parse::<f64>().unwrap_or(0.0) } else { 0.0 };
            per.push((f[f.len() - 1].to_string(), calls / events, errors / events));
            total += calls / events;
        }
    }
    per.sort_by(|a, b| b.1.total_cmp(&a.1));
    let list: Vec<String> = per
        .iter()
        .filter(|p| p.1 >= 0.005)
        .map(
            |(name, n, e)| {
                if *e > 0.0 {
                    format!("{name}={n:.2} ({e:.2} failed)")
                } else {
                    format!("{name}={n:.2}")
                }
            },
        )
        .collect();
    report(&format!(
        "syscalls {:<7} per input event (one event per frame, {} events, typed 10 ms apart): total={total:.2} {}",
        c.name,
        2 * presses,
        list.join(" ")
    ));
    Ok(())
}

fn run(o: &Opts) -> Result<bool, String> {
    std::fs::create_dir_all(&o.work).map_err(|e| format!("{}: {e}", o.work.display()))?;
    let config = o.work.join("profiles");
    let _ = std::fs::remove_dir_all(&config);
    write_profiles(&config, 4, o.keyboards)?;
    let notify = Notify::bind(o.work.join("notify.sock"))?;
    let kbs = o.keyboards;
    let mut ok = true;

    let kb1 = Synthetic::new(KB1, 1)?;
    let kb2 = Synthetic::new(KB2, 2)?;
    let kbf = Synthetic::new(KBF, 3)?;
    // Let udev finish with the new devices before anything looks at them.
    let _ = Command::new("udevadm").args(["settle", "--timeout=10"]).status();

    // Startup, 4 profiles: a few starts; the last one stays up for the rest.
    let mut starts = Vec::new();
    let mut daemon = None;
    for n in 0..o.starts {
        let (d, t) = start_keymapd(o, &notify, &config, n)?;
        starts.push(millis(t));
        if n + 1 < o.starts {
            d.stop()?;
        } else {
            daemon = Some(d);
        }
    }
    let daemon = daemon.expect("at least one start");
    let (mut floor, floor_start) = start_floor(o, &notify, false)?;
    let floor_pid = floor.id();
    let guard = scopeguard(&mut floor);
    let kbe = if o.floor_epoll { Some(Synthetic::new(KBE, 4)?) } else { None };
    let mut floor_epoll = match &kbe {
        Some(_) => Some(start_floor(o, &notify, true)?.0),
        None => None,
    };
    let guard_epoll = floor_epoll.as_mut().map(scopeguard);

    let mut cs = vec![
        Contender {
            name: "keymapd",
            input: &kb1,
            output: Output::open(KEYMAPD_OUTPUT)?,
            pid: daemon.pid(),
            stamped: Vec::new(),
            received: Vec::new(),
        },
        Contender {
            name: "floor",
            input: &kbf,
            output: Output::open(FLOOR_OUTPUT)?,
            pid: floor_pid,
            stamped: Vec::new(),
            received: Vec::new(),
        },
    ];
    if let (Some(kb), Some(child)) = (&kbe, &guard_epoll) {
        cs.push(Contender {
            name: "floor-ep",
            input: kb,
            output: Output::open(FLOOR_EPOLL_OUTPUT)?,
            pid: child.0.id(),
            stamped: Vec::new(),
            received: Vec::new(),
        });
    }
    for c in cs.iter_mut() {
        c.wait_through()?;
    }
    // The second keyboard is keymapd's too (bench-layers.toml): make sure it is grabbed.
    if o.keyboards > 1 {
        kb2.key(30, 1)?;
        kb2.key(30, 0)?;
        cs[0].output.expect(30, 0, Duration::from_secs(5)).map_err(|e| format!("keyboard 2: {e}"))?;
    }
    std::thread::sleep(Duration::from_millis(100));
    cs[0].output.drain()?;
    let mut s = starts.clone();
    report(&format!(
        "startup keymapd profiles=4 keyboards={kbs} to READY: median={:.1}ms min={:.1}ms max={:.1}ms over {} starts (floor: {:.1}ms)",
        median(&mut s),
        s[0],
        s[s.len() - 1],
        s.len(),
        millis(floor_start)
    ));

    // Idle: nothing typed for idle_s seconds.
    std::thread::sleep(Duration::from_secs(1));
    let pids = [(cs[0].name, cs[0].pid), (cs[1].name, cs[1].pid)];
    let before: Vec<u64> = pids.iter().map(|&(_, p)| ctxt_switches(p)).collect::<Result<_, _>>()?;
    std::thread::sleep(Duration::from_secs(o.idle_s));
    for (i, &(name, pid)) in pids.iter().enumerate() {
        let woke = ctxt_switches(pid)? - before[i];
        let target =
            if name == "keymapd" { format!(" (target 0 {})", verdict(woke == 0)) } else { String::new() };
        report(&format!(
            "idle {name:<7} wakeups={woke} over {} s, {} threads{target}",
            o.idle_s,
            threads(pid)
        ));
        if name == "keymapd" {
            ok &= woke == 0;
        }
    }
    let mem = |pid: u32| (status_kib(pid, "VmRSS:"), status_kib(pid, "VmHWM:"), status_kib(pid, "RssAnon:"));
    let (rss, hwm, anon) = mem(cs[0].pid);
    let (frss, _, fanon) = mem(cs[1].pid);
    report(&format!(
        "memory keymapd VmRSS={:.2}MiB (anon {:.2}MiB) VmHWM={:.2}MiB with {kbs} keyboards, 4 profiles (target <4MiB {}); floor VmRSS={:.2}MiB (anon {:.2}MiB)",
        rss as f64 / 1024.0,
        anon as f64 / 1024.0,
        hwm as f64 / 1024.0,
        verdict(rss < 4096),
        frss as f64 / 1024.0,
        fanon as f64 / 1024.0
    ));
    ok &= rss < 4096;

    // Latency, interleaved press by press.
    ok &= latency(o, &mut cs)?;
    if o.control_flood > 0 {
        // Informational (no target): the same run while clients flood the control socket.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flooders = control_flood(o.control_flood, &stop);
        std::thread::sleep(Duration::from_millis(500));
        report(&format!("latency below: while {} clients flood /run/keymapd/control.sock", o.control_flood));
        let _ = latency(o, &mut cs)?;
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (mut conns, mut lines) = (0u64, 0u64);
        for t in flooders {
            let (c, l) = t.join().unwrap_or((0, 0));
            conns += c;
            lines += l;
        }
        report(&format!(
            "control flood: {} clients made {conns} connections and sent {lines} lines (each dropped by keymapd's rate limit)",
            o.control_flood
        ));
        cs[0].output.drain()?;
    }
    let (rss2, hwm2, _) = mem(cs[0].pid);
    report(&format!(
        "memory keymapd after {} presses: VmRSS={:.2}MiB VmHWM={:.2}MiB",
        o.presses,
        rss2 as f64 / 1024.0,
        hwm2 as f64 / 1024.0
    ));

    // Flood, each contender in turn.
    if o.flood_s > 0 {
        ok &= floods(o, &mut cs)?;
        let (rss3, hwm3, _) = mem(cs[0].pid);
        report(&format!(
            "memory keymapd after the flood: VmRSS={:.2}MiB VmHWM={:.2}MiB",
            rss3 as f64 / 1024.0,
            hwm3 as f64 / 1024.0
        ));
    }
    for c in cs.iter_mut() {
        syscalls(c, 200)?;
    }
    drop(cs);

    // Reload: ten profiles, SIGHUP → RELOADING=1 … READY=1.
    if o.reloads > 0 {
        write_profiles(&config, 10, o.keyboards)?;
        // The profile watcher reloads by itself after the writes: let that settle first.
        let _ = notify.wait_for("READY=1", Duration::from_secs(3));
        notify.drain(Duration::from_millis(500));
        let mut times = Vec::new();
        for _ in 0..o.reloads {
            let t0 = evio::now();
            daemon.signal(libc::SIGHUP);
            notify.wait_for("RELOADING=1", Duration::from_secs(10))?;
            let t1 = notify.wait_for("READY=1", Duration::from_secs(10))?;
            times.push(millis(t1 - t0));
            std::thread::sleep(Duration::from_millis(50));
        }
        let m = median(&mut times);
        report(&format!(
            "reload keymapd profiles=10 SIGHUP to READY: median={m:.1}ms min={:.1}ms max={:.1}ms over {} reloads",
            times[0],
            times[times.len() - 1],
            times.len()
        ));
    }
    daemon.stop()?;

    // Startup with the ten profiles.
    let mut s10 = Vec::new();
    for n in 0..o.starts {
        let (d, t) = start_keymapd(o, &notify, &config, 100 + n)?;
        s10.push(millis(t));
        d.stop()?;
    }
    let m = median(&mut s10);
    report(&format!(
        "startup keymapd profiles=10 keyboards={kbs} to READY: median={m:.1}ms min={:.1}ms max={:.1}ms over {} starts",
        s10[0],
        s10[s10.len() - 1],
        s10.len()
    ));
    drop(guard_epoll);
    drop(guard);
    Ok(ok)
}

/// Clients sending `status` requests to keymapd's control socket as fast as they can, never
/// reading, reconnecting whenever keymapd drops them; each returns its connections and lines.
fn control_flood(
    n: usize,
    stop: &std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Vec<std::thread::JoinHandle<(u64, u64)>> {
    use std::io::Write;
    (0..n)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let (mut conns, mut lines) = (0u64, 0u64);
                let body = "{\"type\":\"status\"}\n".repeat(20);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let Ok(mut s) = std::os::unix::net::UnixStream::connect("/run/keymapd/control.sock")
                    else {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    };
                    conns += 1;
                    let _ = s.set_write_timeout(Some(Duration::from_millis(100)));
                    if s.write_all(b"{\"type\":\"hello\",\"version\":1,\"role\":\"client\"}\n").is_err() {
                        continue;
                    }
                    while !stop.load(std::sync::atomic::Ordering::Relaxed)
                        && s.write_all(body.as_bytes()).is_ok()
                    {
                        lines += 20;
                    }
                }
                (conns, lines)
            })
        })
        .collect()
}

/// Kills the floor when dropped.
struct KillOnDrop<'a>(&'a mut Child);
impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
fn scopeguard(c: &mut Child) -> KillOnDrop<'_> {
    KillOnDrop(c)
}
