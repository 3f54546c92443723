//! Hotplug: event nodes appearing (enumeration, udev add) and going (udev remove, ENODEV),
//! matched against the profiles, opened, grabbed and released. It never remaps and never sleeps.

use std::path::Path;
use std::sync::Arc;

use evdev::raw_stream::RawDevice;
use mio::unix::SourceFd;
use mio::{Interest, Token};

use crate::keymap::Keymap;
use crate::profile::{DeviceInfo, Match};

use super::devices::{self, Node};
use super::event_loop::{Daemon, Known, BUSY_BACKOFF, BUSY_TRIES, DEV_BASE};
use super::explain_open;
use super::keyboard::{GrabResult, Keyboard};
use super::sys;

impl Daemon {
    pub(super) fn on_udev(&mut self) {
        let Some(monitor) = &self.monitor else { return };
        let mut changes = Vec::new();
        for ev in monitor.iter() {
            let dev = ev.device();
            if !dev.sysname().to_string_lossy().starts_with("event") {
                continue;
            }
            let syspath = dev.syspath().to_path_buf();
            match ev.event_type() {
                udev::EventType::Add => {
                    if let Some(devnode) = dev.devnode() {
                        changes.push((true, Node { devnode: devnode.to_path_buf(), syspath }));
                    }
                }
                udev::EventType::Remove => {
                    let devnode = dev.devnode().map(Path::to_path_buf).unwrap_or_default();
                    changes.push((false, Node { devnode, syspath }));
                }
                _ => {}
            }
        }
        for (add, node) in changes {
            if add {
                self.add(node);
            } else {
                self.remove(&node.syspath);
            }
        }
    }

    /// A new event node: open it, match it, log the decision, claim it if a profile does.
    pub(super) fn add(&mut self, node: Node) {
        if self.out.owns(&node) {
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
        self.remove(&node.syspath);
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
            log::info!("ignore {} (the virtual keyboard of another keymapd)", devices::label(&info));
            return;
        }
        self.known.push(Known { node: node.clone(), info: Some(info.clone()) });
        match self.set.match_device(&info) {
            Match::Claimed { profile, tied_with, .. } => {
                let p = &self.set.profiles[profile];
                match tied_with {
                    None => log::info!("match {} -> {}", devices::label(&info), p.name),
                    Some(t) => log::warn!(
                        "match {} -> {} ({})",
                        devices::label(&info),
                        p.name,
                        self.set.describe_tie(&t)
                    ),
                }
                let (name, keymap) = (p.name.clone(), p.keymap.clone());
                self.claim(node, dev, info, name, keymap);
            }
            Match::Unclaimed(why) => log::info!("ignore {} ({why})", devices::label(&info)),
        }
    }

    pub(super) fn claim(
        &mut self,
        node: Node,
        dev: RawDevice,
        info: DeviceInfo,
        profile: String,
        keymap: Arc<Keymap>,
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
            self.poll.registry().register(&mut SourceFd(&kb.fd()), Token(DEV_BASE + slot), Interest::READABLE)
        {
            log::warn!("{}: cannot watch it: {e}", kb.label);
            return;
        }
        self.kbs[slot] = Some(kb);
        self.try_grab(slot);
    }

    pub(super) fn try_grab(&mut self, slot: usize) {
        let Some(kb) = self.kbs.get_mut(slot).and_then(Option::as_mut) else { return };
        match kb.try_grab(&mut self.buf[..], &mut self.merger) {
            GrabResult::Grabbed => {
                kb.ready = true;
                kb.retry_at = None;
                kb.busy_tries = 0;
                kb.set_leds(&self.leds);
                log::info!("grabbed {} ({})", kb.label, kb.node.devnode.display());
            }
            GrabResult::Waiting => {}
            GrabResult::Gone => self.drop_slot(slot, Some("removed")),
            GrabResult::Busy => {
                // Someone else holds a grab (often only for a moment): back off on the timerfd,
                // 0.1 s doubling up to ~13 s in all, then give up with a clear message.
                kb.busy_tries += 1;
                if kb.busy_tries > BUSY_TRIES {
                    log::error!(
                        "cannot grab {} ({}): another program (keyd, another keymapd, …) holds it; giving up",
                        kb.label,
                        kb.node.devnode.display()
                    );
                    self.drop_slot(slot, None);
                } else {
                    log::debug!("{} is grabbed by another program; trying again", kb.label);
                    kb.retry_at = Some(sys::monotonic_now() + BUSY_BACKOFF * (1 << (kb.busy_tries - 1)));
                }
            }
            GrabResult::Failed(why) => {
                log::error!("{why}");
                self.drop_slot(slot, None);
            }
        }
    }

    /// Stops handling the keyboard in `slot`: its keys are released on the output at once.
    pub(super) fn drop_slot(&mut self, slot: usize, why: Option<&str>) {
        let Some(mut kb) = self.kbs.get_mut(slot).and_then(Option::take) else { return };
        let _ = self.poll.registry().deregister(&mut SourceFd(&kb.fd()));
        kb.release_and_ungrab(&mut self.merger, &self.out);
        if let Some(why) = why {
            log::info!("{why} {} ({})", kb.label, kb.node.devnode.display());
        }
    }

    pub(super) fn remove(&mut self, syspath: &Path) {
        if let Some(slot) =
            self.kbs.iter().position(|k| k.as_ref().is_some_and(|k| k.node.syspath == syspath))
        {
            self.drop_slot(slot, Some("removed"));
            if !self.kbs.iter().any(Option::is_some) {
                log::info!("no claimed keyboard left");
            }
        }
        self.known.retain(|k| k.node.syspath != syspath);
    }

    pub(super) fn warn_if_idle(&self) {
        if !self.kbs.iter().any(Option::is_some) {
            log::warn!(
                "no keyboard matched any profile: keymapd runs but remaps nothing; `keymapd list` shows the devices and their IDs for a profile's `ids`"
            );
        }
    }
}
