//! The device registry: every event node the daemon knows and every keyboard it claimed, with
//! one admission path ("match → log → claim") for startup enumeration, udev hotplug and reload,
//! and the release of keyboards that go. It also moves the claimed keyboards' input, frame by
//! frame in timestamp order, and owns their virtual clones' lifecycle: a clone is created at
//! the grab, kept across reloads that keep the keyboard, and when the keyboard goes its keys are
//! released on it and it lingers [`CLONE_LINGER`] (so clients read those releases) before it is
//! destroyed. It never remaps by itself and never sleeps.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use evdev::raw_stream::RawDevice;
use log::Level;
use mio::unix::SourceFd;
use mio::{Interest, Token};

use crate::engine::Time;
use crate::keymap::Keymap;
use crate::merger::Merger;
use crate::profile::{DeviceInfo, Match, ProfileSet};

use super::devices::{self, Node};
use super::explain_open;
use super::keyboard::{GrabResult, Keyboard};
use super::reload::{self, Plan};
use super::sys;
use super::uinput::{Output, VirtualClone};

/// The first mio token of the keyboards: slot `i` is `Token(DEV_BASE + 2 * i)`, and its
/// clone (LED writes from the desktop) `Token(DEV_BASE + 2 * i + 1)`.
pub const DEV_BASE: usize = 16;

/// How long the clone of a keyboard that went stays after its keys were released on it: the
/// kernel discards what a client has not read yet when a device goes away.
const CLONE_LINGER: Duration = Duration::from_millis(200);

/// What the registry uses of the loop's state to claim, grab, feed and release keyboards.
pub struct Ctx<'a> {
    pub poll: &'a mio::Registry,
    pub merger: &'a mut Merger,
    pub out: &'a Output,
}

/// An event node the daemon has seen (claimed or not), for re-matching on reload.
struct Known {
    node: Node,
    /// `None` if it could not be opened.
    info: Option<DeviceInfo>,
}

/// What a profile set makes of one device: the reload plan, the profile that claims it, and
/// the line that says so (with the tie, when two profiles claim it as specifically).
#[derive(Clone)]
pub struct Admission {
    pub plan: Plan,
    /// The claiming profile's name.
    pub profile: Option<String>,
    pub log: Option<(Level, String)>,
}

/// The one matching decision: for a device `info` running `current` (its keymap if claimed),
/// what `set` does with it. `first`: the device is new to the daemon (enumeration, hotplug),
/// so an unclaimed device is logged as ignored; on a reload a device that stays unclaimed is not
/// logged again. Pure: it never touches a device.
pub fn admission(
    set: &ProfileSet,
    info: &DeviceInfo,
    current: Option<&Arc<Keymap>>,
    first: bool,
) -> Admission {
    let label = devices::label(info);
    match set.match_device(info) {
        Match::Claimed { profile, tied_with, .. } => {
            let p = &set.profiles[profile];
            let plan = reload::plan(current, Some(&p.keymap));
            let changed = matches!(plan, Plan::SetKeymap(_)).then_some("mapping changed");
            let tie = tied_with.map(|t| set.describe_tie(&t));
            let log = match (&plan, changed, tie) {
                (_, changed, Some(tie)) => {
                    let why = changed.map_or(tie.clone(), |c| format!("{c}; {tie}"));
                    Some((Level::Warn, format!("match {label} -> {} ({why})", p.name)))
                }
                (Plan::Keep, _, None) => None,
                (_, Some(c), None) => Some((Level::Info, format!("match {label} -> {} ({c})", p.name))),
                (_, None, None) => Some((Level::Info, format!("match {label} -> {}", p.name))),
            };
            Admission { plan, profile: Some(p.name.clone()), log }
        }
        Match::Unclaimed(why) => {
            let plan = reload::plan(current, None);
            let log = (first || matches!(plan, Plan::Ungrab))
                .then(|| (Level::Info, format!("ignore {label} ({why})")));
            Admission { plan, profile: None, log }
        }
    }
}

