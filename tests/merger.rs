//! The output merger: several sources, one virtual keyboard.

use keymapd::engine::{Engine, KeyEvent, KeyValue};
use keymapd::keys::Key;
use keymapd::merger::{Merger, SourceSink};

use keymapd_testkit::sim as common;

fn s(out: &[KeyEvent]) -> String {
    out.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ")
}

#[test]
fn two_sources_holding_shift() {
    let mut m = Merger::new();
    let (a, b) = (m.add_source(), m.add_source());
    let mut out = Vec::new();
    m.event(a, KeyEvent::down(Key::LEFTSHIFT), &mut out);
    m.event(b, KeyEvent::down(Key::LEFTSHIFT), &mut out);
    m.event(a, KeyEvent::up(Key::LEFTSHIFT), &mut out);
    assert!(m.is_down(Key::LEFTSHIFT), "b still holds shift");
    m.event(b, KeyEvent::down(Key::A), &mut out);
    m.event(b, KeyEvent::up(Key::A), &mut out);
    m.event(b, KeyEvent::up(Key::LEFTSHIFT), &mut out);
    assert_eq!(s(&out), "leftshift down, a down, a up, leftshift up");
}

#[test]
fn releases_only_what_a_source_holds() {
    let mut m = Merger::new();
    let (a, b) = (m.add_source(), m.add_source());
    let mut out = Vec::new();
    m.event(a, KeyEvent::up(Key::A), &mut out);
    m.event(a, KeyEvent::new(Key::A, KeyValue::Repeat), &mut out);
    assert_eq!(s(&out), "", "nothing invented for keys a source does not hold");
    m.event(a, KeyEvent::down(Key::A), &mut out);
    m.event(b, KeyEvent::up(Key::A), &mut out);
    assert_eq!(s(&out), "a down", "b cannot release a's key");
    m.event(a, KeyEvent::new(Key::A, KeyValue::Repeat), &mut out);
    assert_eq!(s(&out), "a down, a repeat");
}

#[test]
fn removing_a_source_releases_its_keys_modifiers_last() {
    let mut m = Merger::new();
    let (a, b) = (m.add_source(), m.add_source());
    let mut out = Vec::new();
    m.event(a, KeyEvent::down(Key::LEFTCTRL), &mut out);
    m.event(a, KeyEvent::down(Key::A), &mut out);
    m.event(b, KeyEvent::down(Key::LEFTCTRL), &mut out);
    out.clear();
    m.remove_source(a, &mut out);
    assert_eq!(s(&out), "a up", "b still holds control");
    m.release_all(&mut out);
    assert_eq!(s(&out), "a up, leftcontrol up");
    // A freed slot is reused and starts empty.
    let c = m.add_source();
    assert_eq!(c, a);
}

#[test]
fn engines_feed_the_merger_through_source_sinks() {
    let swap = common::profile("ids = [\"*\"]\n[main]\nleftcontrol = \"leftmeta\"\n");
    let plain = common::profile("ids = [\"*\"]\n[main]\n");
    let mut m = Merger::new();
    let (a, b) = (m.add_source(), m.add_source());
    let (mut ea, mut eb) = (Engine::new(swap.keymap.clone()), Engine::new(plain.keymap.clone()));
    let mut out = Vec::new();
    let t = std::time::Duration::ZERO;
    ea.process(KeyEvent::down(Key::LEFTCTRL), t, &mut SourceSink { merger: &mut m, src: a, out: &mut out });
    eb.process(KeyEvent::down(Key::LEFTMETA), t, &mut SourceSink { merger: &mut m, src: b, out: &mut out });
    ea.process(KeyEvent::up(Key::LEFTCTRL), t, &mut SourceSink { merger: &mut m, src: a, out: &mut out });
    assert_eq!(s(&out), "leftmeta down", "meta stays down while b holds it");
    eb.release_all(&mut SourceSink { merger: &mut m, src: b, out: &mut out });
    assert_eq!(s(&out), "leftmeta down, leftmeta up");
}

#[test]
fn source_sinks_pass_commands_through() {
    #[derive(Default)]
    struct Commands(Vec<String>);
    impl keymapd::engine::Sink for Commands {
        fn key(&mut self, _: KeyEvent) {}
        fn command(&mut self, cmd: &str) {
            self.0.push(cmd.to_owned());
        }
    }
    let mut m = Merger::new();
    let src = m.add_source();
    let mut out = Commands::default();
    keymapd::engine::Sink::command(&mut SourceSink { merger: &mut m, src, out: &mut out }, "notify-send hi");
    assert_eq!(out.0, ["notify-send hi"]);
}

/// The daemon's merger: each keyboard has a virtual clone of its own, so only mouse buttons
/// (the one shared virtual pointer) are merged; a keyboard's keys pass on its own state.
#[test]
fn only_shared_keys_are_merged_the_others_belong_to_their_source() {
    let mut m = Merger::with_shared(Key::is_mouse_button);
    let (a, b) = (m.add_source(), m.add_source());
    let btn = Key::new(0x110).unwrap();
    let (mut oa, mut ob) = (Vec::new(), Vec::new());
    m.event(a, KeyEvent::down(Key::LEFTSHIFT), &mut oa);
    m.event(b, KeyEvent::down(Key::LEFTSHIFT), &mut ob);
    m.event(a, KeyEvent::up(Key::LEFTSHIFT), &mut oa);
    assert_eq!(s(&oa), "leftshift down, leftshift up", "a's shift is a's alone");
    assert_eq!(s(&ob), "leftshift down", "b holds its own shift on its own output");
    assert!(m.is_down(Key::LEFTSHIFT));
    m.event(b, KeyEvent::up(Key::A), &mut ob);
    assert_eq!(s(&ob), "leftshift down", "nothing released that b does not hold");
    // The shared pointer's button is down while either source holds it.
    let (mut pa, mut pb) = (Vec::new(), Vec::new());
    m.event(a, KeyEvent::down(btn), &mut pa);
    m.event(b, KeyEvent::down(btn), &mut pb);
    m.event(a, KeyEvent::up(btn), &mut pa);
    assert_eq!((s(&pa), s(&pb)), ("leftmouse down".to_string(), String::new()));
    m.remove_source(b, &mut pb);
    assert_eq!(s(&pb), "leftmouse up, leftshift up");
    assert!(!m.is_down(Key::LEFTSHIFT) && !m.is_down(btn));
}
