//! The `keymapd test --script` format: `<key> down|up|repeat`, `<N>ms` and `focus [APP_ID]`
//! lines in, events out.
//! Pure text handling around the engine; stable, because users paste it into bug reports.

use std::sync::Arc;
use std::time::Duration;

use crate::engine::{Engine, KeyEvent, KeyValue, Sink, Time};
use crate::keymap::Keymap;
use crate::keys::Key;
use crate::profile::expr::unknown_key;

/// One script line.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Step {
    /// An input event.
    Event(KeyEvent),
    /// Let this much time pass (timers that fall due fire at their exact deadline).
    Advance(Duration),
    /// `focus APP_ID`: that application has the focus now; `focus` alone: no window has it.
    Focus(Option<String>),
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
            // The id is the rest of the line (an X11 class may contain spaces).
            ["focus", ..] => {
                let id = line["focus".len()..].trim();
                Step::Focus((!id.is_empty()).then(|| id.to_owned()))
            }
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
                return Err(err(format!(
                    "cannot read `{line}`; expected `<key> down|up|repeat`, `<N>ms` or `focus [APP_ID]`"
                )))
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

/// Collects everything the engine emits, in order, each with the time it was emitted at.
struct Collect {
    now: Time,
    out: Vec<Timed>,
}

impl Sink for Collect {
    fn key(&mut self, event: KeyEvent) {
        self.out.push(Timed { at: self.now, output: Output::Key(event) });
    }
    fn command(&mut self, cmd: &str) {
        self.out.push(Timed { at: self.now, output: Output::Command(cmd.to_owned()) });
    }
}

/// An output and the (script) time it happened at.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Timed {
    pub at: Time,
    pub output: Output,
}

/// What [`run_timed`] did.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Run {
    pub outputs: Vec<Timed>,
    /// The time the clock stopped at: the last step's, or later when it settled.
    pub end: Time,
    /// When settling: something was still pending [`SETTLE_LIMIT`] after the last step (a held
    /// key repeating its macro), and the clock was stopped there.
    pub unsettled: bool,
}

/// How long [`run_timed`] runs the clock on after the last step at most: a macro key still held
/// repeats forever. Timeouts longer than this need an explicit `<N>ms` step in the script.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(10);

/// Runs a script through a fresh engine from time zero; returns every output in order. What is
/// still pending when the script ends is dropped (see [`run_timed`] to let it happen).
pub fn run(keymap: Arc<Keymap>, steps: &[Step]) -> Vec<Output> {
    run_timed(keymap, steps, false).outputs.into_iter().map(|t| t.output).collect()
}

/// Runs a script through a fresh engine from time zero; every output with its time. With
/// `settle`, the clock runs on after the last step until nothing is pending (the rest of a
/// macro, a tap-hold or oneshot timeout), at most [`SETTLE_LIMIT`].
pub fn run_timed(keymap: Arc<Keymap>, steps: &[Step], settle: bool) -> Run {
    let mut engine = Engine::new(keymap);
    let mut out = Collect { now: Duration::ZERO, out: Vec::new() };
    let mut deadline = None;
    for step in steps {
        match step {
            Step::Event(ev) => deadline = engine.process(*ev, out.now, &mut out),
            Step::Focus(app) => engine.set_focus(app.as_deref()),
            Step::Advance(d) => {
                let target = out.now.saturating_add(*d);
                deadline = advance(&mut engine, &mut out, deadline, target);
                out.now = target;
            }
        }
    }
    let mut unsettled = false;
    if settle {
        let limit = out.now.saturating_add(SETTLE_LIMIT);
        deadline = advance(&mut engine, &mut out, deadline, limit);
        unsettled = deadline.is_some();
    }
    Run { end: out.now, outputs: out.out, unsettled }
}

/// Fires every deadline up to `target` (each at its exact time); returns the next one. The
/// clock is left at the last deadline fired.
fn advance(engine: &mut Engine, out: &mut Collect, mut deadline: Option<Time>, target: Time) -> Option<Time> {
    while let Some(t) = deadline.filter(|&t| t <= target) {
        out.now = t;
        deadline = engine.tick(t, out);
        if deadline.is_some_and(|next| next <= t) {
            break; // a timer that does not advance would loop forever: the engine's bug, not ours
        }
    }
    deadline
}

/// Formats outputs one per line, as `keymapd test` prints them.
pub fn format(events: &[Output]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

/// Formats timed outputs one per line, each after its time in milliseconds
/// (`   200 ms  leftcontrol down`), as `keymapd test --timestamps` prints them.
pub fn format_timestamps(events: &[Timed]) -> String {
    events.iter().map(|t| format!("{:>6} ms  {}\n", t.at.as_millis(), t.output)).collect()
}

/// Formats timed outputs as one JSON object a line, as `keymapd test --json` prints them:
/// `{"time_ms":200,"key":"leftcontrol","code":29,"value":"down"}`, or
/// `{"time_ms":200,"command":"…"}`.
pub fn format_json(events: &[Timed]) -> String {
    let mut s = String::new();
    for t in events {
        let ms = t.at.as_millis();
        match &t.output {
            Output::Key(e) => s.push_str(&format!(
                "{{\"time_ms\":{ms},\"key\":{},\"code\":{},\"value\":\"{}\"}}\n",
                json_string(e.key.name()),
                e.key.code(),
                e.value.as_str()
            )),
            Output::Command(c) => {
                s.push_str(&format!("{{\"time_ms\":{ms},\"command\":{}}}\n", json_string(c)))
            }
        }
    }
    s
}

/// A JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
