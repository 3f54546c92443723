//! keymapd-latency: keymapd's VM bench, run inside the test-bed VM as root. One boot measures,
//! against the same synthetic keyboards and the same swap profile: end-to-end latency of keymapd,
//! a blocking floor, an epoll floor, kanata and (when given) keyd, interleaved press by press,
//! unloaded and under load (SCHED_IDLE spinners, CPU hogs with keymapd under each scheduling
//! choice, memory pressure); idle wake-ups; memory; a 10 kHz flood; syscalls per event; 1, 4 and
//! 16 grabbed keyboards; start-up and reload with 50 profiles; and callgrind's instructions per
//! event. Prints one `@@KEYMAPD-BENCH` line each.
//!
//! Usage: see `USAGE` (`keymapd-latency --help`).
//!
//! Latency is the time from just before the `write` of a frame to a synthetic keyboard's uinput
//! device to the kernel's timestamp of the remapped event on the contender's output device
//! (CLOCK_MONOTONIC on both sides), so the bench's own wake-up is not counted. The bench's
//! measuring thread runs SCHED_FIFO (not inherited by what it starts), so that the load it puts
//! on the machine delays the contenders, not the typing.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod load;
mod peers;

use evio::{input_event, EV_KEY, EV_SYN, SYN_DROPPED, SYN_REPORT};

/// keymapd re-emits each grabbed keyboard through its own clone: the keyboard's name, a `phys`
/// starting with this.
const CLONE_PHYS_PREFIX: &str = "keymapd/";
const FLOOR_OUTPUT: &str = "keymapd-floor virtual keyboard";
const KB1: &str = "keymapd-bench keyboard 1";
const KB2: &str = "keymapd-bench keyboard 2";
const KBF: &str = "keymapd-bench floor keyboard";
const KBE: &str = "keymapd-bench floor-epoll keyboard";
const FLOOR_EPOLL_OUTPUT: &str = "keymapd-floor-epoll virtual keyboard";
const KBK: &str = "keymapd-bench kanata keyboard";
const KBD: &str = "keymapd-bench keyd keyboard";

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
const HEAVY_PROFILE: &str = include_str!("../../../../../benches/profiles/heavy.toml");

struct Opts {
    keymapd: PathBuf,
    floor: PathBuf,
    /// kanata's binary; measured when it exists.
    kanata: PathBuf,
    /// keyd's binary, when one is given (`--keyd`): the bench never builds or fetches keyd.
    keyd: Option<PathBuf>,
    /// valgrind; the instruction counts are measured when it exists.
    valgrind: PathBuf,
    presses: usize,
    /// Presses of each phase under load (0: no load phases).
    load_presses: usize,
    /// Presses at each keyboard count of the scale phase (0: no scale phase).
    scale_presses: usize,
    /// Rounds a phase is cut into for the per-round p50 ratios.
    rounds: usize,
    /// Input events of the longer of the two callgrind runs per profile (0: none).
    callgrind_events: usize,
    gap_us: u64,
    idle_s: u64,
    flood_s: u64,
    rate: u64,
    reloads: usize,
    starts: usize,
    /// Keyboards keymapd grabs: 2 (the memory setup) or 1 (to see what a second costs).
    keyboards: usize,
    /// The epoll floor's output declares keymapd's capabilities (EV_MSC, EV_LED, EV_REP).
    floor_caps: bool,
    work: PathBuf,
    /// After the latency run, a second one while this many clients flood the control socket.
    control_flood: usize,
    /// The kernel's fault-around window (debugfs `fault_around_bytes`) for the whole run; 4096
    /// turns it off, so that resident pages are the ones touched. Then the memory phase also
    /// lists which of the program's pages are resident.
    fault_around: Option<u64>,
}

const USAGE: &str = "usage: keymapd-latency [--keymapd PATH] [--floor PATH] [--kanata PATH] [--keyd PATH] \
    [--valgrind PATH] [--presses N] [--load-presses N] [--scale-presses N] [--rounds N] \
    [--callgrind-events N] [--gap-us N] [--idle-s N] [--flood-s N] [--rate HZ] [--reloads N] \
    [--starts N] [--keyboards 1|2] [--floor-epoll-caps] [--control-flood N] [--fault-around BYTES] [--work DIR]";