#[derive(Default)]
pub struct Registry {
    known: Vec<Known>,
    /// Claimed keyboards by slot (see [`DEV_BASE`] for their mio tokens).
    kbs: Vec<Option<Keyboard>>,
    /// Clones of keyboards that went, until they are destroyed (at the time given).
    retiring: Vec<(Time, VirtualClone)>,
    /// The focused application, as the control socket last heard it: given to every engine,
    /// and to each new one when its keyboard is grabbed.
    focus: Option<String>,
    /// Slots that may hold input: epoll reported them (or they were just grabbed), or events
    /// read from them wait to be fed. The event path visits these, not every keyboard, so the
    /// cost of an event does not grow with the number of keyboards.
    ready: Slots,
    /// Slots whose keyboard ran this wake-up (fed, ticked, grabbed, re-mapped): their
    /// commands, deadline and layers may have changed. Cleared by [`Registry::next_deadline`].
    touched: Slots,
    /// Slots with an engine deadline or a grab retry pending.
    timed: Slots,
    /// Slots whose engine fired a `command(…)` not taken yet ([`Registry::take_commands`]).
    commands: Slots,
    /// Counts the changes of the set of claimed keyboards (claimed, grabbed, dropped, re-mapped,
    /// refocused), for observers that diff it (the control socket's listeners).
    generation: u64,
}

impl Registry {
    /// A node appeared (enumeration, udev `add`): open it, match it, log, claim it if a profile does.
    pub fn add(&mut self, node: Node, set: &ProfileSet, cx: &mut Ctx) {
        if cx.out.owns(&node) || self.owns(&node) {
            log::debug!("{} is one of keymapd's own virtual devices: never grabbed", node.devnode.display());
            return;
        }
        if let Some(k) = self.known.iter().find(|k| k.node.syspath == node.syspath) {
            // Seen at enumeration and again from the monitor. A node that could not be opened then
            // (udev had not yet set its permissions) is tried again now that udev has.
            if k.node.devnode == node.devnode && k.info.is_some() {
                return;
            }
        }
        self.remove(&node.syspath, cx);
        let dev = match devices::open(&node.devnode) {
            Ok(d) => d,
            Err(e) => {
                log::warn!("{}", explain_open(&node.devnode, &e));
                self.known.push(Known { node, info: None });
                return;
            }
        };
        let info = devices::info(&dev);
        if devices::is_keymapd_output(&info) {
            // Another keymapd's output: grabbing it would chain (or loop) two daemons.
            log::info!("ignore {} (a virtual device of another keymapd)", devices::label(&info));
            return;
        }
        self.known.push(Known { node: node.clone(), info: Some(info.clone()) });
        self.admit(node, &info, Some(dev), true, set, cx);
    }

    /// A new profile set (already validated): every known device matched again, each through
    /// the same admission as a new one. Nodes that could not be opened before are tried again.
    pub fn rematch(&mut self, set: &ProfileSet, cx: &mut Ctx) {
        for i in 0..self.known.len() {
            if self.known[i].info.is_none() {
                // Could not be opened before: try again (permissions may have been fixed).
                if let Ok(dev) = devices::open(&self.known[i].node.devnode) {
                    self.known[i].info = Some(devices::info(&dev));
                }
            }
            let Some(info) = self.known[i].info.clone() else { continue };
            let node = self.known[i].node.clone();
            self.admit(node, &info, None, false, set, cx);
        }
    }

