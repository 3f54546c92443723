//! Hot reload: notices profile edits (notify, debounced) and SIGHUP, loads and validates the
//! whole new set, then applies the reload plan device by device. It never keeps a broken set.

use std::path::Path;

use sd_notify::NotifyState;

use crate::profile::Match;

use super::devices;
use super::event_loop::{notify_systemd, Daemon, DEBOUNCE};
use super::reload::{self, Plan};
use super::sys;
use super::{explain_open, load_profiles, Error};

impl Daemon {
    pub(super) fn on_notes(&mut self) {
        let mut relevant = false;
        while let Ok(note) = self.notes.try_recv() {
            match note {
                Ok(ev) => relevant |= is_profile_change(&ev, &self.config),
                Err(e) => log::warn!("watching the profile directory: {e}"),
            }
        }
        if relevant {
            self.debounce = Some(sys::monotonic_now() + DEBOUNCE);
        }
    }

    /// Parses and validates the whole new set; if valid, applies it device by device.
    pub(super) fn reload(&mut self, why: &str) {
        let mut states = vec![NotifyState::Reloading];
        if let Ok(t) = NotifyState::monotonic_usec_now() {
            states.push(t);
        }
        notify_systemd(&states);
        log::info!("reloading profiles ({why})");
        if let Some(w) = self.watcher.as_mut() {
            // Idempotent while the directory stands; a new watch once it was recreated.
            if let Err(e) = notify::Watcher::watch(w, &self.watch_dir, notify::RecursiveMode::NonRecursive) {
                log::debug!("renewing the watch on {}: {e}", self.watch_dir.display());
            }
        }
        let new = match load_profiles(&self.config) {
            Ok(set) => set,
            Err(e) => {
                if !matches!(e, Error::InvalidProfiles(_)) {
                    log::error!("{e}");
                }
                log::error!("reload failed, keeping the previous profiles");
                notify_systemd(&[NotifyState::Ready]);
                return;
            }
        };
        self.out.pointer_for(&new);
        for i in 0..self.known.len() {
            if self.known[i].info.is_none() {
                // Could not be opened before: try again (permissions may have been fixed).
                if let Ok(dev) = devices::open(&self.known[i].node.devnode) {
                    self.known[i].info = Some(devices::info(&dev));
                }
            }
            let Some(info) = self.known[i].info.clone() else { continue };
            let node = self.known[i].node.clone();
            let slot =
                self.kbs.iter().position(|k| k.as_ref().is_some_and(|k| k.node.syspath == node.syspath));
            let m = new.match_device(&info);
            let claimed = match &m {
                Match::Claimed { profile, .. } => Some(&new.profiles[*profile]),
                Match::Unclaimed(_) => None,
            };
            let old = slot.and_then(|s| self.kbs[s].as_ref()).map(|k| &k.keymap);
            let label = devices::label(&info);
            match reload::plan(old, claimed.map(|p| &p.keymap)) {
                Plan::Keep => {
                    if let (Some(s), Some(p)) = (slot, claimed) {
                        if let Some(kb) = self.kbs[s].as_mut() {
                            kb.profile = p.name.clone();
                        }
                    }
                }
                Plan::Grab(keymap) => {
                    let Some(p) = claimed else { continue };
                    match devices::open(&node.devnode) {
                        Ok(dev) => {
                            log::info!("match {label} -> {}", p.name);
                            self.claim(node, dev, info, p.name.clone(), keymap);
                        }
                        Err(e) => log::warn!("{}", explain_open(&node.devnode, &e)),
                    }
                }
                Plan::Ungrab => {
                    if let (Some(s), Match::Unclaimed(reason)) = (slot, &m) {
                        log::info!("ignore {label} ({reason})");
                        self.drop_slot(s, Some("released"));
                    }
                }
                Plan::SetKeymap(keymap) => {
                    let (Some(s), Some(p)) = (slot, claimed) else { continue };
                    if let Some(kb) = self.kbs[s].as_mut() {
                        log::info!("match {label} -> {} (mapping changed)", p.name);
                        kb.profile = p.name.clone();
                        kb.set_keymap(keymap, &mut self.merger, &self.out);
                    }
                }
            }
        }
        let n = new.profiles.len();
        self.set = new;
        log::info!("reloaded {n} profiles");
        self.warn_if_idle();
        notify_systemd(&[NotifyState::Ready]);
    }
}

/// Whether a notify event in the watched directory is an edit of the profiles: a `*.toml` file
/// (or the `--config` file itself) created, written, closed after writing, renamed or removed.
/// Reads are not (the
/// daemon's own reads would reload forever); an event without paths (a rescan) is.
fn is_profile_change(ev: &notify::Event, config: &Path) -> bool {
    use notify::event::{AccessKind, AccessMode};
    use notify::EventKind;
    match ev.kind {
        // A file written and closed is the surest sign an edit is complete.
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => {}
        EventKind::Access(_) => return false,
        _ => {}
    }
    ev.paths.is_empty() || ev.paths.iter().any(|p| p.extension().is_some_and(|x| x == "toml") || p == config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
    use notify::{Event, EventKind};

    fn ev(kind: EventKind, path: &str) -> Event {
        Event::new(kind).add_path(path.into())
    }

    #[test]
    fn profile_edits_count_and_reads_and_other_files_do_not() {
        let dir = Path::new("/etc/keymapd");
        assert!(is_profile_change(&ev(EventKind::Create(CreateKind::File), "/etc/keymapd/a.toml"), dir));
        assert!(is_profile_change(
            &ev(EventKind::Modify(ModifyKind::Name(RenameMode::To)), "/etc/keymapd/a.toml"),
            dir
        ));
        assert!(is_profile_change(
            &ev(EventKind::Remove(notify::event::RemoveKind::File), "/etc/keymapd/a.toml"),
            dir
        ));
        assert!(!is_profile_change(
            &ev(EventKind::Access(AccessKind::Open(AccessMode::Any)), "/etc/keymapd/a.toml"),
            dir
        ));
        assert!(!is_profile_change(
            &ev(EventKind::Create(CreateKind::File), "/etc/keymapd/.a.toml.swp"),
            dir
        ));
        assert!(!is_profile_change(&ev(EventKind::Create(CreateKind::File), "/etc/keymapd/4913"), dir));
        assert!(is_profile_change(&Event::new(EventKind::Other), dir));
        let closed = EventKind::Access(AccessKind::Close(AccessMode::Write));
        assert!(is_profile_change(&ev(closed, "/etc/keymapd/a.toml"), dir));
        let read = EventKind::Access(AccessKind::Close(AccessMode::Read));
        assert!(!is_profile_change(&ev(read, "/etc/keymapd/a.toml"), dir));
    }

    #[test]
    fn a_single_profile_file_counts_whatever_its_name() {
        let file = Path::new("/home/me/kb.conf");
        assert!(is_profile_change(&ev(EventKind::Modify(ModifyKind::Any), "/home/me/kb.conf"), file));
        assert!(!is_profile_change(&ev(EventKind::Modify(ModifyKind::Any), "/home/me/notes.txt"), file));
    }
}
