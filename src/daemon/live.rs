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

use crate::engine::{Engine, KeyEvent, Sink, Time};
use crate::keys::KeySet;
use crate::profile::Match;

use super::devices;
use super::input::{Decoder, InputQueue, Step};
use super::sys::{self, input_event, TimerFd};
use super::{explain_open, load_profiles, Error};

const SIGNALS: Token = Token(0);
const TIMER: Token = Token(1);
const DEV_BASE: usize = 16;

struct Watched {
    dev: RawDevice,
    input: InputQueue,
    dry: DryRun,
    /// A read failed (unplugged): no longer watched.
    gone: bool,
}

/// One watched keyboard's engine behind the daemon's input pipeline ([`Decoder`]): the same
/// decoding, held-key state and kernel timestamps as a grabbed keyboard, printed instead of
/// emitted. Device-free.
struct DryRun {
    name: String,
    decoder: Decoder,
    engine: Engine,
    deadline: Option<Time>,
}

impl DryRun {
    /// One raw event; `kernel_keys` is asked after SYN_DROPPED. Each key change prints a line.
    fn feed(
        &mut self,
        ev: &input_event,
        now: impl FnOnce() -> Time,
        kernel_keys: impl FnOnce() -> Option<KeySet>,
        out: &mut Echo,
        print: &mut impl FnMut(&str, &str, &Echo),
    ) {
        match self.decoder.decode(ev, now) {
            Step::Key(key, _) => self.key(key, out, print),
            Step::Resync => {
                let Some(actual) = kernel_keys() else { return };
                let mut keys = Vec::new();
                let calm = self.decoder.resync(&actual, |k| keys.push(k));
                for k in keys {
                    self.key(k, out, print);
                }
                if !calm {
                    self.panic(out, print);
                }
            }
            Step::Panic(key) => {
                out.clear();
                print(&self.name, &key.to_string(), out);
                self.panic(out, print);
            }
            Step::Report | Step::Nothing | Step::Pointer(..) => {}
        }
    }

    fn key(&mut self, ev: KeyEvent, out: &mut Echo, print: &mut impl FnMut(&str, &str, &Echo)) {
        out.clear();
        self.deadline = self.engine.process(ev, self.decoder.time(), out);
        print(&self.name, &ev.to_string(), out);
    }

    fn panic(&mut self, out: &mut Echo, print: &mut impl FnMut(&str, &str, &Echo)) {
        out.clear();
        print(&self.name, "(panic escape: `keymapd run` would release every key, ungrab and exit)", out);
    }

    /// Lets the engine's timers fire at `now` if due.
    fn tick(&mut self, now: Time, out: &mut Echo, print: &mut impl FnMut(&str, &str, &Echo)) {
        if self.deadline.is_some_and(|t| t <= now) {
            out.clear();
            self.deadline = self.engine.tick(self.decoder.advance(now), out);
            print(&self.name, "(timeout)", out);
        }
    }
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
                let kernel_clock = sys::use_monotonic_timestamps(dev.as_raw_fd());
                watched.push(Watched {
                    dev,
                    input: InputQueue::new(),
                    dry: DryRun {
                        name: info.name.clone(),
                        decoder: Decoder::new(kernel_clock),
                        engine: Engine::new(p.keymap.clone()),
                        deadline: None,
                    },
                    gone: false,
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
    let mut out = Echo::default();
    let mut line = String::with_capacity(256);
    let mut print = |device: &str, input: &str, out: &Echo| print_line(&mut line, device, input, out);
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
                    // As in the daemon: input stamped before a deadline decides first.
                    for w in watched.iter_mut() {
                        w.input.set_ready();
                        read(w, &poll, &mut out, &mut print);
                    }
                    let now = sys::monotonic_now();
                    for w in watched.iter_mut() {
                        w.dry.tick(now, &mut out, &mut print);
                    }
                }
                Token(t) if t >= DEV_BASE => {
                    let Some(w) = watched.get_mut(t - DEV_BASE) else { continue };
                    w.input.set_ready();
                    read(w, &poll, &mut out, &mut print);
                }
                _ => {}
            }
        }
        let next = watched.iter().filter_map(|w| w.dry.deadline).min();
        if let Err(e) = timer.set(next) {
            log::error!("arming the timerfd: {e}");
        }
    }
}