    /// The one admission path: match, log, then claim, re-map, release or leave alone.
    fn admit(
        &mut self,
        node: Node,
        info: &DeviceInfo,
        dev: Option<RawDevice>,
        first: bool,
        set: &ProfileSet,
        cx: &mut Ctx,
    ) {
        let slot = self.slot_of(&node.syspath);
        let current = slot.and_then(|s| self.kbs[s].as_ref()).map(Keyboard::keymap);
        let a = admission(set, info, current, first);
        let say = |a: &Admission| {
            if let Some((level, line)) = &a.log {
                log::log!(*level, "{line}");
            }
        };
        match (a.plan.clone(), slot) {
            (Plan::Grab(keymap), _) => {
                let dev = match dev.map_or_else(|| devices::open(&node.devnode), Ok) {
                    Ok(d) => d,
                    Err(e) => return log::warn!("{}", explain_open(&node.devnode, &e)),
                };
                say(&a);
                self.claim(node, dev, info, a.profile.unwrap_or_default(), keymap, cx);
            }
            (Plan::Ungrab, Some(s)) => {
                say(&a);
                self.drop_slot(s, Some("released"), cx);
            }
            (Plan::SetKeymap(keymap), Some(s)) => {
                say(&a);
                self.generation += 1;
                self.touched.insert(s);
                if let Some(kb) = self.kbs[s].as_mut() {
                    kb.set_profile(a.profile.as_deref().unwrap_or_default());
                    let fits = kb.clone_fits(&keymap);
                    kb.set_keymap(keymap, cx.merger, cx.out);
                    if !fits {
                        self.renew_clone(s, cx);
                    }
                }
            }
            (Plan::Keep, s) => {
                say(&a);
                if let (Some(kb), Some(p)) = (s.and_then(|s| self.kbs[s].as_mut()), &a.profile) {
                    if kb.profile() != p {
                        self.generation += 1;
                    }
                    kb.set_profile(p);
                }
            }
            (Plan::Ungrab | Plan::SetKeymap(_), None) => {}
        }
    }