fn opts() -> Result<Opts, String> {
    let mut o = Opts {
        keymapd: "/usr/bin/keymapd".into(),
        floor: "/usr/bin/keymapd-floor".into(),
        kanata: "/usr/bin/kanata".into(),
        keyd: None,
        valgrind: "/usr/bin/valgrind".into(),
        presses: 2000,
        load_presses: 500,
        scale_presses: 400,
        rounds: 10,
        callgrind_events: 600,
        gap_us: 2000,
        idle_s: 10,
        flood_s: 5,
        rate: 10_000,
        reloads: 10,
        starts: 5,
        keyboards: 2,
        floor_caps: false,
        work: "/tmp/keymapd-bench".into(),
        control_flood: 0,
        fault_around: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        let num = |v: String| v.parse::<u64>().map_err(|_| format!("{a}: not a number: {v}"));
        match a.as_str() {
            "--keymapd" => o.keymapd = val()?.into(),
            "--floor" => o.floor = val()?.into(),
            "--kanata" => o.kanata = val()?.into(),
            "--keyd" => o.keyd = Some(val()?.into()),
            "--valgrind" => o.valgrind = val()?.into(),
            "--presses" => o.presses = num(val()?)?.max(1) as usize,
            "--load-presses" => o.load_presses = num(val()?)? as usize,
            "--scale-presses" => o.scale_presses = num(val()?)? as usize,
            "--rounds" => o.rounds = num(val()?)?.max(1) as usize,
            "--callgrind-events" => o.callgrind_events = num(val()?)? as usize,
            "--gap-us" => o.gap_us = num(val()?)?,
            "--idle-s" => o.idle_s = num(val()?)?,
            "--flood-s" => o.flood_s = num(val()?)?,
            "--rate" => o.rate = num(val()?)?.max(1),
            "--reloads" => o.reloads = num(val()?)? as usize,
            "--starts" => o.starts = num(val()?)?.max(1) as usize,
            "--keyboards" => o.keyboards = num(val()?)?.clamp(1, 2) as usize,
            // The epoll floor is always measured now; the old flag stays accepted.
            "--floor-epoll" => {}
            "--floor-epoll-caps" => o.floor_caps = true,
            "--work" => o.work = val()?.into(),
            "--control-flood" => o.control_flood = num(val()?)? as usize,
            "--fault-around" => o.fault_around = Some(num(val()?)?),
            "-h" | "--help" => return Err(USAGE.into()),
            _ => return Err(format!("unknown argument `{a}`\n{USAGE}")),
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
        Output::open_path(&path)
    }

    /// keymapd's clone of the keyboard named `name` (same name, `phys` `keymapd/…`).
    fn clone_of(name: &str) -> Result<Output, String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(path) = find_clone(name) {
                return Output::open_path(&path);
            }
            if Instant::now() > deadline {
                return Err(format!("no keymapd clone of `{name}` (phys {CLONE_PHYS_PREFIX}…) within 10 s"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn open_path(path: &Path) -> Result<Output, String> {
        let fd = evio::open(path, true).map_err(|e| format!("{}: {e}", path.display()))?;
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

/// The event node of the input device named `name` whose `phys` starts with `keymapd/`.
fn find_clone(name: &str) -> Option<PathBuf> {
    for e in std::fs::read_dir("/sys/class/input").ok()?.flatten() {
        let node = e.file_name().to_string_lossy().into_owned();
        if !node.starts_with("event") {
            continue;
        }
        let dev = e.path().join("device");
        let attr = |a: &str| std::fs::read_to_string(dev.join(a)).unwrap_or_default();
        if attr("name").trim_end_matches('\n') == name && attr("phys").starts_with(CLONE_PHYS_PREFIX) {
            return Some(Path::new("/dev/input").join(node));
        }
    }
    None
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

/// Starts `program` with `args`, telling it our notify socket (sd_notify), its stderr to `log`.
fn spawn_notifying(
    program: &Path,
    args: &[&std::ffi::OsStr],
    notify: &Notify,
    log: PathBuf,
) -> Result<Daemon, String> {
    let err = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    let child = Command::new(program)
        .args(args)
        .env("NOTIFY_SOCKET", &notify.path)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .spawn()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    Ok(Daemon { child, log })
}

/// Starts keymapd and waits for READY=1; returns it and the time from spawn to READY.
fn start_keymapd(o: &Opts, notify: &Notify, config: &Path, n: usize) -> Result<(Daemon, Duration), String> {
    notify.drain(Duration::ZERO);
    let t0 = evio::now();
    let run: [&std::ffi::OsStr; 3] = ["run".as_ref(), "--config".as_ref(), config.as_os_str()];
    let mut d = spawn_notifying(&o.keymapd, &run, notify, o.work.join(format!("keymapd.{n}.log")))?;
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

/// The resident set counted page by page (/proc/PID/smaps_rollup), in KiB. /proc/PID/status's
/// VmRSS comes from per-thread counters the kernel folds in lazily and can lag by up to 64
/// pages per thread; the target is judged on the larger of the two.
fn rollup_rss(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("Rss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Where a process's resident memory is, from /proc/PID/smaps, in KiB: the program's own mappings
/// by segment (`ro`: headers, relocations, read-only data, unwind tables; `text`; `relro`: data
/// the dynamic loader relocates, then makes read-only; `data`: .data and .bss), then each shared
/// library, the heap, the stack and other anonymous memory, largest first. `(anon N)` is the part
/// that is private, written memory (a copy-on-write page of a file counts as anonymous).
fn smaps(pid: u32) -> String {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
    let mut own: Vec<(String, u64, u64)> = Vec::new();
    let mut others: Vec<(String, u64, u64)> = Vec::new();
    let mut seen_text = false;
    let mut in_own = false;
    let mut cur: Option<usize> = None;
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let Some(first) = f.first() else { continue };
        if !first.ends_with(':') && first.contains('-') && f.len() >= 5 {
            let perms = f[1];
            let path = f[5..].join(" ");
            in_own = !path.is_empty() && Path::new(&path) == exe;
            let key = if in_own {
                match &perms[..3] {
                    "r-x" => {
                        seen_text = true;
                        "text"
                    }
                    "r--" if seen_text => "relro",
                    "r--" => "ro",
                    _ => "data",
                }
                .to_string()
            } else if path.is_empty() {
                "anon".to_string()
            } else {
                path.rsplit('/').next().unwrap_or(&path).to_string()
            };
            let rows = if in_own { &mut own } else { &mut others };
            cur = match rows.iter().position(|r| r.0 == key) {
                Some(i) => Some(i),
                None => {
                    rows.push((key, 0, 0));
                    Some(rows.len() - 1)
                }
            };
            continue;
        }
        let kib = f.get(1).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        let rows = if in_own { &mut own } else { &mut others };
        if let Some(row) = cur.and_then(|i| rows.get_mut(i)) {
            match *first {
                "Rss:" => row.1 += kib,
                "Anonymous:" => row.2 += kib,
                _ => {}
            }
        }
    }
    others.sort_by_key(|o| std::cmp::Reverse(o.1));
    let cell = |(k, rss, anon): &(String, u64, u64)| {
        if *anon > 0 {
            format!("{k}={rss}k(anon {anon}k)")
        } else {
            format!("{k}={rss}k")
        }
    };
    let own_total: u64 = own.iter().map(|r| r.1).sum();
    format!(
        "{} {own_total}k: {}; {}",
        exe.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        own.iter().filter(|r| r.1 > 0).map(cell).collect::<Vec<_>>().join(" "),
        others.iter().filter(|r| r.1 > 0).map(cell).collect::<Vec<_>>().join(" ")
    )
}

/// Sets the kernel's fault-around window (a read fault on a file mapping also maps the cached
/// pages around it, up to this many bytes, aligned).
fn set_fault_around(bytes: u64) -> Result<(), String> {
    let knob = Path::new("/sys/kernel/debug/fault_around_bytes");
    if !knob.exists() {
        let _ = Command::new("mount").args(["-t", "debugfs", "debugfs", "/sys/kernel/debug"]).status();
    }
    std::fs::write(knob, format!("{bytes}\n")).map_err(|e| format!("{}: {e}", knob.display()))?;
    let now = std::fs::read_to_string(knob).unwrap_or_default();
    report(&format!("fault_around_bytes={} (asked {bytes})", now.trim()));
    Ok(())
}

/// Which pages of the program's own mappings are resident (/proc/PID/pagemap), as address
/// ranges in the ELF file's virtual addresses (the load base subtracted), per mapping.
fn resident_pages(pid: u32) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    let Ok(mut pagemap) = std::fs::File::open(format!("/proc/{pid}/pagemap")) else {
        return "pagemap unreadable".into();
    };
    let mut base = None;
    let mut out = Vec::new();
    for line in maps.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 6 || Path::new(&f[5..].join(" ")) != exe {
            continue;
        }
        let Some((a, b)) = f[0].split_once('-') else { continue };
        let (Ok(start), Ok(end)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16)) else { continue };
        let base = *base.get_or_insert(start);
        let pages = ((end - start) / 4096) as usize;
        let mut buf = vec![0u8; pages * 8];
        if pagemap.seek(SeekFrom::Start(start / 4096 * 8)).is_err() || pagemap.read_exact(&mut buf).is_err() {
            continue;
        }
        let present: Vec<bool> =
            buf.chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])) >> 63 == 1).collect();
        let mut ranges = Vec::new();
        let mut i = 0;
        while i < pages {
            if present[i] {
                let j = (i..pages).find(|&j| !present[j]).unwrap_or(pages);
                ranges.push(format!("{:x}+{}", start - base + i as u64 * 4096, j - i));
                i = j;
            } else {
                i += 1;
            }
        }
        out.push(format!(
            "{} {:x}-{:x} {}/{} pages: {}",
            f[1],
            start - base,
            end - base,
            present.iter().filter(|&&p| p).count(),
            pages,
            ranges.join(",")
        ));
    }
    out.join(" | ")
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
    /// The keyboards typed on, one press each in turn.
    inputs: Vec<&'a Synthetic>,
    turn: usize,
    /// Where each input's remapped events come out (keymapd: each keyboard's own clone), or one
    /// output for every input.
    outputs: Vec<Output>,
    pid: u32,
    /// Latency from write to the kernel's stamp on the output, and to our read returning.
    stamped: Vec<f64>,
    received: Vec<f64>,
}

impl Contender<'_> {
    /// One event through the contender, timed.
    fn one(&mut self, code: u16, value: i32) -> Result<(), String> {
        let stray = self.drain()?;
        if stray > 0 {
            return Err(format!("{}: {stray} unexpected events on the output", self.name));
        }
        let t0 = evio::now();
        self.input().key(code, value)?;
        let e = self
            .output()
            .expect(swap(code), value, Duration::from_secs(5))
            .map_err(|e| format!("{}: {e}", self.name))?;
        let t2 = evio::now();
        self.stamped.push(micros(evio::stamp(&e).saturating_sub(t0)));
        self.received.push(micros(t2 - t0));
        Ok(())
    }
    /// The keyboard whose turn it is.
    fn input(&self) -> &Synthetic {
        self.inputs[self.turn % self.inputs.len()]
    }
    /// Where the keyboard whose turn it is comes out.
    fn output(&mut self) -> &mut Output {
        let n = self.outputs.len();
        &mut self.outputs[self.turn % n]
    }
    /// Discards whatever is queued on every output; returns how many key events that was.
    fn drain(&mut self) -> Result<usize, String> {
        let mut n = 0;
        for out in &mut self.outputs {
            n += out.drain()?;
        }
        Ok(n)
    }
    /// Taps a remapped key on every keyboard until it comes through (the contender has grabbed
    /// them all and remaps).
    fn wait_through(&mut self, within: Duration) -> Result<(), String> {
        for _ in 0..self.inputs.len() {
            let deadline = Instant::now() + within;
            loop {
                self.input().key(LEFTCTRL, 1)?;
                self.input().key(LEFTCTRL, 0)?;
                if self.output().expect(LEFTMETA, 0, Duration::from_millis(300)).is_ok() {
                    break;
                }
                if Instant::now() > deadline {
                    return Err(format!(
                        "{}: nothing typed on its keyboard {} came through in {within:?}",
                        self.name,
                        self.turn % self.inputs.len() + 1
                    ));
                }
            }
            self.turn += 1;
        }
        self.turn = 0;
        std::thread::sleep(Duration::from_millis(50));
        self.drain()?;
        Ok(())
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

/// What one contender showed in one latency phase.
struct Measured {
    name: &'static str,
    s: Stats,
    /// The p50 of each round (the phase's presses cut into `--rounds` consecutive parts).
    rounds: Vec<f64>,
    /// CPU time and context switches of all its threads over the phase, per event.
    cpu_us: f64,
    wakeups: f64,
}

/// One latency phase: `presses` presses, for each one every contender in a random order, down
/// then up, so that whatever the machine does meanwhile falls on all of them alike. Prints a line
/// per contender.
fn phase(o: &Opts, cs: &mut [Contender<'_>], presses: usize, label: &str) -> Result<Vec<Measured>, String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let gap = |rng: &mut Rng| Duration::from_micros(o.gap_us / 2 + rng.next() % (o.gap_us + 1));
    let mut order: Vec<usize> = (0..cs.len()).collect();
    for c in cs.iter_mut() {
        c.stamped.clear();
        c.received.clear();
        c.turn = 0;
    }
    let before: Vec<load::Cost> = cs.iter().map(|c| load::cost(c.pid)).collect();
    for i in 0..presses {
        let code = KEYS[i % KEYS.len()];
        for j in (1..order.len()).rev() {
            order.swap(j, (rng.next() % (j as u64 + 1)) as usize);
        }
        for &c in &order {
            cs[c].one(code, 1)?;
            std::thread::sleep(gap(&mut rng));
            cs[c].one(code, 0)?;
            cs[c].turn += 1;
            std::thread::sleep(gap(&mut rng));
        }
    }
    let mut out = Vec::new();
    for (c, before) in cs.iter_mut().zip(before) {
        let cost = load::cost(c.pid) - before;
        let events = c.stamped.len().max(1) as f64;
        let per = (c.stamped.len() / o.rounds.max(1)).max(1);
        let rounds: Vec<f64> = c.stamped.chunks(per).map(|r| stats(&mut r.to_vec()).p50).collect();
        let s = stats(&mut c.stamped);
        let r = stats(&mut c.received);
        let m = Measured {
            name: c.name,
            s,
            rounds,
            cpu_us: cost.cpu_ns as f64 / 1000.0 / events,
            wakeups: cost.switches as f64 / events,
        };
        report(&format!(
            "latency {label:<12} {:<8} n={} p50={:.0}us p90={:.0}us p99={:.0}us max={:.0}us mean={:.0}us cpu={:.1}us/event wakeups={:.2}/event (to the bench's read: p50={:.0}us p99={:.0}us)",
            c.name, m.s.n, m.s.p50, m.s.p90, m.s.p99, m.s.max, m.s.mean, m.cpu_us, m.wakeups, r.p50, r.p99
        ));
        out.push(m);
    }
    Ok(out)
}

fn find<'m>(ms: &'m [Measured], name: &str) -> Option<&'m Measured> {
    ms.iter().find(|m| m.name == name)
}

/// The median over rounds of keymapd's p50 divided by the other's, round by round.
fn round_ratio(k: &Measured, x: &Measured) -> f64 {
    let mut r: Vec<f64> = k.rounds.iter().zip(&x.rounds).map(|(a, b)| a / b).collect();
    if r.is_empty() {
        return f64::NAN;
    }
    median(&mut r)
}

/// keymapd against every other contender of a phase; with `judge`, against the targets too.
fn ratios(label: &str, ms: &[Measured], judge: bool) -> bool {
    let Some(k) = find(ms, "keymapd") else { return true };
    let mut ok = true;
    let mut target = |pass: bool, what: &str| -> String {
        if judge {
            ok &= pass;
            format!(" (target {what} {})", verdict(pass))
        } else {
            String::new()
        }
    };
    if let Some(e) = find(ms, "floor-ep") {
        let r50 = k.s.p50 / e.s.p50;
        let t = target(r50 <= 1.03, "<=1.03");
        report(&format!(
            "ratio {label:<12} keymapd/floor-ep p50={r50:.3}{t} p90={:.3} p99={:.3} per-round p50={:.3}",
            k.s.p90 / e.s.p90,
            k.s.p99 / e.s.p99,
            round_ratio(k, e)
        ));
    }
    if let Some(f) = find(ms, "floor") {
        let r99 = k.s.p99 / f.s.p99;
        let t = target(r99 <= 1.05, "<=1.05");
        report(&format!(
            "ratio {label:<12} keymapd/floor    p50={:.3} p90={:.3} p99={r99:.3}{t} per-round p50={:.3}",
            k.s.p50 / f.s.p50,
            k.s.p90 / f.s.p90,
            round_ratio(k, f)
        ));
    }
    for peer in ["kanata", "keyd"] {
        if let Some(x) = find(ms, peer) {
            let rr = round_ratio(k, x);
            let t = target(rr <= 0.95, "<=0.95");
            report(&format!(
                "ratio {label:<12} keymapd/{peer:<7} p50={:.3} (median of {} per-round ratios {rr:.3}{t}) p90={:.3} p99={:.3} cpu={:.3} wakeups={:.3}",
                k.s.p50 / x.s.p50,
                k.rounds.len().min(x.rounds.len()),
                k.s.p90 / x.s.p90,
                k.s.p99 / x.s.p99,
                k.cpu_us / x.cpu_us,
                k.wakeups / x.wakeups
            ));
        }
    }
    ok
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

    c.drain()?;
    let expected: Vec<(u16, i32)> =
        (0..n).map(|i| (swap(KEYS[(i / 2) % KEYS.len()]), if i % 2 == 0 { 1 } else { 0 })).collect();
    let fd = c.output().fd.try_clone().map_err(|e| e.to_string())?;
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
        c.inputs[0].key(KEYS[(i / 2) % KEYS.len()], value)?;
    }
    let end = evio::now();
    c.inputs[0].key(F24, 1)?;
    c.inputs[0].key(F24, 0)?;
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
    c.drain()?;
    for i in 0..presses {
        let code = KEYS[i % KEYS.len()];
        // Typing speed, not a flood: the contender goes back to sleep between events (strace
        // slows it down enough that, without the pause, the next event would already wait).
        c.input().key(code, 1)?;
        c.output().expect(swap(code), 1, Duration::from_secs(5))?;
        std::thread::sleep(Duration::from_millis(10));
        c.input().key(code, 0)?;
        c.output().expect(swap(code), 0, Duration::from_secs(5))?;
        c.turn += 1;
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
    load::fifo_self(20)?;
    if let Some(bytes) = o.fault_around {
        set_fault_around(bytes)?;
    }
    let config = o.work.join("profiles");
    let _ = std::fs::remove_dir_all(&config);
    write_profiles(&config, 4, o.keyboards)?;
    let notify = Notify::bind(o.work.join("notify.sock"))?;
    let kbs = o.keyboards;
    let mut ok = true;
    let with_kanata = o.kanata.exists();

    let kb1 = Synthetic::new(KB1, 1)?;
    let kb2 = Synthetic::new(KB2, 2)?;
    let kbf = Synthetic::new(KBF, 3)?;
    let kbe = Synthetic::new(KBE, 4)?;
    let kbk = if with_kanata { Some(Synthetic::new(KBK, 5)?) } else { None };
    let kbd = if o.keyd.is_some() { Some(Synthetic::new(KBD, 6)?) } else { None };
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
    let daemon = daemon.ok_or("--starts must be at least 1")?;
    let (mut floor, floor_start) = start_floor(o, &notify, false)?;
    let floor_pid = floor.id();
    let guard = scopeguard(&mut floor);
    let (mut floor_epoll, _) = start_floor(o, &notify, true)?;
    let guard_epoll = scopeguard(&mut floor_epoll);
    let kanata_log = o.work.join("kanata.log");
    let mut kanata = match &kbk {
        Some(_) => {
            let cfg = o.work.join("kanata.kbd");
            std::fs::write(&cfg, peers::kanata_config(KBK)).map_err(|e| format!("{}: {e}", cfg.display()))?;
            Some(peers::start_kanata(&o.kanata, &cfg, &kanata_log)?)
        }
        None => {
            report(&format!("kanata not measured: no {}", o.kanata.display()));
            None
        }
    };
    let guard_kanata = kanata.as_mut().map(scopeguard);
    let keyd_log = o.work.join("keyd.log");
    let mut keyd = match (&o.keyd, &kbd) {
        (Some(bin), Some(_)) => Some(peers::start_keyd(bin, &peers::keyd_config(0xfeed, 6), &keyd_log)?),
        _ => None,
    };
    let guard_keyd = keyd.as_mut().map(scopeguard);

    let mut cs = vec![
        Contender {
            name: "keymapd",
            inputs: vec![&kb1],
            turn: 0,
            outputs: vec![Output::clone_of(KB1)?],
            pid: daemon.pid(),
            stamped: Vec::new(),
            received: Vec::new(),
        },
        Contender {
            name: "floor",
            inputs: vec![&kbf],
            turn: 0,
            outputs: vec![Output::open(FLOOR_OUTPUT)?],
            pid: floor_pid,
            stamped: Vec::new(),
            received: Vec::new(),
        },
        Contender {
            name: "floor-ep",
            inputs: vec![&kbe],
            turn: 0,
            outputs: vec![Output::open(FLOOR_EPOLL_OUTPUT)?],
            pid: guard_epoll.0.id(),
            stamped: Vec::new(),
            received: Vec::new(),
        },
    ];
    for (name, kb, child, output, log) in [
        ("kanata", &kbk, &guard_kanata, peers::KANATA_OUTPUT, &kanata_log),
        ("keyd", &kbd, &guard_keyd, peers::KEYD_OUTPUT, &keyd_log),
    ] {
        if let (Some(kb), Some(child)) = (kb, child) {
            let output = evio::find(output, Duration::from_secs(60))
                .map(|_| Output::open(output))
                .map_err(|e| format!("{name}: {e}; its log:\n{}", peers::log_tail(log)))??;
            cs.push(Contender {
                name,
                inputs: vec![kb],
                turn: 0,
                outputs: vec![output],
                pid: child.0.id(),
                stamped: Vec::new(),
                received: Vec::new(),
            });
        }
    }
    for c in cs.iter_mut() {
        c.wait_through(Duration::from_secs(30))?;
    }
    // The second keyboard is keymapd's too (bench-layers.toml): make sure it is grabbed.
    if o.keyboards > 1 {
        let mut out2 = Output::clone_of(KB2)?;
        kb2.key(30, 1)?;
        kb2.key(30, 0)?;
        out2.expect(30, 0, Duration::from_secs(5)).map_err(|e| format!("keyboard 2: {e}"))?;
    }
    std::thread::sleep(Duration::from_millis(100));
    cs[0].drain()?;
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
    let before: Vec<u64> = cs.iter().map(|c| load::cost(c.pid).switches).collect();
    std::thread::sleep(Duration::from_secs(o.idle_s));
    for (c, before) in cs.iter().zip(before) {
        let woke = load::cost(c.pid).switches - before;
        let target =
            if c.name == "keymapd" { format!(" (target 0 {})", verdict(woke == 0)) } else { String::new() };
        report(&format!(
            "idle {:<8} wakeups={woke} over {} s, {} threads{target}",
            c.name,
            o.idle_s,
            threads(c.pid)
        ));
        if c.name == "keymapd" {
            ok &= woke == 0;
        }
    }
    let mem = |pid: u32| (status_kib(pid, "VmRSS:"), status_kib(pid, "VmHWM:"), status_kib(pid, "RssAnon:"));
    let (rss, hwm, anon) = mem(cs[0].pid);
    // The VM's root is in RAM (initramfs): the program's and the libraries' pages count as shmem.
    let file = status_kib(cs[0].pid, "RssFile:") + status_kib(cs[0].pid, "RssShmem:");
    let exact = rollup_rss(cs[0].pid);
    let (frss, _, fanon) = mem(cs[1].pid);
    report(&format!(
        "memory keymapd VmRSS={:.2}MiB (anon {:.2}MiB, file {:.2}MiB) VmHWM={:.2}MiB smaps Rss={:.2}MiB with {kbs} keyboards, 4 profiles (target <4MiB {}); floor VmRSS={:.2}MiB (anon {:.2}MiB)",
        rss as f64 / 1024.0,
        anon as f64 / 1024.0,
        file as f64 / 1024.0,
        hwm as f64 / 1024.0,
        exact as f64 / 1024.0,
        verdict(rss.max(exact) < 4096),
        frss as f64 / 1024.0,
        fanon as f64 / 1024.0
    ));
    report(&format!("smaps keymapd {}", smaps(cs[0].pid)));
    if o.fault_around.is_some() {
        report(&format!("pages keymapd {}", resident_pages(cs[0].pid)));
    }
    report(&format!("smaps floor {}", smaps(cs[1].pid)));
    for c in &cs[3..] {
        let (r, _, a) = mem(c.pid);
        report(&format!(
            "memory {:<8} VmRSS={:.2}MiB (anon {:.2}MiB), {} threads",
            c.name,
            r as f64 / 1024.0,
            a as f64 / 1024.0,
            threads(c.pid)
        ));
    }
    ok &= rss.max(exact) < 4096;

    // Latency, interleaved press by press: unloaded (judged), then under load.
    let unloaded = phase(o, &mut cs, o.presses, "unloaded")?;
    ok &= ratios("unloaded", &unloaded, true);
    if o.control_flood > 0 {
        // Informational (no target): the same interleaved measurement while clients flood the
        // control socket.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flooders = control_flood(o.control_flood, &stop);
        std::thread::sleep(Duration::from_millis(500));
        report(&format!("latency below: while {} clients flood /run/keymapd/control.sock", o.control_flood));
        let flooded = phase(o, &mut cs, o.presses, "control-flood");
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (mut conns, mut lines) = (0u64, 0u64);
        for t in flooders {
            let (c, l) = t.join().unwrap_or((0, 0));
            conns += c;
            lines += l;
        }
        ratios("control-flood", &flooded?, false);
        report(&format!(
            "control flood: {} clients made {conns} connections and sent {lines} lines (each dropped by keymapd's rate limit)",
            o.control_flood
        ));
    }
    let (rss2, hwm2, _) = mem(cs[0].pid);
    report(&format!(
        "memory keymapd after {} presses: VmRSS={:.2}MiB VmHWM={:.2}MiB",
        o.presses,
        rss2 as f64 / 1024.0,
        hwm2 as f64 / 1024.0
    ));
    if o.load_presses > 0 {
        under_load(o, &mut cs, &unloaded)?;
    }

    // Flood, keymapd and the floor in turn.
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
    daemon.stop()?;
    drop(guard_keyd);
    drop(guard_kanata);

    // Many keyboards, many profiles.
    let scale_kbs: Vec<Synthetic> = if o.scale_presses > 0 || o.reloads > 0 || o.callgrind_events > 0 {
        let v = (1..=SCALE_MAX)
            .map(|i| Synthetic::new(&scale_name(i), 0x100 + i as u16))
            .collect::<Result<Vec<_>, _>>()?;
        let _ = Command::new("udevadm").args(["settle", "--timeout=30"]).status();
        v
    } else {
        Vec::new()
    };
    if o.scale_presses > 0 {
        scale(o, &notify, &scale_kbs, &kbe, guard_epoll.0.id())?;
    }
    if o.reloads > 0 {
        many_profiles(o, &notify)?;
    }
    drop(guard_epoll);
    drop(guard);
    if o.callgrind_events > 0 {
        if o.valgrind.exists() {
            callgrind(o, &notify, &scale_kbs)?;
        } else {
            report(&format!("instructions not measured: no {}", o.valgrind.display()));
        }
    }
    Ok(ok)
}

/// The load phases: the same interleaved measurement with a SCHED_IDLE spinner on every vCPU
/// (the CPU never idles, nobody loses CPU time), with a CPU hog on every vCPU, with keymapd under
/// each scheduling choice against the hog, and with memory pressure.
fn under_load(o: &Opts, cs: &mut [Contender<'_>], unloaded: &[Measured]) -> Result<(), String> {
    let kpid = cs[0].pid;
    let mut rows: Vec<(String, Vec<Measured>)> = Vec::new();
    {
        let _l = load::Load::start(load::LoadKind::IdleSpinner);
        rows.push(("spinner".into(), phase(o, cs, o.load_presses, "spinner")?));
    }
    let choices = [load::Sched::Nice(-10), load::Sched::Rr(1), load::Sched::Fifo(1)];
    {
        let _l = load::Load::start(load::LoadKind::Hog);
        rows.push(("hog".into(), phase(o, cs, o.load_presses, "hog")?));
        for ch in choices {
            ch.apply(kpid)?;
            let label = format!("hog+{}", ch.label());
            let r = phase(o, cs, o.load_presses, &label);
            load::Sched::Default.apply(kpid)?;
            rows.push((label, r?));
        }
    }
    {
        let _l = load::Load::start(load::LoadKind::Memory);
        rows.push(("memory".into(), phase(o, cs, o.load_presses, "memory")?));
        let ch = load::Sched::Fifo(1);
        ch.apply(kpid)?;
        let label = format!("memory+{}", ch.label());
        let r = phase(o, cs, o.load_presses, &label);
        load::Sched::Default.apply(kpid)?;
        rows.push((label, r?));
    }
    for (label, ms) in &rows {
        ratios(label, ms, false);
    }
    // How p99 moves, each against the same contender unloaded.
    for name in ["floor", "floor-ep", "keymapd", "kanata", "keyd"] {
        let Some(base) = find(unloaded, name) else { continue };
        let cells: Vec<String> = rows
            .iter()
            .filter_map(|(label, ms)| {
                find(ms, name).map(|m| format!("{label}={:.0}us ({:.2}x)", m.s.p99, m.s.p99 / base.s.p99))
            })
            .collect();
        report(&format!("load p99 {name:<8} unloaded={:.0}us {}", base.s.p99, cells.join(" ")));
    }
    // The phases run one after the other, so a change in the host's load between them moves
    // every contender's p99 alike: the same figure divided by the floor's of the same phase
    // (against the same quotient unloaded) takes that drift out.
    let base = find(unloaded, "keymapd").map(|m| m.s.p99).unwrap_or(f64::NAN);
    let base_floor = find(unloaded, "floor").map(|m| base / m.s.p99).unwrap_or(f64::NAN);
    for (label, ms) in rows.iter().filter(|(l, _)| l.starts_with("hog") || l.starts_with("memory")) {
        if let (Some(k), Some(f)) = (find(ms, "keymapd"), find(ms, "floor")) {
            let r = k.s.p99 / base;
            let rf = k.s.p99 / f.s.p99 / base_floor;
            report(&format!(
                "load verdict {label:<12} keymapd p99={:.0}us = {r:.2}x unloaded (target <=1.5 {}); against the floor of the same phase {:.2}x its unloaded ratio ({})",
                k.s.p99,
                verdict(r <= 1.5),
                rf,
                verdict(rf <= 1.5)
            ));
        }
    }
    Ok(())
}

/// The most keyboards the scale phase grabs.
const SCALE_MAX: usize = 16;

fn scale_name(i: usize) -> String {
    format!("keymapd-bench scale keyboard {i:02}")
}

/// Latency and cost per event with 1, 4 and 16 grabbed keyboards (typed on in turn), each
/// interleaved with the epoll floor.
fn scale(
    o: &Opts,
    notify: &Notify,
    kbs: &[Synthetic],
    kbe: &Synthetic,
    floor_pid: u32,
) -> Result<(), String> {
    let mut seen = Vec::new();
    for k in [1, 4, SCALE_MAX] {
        let dir = o.work.join(format!("scale-{k}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let ids: Vec<String> = (1..=k).map(|i| format!("\"name:{}\"", scale_name(i))).collect();
        std::fs::write(dir.join("bench-swap.toml"), with_ids(SWAP_PROFILE, &ids.join(", ")))
            .map_err(|e| e.to_string())?;
        let (d, _) = start_keymapd(o, notify, &dir, 200 + k)?;
        let mut cs = vec![
            Contender {
                name: "keymapd",
                inputs: kbs[..k].iter().collect(),
                turn: 0,
                outputs: (1..=k).map(|i| Output::clone_of(&scale_name(i))).collect::<Result<_, _>>()?,
                pid: d.pid(),
                stamped: Vec::new(),
                received: Vec::new(),
            },
            Contender {
                name: "floor-ep",
                inputs: vec![kbe],
                turn: 0,
                outputs: vec![Output::open(FLOOR_EPOLL_OUTPUT)?],
                pid: floor_pid,
                stamped: Vec::new(),
                received: Vec::new(),
            },
        ];
        cs[0].wait_through(Duration::from_secs(30))?;
        let label = format!("{k}-keyboards");
        let ms = phase(o, &mut cs, o.scale_presses, &label)?;
        ratios(&label, &ms, false);
        syscalls(&mut cs[0], 100)?;
        let (km, fm) = (&ms[0], &ms[1]);
        seen.push((k, km.cpu_us / fm.cpu_us, km.s.p50 / fm.s.p50, km.wakeups));
        drop(cs);
        d.stop()?;
    }
    let (_, c1, p1, _) = seen[0];
    let cells: Vec<String> = seen
        .iter()
        .map(|(k, c, p, w)| {
            format!("{k}kb: cpu/event {c:.2}x the floor's, p50 {p:.2}x, wakeups {w:.2}/event")
        })
        .collect();
    let (_, c16, p16, _) = seen[seen.len() - 1];
    report(&format!(
        "scale keymapd {} ; 16 against 1 keyboard: cpu/event {:.2}x, p50 {:.2}x (the floor's own cost divides out)",
        cells.join("; "),
        c16 / c1,
        p16 / p1
    ));
    Ok(())
}

/// Start-up to READY=1 with 16 keyboards and 50 profiles, and reload time with those 50.
fn many_profiles(o: &Opts, notify: &Notify) -> Result<(), String> {
    let dir = o.work.join("profiles-50");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let texts = [SWAP_PROFILE, LAYERS_PROFILE, HEAVY_PROFILE];
    for i in 1..=50 {
        let ids = if i <= SCALE_MAX {
            format!("\"name:{}\"", scale_name(i))
        } else {
            format!("\"name:keymapd-bench absent {i}\"")
        };
        std::fs::write(dir.join(format!("bench-{i:02}.toml")), with_ids(texts[i % 3], &ids))
            .map_err(|e| e.to_string())?;
    }
    let mut times = Vec::new();
    let mut daemon = None;
    for n in 0..o.starts {
        let (d, t) = start_keymapd(o, notify, &dir, 300 + n)?;
        times.push(millis(t));
        if n + 1 < o.starts {
            d.stop()?;
        } else {
            daemon = Some(d);
        }
    }
    let daemon = daemon.ok_or("--starts must be at least 1")?;
    let m = median(&mut times);
    report(&format!(
        "startup keymapd profiles=50 keyboards={SCALE_MAX} to READY: median={m:.1}ms min={:.1}ms max={:.1}ms over {} starts",
        times[0],
        times[times.len() - 1],
        times.len()
    ));
    notify.drain(Duration::from_millis(500));
    let mut times = Vec::new();
    for _ in 0..o.reloads {
        let t0 = evio::now();
        daemon.signal(libc::SIGHUP);
        notify.wait_for("RELOADING=1", Duration::from_secs(10))?;
        let t1 = notify.wait_for("READY=1", Duration::from_secs(20))?;
        times.push(millis(t1 - t0));
        std::thread::sleep(Duration::from_millis(50));
    }
    let m = median(&mut times);
    report(&format!(
        "reload keymapd profiles=50 keyboards={SCALE_MAX} SIGHUP to READY: median={m:.1}ms min={:.1}ms max={:.1}ms over {} reloads",
        times[0],
        times[times.len() - 1],
        times.len()
    ));
    daemon.stop()
}

/// User-space instructions per input event in the daemon, counted by callgrind: keymapd runs
/// under valgrind; once it is ready and idle, callgrind's counters are zeroed (`vgdb zero`), the
/// bench types, and the counters are dumped (`vgdb dump`) before anything else happens. So the
/// count is the event path alone, whole (mio, the read, the engine, the merger, the frame, the
/// write), with no start-up or shutdown in it. Deterministic, unlike a time.
fn callgrind(o: &Opts, notify: &Notify, kbs: &[Synthetic]) -> Result<(), String> {
    let events = o.callgrind_events.max(2) / 2 * 2;
    let mut per_event = Vec::new();
    for (label, text, k) in
        [("swap", SWAP_PROFILE, 1), ("heavy", HEAVY_PROFILE, 1), ("swap", SWAP_PROFILE, SCALE_MAX)]
    {
        let dir = o.work.join(format!("cg-{label}-{k}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let ids: Vec<String> = (1..=k).map(|i| format!("\"name:{}\"", scale_name(i))).collect();
        std::fs::write(dir.join(format!("bench-{label}.toml")), with_ids(text, &ids.join(", ")))
            .map_err(|e| e.to_string())?;
        // The daemon's own program, which `keymapd run` would exec: callgrind then counts it
        // from its start without following an exec.
        let daemon = o.keymapd.with_file_name("keymapd-daemon");
        let argv = [daemon.as_os_str(), "--config".as_ref(), dir.as_os_str()].map(Into::into);
        let ir = callgrind_run(o, notify, &argv, &kbs[..k], events, &format!("{label}-{k}"))?;
        let per = ir as f64 / events as f64;
        report(&format!(
            "instructions keymapd profile={label} keyboards={k}: {per:.0} per input event (callgrind Ir {ir} over {events} key events typed on {k} keyboard{})",
            if k == 1 { "" } else { "s in turn" }
        ));
        per_event.push((label, k, per));
    }
    // The epoll floor the same way: the least an event loop does per event, in instructions.
    let mut argv: Vec<std::ffi::OsString> = vec![
        o.floor.clone().into(),
        "--epoll".into(),
        "--output".into(),
        "keymapd-bench callgrind floor".into(),
    ];
    argv.push(scale_name(1).into());
    argv.extend(FLOOR_MAP.iter().map(Into::into));
    let ir = callgrind_run(o, notify, &argv, &kbs[..1], events, "floor-ep-1")?;
    let floor = ir as f64 / events as f64;
    report(&format!(
        "instructions floor-ep profile=swap keyboards=1: {floor:.0} per input event (callgrind Ir {ir} over {events} key events)"
    ));
    let one = per_event.iter().find(|p| p.1 == 1 && p.0 == "swap").map(|p| p.2);
    if let Some(one) = one {
        report(&format!(
            "instructions keymapd swap against the epoll floor: {one:.0} - {floor:.0} = {:.0} more user-space instructions per event ({:.2}x)",
            one - floor,
            one / floor
        ));
    }
    let many = per_event.iter().find(|p| p.1 == SCALE_MAX).map(|p| p.2);
    if let (Some(one), Some(many)) = (one, many) {
        report(&format!(
            "instructions keymapd swap with {SCALE_MAX} keyboards against 1: {:.3}x per event (target: no growth)",
            many / one
        ));
    }
    Ok(())
}

/// Runs `vgdb --pid=PID COMMAND` (a callgrind monitor command).
fn vgdb(pid: u32, command: &str) -> Result<(), String> {
    let out = Command::new("/usr/bin/vgdb")
        .arg(format!("--pid={pid}"))
        .arg(command)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("vgdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "vgdb --pid={pid} {command}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// One program (keymapd or the floor, `argv`) under callgrind: start, zero the counters, type
/// `events` key events (press and release in turn over the keyboards, 20 ms apart), dump; returns
/// the instructions counted.
fn callgrind_run(
    o: &Opts,
    notify: &Notify,
    argv: &[std::ffi::OsString],
    kbs: &[Synthetic],
    events: usize,
    tag: &str,
) -> Result<u64, String> {
    notify.drain(Duration::ZERO);
    let out = o.work.join(format!("callgrind.{tag}.out"));
    let cg_out = format!("--callgrind-out-file={}", out.display());
    let mut args: Vec<&std::ffi::OsStr> = vec!["--tool=callgrind".as_ref(), cg_out.as_ref()];
    args.extend(argv.iter().map(|a| a.as_os_str()));
    let mut d = spawn_notifying(&o.valgrind, &args, notify, o.work.join(format!("callgrind.{tag}.log")))?;
    let t0 = Instant::now();
    loop {
        if notify.wait_for("READY=1", Duration::from_secs(1)).is_ok() {
            break;
        }
        let exited = d.child.try_wait().map_err(|e| e.to_string())?;
        if exited.is_some() || t0.elapsed() > Duration::from_secs(600) {
            let tail = d.log_tail();
            let _ = d.stop();
            return Err(format!(
                "{tag} under callgrind: no READY=1 within {:?} (exit status {exited:?}); its log:\n{tail}",
                t0.elapsed()
            ));
        }
    }
    // Idle first: whatever start-up left to do (udev's answers, the grab) is done.
    std::thread::sleep(Duration::from_secs(2));
    let fail = |d: Daemon, e: String| {
        let tail = d.log_tail();
        let _ = d.stop();
        format!("{tag} under callgrind: {e}; its log:\n{tail}")
    };
    if let Err(e) = vgdb(d.pid(), "zero") {
        return Err(fail(d, e));
    }
    for i in 0..events / 2 {
        let kb = &kbs[i % kbs.len()];
        let code = KEYS[i % KEYS.len()];
        kb.key(code, 1)?;
        std::thread::sleep(Duration::from_millis(20));
        kb.key(code, 0)?;
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_secs(1));
    if let Err(e) = vgdb(d.pid(), "dump") {
        return Err(fail(d, e));
    }
    d.stop()?;
    let dumped = PathBuf::from(format!("{}.1", out.display()));
    let text = std::fs::read_to_string(&dumped).map_err(|e| format!("{}: {e}", dumped.display()))?;
    // The profile itself, for tests/vm/bench.sh to keep on the host (callgrind_annotate there
    // shows where the instructions go).
    for l in text.lines() {
        println!("@@KEYMAPD-CALLGRIND {tag} {l}");
    }
    text.lines()
        .find_map(|l| l.strip_prefix("summary:").or(l.strip_prefix("totals:")))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or(format!("{}: no totals line", dumped.display()))
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
