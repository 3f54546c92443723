//! Runs one scenario's steps against the kernel and the daemon.

use crate::daemon::{self, Daemon};
use crate::dev::{self, Ev, Reader, Synthetic};
use crate::names::*;
use crate::script::{CloneCheck, Cmd, DevKind, KeyEv, NodeRef, RawEv, Step, Target};
use std::collections::HashMap;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What the `phys` of every virtual clone the daemon makes starts with.
pub const CLONE_PHYS_PREFIX: &str = "keymapd/";
pub const POINTER_NAME: &str = "keymapd virtual pointer";
/// How long `expect` waits for each event.
const EVENT_TIMEOUT: Duration = Duration::from_secs(2);
const READY_TIMEOUT: Duration = Duration::from_secs(15);

struct Virtual {
    /// The input device's number (`/sys/class/input/inputN`): the kernel never hands out a
    /// number twice, so a device of the same name with another number is a new device.
    num: u32,
    node: PathBuf,
    reader: Reader,
}

impl Virtual {
    fn sys(&self) -> PathBuf {
        PathBuf::from(format!("/sys/class/input/input{}", self.num))
    }
}

struct RunResult {
    argv: String,
    code: i32,
    stdout: String,
    stderr: String,
}

pub struct Scenario {
    pub name: String,
    pub dir: PathBuf,
    pub conf: PathBuf,
    devs: HashMap<String, Synthetic>,
    daemon: Option<Daemon>,
    daemons_started: usize,
    /// The daemon's virtual clones of the synthetic keyboards, by keyboard name, once opened.
    clones: HashMap<String, Virtual>,
    /// The `phys` of each synthetic device's clone, by device name.
    phys: HashMap<String, String>,
    /// By device name: clones up to this input number belong to an earlier device of that name.
    stale: HashMap<String, u32>,
    /// The keyboard a key was last sent to: `expect` without a device reads its clone.
    last_typed: Option<String>,
    /// The daemon's virtual pointer, opened by the first step that names `pointer`.
    ptr: Option<Virtual>,
    repeats: bool,
    env: Vec<(String, String)>,
    last_run: Option<RunResult>,
    /// Process groups of `run` commands (they may leave background children).
    run_groups: Vec<i32>,
    /// Logs of daemons this scenario started (checked for panics at the end).
    daemon_logs: Vec<PathBuf>,
    backgrounds: usize,
    background_logs: Vec<PathBuf>,
    /// `daemon attach`: the virtual keyboard belongs to a keymapd someone else runs.
    external: bool,
}

type R<T = ()> = Result<T, String>;