    fn claim(
        &mut self,
        node: Node,
        dev: RawDevice,
        info: &DeviceInfo,
        profile: String,
        keymap: Arc<Keymap>,
        cx: &mut Ctx,
    ) {
        let devnode = node.devnode.clone();
        let kb = match Keyboard::new(node, dev, info, profile, keymap) {
            Ok(kb) => kb,
            Err(e) => {
                log::warn!("{}: {e}", devnode.display());
                return;
            }
        };
        let slot = match self.kbs.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.kbs.push(None);
                self.kbs.len() - 1
            }
        };
        if let Err(e) =
            cx.poll.register(&mut SourceFd(&kb.fd()), Token(DEV_BASE + 2 * slot), Interest::READABLE)
        {
            log::warn!("{}: cannot watch it: {e}", kb.label());
            return;
        }
        self.kbs[slot] = Some(kb);
        self.generation += 1;
        self.try_grab(slot, cx);
    }

    fn try_grab(&mut self, slot: usize, cx: &mut Ctx) {
        let Some(kb) = self.kbs.get_mut(slot).and_then(Option::as_mut) else { return };
        self.touched.insert(slot);
        match kb.try_grab(cx.merger) {
            GrabResult::Grabbed => {
                self.generation += 1;
                // Keys held at the grab may already wait in its buffer.
                self.ready.insert(slot);
                kb.set_focus(self.focus.as_deref());
                // The clone starts with every LED off; the desktop sets them from there.
                kb.sync_leds();
                let mut node = "?".to_string();
                if let Some(clone) = kb.clone_dev() {
                    let token = Token(DEV_BASE + 2 * slot + 1);
                    if let Err(e) =
                        cx.poll.register(&mut SourceFd(&clone.raw_fd()), token, Interest::READABLE)
                    {
                        log::warn!("{}: cannot watch its virtual clone for LED changes: {e}", kb.label());
                    }
                    node = clone.devnode().map_or(node, |n| n.display().to_string());
                }
                log::info!(
                    "grabbed {} ({}), its virtual clone is {node}",
                    kb.label(),
                    kb.node().devnode.display()
                );
            }
            GrabResult::Waiting => {}
            GrabResult::Gone => self.drop_slot(slot, Some("removed"), cx),
            // Someone else holds a grab (often only for a moment): tried again on the timerfd,
            // 0.1 s doubling up to ~13 s in all, then given up with a clear message.
            GrabResult::Busy => log::debug!("{} is grabbed by another program; trying again", kb.label()),
            GrabResult::Failed(why) => {
                log::error!("{why}");
                self.drop_slot(slot, None, cx);
            }
        }
    }

    /// A reload's keymap emits keys the clone does not declare: the keyboard gets a new clone
    /// (its keys were already released on the old one, which lingers and goes).
    fn renew_clone(&mut self, slot: usize, cx: &mut Ctx) {
        let Some(kb) = self.kbs.get_mut(slot).and_then(Option::as_mut) else { return };
        match kb.renew_clone() {
            Ok(old) => {
                if let Some(old) = old {
                    let _ = cx.poll.deregister(&mut SourceFd(&old.raw_fd()));
                    self.retiring.push((sys::monotonic_now() + CLONE_LINGER, old));
                }
                if let Some(clone) = kb.clone_dev() {
                    let token = Token(DEV_BASE + 2 * slot + 1);
                    let _ = cx.poll.register(&mut SourceFd(&clone.raw_fd()), token, Interest::READABLE);
                }
                log::info!("{}: a new virtual clone, for the keys its new mapping emits", kb.label());
            }
            Err(e) => log::error!("{e}; keeping the old clone: keys it lacks will not be typed"),
        }
    }

    /// Whether the node is one of the keyboards' clones (current or lingering).
    fn owns(&self, node: &Node) -> bool {
        self.kbs.iter().flatten().filter_map(Keyboard::clone_dev).any(|c| c.owns(node))
            || self.retiring.iter().any(|(_, c)| c.owns(node))
    }

    /// Stops handling the keyboard in `slot`: its keys are released on its clone at once, and
    /// the clone goes [`CLONE_LINGER`] later.
    fn drop_slot(&mut self, slot: usize, why: Option<&str>, cx: &mut Ctx) {
        let Some(mut kb) = self.kbs.get_mut(slot).and_then(Option::take) else { return };
        self.generation += 1;
        self.ready.remove(slot);
        self.touched.remove(slot);
        self.timed.remove(slot);
        self.commands.remove(slot);
        let _ = cx.poll.deregister(&mut SourceFd(&kb.fd()));
        kb.release_and_ungrab(cx.merger, cx.out);
        if let Some(clone) = kb.take_clone() {
            let _ = cx.poll.deregister(&mut SourceFd(&clone.raw_fd()));
            self.retiring.push((sys::monotonic_now() + CLONE_LINGER, clone));
        }
        if let Some(why) = why {
            log::info!("{why} {} ({})", kb.label(), kb.node().devnode.display());
        }
    }

    /// A node went (udev `remove`): release its keyboard, forget it.
    pub fn remove(&mut self, syspath: &Path, cx: &mut Ctx) {
        if let Some(slot) = self.slot_of(syspath) {
            self.drop_slot(slot, Some("removed"), cx);
            if !self.kbs.iter().any(Option::is_some) {
                log::info!("no claimed keyboard left");
            }
        }
        self.known.retain(|k| k.node.syspath != syspath);
    }

    fn slot_of(&self, syspath: &Path) -> Option<usize> {
        self.kbs.iter().position(|k| k.as_ref().is_some_and(|k| k.node().syspath == syspath))
    }

    /// The claimed keyboards (grabbed or waiting for their grab), for the control socket.
    /// The focused application changed: each engine's application layer follows from its next
    /// key press on (a held key keeps what its press did).
    pub fn set_focus(&mut self, app_id: Option<&str>) {
        self.focus = app_id.map(str::to_owned);
        self.generation += 1;
        for (slot, kb) in self.kbs.iter_mut().enumerate() {
            if let Some(kb) = kb {
                kb.set_focus(app_id);
                self.touched.insert(slot);
            }
        }
    }

    /// Changes whenever the set of claimed keyboards, their grabs, profiles or focus change
    /// (see [`Registry::touched`] for what may change in between).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The keyboards that ran since the last [`Registry::next_deadline`]: the only ones whose
    /// active layers may have changed while [`Registry::generation`] stayed the same.
    pub fn touched(&self) -> impl Iterator<Item = &Keyboard> + '_ {
        self.touched.iter().filter_map(|s| self.kbs.get(s).and_then(Option::as_ref))
    }

    pub fn keyboards(&self) -> impl Iterator<Item = &Keyboard> {
        self.kbs.iter().flatten()
    }

    pub fn warn_if_idle(&self) {
        if !self.kbs.iter().any(Option::is_some) {
            log::warn!(
                "no keyboard matched any profile: keymapd runs but remaps nothing; `keymapd list` shows the devices and their IDs for a profile's `ids`"
            );
        }
    }

    /// epoll reported the keyboard or the clone of token `DEV_BASE + t`; true if a grabbed
    /// keyboard has input to feed.
    pub fn on_readable(&mut self, t: usize, cx: &mut Ctx) -> bool {
        let slot = t / 2;
        let Some(kb) = self.kbs.get_mut(slot).and_then(Option::as_mut) else { return false };
        if t % 2 == 1 {
            // The desktop wrote LEDs to the clone: forward them to this keyboard.
            if kb.read_clone_leds() {
                kb.sync_leds();
            }
            return false;
        }
        if kb.is_grabbed() {
            kb.set_ready();
            self.ready.insert(slot);
            true
        } else {
            self.try_grab(slot, cx);
            false
        }
    }

    /// Marks every keyboard as worth reading (before timers fire, so that input stamped before
    /// a deadline decides first).
    pub fn all_ready(&mut self) {
        for (slot, kb) in self.kbs.iter_mut().enumerate() {
            if let Some(kb) = kb {
                kb.set_ready();
                self.ready.insert(slot);
            }
        }
    }

    /// Feeds the input of the grabbed keyboards, frame by frame in timestamp order across
    /// keyboards (a chord typed on two keyboards within one wakeup keeps its order). Returns
    /// true if the panic chord was pressed.
    ///
    /// Only keyboards that may hold input are read (epoll reported them, or their last read
    /// filled the buffer); a short read means drained, so a frame is written without first
    /// reading keyboards that have nothing (each read is a syscall on the latency path).
    pub fn pump(&mut self, cx: &mut Ctx) -> bool {
        let mut current: Option<usize> = None;
        let mut refill = true;
        loop {
            if refill {
                let mut next = self.ready.first_from(0);
                while let Some(slot) = next {
                    next = self.ready.first_from(slot + 1);
                    let Some(kb) = self.kbs[slot].as_mut() else { continue };
                    if !kb.wants_read() {
                        if !kb.has_input() {
                            // Drained: epoll reports it again when it has more.
                            self.ready.remove(slot);
                        }
                        continue;
                    }
                    if let Err(e) = kb.fill() {
                        let why = if e.raw_os_error() == Some(libc::ENODEV) {
                            "removed".to_owned()
                        } else {
                            format!("read error ({e}), dropped")
                        };
                        self.drop_slot(slot, Some(&why), cx);
                    } else if !kb.has_input() && !kb.wants_read() {
                        // Drained: epoll reports it again when it has more.
                        self.ready.remove(slot);
                    }
                }
            }
            // A frame in progress goes on while its keyboard has more (the common case: no scan).
            let slot = match current {
                Some(s) if self.kbs[s].as_ref().is_some_and(Keyboard::has_input) => s,
                _ => {
                    let kbs = &self.kbs;
                    let times = self.ready.iter().map(|s| (s, kbs[s].as_ref().and_then(Keyboard::next_time)));
                    let Some(slot) = next_source(current, times) else { return false };
                    slot
                }
            };
            let Some(kb) = self.kbs[slot].as_mut() else { return false };
            self.touched.insert(slot);
            let frame_done = kb.feed_next(cx.merger, cx.out);
            if kb.has_commands() {
                self.commands.insert(slot);
            }
            current = if frame_done { None } else { Some(slot) };
            refill = !kb.has_input();
            if kb.panicked() {
                return true;
            }
        }
    }

    /// Fires the engine timers due at `now`, retries the grabs that are due and destroys the
    /// clones whose linger is over.
    pub fn on_timer(&mut self, now: Time, cx: &mut Ctx) {
        self.retiring.retain(|(t, _)| *t > now);
        let mut retry = Vec::new();
        for slot in self.timed.iter() {
            let Some(kb) = self.kbs.get_mut(slot).and_then(Option::as_mut) else { continue };
            if kb.deadline().is_some_and(|t| t <= now) {
                self.touched.insert(slot);
                kb.tick(now, cx.merger, cx.out);
                if kb.has_commands() {
                    self.commands.insert(slot);
                }
            }
            if kb.retry_due(now) {
                self.touched.insert(slot);
                retry.push(slot);
            }
        }
        for slot in retry {
            self.try_grab(slot, cx);
        }
    }

    /// The earliest engine deadline or grab retry. The keyboards that ran since the last call
    /// are the only ones whose deadlines may have moved: they are looked at, then forgotten
    /// (see [`Registry::touched`]).
    pub fn next_deadline(&mut self) -> Option<Time> {
        while let Some(slot) = self.touched.pop() {
            let timed = self.kbs[slot].as_ref().is_some_and(|k| k.deadline().or(k.retry_at()).is_some());
            if timed {
                self.timed.insert(slot);
            } else {
                self.timed.remove(slot);
            }
        }
        if self.timed.is_empty() && self.retiring.is_empty() {
            return None;
        }
        let kbs = self.timed.iter().filter_map(|s| self.kbs[s].as_ref());
        let kbs = kbs.flat_map(|k| [k.deadline(), k.retry_at()]).flatten();
        kbs.chain(self.retiring.iter().map(|(t, _)| *t)).min()
    }

    /// Whether an engine fired a `command(…)` not taken yet.
    pub fn has_commands(&self) -> bool {
        !self.commands.is_empty()
    }

    /// The `command(…)` actions the engines fired, with the label of their keyboard.
    pub fn take_commands(&mut self, mut run: impl FnMut(&str, String)) {
        while let Some(slot) = self.commands.pop() {
            let Some(kb) = self.kbs[slot].as_mut() else { continue };
            let Some(cmds) = kb.take_commands() else { continue };
            for cmd in cmds {
                run(kb.label(), cmd);
            }
        }
    }

    /// At exit: writes what the keyboards' frames hold, releases every key each holds on its
    /// clone and ungrabs it. The clones stay until the process exits.
    pub fn release_all(&mut self, cx: &mut Ctx) {
        for kb in self.kbs.iter_mut().flatten() {
            kb.release_for_exit(cx.merger, cx.out);
        }
    }
}