/// Reads and feeds a keyboard's events until it is drained.
fn read(w: &mut Watched, poll: &Poll, out: &mut Echo, print: &mut impl FnMut(&str, &str, &Echo)) {
    while !w.gone && w.input.is_ready() {
        if let Err(e) = w.input.fill(w.dev.as_raw_fd()) {
            eprintln!("{}: {e}; no longer watched", w.dry.name);
            let _ = poll.registry().deregister(&mut SourceFd(&w.dev.as_raw_fd()));
            w.gone = true;
            return;
        }
        while let Some(ev) = w.input.pop() {
            let dev = &w.dev;
            let kernel_keys =
                || dev.get_key_state().ok().map(|s| KeySet::from_codes(s.iter().map(|k| k.code())));
            w.dry.feed(&ev, sys::monotonic_now, kernel_keys, out, print);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::KeyValue;
    use crate::keys::Key;
    use crate::merger::Merger;
    use crate::profile::Profile;
    use input_sys::{event_at, EV_KEY, EV_SYN, SYN_REPORT};
    use std::time::Duration;

    use super::super::keyboard::{Fed, Remap};

    /// Capslock is control when held 200 ms or longer, escape when tapped sooner.
    const PROFILE: &str = "ids = [\"*\"]\n[main]\ncapslock = \"overloadt(control, esc, 200)\"\n";

    fn keymap() -> std::sync::Arc<crate::keymap::Keymap> {
        Profile::parse(std::path::Path::new("t.toml"), PROFILE).unwrap_or_else(|e| panic!("{e:?}")).0.keymap
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Capslock held for `hold` ms, both frames read in one batch at 5 s.
    fn batch(hold: u64) -> Vec<input_event> {
        let (t0, t1) = (ms(1000), ms(1000 + hold));
        vec![
            event_at(t0, EV_KEY, Key::CAPSLOCK.code(), 1),
            event_at(t0, EV_SYN, SYN_REPORT, 0),
            event_at(t1, EV_KEY, Key::CAPSLOCK.code(), 0),
            event_at(t1, EV_SYN, SYN_REPORT, 0),
        ]
    }
    const READ_AT: Duration = Duration::from_secs(5);

    /// What a grabbed keyboard writes to its virtual clone for the batch.
    fn daemon(batch: &[input_event]) -> Vec<KeyEvent> {
        let mut merger = Merger::new();
        let mut remap = Remap::new("t".into(), keymap(), true);
        remap.start(None, &mut merger);
        let mut written = vec![];
        for ev in batch {
            if remap.feed(ev, || READ_AT, &mut merger) == Fed::Report {
                let frame = remap.frame();
                written.extend(frame.triples().filter(|t| t.0 == EV_KEY).map(|(_, code, value)| {
                    let (Some(k), Some(v)) = (Key::new(code), KeyValue::from_raw(value)) else {
                        panic!("bad key event {code} {value}")
                    };
                    KeyEvent::new(k, v)
                }));
                frame.clear();
            }
        }
        written
    }

    /// What the live `keymapd test` prints for the batch.
    fn live(batch: &[input_event]) -> Vec<KeyEvent> {
        let mut dry = DryRun {
            name: "kb".into(),
            decoder: Decoder::new(true),
            engine: Engine::new(keymap()),
            deadline: None,
        };
        let mut printed = vec![];
        let mut out = Echo::default();
        for ev in batch {
            dry.feed(ev, || READ_AT, || None, &mut out, &mut |_: &str, _: &str, e: &Echo| {
                printed.extend_from_slice(&e.keys)
            });
        }
        printed
    }

    #[test]
    fn the_live_dry_run_decides_a_tap_hold_as_the_daemon_does_within_one_read() {
        // Held 300 ms: a hold, though both events were read at the same moment.
        let held = daemon(&batch(300));
        assert_eq!(held, vec![KeyEvent::down(Key::LEFTCTRL), KeyEvent::up(Key::LEFTCTRL)]);
        assert_eq!(live(&batch(300)), held);
        // Held 100 ms: a tap, in both.
        let tapped = daemon(&batch(100));
        assert_eq!(tapped, vec![KeyEvent::down(Key::ESC), KeyEvent::up(Key::ESC)]);
        assert_eq!(live(&batch(100)), tapped);
    }
}
