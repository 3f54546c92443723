//! The `keymapd test --script` format: `<key> down|up|repeat` and `<N>ms` lines in, events out.
//! Pure text handling around the engine; stable, because users paste it into bug reports.

use std::sync::Arc;
use std::time::Duration;

use crate::engine::{Engine, KeyEvent, KeyValue, Sink, Time};
use crate::keymap::Keymap;
use crate::keys::Key;
use crate::profile::expr::unknown_key;

/// One script line.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Step {
    /// An input event.
    Event(KeyEvent),
    /// Let this much time pass (timers that fall due fire at their exact deadline).
    Advance(Duration),
}

/// A bad script line.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ScriptError {
    pub line: usize,
    pub message: String,
}

/// Parses a script. Blank lines and `#` comments (whole-line or trailing) are ignored.
pub fn parse(text: &str) -> Result<Vec<Step>, ScriptError> {
    let mut steps = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let err = |message: String| ScriptError { line: i + 1, message };
        let words: Vec<&str> = line.split_whitespace().collect();
        let step = match words.as_slice() {
            [w] if w.ends_with("ms") => {
                let n = &w[..w.len() - 2];
                let ms: u64 = n.parse().map_err(|_| {
                    err(format!("bad duration `{w}`; write whole milliseconds, e.g. `150ms`"))
                })?;
                Step::Advance(Duration::from_millis(ms))
            }
            [key, value] => {
                let k = Key::from_name(key).ok_or_else(|| err(unknown_key(key, None)))?;
                let v = match *value {
                    "down" => KeyValue::Down,
                    "up" => KeyValue::Up,
                    "repeat" => KeyValue::Repeat,
                    other => {
                        return Err(err(format!("bad event `{other}`; expected `down`, `up` or `repeat`")))
                    }
                };
                Step::Event(KeyEvent::new(k, v))
            }
            _ => {
                return Err(err(format!("cannot read `{line}`; expected `<key> down|up|repeat` or `<N>ms`")))
            }
        };
        steps.push(step);
    }
    Ok(steps)
}

/// One thing the engine emitted: a key event, or a command for the daemon to run.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Output {
    Key(KeyEvent),
    /// Printed as `command <text>`.
    Command(String),
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Output::Key(e) => write!(f, "{e}"),
            Output::Command(c) => write!(f, "command {c}"),
        }
    }
}

/// Collects everything the engine emits, in order.
struct Collect(Vec<Output>);

impl Sink for Collect {
    fn key(&mut self, event: KeyEvent) {
        self.0.push(Output::Key(event));
    }
    fn command(&mut self, cmd: &str) {
        self.0.push(Output::Command(cmd.to_owned()));
    }
}

/// Runs a script through a fresh engine from time zero; returns every output in order.
pub fn run(keymap: Arc<Keymap>, steps: &[Step]) -> Vec<Output> {
    let mut engine = Engine::new(keymap);
    let mut out = Collect(Vec::new());
    let mut now: Time = Duration::ZERO;
    let mut deadline = None;
    for step in steps {
        match *step {
            Step::Event(ev) => deadline = engine.process(ev, now, &mut out),
            Step::Advance(d) => {
                let target = now.saturating_add(d);
                while let Some(t) = deadline.filter(|&t| t <= target) {
                    now = t;
                    deadline = engine.tick(now, &mut out);
                    if deadline.is_some_and(|next| next <= t) {
                        break; // a timer that does not advance would loop forever: the engine's bug, not ours
                    }
                }
                now = target;
            }
        }
    }
    out.0
}

/// Formats outputs one per line, as `keymapd test` prints them.
pub fn format(events: &[Output]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}