/// Which keyboard's next event to feed, given each slot's oldest unread event time: the one
/// whose frame is in progress (`current`) if it has more, otherwise the oldest; `None` if no
/// keyboard has anything.
fn next_source(
    current: Option<usize>,
    times: impl Iterator<Item = (usize, Option<Duration>)>,
) -> Option<usize> {
    let mut oldest: Option<(Duration, usize)> = None;
    for (slot, t) in times {
        let Some(t) = t else { continue };
        if current == Some(slot) {
            return Some(slot);
        }
        if oldest.is_none_or(|(o, _)| t < o) {
            oldest = Some((t, slot));
        }
    }
    oldest.map(|(_, s)| s)
}

/// A set of keyboard slots, as a bitset: insert, remove and test in O(1), and a walk in slot
/// order that costs one word per 64 slots, so that visiting the few keyboards that matter
/// does not cost a visit to all of them.
#[derive(Default)]
struct Slots(Vec<u64>);

impl Slots {
    fn insert(&mut self, slot: usize) {
        let (w, b) = (slot / 64, slot % 64);
        if self.0.len() <= w {
            self.0.resize(w + 1, 0);
        }
        self.0[w] |= 1 << b;
    }

    fn remove(&mut self, slot: usize) {
        if let Some(w) = self.0.get_mut(slot / 64) {
            *w &= !(1 << (slot % 64));
        }
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }

