//! The output frame of one input frame: engine output collected into one `input_event` buffer,
//! with the MSC_SCAN rule, written to uinput as one `write`. It never decides what a key means.

use crate::engine::{KeyEvent, KeyValue, Sink};

use super::sys::{input_event, new_event, EV_KEY, EV_MSC, EV_SYN, MSC_SCAN, SYN_REPORT};
use super::uinput::is_mouse_button;

/// The events to write for one SYN frame (SYN_REPORT appended when it is finished).
pub struct Frame {
    /// Keyboard keys and mouse buttons, in the engine's order.
    events: Vec<input_event>,
    /// Some of `events` are mouse buttons (for the virtual pointer).
    has_pointer: bool,
    /// Where a frame that mixes both devices is cut into one frame per device run.
    scratch: Vec<input_event>,
    /// `command(…)` actions fired while this frame was built, run by the loop afterwards.
    commands: Vec<String>,
}

impl Default for Frame {
    fn default() -> Self {
        Frame::new()
    }
}

impl Frame {
    pub fn new() -> Frame {
        Frame {
            events: Vec::with_capacity(128),
            has_pointer: false,
            scratch: Vec::new(),
            commands: Vec::new(),
        }
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The position where the output for the next input event starts.
    pub fn mark(&self) -> usize {
        self.events.len()
    }

    /// The MSC rule: the scan code of an input key event goes out only when that key went out
    /// unchanged (exactly one output event since `mark`, the same key and value), just before it.
    pub fn attach_scan(&mut self, mark: usize, input: KeyEvent, scan: Option<i32>) {
        let Some(scan) = scan else { return };
        if self.events.len() == mark + 1 {
            let out = self.events[mark];
            if out.type_ == EV_KEY && out.code == input.key.code() && out.value == input.value as i32 {
                self.events.insert(mark, new_event(EV_MSC, MSC_SCAN, scan));
            }
        }
    }

    /// Hands each output frame to `write`, with its SYN_REPORT: `(false, frame)` for the
    /// keyboard's clone, `(true, frame)` for the virtual pointer. Usually one keyboard frame; when
    /// `split` and mouse buttons are mixed in, one frame per run of the same device, in the
    /// engine's order (so a `C-leftmouse` click is released before its control). Without `split`
    /// (a clone that is a pointer itself) always one frame. Nothing if the frame is empty.
    /// Call [`Frame::clear`] after writing.
    pub fn frames(&mut self, split: bool, mut write: impl FnMut(bool, &[input_event])) {
        if self.events.is_empty() {
            return;
        }
        let syn = new_event(EV_SYN, SYN_REPORT, 0);
        if !self.has_pointer || !split {
            self.events.push(syn);
            write(false, &self.events);
            return;
        }
        let on_pointer = |e: &input_event| e.type_ == EV_KEY && is_mouse_button(e.code);
        let mut rest = &self.events[..];
        while let Some(first) = rest.first() {
            let pointer = on_pointer(first);
            let len = rest.iter().position(|e| on_pointer(e) != pointer).unwrap_or(rest.len());
            self.scratch.clear();
            self.scratch.extend_from_slice(&rest[..len]);
            self.scratch.push(syn);
            write(pointer, &self.scratch);
            rest = &rest[len..];
        }
    }

    /// A pointer event of a keyboard that also moves a pointer, unchanged, for its own clone.
    pub fn push_pointer_event(&mut self, ev: input_event) {
        self.events.push(ev);
    }

    pub fn clear(&mut self) {
        self.events.clear();
        self.has_pointer = false;
    }

    pub fn push_command(&mut self, cmd: &str) {
        self.commands.push(cmd.to_owned());
    }

    /// Whether a command was queued since the last [`Frame::take_commands`].
    pub fn has_commands(&self) -> bool {
        !self.commands.is_empty()
    }

    /// The commands queued so far, emptied.
    pub fn take_commands(&mut self) -> Option<Vec<String>> {
        (!self.commands.is_empty()).then(|| std::mem::take(&mut self.commands))
    }

    /// The (type, code, value) triples in the frame, for tests.
    #[cfg(test)]
    pub fn triples(&self) -> impl Iterator<Item = (u16, u16, i32)> + '_ {
        self.events.iter().map(|e| (e.type_, e.code, e.value))
    }
}

