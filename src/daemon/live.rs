//! `keymapd test` without `--script`: a live dry run that reads the matching keyboards without
//! grabbing them and prints what the engine would emit. It never grabs and never writes to uinput.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::fd::AsRawFd;
use std::path::Path;

use evdev::raw_stream::RawDevice;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;

use crate::engine::{Engine, KeyEvent, KeyValue, Sink, Time};
use crate::keys::{Key, KeySet};
use crate::profile::Match;

use super::devices;
use super::keystate;
use super::sys::{self, input_event, TimerFd, EV_KEY, EV_SYN, SYN_DROPPED, SYN_REPORT};
use super::{explain_open, load_profiles, Error};

const SIGNALS: Token = Token(0);
const TIMER: Token = Token(1);
const DEV_BASE: usize = 16;

struct Watched {
    name: String,
    dev: RawDevice,
    engine: Engine,
    held: KeySet,
    dropping: bool,
    deadline: Option<Time>,
}

pub fn live_test(config: &Path) -> Result<(), Error> {
    let set = load_profiles(config)?;
    let mut watched = Vec::new();
    for node in devices::enumerate() {
        let dev = match devices::open(&node.devnode) {
            Ok(d) => d,
            Err(e) => {
                log::debug!("{}", explain_open(&node.devnode, &e));
                continue;
            }
        };
        let info = devices::info(&dev);
        match set.match_device(&info) {
            Match::Claimed { profile, .. } => {
                let p = &set.profiles[profile];
                eprintln!("watching {} ({}) -> {}", devices::label(&info), node.devnode.display(), p.name);
                if sys::set_nonblocking(dev.as_raw_fd()).is_err() {
                    continue;
                }
                watched.push(Watched {
                    name: info.name.clone(),
                    dev,
                    engine: Engine::new(p.keymap.clone()),
                    held: KeySet::default(),
                    dropping: false,
                    deadline: None,
                });
            }
            Match::Unclaimed(why) => log::debug!("ignore {} ({why})", devices::label(&info)),
        }
    }
    if watched.is_empty() {
        return Err(Error::NoDevice(
            "no keyboard to watch: no profile claims a keyboard this user can open (`keymapd list` shows why)".into(),
        ));
    }
    eprintln!("type on the keyboards above (nothing is grabbed or emitted; a running `keymapd run` hides grabbed keys); Ctrl-C ends");
    let mut poll = Poll::new().map_err(Error::io("creating the event loop"))?;
    let mut signals = Signals::new([SIGINT, SIGTERM]).map_err(Error::io("installing signal handlers"))?;
    poll.registry()
        .register(&mut signals, SIGNALS, Interest::READABLE)
        .map_err(Error::io("watching signals"))?;
    let mut timer = TimerFd::new().map_err(Error::io("creating a timerfd"))?;
    poll.registry()
        .register(&mut SourceFd(&timer.raw_fd()), TIMER, Interest::READABLE)
        .map_err(Error::io("watching the timerfd"))?;
    for (i, w) in watched.iter().enumerate() {
        poll.registry()
            .register(&mut SourceFd(&w.dev.as_raw_fd()), Token(DEV_BASE + i), Interest::READABLE)
            .map_err(Error::io("watching a keyboard"))?;
    }
    let mut events = Events::with_capacity(16);
    let mut buf = [sys::new_event(0, 0, 0); 64];
    let mut out = Echo::default();
    let mut line = String::with_capacity(256);
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(Error::Io { what: "waiting for events".into(), source: e });
        }
        for ev in events.iter() {
            match ev.token() {
                SIGNALS if signals.pending().next().is_some() => return Ok(()),
                TIMER => {
                    timer.clear();
                    let now = sys::monotonic_now();
                    for w in watched.iter_mut().filter(|w| w.deadline.is_some_and(|t| t <= now)) {
                        out.clear();
                        w.deadline = w.engine.tick(now, &mut out);
                        print_line(&mut line, &w.name, "(timeout)", &out);
                    }
                }
                Token(t) if t >= DEV_BASE => {
                    let Some(w) = watched.get_mut(t - DEV_BASE) else { continue };
                    loop {
                        let n = match sys::read_events(w.dev.as_raw_fd(), &mut buf) {
                            Ok(0) => break,
                            Ok(n) => n,
                            Err(e) => {
                                eprintln!("{}: {e}; no longer watched", w.name);
                                let _ = poll.registry().deregister(&mut SourceFd(&w.dev.as_raw_fd()));
                                break;
                            }
                        };
                        let now = sys::monotonic_now();
                        for e in &buf[..n] {
                            feed(w, e, now, &mut out, &mut line);
                        }
                    }
                }
                _ => {}
            }
        }
        let next = watched.iter().filter_map(|w| w.deadline).min();
        if let Err(e) = timer.set(next) {
            log::error!("arming the timerfd: {e}");
        }
    }
}

fn feed(w: &mut Watched, e: &input_event, now: Time, out: &mut Echo, line: &mut String) {
    if w.dropping {
        if e.type_ == EV_SYN && e.code == SYN_REPORT {
            w.dropping = false;
            let actual = match w.dev.get_key_state() {
                Ok(s) => KeySet::from_codes(s.iter().map(|k| k.code())),
                Err(_) => return,
            };
            let tracked = w.held;
            keystate::resync(&tracked, &actual, |ev| key(w, ev, now, out, line));
        }
        return;
    }
    match (e.type_, e.code) {
        (EV_SYN, SYN_DROPPED) => w.dropping = true,
        (EV_KEY, code) => {
            let (Some(k), Some(v)) = (Key::new(code), KeyValue::from_raw(e.value)) else { return };
            if v != KeyValue::Repeat {
                key(w, KeyEvent::new(k, v), now, out, line);
            }
        }
        _ => {}
    }
}

fn key(w: &mut Watched, ev: KeyEvent, now: Time, out: &mut Echo, line: &mut String) {
    if !keystate::apply(&mut w.held, ev) {
        return;
    }
    out.clear();
    w.deadline = w.engine.process(ev, now, out);
    print_line(line, &w.name, &ev.to_string(), out);
}

/// What the engine emitted for one input event: keys, and `command(…)` actions (not run here).
#[derive(Default)]
struct Echo {
    keys: Vec<KeyEvent>,
    commands: Vec<String>,
}

impl Echo {
    fn clear(&mut self) {
        self.keys.clear();
        self.commands.clear();
    }
}

impl Sink for Echo {
    fn key(&mut self, ev: KeyEvent) {
        self.keys.push(ev);
    }
    fn command(&mut self, cmd: &str) {
        self.commands.push(cmd.to_owned());
    }
}

/// `<device name> <key> down -> leftmeta down, a down` (or `-> (nothing)`).
fn print_line(line: &mut String, device: &str, input: &str, out: &Echo) {
    line.clear();
    let _ = write!(line, "{device} {input} -> ");
    if out.keys.is_empty() && out.commands.is_empty() {
        line.push_str("(nothing)");
    }
    let items =
        out.keys.iter().map(|e| e.to_string()).chain(out.commands.iter().map(|c| format!("command {c}")));
    for (i, item) in items.enumerate() {
        if i > 0 {
            line.push_str(", ");
        }
        line.push_str(&item);
    }
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}