    /// Takes the lowest slot out of the set.
    fn pop(&mut self) -> Option<usize> {
        let (w, bits) = self.0.iter_mut().enumerate().find(|(_, b)| **b != 0)?;
        let slot = w * 64 + bits.trailing_zeros() as usize;
        *bits &= *bits - 1;
        Some(slot)
    }

    /// The first slot of the set at or after `from`.
    fn first_from(&self, from: usize) -> Option<usize> {
        let mut w = from / 64;
        let mut bits = self.0.get(w)? & (u64::MAX << (from % 64));
        loop {
            if bits != 0 {
                return Some(w * 64 + bits.trailing_zeros() as usize);
            }
            w += 1;
            bits = *self.0.get(w)?;
        }
    }

    /// The slots, in order.
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &bits)| {
            let mut bits = bits;
            std::iter::from_fn(move || {
                let b = bits.trailing_zeros() as usize;
                (bits != 0).then(|| {
                    bits &= bits - 1;
                    w * 64 + b
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profile;

    fn ms(n: u64) -> Option<Duration> {
        Some(Duration::from_millis(n))
    }

    fn slots<const N: usize>(
        times: [Option<Duration>; N],
    ) -> impl Iterator<Item = (usize, Option<Duration>)> {
        times.into_iter().enumerate()
    }

    #[test]
    fn the_oldest_event_goes_first_across_keyboards() {
        assert_eq!(next_source(None, slots([ms(20), None, ms(10)])), Some(2));
        assert_eq!(next_source(None, slots([None, None])), None);
        // Equal times: the lower slot, deterministically.
        assert_eq!(next_source(None, slots([ms(5), ms(5)])), Some(0));
        // Only the slots given count (the registry gives those that may hold input).
        assert_eq!(next_source(None, [(7, ms(9)), (3, ms(4))].into_iter()), Some(3));
    }

    #[test]
    fn a_frame_in_progress_is_finished_first() {
        assert_eq!(next_source(Some(0), slots([ms(20), ms(10)])), Some(0));
        // ... unless its keyboard has nothing more read yet.
        assert_eq!(next_source(Some(0), slots([None, ms(10)])), Some(1));
    }

    #[test]
    fn slots_walk_in_order_across_words() {
        let mut s = Slots::default();
        assert_eq!(s.iter().count(), 0);
        assert_eq!(s.first_from(0), None);
        for slot in [130, 3, 64, 63, 0] {
            s.insert(slot);
        }
        s.insert(3);
        assert_eq!(s.iter().collect::<Vec<_>>(), [0, 3, 63, 64, 130]);
        assert_eq!(s.first_from(4), Some(63));
        assert_eq!(s.first_from(65), Some(130));
        assert_eq!(s.first_from(131), None);
        assert_eq!(s.first_from(1000), None);
        s.remove(63);
        s.remove(500);
        let mut t = Slots::default();
        t.insert(70);
        t.insert(2);
        assert_eq!((t.pop(), t.pop(), t.pop()), (Some(2), Some(70), None));
        assert!(t.is_empty());
        assert_eq!(s.iter().collect::<Vec<_>>(), [0, 3, 64, 130]);
        while s.pop().is_some() {}
        assert_eq!(s.iter().count(), 0);
        s.insert(1);
        assert_eq!(s.iter().collect::<Vec<_>>(), [1]);
    }

    fn set(files: &[(&str, &str)]) -> ProfileSet {
        let profiles = files
            .iter()
            .map(|(name, text)| {
                Profile::parse(Path::new(name), text).unwrap_or_else(|e| panic!("{name}: {e:?}")).0
            })
            .collect();
        ProfileSet { profiles, warnings: Vec::new() }
    }

    fn k120() -> DeviceInfo {
        DeviceInfo {
            name: "Logitech K120".into(),
            vendor: 0x046d,
            product: 0xc31c,
            bustype: 3,
            phys: String::new(),
            is_keyboard: true,
            is_pointer: false,
        }
    }

    const TIED: &[(&str, &str)] = &[
        ("a-logi.toml", "ids = [\"name:Logitech*\"]\n[main]\ncapslock = \"esc\"\n"),
        ("b-k120.toml", "ids = [\"name:*K120\"]\n"),
    ];
    const TIE: &str = "tied with b-k120 via name:*K120: the earlier file wins";

    fn line(a: &Admission) -> (Level, &str) {
        let (level, line) = a.log.as_ref().unwrap_or_else(|| panic!("no log line"));
        (*level, line.as_str())
    }

    #[test]
    fn a_tie_is_logged_on_hotplug_and_on_reload_alike() {
        let s = set(TIED);
        let label = "match 046d:c31c Logitech K120 -> a-logi";
        // Enumeration or hotplug: a new device.
        let a = admission(&s, &k120(), None, true);
        assert!(matches!(a.plan, Plan::Grab(_)));
        assert_eq!(line(&a), (Level::Warn, format!("{label} ({TIE})").as_str()));
        // A reload that claims a device it did not claim before.
        let a = admission(&s, &k120(), None, false);
        assert!(matches!(a.plan, Plan::Grab(_)));
        assert_eq!(line(&a), (Level::Warn, format!("{label} ({TIE})").as_str()));
        // A reload that changes its mapping.
        let before = set(&[("a-logi.toml", "ids = [\"name:Logitech*\"]\n")]);
        let a = admission(&s, &k120(), Some(&before.profiles[0].keymap), false);
        assert!(matches!(a.plan, Plan::SetKeymap(_)));
        assert_eq!(line(&a), (Level::Warn, format!("{label} (mapping changed; {TIE})").as_str()));
        // A reload that leaves the mapping alone still says the claim is tied.
        let a = admission(&s, &k120(), Some(&s.profiles[0].keymap), false);
        assert!(matches!(a.plan, Plan::Keep));
        assert_eq!(line(&a), (Level::Warn, format!("{label} ({TIE})").as_str()));
    }

    #[test]
    fn admissions_without_a_tie_log_as_before() {
        let s = set(&[("kb.toml", "ids = [\"046d:c31c\"]\n")]);
        let a = admission(&s, &k120(), None, true);
        assert_eq!(line(&a), (Level::Info, "match 046d:c31c Logitech K120 -> kb"));
        assert_eq!(a.profile.as_deref(), Some("kb"));
        let other = set(&[("kb.toml", "ids = [\"046d:c31c\"]\n[main]\na = \"b\"\n")]);
        let a = admission(&s, &k120(), Some(&other.profiles[0].keymap), false);
        assert_eq!(line(&a), (Level::Info, "match 046d:c31c Logitech K120 -> kb (mapping changed)"));
        let a = admission(&s, &k120(), Some(&s.profiles[0].keymap), false);
        assert!(matches!(a.plan, Plan::Keep) && a.log.is_none());
        // Unclaimed: said when new or when released, not again on every reload.
        let none = set(&[("kb.toml", "ids = [\"1234:5678\"]\n")]);
        let a = admission(&none, &k120(), None, true);
        assert_eq!(line(&a).0, Level::Info);
        assert!(line(&a).1.starts_with("ignore 046d:c31c Logitech K120 ("), "{}", line(&a).1);
        assert!(admission(&none, &k120(), None, false).log.is_none());
        let a = admission(&none, &k120(), Some(&s.profiles[0].keymap), false);
        assert!(matches!(a.plan, Plan::Ungrab) && line(&a).1.starts_with("ignore "));
    }
}