impl Sink for Frame {
    /// Repeats are dropped: the virtual clone has EV_REP, so the kernel autorepeats the last
    /// key pressed on it; forwarding the engine's repeats as well would double the rate.
    fn key(&mut self, ev: KeyEvent) {
        if ev.value != KeyValue::Repeat {
            let code = ev.key.code();
            self.has_pointer |= is_mouse_button(code);
            self.events.push(new_event(EV_KEY, code, ev.value as i32));
        }
    }
    /// `command(…)` actions are queued for the loop to run after the frame is written.
    fn command(&mut self, cmd: &str) {
        self.push_command(cmd);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Key;

    fn key(code: u16) -> Key {
        Key::new(code).unwrap()
    }

    /// (type, code, value) of each event of one frame.
    type Triples = Vec<(u16, u16, i32)>;

    /// The frames `Frame::frames` writes: (to the pointer?, events).
    fn written(f: &mut Frame) -> Vec<(bool, Triples)> {
        written_split(f, true)
    }

    fn written_split(f: &mut Frame, split: bool) -> Vec<(bool, Triples)> {
        let mut out = Vec::new();
        f.frames(split, |p, evs| out.push((p, evs.iter().map(|e| (e.type_, e.code, e.value)).collect())));
        f.clear();
        out
    }

    /// The one keyboard frame written.
    fn finish(f: &mut Frame) -> Triples {
        let mut w = written(f);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(!w[0].0);
        w.remove(0).1
    }

    #[test]
    fn scan_code_goes_with_a_key_passed_through_unchanged() {
        let mut f = Frame::new();
        let ev = KeyEvent::down(key(30));
        let m = f.mark();
        f.key(ev);
        f.attach_scan(m, ev, Some(0x70004));
        assert_eq!(
            finish(&mut f),
            vec![(EV_MSC, MSC_SCAN, 0x70004), (EV_KEY, 30, 1), (EV_SYN, SYN_REPORT, 0)]
        );
    }

    #[test]
    fn scan_code_is_dropped_for_a_remapped_key() {
        let mut f = Frame::new();
        let ev = KeyEvent::down(key(58));
        let m = f.mark();
        f.key(KeyEvent::down(key(1))); // capslock -> esc
        f.attach_scan(m, ev, Some(0x70039));
        assert_eq!(f.triples().collect::<Vec<_>>(), vec![(EV_KEY, 1, 1)]);
    }

    #[test]
    fn scan_code_is_dropped_when_the_key_brings_modifiers_along() {
        let mut f = Frame::new();
        let ev = KeyEvent::down(key(30));
        let m = f.mark();
        f.key(KeyEvent::down(Key::LEFTCTRL));
        f.key(KeyEvent::down(key(30)));
        f.attach_scan(m, ev, Some(0x70004));
        assert_eq!(f.triples().count(), 2);
    }

    #[test]
    fn scan_code_is_dropped_when_nothing_went_out() {
        let mut f = Frame::new();
        let ev = KeyEvent::down(key(30));
        let m = f.mark();
        f.attach_scan(m, ev, Some(0x70004));
        assert!(written(&mut f).is_empty());
    }

    #[test]
    fn a_frame_with_several_keys_is_one_buffer_ending_in_one_syn() {
        let mut f = Frame::new();
        for (code, scan) in [(42u16, 0x700e1), (30, 0x70004)] {
            let ev = KeyEvent::down(key(code));
            let m = f.mark();
            f.key(ev);
            f.attach_scan(m, ev, Some(scan));
        }
        let out = finish(&mut f);
        assert_eq!(out.len(), 5);
        assert_eq!(out.iter().filter(|e| e.0 == EV_SYN).count(), 1);
        assert!(f.is_empty());
    }

    #[test]
    fn mouse_buttons_go_to_the_pointer_in_the_engines_order() {
        let syn = (EV_SYN, SYN_REPORT, 0);
        let mut f = Frame::new();
        let ev = KeyEvent::down(key(100)); // rightalt -> C-leftmouse
        let m = f.mark();
        f.key(KeyEvent::down(Key::LEFTCTRL));
        f.key(KeyEvent::down(key(0x110)));
        f.attach_scan(m, ev, Some(0x700e6));
        assert_eq!(
            written(&mut f),
            vec![(false, vec![(EV_KEY, 29, 1), syn]), (true, vec![(EV_KEY, 0x110, 1), syn])]
        );
        // The release: the button first, then its control.
        f.key(KeyEvent::up(key(0x110)));
        f.key(KeyEvent::up(Key::LEFTCTRL));
        assert_eq!(
            written(&mut f),
            vec![(true, vec![(EV_KEY, 0x110, 0), syn]), (false, vec![(EV_KEY, 29, 0), syn])]
        );
        // Only a button: nothing for the keyboard.
        f.key(KeyEvent::down(key(0x111)));
        f.key(KeyEvent::up(key(0x111)));
        assert_eq!(written(&mut f), vec![(true, vec![(EV_KEY, 0x111, 1), (EV_KEY, 0x111, 0), syn])]);
        // And after a clear, keyboard frames are whole again.
        f.key(KeyEvent::down(key(30)));
        assert_eq!(finish(&mut f), vec![(EV_KEY, 30, 1), syn]);
    }

    #[test]
    fn a_pointer_keyboards_clone_takes_the_whole_frame() {
        // A keyboard that also moves a pointer: its own button and motion pass through, and the
        // button its profile emits (capslock -> leftmouse) stays on the same device, one write.
        let syn = (EV_SYN, SYN_REPORT, 0);
        let mut f = Frame::new();
        f.push_pointer_event(new_event(EV_KEY, 0x111, 1));
        f.key(KeyEvent::down(key(0x110)));
        f.key(KeyEvent::down(key(30)));
        assert_eq!(
            written_split(&mut f, false),
            vec![(false, vec![(EV_KEY, 0x111, 1), (EV_KEY, 0x110, 1), (EV_KEY, 30, 1), syn])]
        );
        // Split (a plain keyboard), the same frame would cut both buttons out for the pointer.
        f.push_pointer_event(new_event(EV_KEY, 0x111, 0));
        f.key(KeyEvent::up(key(0x110)));
        assert_eq!(
            written_split(&mut f, true),
            vec![(true, vec![(EV_KEY, 0x111, 0), (EV_KEY, 0x110, 0), syn])]
        );
    }

    #[test]
    fn repeats_are_not_forwarded() {
        let mut f = Frame::new();
        f.key(KeyEvent::new(key(30), KeyValue::Repeat));
        assert!(f.is_empty());
    }
}