impl Scenario {
    pub fn new(name: &str) -> R<Scenario> {
        let dir = PathBuf::from("/tmp/scn").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        let conf = dir.join("conf");
        std::fs::create_dir_all(&conf).map_err(|e| format!("mkdir {}: {e}", conf.display()))?;
        for d in ["/tmp/scn", dir.to_str().unwrap_or("/tmp/scn"), conf.to_str().unwrap_or("/tmp/scn")] {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755));
        }
        Ok(Scenario {
            name: name.to_string(),
            dir,
            conf,
            devs: HashMap::new(),
            daemon: None,
            daemons_started: 0,
            clones: HashMap::new(),
            phys: HashMap::new(),
            stale: HashMap::new(),
            last_typed: None,
            ptr: None,
            repeats: false,
            env: Vec::new(),
            last_run: None,
            run_groups: Vec::new(),
            daemon_logs: Vec::new(),
            backgrounds: 0,
            background_logs: Vec::new(),
            external: false,
        })
    }

    /// Runs the steps; on failure returns `(reason, details)`.
    pub fn run(&mut self, steps: &[Step]) -> Result<(), (String, Vec<String>)> {
        let trace = std::env::var_os("KEYMAPD_TESTBED_TRACE").is_some_and(|v| v != "0");
        for s in steps {
            let t0 = Instant::now();
            let res = self.step(s);
            if trace {
                println!("    {:>6} ms  line {}: {}", t0.elapsed().as_millis(), s.line, s.text);
            }
            if let Err(e) = res {
                let mut details = vec![format!("failed at line {}: {}", s.line, s.text)];
                details.extend(self.failure_details());
                return Err((format!("{e} (line {})", s.line), details));
            }
        }
        Ok(())
    }

    fn failure_details(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(d) = &self.daemon {
            out.push(format!("daemon: {}", d.argv));
            out.push("daemon log (last 40 lines):".into());
            out.extend(d.log_tail(40).into_iter().map(|l| format!("  | {l}")));
        }
        for log in &self.background_logs {
            let text =
                std::fs::read(log).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            out.push(format!("{} (last 20 lines):", log.display()));
            out.extend(lines[lines.len().saturating_sub(20)..].iter().map(|l| format!("  | {l}")));
        }
        if let Some(r) = &self.last_run {
            out.push(format!("last run: {} -> exit {}", r.argv, r.code));
            for (what, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
                let lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    out.push(format!("{what} (last 20 lines):"));
                    for l in &lines[lines.len().saturating_sub(20)..] {
                        out.push(format!("  | {l}"));
                    }
                }
            }
        }
        out
    }

    /// Tears everything down; returns a failure found on the way (a daemon
    /// panic that no step noticed).
    pub fn cleanup(&mut self) -> Option<(String, Vec<String>)> {
        let mut problem = None;
        if let Some(mut d) = self.daemon.take() {
            d.stop(Duration::from_secs(3));
        }
        // Whatever `run` left behind (`sh -c "… &"`), then any other keymapd.
        for g in self.run_groups.drain(..) {
            // SAFETY: kill(2) on a process group we created.
            unsafe { libc::kill(-g, libc::SIGKILL) };
        }
        daemon::kill_descendants();
        for log in &self.daemon_logs {
            let text =
                std::fs::read(log).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            if let Some(l) = text.lines().find(|l| l.contains("panicked at")) {
                let lines: Vec<&str> = text.lines().collect();
                problem = Some((
                    format!("daemon panicked: {}", l.trim()),
                    lines[lines.len().saturating_sub(40)..].iter().map(|l| format!("  | {l}")).collect(),
                ));
                break;
            }
        }
        self.clones.clear();
        self.last_typed = None;
        self.ptr = None;
        self.devs.clear();
        self.phys.clear();
        self.stale.clear();
        let _ = std::fs::remove_dir_all(&self.conf);
        problem
    }

    fn subst(&self, s: &str) -> R<String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(pos) = rest.find('$') {
            out.push_str(&rest[..pos]);
            let tail = &rest[pos..];
            if let Some(t) = tail.strip_prefix("${node:") {
                let end = t.find('}').ok_or_else(|| format!("unterminated ${{node:…}} in `{s}`"))?;
                let dev = &t[..end];
                let node = self.node_of(&crate::script::target(dev)?)?;
                out.push_str(&node.to_string_lossy());
                rest = &t[end + 1..];
            } else if let Some(t) = tail.strip_prefix("$CONF") {
                out.push_str(&self.conf.to_string_lossy());
                rest = t;
            } else if let Some(t) = tail.strip_prefix("$DIR") {
                out.push_str(&self.dir.to_string_lossy());
                rest = t;
            } else {
                out.push('$');
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    fn node_of(&self, t: &Target) -> R<PathBuf> {
        match t {
            Target::Clone(_) => {
                let Target::Clone(Some(kb)) = self.resolve(t)? else { unreachable!() };
                match self.find_clone(&kb)? {
                    Some((_, node)) => Ok(node),
                    None => Err(format!("`{kb}` has no virtual clone (is it grabbed?)")),
                }
            }
            Target::Pointer => self.ptr.as_ref().map(|v| v.node.clone()).ok_or_else(|| {
                "the daemon's virtual pointer is not open (no `expect-on pointer` yet)".to_string()
            }),
            Target::Dev(d) => Ok(self.dev(d)?.node.clone()),
        }
    }

    fn dev(&self, name: &str) -> R<&Synthetic> {
        self.devs.get(name).ok_or_else(|| format!("no device `{name}` (create it with `keyboard {name}`)"))
    }

    fn daemon(&mut self) -> R<&mut Daemon> {
        self.daemon.as_mut().ok_or_else(|| "no daemon (use `daemon start` first)".to_string())
    }

    fn path_in(&self, base: &Path, p: &str) -> R<PathBuf> {
        let p = self.subst(p)?;
        Ok(if p.starts_with('/') { PathBuf::from(p) } else { base.join(p) })
    }

    /// `expect` without a device: the clone of the keyboard typed on last (or of the only one).
    fn resolve(&self, t: &Target) -> R<Target> {
        let Target::Clone(None) = t else { return Ok(t.clone()) };
        if let Some(kb) = &self.last_typed {
            return Ok(Target::Clone(Some(kb.clone())));
        }
        let mut kbs = self.devs.iter().filter(|(_, d)| d.spec.kind == DevKind::Keyboard);
        match (kbs.next(), kbs.next()) {
            (Some((kb, _)), None) => Ok(Target::Clone(Some(kb.clone()))),
            _ => Err("`expect` without a device reads the clone of the keyboard typed on last, and \
                      nothing was typed yet: name it (`expect-on clone:KB …`)"
                .into()),
        }
    }

    /// The `phys` of the daemon's clone of `kb` (also once `kb` is unplugged).
    fn clone_phys(&self, kb: &str) -> R<String> {
        self.phys.get(kb).cloned().ok_or_else(|| format!("no device `{kb}` was plugged in"))
    }

    /// The newest clone of `kb` in sysfs, as (input number, event node).
    fn find_clone(&self, kb: &str) -> R<Option<(u32, PathBuf)>> {
        let phys = self.clone_phys(kb)?;
        let stale = self.stale.get(kb).copied().unwrap_or(0);
        Ok(dev::find_by(|p| p.join("phys"), &phys).into_iter().rfind(|(n, _)| *n > stale))
    }

    /// Finds the daemon's clone of `kb` (waiting up to `timeout`) and opens it for reading.
    fn attach_clone(&mut self, kb: &str, timeout: Duration) -> R {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some((num, node)) = self.find_clone(kb)? {
                if node.exists() {
                    let since = self.daemon.as_ref().map(|d| d.started).unwrap_or((0, 0));
                    dev::wait_udev(&node, since, deadline.max(Instant::now() + Duration::from_secs(2)));
                    match dev::open_node(&node, true).or_else(|_| dev::open_node(&node, false)) {
                        Ok(fd) => {
                            self.clones
                                .insert(kb.to_string(), Virtual { num, node, reader: Reader::new(fd) });
                            return Ok(());
                        }
                        Err(e) if Instant::now() >= deadline => {
                            return Err(format!("open {}: {e}", node.display()))
                        }
                        Err(_) => {}
                    }
                }
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "no virtual clone of `{kb}` (an input device with phys \"{}\") within {} ms",
                    self.clone_phys(kb)?,
                    timeout.as_millis()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Opens the clones that exist of the keyboards not opened yet (at READY, before typing):
    /// an evdev reader sees only what is written after it opened the node.
    fn attach_clones_now(&mut self) {
        let kbs: Vec<String> = self
            .devs
            .iter()
            .filter(|(kb, d)| d.spec.kind == DevKind::Keyboard && !self.clones.contains_key(*kb))
            .map(|(kb, _)| kb.clone())
            .collect();
        for kb in kbs {
            let _ = self.attach_clone(&kb, Duration::ZERO);
        }
    }

    /// `clone KB yes|no|kept|mirrors`.
    fn check_clone(&mut self, kb: &str, check: CloneCheck, ms: u64) -> R {
        let deadline = Instant::now() + Duration::from_millis(ms);
        match check {
            CloneCheck::Exists => {
                if self.clones.get(kb).is_some_and(|c| c.sys().exists()) {
                    return Ok(());
                }
                self.attach_clone(kb, Duration::from_millis(ms))
            }
            CloneCheck::Gone => loop {
                let Some((num, _)) = self.find_clone(kb)? else { return Ok(()) };
                if Instant::now() >= deadline {
                    return Err(format!("the clone of `{kb}` (input{num}) is still there after {ms} ms"));
                }
                std::thread::sleep(Duration::from_millis(20));
            },
            CloneCheck::Kept => {
                let Some(old) = self.clones.get(kb) else {
                    return Err(format!("no clone of `{kb}` was opened before (`clone {kb} yes` first)"));
                };
                let stale = self.stale.get(kb).copied().unwrap_or(0);
                let mut all = dev::find_by(|p| p.join("phys"), &self.clone_phys(kb)?);
                all.retain(|(n, _)| *n > stale);
                let nums: Vec<u32> = all.iter().map(|(n, _)| *n).collect();
                if nums == [old.num] && old.sys().exists() {
                    Ok(())
                } else {
                    Err(format!(
                        "the clone of `{kb}` was input{}; now the clones of it are {nums:?}: it was recreated",
                        old.num
                    ))
                }
            }
            CloneCheck::Mirrors => {
                let Some((num, _)) = self.find_clone(kb)? else {
                    return Err(format!("`{kb}` has no virtual clone"));
                };
                let d = self.dev(kb)?;
                let sys = PathBuf::from(format!("/sys/class/input/input{num}"));
                let read = |f: &str| {
                    std::fs::read_to_string(sys.join(f)).map(|s| s.trim_end_matches('\n').to_string())
                };
                let hex = |f: &str| read(f).ok().and_then(|s| u16::from_str_radix(&s, 16).ok());
                let mut bad = Vec::new();
                for (what, got, want) in [
                    ("bustype", hex("id/bustype"), d.spec.bus),
                    ("vendor", hex("id/vendor"), d.spec.vendor),
                    ("product", hex("id/product"), d.spec.product),
                    ("version", hex("id/version"), d.spec.version),
                ] {
                    if got != Some(want) {
                        bad.push(format!("{what} {got:04x?}, expected {want:04x}"));
                    }
                }
                let name = read("name").unwrap_or_default();
                if name != d.spec.name {
                    bad.push(format!("name {name:?}, expected {:?}", d.spec.name));
                }
                let phys = read("phys").unwrap_or_default();
                if !phys.starts_with(CLONE_PHYS_PREFIX) {
                    bad.push(format!("phys {phys:?} does not start with {CLONE_PHYS_PREFIX}"));
                }
                if bad.is_empty() {
                    Ok(())
                } else {
                    Err(format!("the clone of `{kb}` (input{num}): {}", bad.join("; ")))
                }
            }
        }
    }

    /// Finds the daemon's virtual pointer (newest of that name) and opens it.
    fn attach_pointer(&mut self, timeout: Duration) -> R {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some((num, node)) = dev::find_by_name(POINTER_NAME).last().cloned() {
                if node.exists() {
                    let since = self.daemon.as_ref().map(|d| d.started).unwrap_or((0, 0));
                    dev::wait_udev(&node, since, deadline);
                    if let Ok(fd) = dev::open_node(&node, false) {
                        self.ptr = Some(Virtual { num, node, reader: Reader::new(fd) });
                        return Ok(());
                    }
                }
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "no input device named \"{POINTER_NAME}\" within {} ms",
                    timeout.as_millis()
                ));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn reader(&mut self, t: &Target) -> R<&mut Reader> {
        match t {
            Target::Pointer => {
                if self.ptr.as_ref().is_none_or(|p| p.reader.exhausted()) {
                    self.attach_pointer(Duration::from_secs(2))?;
                }
                self.ptr.as_mut().map(|p| &mut p.reader).ok_or_else(|| "no virtual pointer".into())
            }
            Target::Clone(_) => {
                let Target::Clone(Some(kb)) = self.resolve(t)? else { unreachable!() };
                match self.clones.get(&kb).map(|c| c.reader.exhausted()) {
                    Some(false) => {}
                    None => self.attach_clone(&kb, Duration::from_secs(2))?,
                    // Gone and read to the end: a new clone (the keyboard was plugged in or
                    // claimed again), or an error.
                    Some(true) => {
                        self.clones.remove(&kb);
                        self.attach_clone(&kb, Duration::from_secs(2))
                            .map_err(|e| format!("the clone of `{kb}` went away, and no new one: {e}"))?;
                    }
                }
                self.clones
                    .get_mut(&kb)
                    .map(|c| &mut c.reader)
                    .ok_or_else(|| format!("no clone of `{kb}` attached"))
            }
            Target::Dev(d) => {
                self.devs.get_mut(d).map(|s| &mut s.node_reader).ok_or_else(|| format!("no device `{d}`"))
            }
        }
    }

    fn step(&mut self, s: &Step) -> R {
        match &s.cmd {
            Cmd::WriteFile { path, body, atomic, in_conf } => {
                let base = if *in_conf { self.conf.clone() } else { self.dir.clone() };
                let p = self.path_in(&base, path)?;
                write_file(&p, body, *atomic)
            }
            Cmd::RemoveProfile(name) => {
                let p = self.path_in(&self.conf.clone(), name)?;
                std::fs::remove_file(&p).map_err(|e| format!("remove {}: {e}", p.display()))
            }
            Cmd::Plug(spec) => {
                if self.devs.contains_key(&spec.id) {
                    return Err(format!("device `{}` exists already (unplug it first)", spec.id));
                }
                // Every input device made from now on has a higher number: a clone of an earlier
                // device of that name (one may linger a moment) is never this one's.
                let newest = dev::newest_input();
                let d = Synthetic::create(spec)?;
                self.devs.insert(spec.id.clone(), d);
                self.stale.insert(spec.id.clone(), newest);
                // A clone of an earlier device of that name is not this one's.
                self.clones.remove(&spec.id);
                // The daemon's clone of it: keymapd/ and its phys, or its event node's name.
                let d = &self.devs[&spec.id];
                let tail = if d.spec.phys.is_empty() {
                    d.node.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
                } else {
                    d.spec.phys.clone()
                };
                let mut phys = format!("{CLONE_PHYS_PREFIX}{tail}");
                phys.truncate(63);
                self.phys.insert(spec.id.clone(), phys);
                Ok(())
            }
            Cmd::Unplug(name) => {
                let d = self.devs.remove(name).ok_or_else(|| format!("no device `{name}`"))?;
                drop(d);
                Ok(())
            }
            Cmd::Lid { dev, closed } => {
                let d = self.dev(dev)?;
                if d.spec.kind != DevKind::LidSwitch {
                    return Err(format!("`{dev}` is not a lid-switch"));
                }
                d.emit(&[Ev { ty: 0x05, code: 0, value: *closed as i32 }])
            }
            Cmd::Key { dev, code, value, tap, scan } => {
                self.last_typed = Some(dev.clone());
                if (self.daemon.is_some() || self.external) && !self.clones.contains_key(dev) {
                    // Opened before typing, so that what the daemon writes for this key is read.
                    let _ = self.attach_clone(dev, Duration::ZERO);
                }
                let d = self.dev(dev)?;
                let frame = |v: i32| {
                    let mut evs = Vec::new();
                    if let Some(sc) = scan {
                        evs.push(Ev { ty: EV_MSC, code: MSC_SCAN, value: *sc });
                    }
                    evs.push(Ev { ty: EV_KEY, code: *code, value: v });
                    evs
                };
                d.emit(&frame(*value))?;
                if *tap {
                    d.emit(&frame(0))?;
                }
                Ok(())
            }
            Cmd::Move { dev, dx, dy, wheel } => {
                let d = self.dev(dev)?;
                if d.spec.kind != DevKind::Mouse && !d.spec.pointer {
                    return Err(format!("`{dev}` is not a mouse (nor a keyboard with pointer=on)"));
                }
                let mut evs = Vec::new();
                for (code, v) in [(REL_X, *dx), (REL_Y, *dy), (REL_WHEEL, *wheel)] {
                    if v != 0 {
                        evs.push(Ev { ty: EV_REL, code, value: v });
                    }
                }
                d.emit(&evs)
            }
            Cmd::DaemonStart { user, args, wait_ready } => {
                if let Some(d) = &mut self.daemon {
                    if d.poll_exit().is_none() {
                        return Err("a daemon is running already (use `daemon stop` first)".into());
                    }
                }
                let user = match user {
                    Some(u) => Some(daemon::lookup_user(u)?),
                    None => None,
                };
                let args = args.iter().map(|a| self.subst(a)).collect::<R<Vec<_>>>()?;
                self.daemons_started += 1;
                self.clones.clear();
                self.ptr = None;
                let d = Daemon::spawn(
                    &self.dir,
                    &self.conf,
                    &args,
                    user.as_ref(),
                    &self.env,
                    self.daemons_started,
                )?;
                self.daemon = Some(d);
                if *wait_ready {
                    self.daemon()?.wait_note("READY=1", READY_TIMEOUT)?;
                    self.attach_clones_now();
                    for d in self.devs.values_mut() {
                        d.node_reader.flush();
                    }
                }
                Ok(())
            }
            Cmd::DaemonSignal(sig, _) => self.daemon()?.signal(*sig),
            Cmd::DaemonAttach { ms } => {
                self.external = true;
                self.clones.clear();
                let _ = ms;
                self.attach_clones_now();
                for d in self.devs.values_mut() {
                    d.node_reader.flush();
                }
                Ok(())
            }
            Cmd::DaemonExpectExit { code, ms } => {
                let d = self.daemon()?;
                match d.wait_exit(Duration::from_millis(*ms)) {
                    None => Err(format!("daemon still running after {ms} ms, expected exit {code}")),
                    Some(s) if daemon::status_code(&s) == *code => Ok(()),
                    Some(s) => {
                        Err(format!("expected daemon exit {code}, got {}", daemon::describe_status(&s)))
                    }
                }
            }
            Cmd::DaemonExpectLog { text, ms } => self.daemon()?.wait_log(text, Duration::from_millis(*ms)),
            Cmd::DaemonExpectNoLog(text) => {
                let log = self.daemon()?.log_text();
                match log.lines().find(|l| l.contains(text.as_str())) {
                    Some(l) => Err(format!("daemon log has \"{text}\": {}", l.trim())),
                    None => Ok(()),
                }
            }
            Cmd::DaemonExpectLogCount { text, n } => {
                let log = self.daemon()?.log_text();
                let lines: Vec<&str> = log.lines().filter(|l| l.contains(text.as_str())).collect();
                let got = log.matches(text.as_str()).count();
                if got == *n {
                    Ok(())
                } else {
                    Err(format!(
                        "daemon log has \"{text}\" {got} time(s), expected {n}{}",
                        if lines.is_empty() { String::new() } else { format!(": {}", lines.join(" | ")) }
                    ))
                }
            }
            Cmd::DaemonExpectNotify { text, ms } => {
                self.daemon()?.wait_note(text, Duration::from_millis(*ms))?;
                // At READY=1 the clones of the keyboards grabbed at start exist: open them now,
                // as `daemon start` does, so that what the scenario types next is read.
                if text == "READY=1" {
                    self.attach_clones_now();
                }
                Ok(())
            }
            Cmd::DaemonExpectRunning => match self.daemon()?.poll_exit() {
                None => Ok(()),
                Some(s) => Err(format!("daemon is not running ({})", daemon::describe_status(&s))),
            },
            Cmd::DaemonStop { ms } => {
                let d = self.daemon()?;
                if let Some(s) = d.poll_exit() {
                    return Err(format!("daemon had already exited ({})", daemon::describe_status(&s)));
                }
                d.signal(libc::SIGTERM)?;
                match d.wait_exit(Duration::from_millis(*ms)) {
                    None => {
                        d.stop(Duration::from_millis(0));
                        Err(format!("daemon did not exit within {ms} ms of SIGTERM (killed)"))
                    }
                    Some(_) => Ok(()),
                }
            }
            Cmd::Expect { target, events } => self.expect(target, events),
            Cmd::ExpectNone { target, ms } => self.expect_none(target, *ms),
            Cmd::ExpectRaw { target, events } => self.expect_raw(target, events),
            Cmd::Flush(t) => {
                match t {
                    Some(t) => self.reader(t)?.flush(),
                    None => {
                        for c in self.clones.values_mut() {
                            c.reader.flush();
                        }
                        if let Some(p) = &mut self.ptr {
                            p.reader.flush();
                        }
                        for d in self.devs.values_mut() {
                            d.node_reader.flush();
                            d.uinput_reader.flush();
                        }
                    }
                }
                Ok(())
            }
            Cmd::Clone { dev, check, ms } => self.check_clone(dev, *check, *ms),
            Cmd::CloneCount { n, ms } => {
                let deadline = Instant::now() + Duration::from_millis(*ms);
                loop {
                    let clones = dev::count_clones(CLONE_PHYS_PREFIX);
                    if clones == *n {
                        return Ok(());
                    }
                    if Instant::now() >= deadline {
                        return Err(format!("{clones} virtual clones (input devices with phys {CLONE_PHYS_PREFIX}…), expected {n}"));
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            Cmd::Repeats(on) => {
                self.repeats = *on;
                Ok(())
            }
            Cmd::Grabbed { target, yes, ms } => {
                let node = self.node_of(target)?;
                let deadline = Instant::now() + Duration::from_millis(*ms);
                loop {
                    let g = dev::grabbed_by_other(&node)?;
                    if g == *yes {
                        if let (Target::Dev(kb), true) = (target, g) {
                            // keymapd creates the clone before it grabs: open it before typing.
                            if (self.daemon.is_some() || self.external) && !self.clones.contains_key(kb) {
                                let _ = self.attach_clone(kb, Duration::from_secs(1));
                            }
                        }
                        return Ok(());
                    }
                    if Instant::now() >= deadline {
                        return Err(format!(
                            "{target} is {} after {ms} ms, expected {}",
                            if g { "grabbed" } else { "not grabbed" },
                            if *yes { "grabbed" } else { "not grabbed" }
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            Cmd::Led { target, led, on } => {
                let node = self.node_of(target)?;
                let fd = dev::open_node(&node, true)
                    .map_err(|e| format!("open {} for writing: {e}", node.display()))?;
                dev::write_frame(fd.as_raw_fd(), &[Ev { ty: EV_LED, code: *led, value: *on as i32 }])
                    .map_err(|e| format!("write led to {}: {e}", node.display()))
            }
            Cmd::ExpectLed { dev, led, on, ms } => {
                let d = self.devs.get_mut(dev).ok_or_else(|| format!("no device `{dev}`"))?;
                let deadline = Instant::now() + Duration::from_millis(*ms);
                let mut seen = Vec::new();
                loop {
                    match d.uinput_reader.next(deadline).map_err(|e| e.to_string())? {
                        None => {
                            return Err(format!(
                                "{dev} got no led {} {} within {ms} ms (saw: {})",
                                led_name(*led),
                                if *on { "on" } else { "off" },
                                if seen.is_empty() { "nothing".into() } else { seen.join(", ") }
                            ))
                        }
                        Some(e) if e.ty == EV_LED && e.code == *led && (e.value != 0) == *on => return Ok(()),
                        Some(e) if e.ty == EV_LED => seen.push(e.describe()),
                        Some(_) => {}
                    }
                }
            }
            Cmd::Run { user, argv, ms } => {
                let argv = argv.iter().map(|a| self.subst(a)).collect::<R<Vec<_>>>()?;
                let user = match user {
                    Some(u) => Some(daemon::lookup_user(u)?),
                    None => None,
                };
                self.last_run = None;
                self.last_run = Some(self.run_cmd(&argv, user.as_ref(), *ms)?);
                Ok(())
            }
            Cmd::Background { user, argv } => {
                let argv = argv.iter().map(|a| self.subst(a)).collect::<R<Vec<_>>>()?;
                let user = match user {
                    Some(u) => Some(daemon::lookup_user(u)?),
                    None => None,
                };
                self.backgrounds += 1;
                let log = self.dir.join(format!("background-{}.log", self.backgrounds));
                let out =
                    std::fs::File::create(&log).map_err(|e| format!("create {}: {e}", log.display()))?;
                let err = out.try_clone().map_err(|e| e.to_string())?;
                let mut cmd = Command::new(&argv[0]);
                cmd.args(&argv[1..])
                    .current_dir(&self.dir)
                    .stdin(Stdio::null())
                    .stdout(out)
                    .stderr(err)
                    .env("KEYMAPD_CONFIG", &self.conf)
                    .env("RUST_BACKTRACE", "1");
                for (k, v) in &self.env {
                    cmd.env(k, v);
                }
                {
                    use std::os::unix::process::CommandExt;
                    cmd.process_group(0);
                }
                if let Some(user) = &user {
                    daemon::run_as(&mut cmd, user);
                }
                let child = cmd.spawn().map_err(|e| format!("cannot start `{}`: {e}", argv.join(" ")))?;
                self.run_groups.push(child.id() as i32);
                self.background_logs.push(log);
                Ok(())
            }
            Cmd::ExpectFile { path, text, ms, negate } => {
                let p = self.path_in(&self.dir.clone(), path)?;
                let deadline = Instant::now() + Duration::from_millis(*ms);
                loop {
                    let content = std::fs::read(&p).map(|b| String::from_utf8_lossy(&b).into_owned());
                    let has = content.as_ref().is_ok_and(|c| c.contains(text.as_str()));
                    if *negate {
                        return if has {
                            Err(format!("{} contains \"{text}\"", p.display()))
                        } else {
                            Ok(())
                        };
                    }
                    if has {
                        return Ok(());
                    }
                    if Instant::now() >= deadline {
                        return Err(match content {
                            Err(e) => format!("{}: {e} (waited {ms} ms for \"{text}\")", p.display()),
                            Ok(c) => format!(
                                "{} has no \"{text}\" within {ms} ms; it has: {}",
                                p.display(),
                                first_lines(&c, 5)
                            ),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            Cmd::ExpectExit(code) => {
                let r = self.last_run()?;
                if r.code == *code {
                    Ok(())
                } else {
                    Err(format!("`{}` exited {}, expected {code}", r.argv, r.code))
                }
            }
            Cmd::ExpectOutput { stderr, text, negate } => {
                let r = self.last_run()?;
                let (what, out) = if *stderr { ("stderr", &r.stderr) } else { ("stdout", &r.stdout) };
                let has = out.contains(text.as_str());
                if has != *negate {
                    Ok(())
                } else if *negate {
                    Err(format!("{what} of `{}` contains \"{text}\"", r.argv))
                } else {
                    Err(format!("{what} of `{}` lacks \"{text}\": {}", r.argv, first_lines(out, 3)))
                }
            }
            Cmd::ExpectStdoutExact(want) => {
                let r = self.last_run()?;
                compare_text(&r.stdout, want).map_err(|e| format!("stdout of `{}`: {e}", r.argv))
            }
            Cmd::ExpectStdoutFile(p) => {
                let p = self.path_in(&self.dir.clone(), p)?;
                let want = std::fs::read_to_string(&p).map_err(|e| format!("read {}: {e}", p.display()))?;
                let r = self.last_run()?;
                compare_text(&r.stdout, &want)
                    .map_err(|e| format!("stdout of `{}` vs {}: {e}", r.argv, p.display()))
            }
            Cmd::Stat { node, owner, group, mode } => self.stat(node, owner, group, *mode),
            Cmd::UdevProp { node, key, value } => self.udev_prop(node, key, value.as_deref()),
            Cmd::Sleep(ms) => {
                std::thread::sleep(Duration::from_millis(*ms));
                Ok(())
            }
            Cmd::Settle => {
                let st = Command::new("udevadm")
                    .args(["settle", "--timeout=10"])
                    .stdin(Stdio::null())
                    .status()
                    .map_err(|e| format!("udevadm settle: {e}"))?;
                if st.success() {
                    Ok(())
                } else {
                    Err(format!("udevadm settle failed ({st})"))
                }
            }
            Cmd::Env(k, v) => {
                let v = self.subst(v)?;
                self.env.retain(|(kk, _)| kk != k);
                self.env.push((k.clone(), v));
                Ok(())
            }
            Cmd::Echo(t) => {
                println!("[{}] {}", self.name, self.subst(t)?);
                Ok(())
            }
        }
    }

    fn last_run(&self) -> R<&RunResult> {
        self.last_run.as_ref().ok_or_else(|| "no command run yet (use `run …` first)".to_string())
    }

    fn run_cmd(&mut self, argv: &[String], user: Option<&daemon::User>, ms: u64) -> R<RunResult> {
        let n = self.dir.join("run.stdout");
        let e = self.dir.join("run.stderr");
        let fo = std::fs::File::create(&n).map_err(|x| x.to_string())?;
        let fe = std::fs::File::create(&e).map_err(|x| x.to_string())?;
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(fo)
            .stderr(fe)
            .env("KEYMAPD_CONFIG", &self.conf);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        if let Some(u) = user {
            daemon::run_as(&mut cmd, u);
        }
        let shown = argv.join(" ");
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let mut child = cmd.spawn().map_err(|x| format!("cannot run `{shown}`: {x}"))?;
        self.run_groups.push(child.id() as i32);
        let deadline = Instant::now() + Duration::from_millis(ms);
        let status = loop {
            if let Some(s) = child.try_wait().map_err(|x| x.to_string())? {
                break s;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("`{shown}` did not finish within {ms} ms (killed)"));
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let read =
            |p: &Path| std::fs::read(p).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        Ok(RunResult { argv: shown, code: daemon::status_code(&status), stdout: read(&n), stderr: read(&e) })
    }

    fn resolve_node(&self, n: &NodeRef) -> R<PathBuf> {
        match n {
            NodeRef::Path(p) => Ok(PathBuf::from(self.subst(p)?)),
            NodeRef::Target(t) => self.node_of(t),
        }
    }

    fn stat(&self, n: &NodeRef, owner: &Option<String>, group: &Option<String>, mode: Option<u32>) -> R {
        use std::os::unix::fs::MetadataExt;
        let path = self.resolve_node(n)?;
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let problem = match std::fs::metadata(&path) {
                Err(e) => format!("{}: {e}", path.display()),
                Ok(m) => {
                    let u = daemon::user_name(m.uid());
                    let g = daemon::group_name(m.gid());
                    let p = m.mode() & 0o7777;
                    let mut bad = Vec::new();
                    if let Some(o) = owner {
                        if *o != u {
                            bad.push(format!("owner {u}, expected {o}"));
                        }
                    }
                    if let Some(gg) = group {
                        if *gg != g {
                            bad.push(format!("group {g}, expected {gg}"));
                        }
                    }
                    if let Some(mm) = mode {
                        if mm != p {
                            bad.push(format!("mode {p:04o}, expected {mm:04o}"));
                        }
                    }
                    if bad.is_empty() {
                        return Ok(());
                    }
                    format!("{}: {}", path.display(), bad.join(", "))
                }
            };
            if Instant::now() >= deadline {
                return Err(problem);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn udev_prop(&self, n: &NodeRef, key: &str, value: Option<&str>) -> R {
        let path = self.resolve_node(n)?;
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let props = match dev::udev_props(&path) {
                Some(p) => p,
                None => {
                    let out = Command::new("udevadm")
                        .args(["info", "--query=property", "--name"])
                        .arg(&path)
                        .stdin(Stdio::null())
                        .stderr(Stdio::null())
                        .output()
                        .map_err(|e| format!("udevadm info: {e}"))?;
                    String::from_utf8_lossy(&out.stdout)
                        .lines()
                        .filter_map(|l| l.split_once('='))
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect()
                }
            };
            let got = props.into_iter().rev().find(|(k, _)| k == key).map(|(_, v)| v);
            let ok = match (value, &got) {
                (None, None) => true,
                (Some(w), Some(g)) => w == g,
                _ => false,
            };
            if ok {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(match (value, got) {
                    (None, Some(g)) => format!("{} has {key}={g}, expected no {key}", path.display()),
                    (Some(w), None) => format!("{} has no {key} (expected {key}={w})", path.display()),
                    (Some(w), Some(g)) => format!("{} has {key}={g}, expected {key}={w}", path.display()),
                    (None, None) => unreachable!(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn expect(&mut self, target: &Target, events: &[KeyEv]) -> R {
        let repeats = self.repeats;
        let total = events.len();
        let target = &self.resolve(target)?;
        let where_ = format!(" on {target}");
        let reader = self.reader(target)?;
        let mut matched: Vec<String> = Vec::new();
        for (i, want) in events.iter().enumerate() {
            let want_s = describe(EV_KEY, want.code, want.value);
            let deadline = Instant::now() + EVENT_TIMEOUT;
            let ctx = || {
                let pos = if total > 1 { format!(" (event {} of {total}", i + 1) } else { String::new() };
                match (pos.is_empty(), matched.is_empty()) {
                    (true, _) => String::new(),
                    (false, true) => format!("{pos})"),
                    (false, false) => format!("{pos}, after {})", matched.join(", ")),
                }
            };
            loop {
                match reader.next(deadline).map_err(|e| e.to_string())? {
                    None => {
                        let gone = if reader.exhausted() { " (device went away)" } else { "" };
                        return Err(format!(
                            "expected {want_s}{where_}, got nothing within 2 s{gone}{}",
                            ctx()
                        ));
                    }
                    Some(e) if e.ty != EV_KEY => continue,
                    Some(e) if e.value == 2 && !repeats && want.value != 2 => continue,
                    Some(e) if e.code == want.code && e.value == want.value => {
                        matched.push(want_s.clone());
                        break;
                    }
                    Some(e) => {
                        return Err(format!("expected {want_s}{where_}, got {}{}", e.describe(), ctx()));
                    }
                }
            }
        }
        Ok(())
    }

    fn expect_none(&mut self, target: &Target, ms: u64) -> R {
        let repeats = self.repeats;
        let target = &self.resolve(target)?;
        if let Target::Clone(Some(kb)) = target {
            // A keyboard that is not grabbed has no clone: nothing can arrive on it.
            if !self.clones.contains_key(kb) && self.devs.contains_key(kb) && self.find_clone(kb)?.is_none() {
                std::thread::sleep(Duration::from_millis(ms));
                return Ok(());
            }
        }
        let reader = self.reader(target)?;
        let deadline = Instant::now() + Duration::from_millis(ms);
        while let Some(e) = reader.next(deadline).map_err(|e| e.to_string())? {
            if e.ty == EV_KEY && (repeats || e.value != 2) {
                return Err(format!("expected no key event on {target} for {ms} ms, got {}", e.describe()));
            }
        }
        Ok(())
    }

    fn expect_raw(&mut self, target: &Target, events: &[RawEv]) -> R {
        let repeats = self.repeats;
        let target = &self.resolve(target)?;
        let reader = self.reader(target)?;
        // Start at a frame boundary: a SYN_REPORT left over from the frame a
        // previous `expect` matched in is not part of this expectation.
        let mut skip_syn = events.first().is_some_and(|e| e.ty != EV_SYN);
        for (i, want) in events.iter().enumerate() {
            let want_s = describe(want.ty, want.code, want.value);
            let deadline = Instant::now() + EVENT_TIMEOUT;
            loop {
                let Some(e) = reader.next(deadline).map_err(|e| e.to_string())? else {
                    return Err(format!(
                        "expected {want_s} on {target}, got nothing within 2 s (raw event {} of {})",
                        i + 1,
                        events.len()
                    ));
                };
                let is_repeat = e.ty == EV_KEY && e.value == 2;
                let wants_repeat = want.ty == EV_KEY && want.value == 2;
                if !repeats && is_repeat && !wants_repeat {
                    skip_syn = true;
                    continue;
                }
                if skip_syn && e.ty == EV_SYN && e.code == SYN_REPORT && want.ty != EV_SYN {
                    skip_syn = false;
                    continue;
                }
                skip_syn = false;
                if e.ty == want.ty && e.code == want.code && e.value == want.value {
                    break;
                }
                return Err(format!(
                    "expected {want_s} on {target}, got {} (raw event {} of {})",
                    e.describe(),
                    i + 1,
                    events.len()
                ));
            }
        }
        Ok(())
    }
}

fn write_file(p: &Path, body: &str, atomic: bool) -> R {
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("mkdir {}: {e}", parent.display()))?;
    }
    if atomic {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = p.with_file_name(format!(".{name}.tmp-keymapd-testbed"));
        std::fs::write(&tmp, body).map_err(|e| format!("write {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, p).map_err(|e| format!("rename to {}: {e}", p.display()))
    } else {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(p)
            .map_err(|e| format!("open {}: {e}", p.display()))?;
        f.write_all(body.as_bytes()).map_err(|e| format!("write {}: {e}", p.display()))
    }
}

fn first_lines(s: &str, n: usize) -> String {
    if s.trim().is_empty() {
        return "(empty)".into();
    }
    let v: Vec<&str> = s.lines().take(n).collect();
    format!("\"{}\"", v.join("\\n"))
}

/// Line-by-line comparison, ignoring trailing whitespace and trailing blank lines.
fn compare_text(got: &str, want: &str) -> R {
    let norm = |s: &str| -> Vec<String> {
        let mut v: Vec<String> = s.lines().map(|l| l.trim_end().to_string()).collect();
        while v.last().is_some_and(|l| l.is_empty()) {
            v.pop();
        }
        v
    };
    let (g, w) = (norm(got), norm(want));
    for i in 0..g.len().max(w.len()) {
        match (g.get(i), w.get(i)) {
            (Some(a), Some(b)) if a == b => continue,
            (Some(a), Some(b)) => {
                return Err(format!("output line {}: expected \"{b}\", got \"{a}\"", i + 1))
            }
            (None, Some(b)) => return Err(format!("output ends before line {} (expected \"{b}\")", i + 1)),
            (Some(a), None) => return Err(format!("unexpected extra output line {}: \"{a}\"", i + 1)),
            (None, None) => unreachable!(),
        }
    }
    Ok(())
}
