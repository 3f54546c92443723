//! The scenario language: parsing a `.scn` file into steps.
//!
//! Parsing happens before anything runs, so a typo fails the scenario at
//! once with `line N: …` instead of half-way through.

use crate::names;

/// Where events are read from or written to.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The virtual clone the daemon made of a keyboard (`clone:KB`); `None`: of the keyboard a
    /// key was last sent to (`expect` without a device).
    Clone(Option<String>),
    /// The daemon's `keymapd virtual pointer` (mouse buttons), opened on first use.
    Pointer,
    /// A synthetic device made with `keyboard` or `mouse`.
    Dev(String),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Clone(None) => f.write_str("the clone of the keyboard typed on last"),
            Target::Clone(Some(kb)) => write!(f, "clone:{kb}"),
            Target::Pointer => f.write_str("pointer"),
            Target::Dev(d) => f.write_str(d),
        }
    }
}

/// A device node given by device name or path.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeRef {
    Target(Target),
    Path(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyEv {
    pub code: u16,
    pub value: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawEv {
    pub ty: u16,
    pub code: u16,
    pub value: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DevKind {
    Keyboard,
    Mouse,
    /// A clickpad: BTN_LEFT, BTN_TOUCH, BTN_TOOL_FINGER, ABS_X/Y and the MT axes, INPUT_PROP_POINTER.
    Touchpad,
    /// A laptop lid switch: EV_SW, SW_LID.
    LidSwitch,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DevSpec {
    pub kind: DevKind,
    pub id: String,
    pub bus: u16,
    pub vendor: u16,
    pub product: u16,
    pub version: u16,
    pub name: String,
    pub phys: String,
    pub rep: bool,
    /// `pointer=on`: a keyboard that also has BTN_LEFT/RIGHT/MIDDLE and REL_X/Y/WHEEL.
    pub pointer: bool,
    /// `keys=a,b,…`: only these keys (a media remote, a power button) instead of a keyboard's.
    pub keys: Option<Vec<u16>>,
}

/// What `clone KB …` checks of the daemon's clone of KB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CloneCheck {
    /// It exists (waits for it, then opens it for reading).
    Exists,
    /// None exists (waits for it to go).
    Gone,
    /// The clone opened before is still there, and it is the only one: not recreated.
    Kept,
    /// It mirrors KB's bus, vendor, product, version and name, and its phys starts with keymapd/.
    Mirrors,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    WriteFile {
        path: String,
        body: String,
        atomic: bool,
        in_conf: bool,
    },
    RemoveProfile(String),
    Plug(DevSpec),
    Unplug(String),
    /// `lid L closed|open`: SW_LID 1|0 on a `lid-switch`.
    Lid {
        dev: String,
        closed: bool,
    },
    Key {
        dev: String,
        code: u16,
        value: i32,
        tap: bool,
        scan: Option<i32>,
    },
    Move {
        dev: String,
        dx: i32,
        dy: i32,
        wheel: i32,
    },
    DaemonStart {
        user: Option<String>,
        args: Vec<String>,
        wait_ready: bool,
    },
    DaemonSignal(i32, String),
    DaemonExpectExit {
        code: i32,
        ms: u64,
    },
    DaemonExpectLog {
        text: String,
        ms: u64,
    },
    DaemonExpectNoLog(String),
    /// The whole log so far has `text` exactly `n` times.
    DaemonExpectLogCount {
        text: String,
        n: usize,
    },
    DaemonExpectNotify {
        text: String,
        ms: u64,
    },
    DaemonExpectRunning,
    /// Use the virtual keyboard of a keymapd this scenario did not start (a system service).
    DaemonAttach {
        ms: u64,
    },
    DaemonStop {
        ms: u64,
    },
    Expect {
        target: Target,
        events: Vec<KeyEv>,
    },
    ExpectNone {
        target: Target,
        ms: u64,
    },
    ExpectRaw {
        target: Target,
        events: Vec<RawEv>,
    },
    Flush(Option<Target>),
    Repeats(bool),
    /// `clone KB yes|no|kept|mirrors [ms]`: see [`CloneCheck`].
    Clone {
        dev: String,
        check: CloneCheck,
        ms: u64,
    },
    /// `clone-count N [ms]`: exactly N input devices are keymapd clones (`phys` keymapd/…).
    CloneCount {
        n: usize,
        ms: u64,
    },
    Grabbed {
        target: Target,
        yes: bool,
        ms: u64,
    },
    Led {
        target: Target,
        led: u16,
        on: bool,
    },
    ExpectLed {
        dev: String,
        led: u16,
        on: bool,
        ms: u64,
    },
    Run {
        user: Option<String>,
        argv: Vec<String>,
        ms: u64,
    },
    Background {
        user: Option<String>,
        argv: Vec<String>,
    },
    ExpectFile {
        path: String,
        text: String,
        ms: u64,
        negate: bool,
    },
    ExpectExit(i32),
    ExpectOutput {
        stderr: bool,
        text: String,
        negate: bool,
    },
    ExpectStdoutExact(String),
    ExpectStdoutFile(String),
    Stat {
        node: NodeRef,
        owner: Option<String>,
        group: Option<String>,
        mode: Option<u32>,
    },
    UdevProp {
        node: NodeRef,
        key: String,
        value: Option<String>,
    },
    Sleep(u64),
    Settle,
    Env(String, String),
    Echo(String),
}

#[derive(Debug, Clone)]
pub struct Step {
    pub line: usize,
    pub text: String,
    pub cmd: Cmd,
}

/// Splits a line into words. Double quotes group words (also inside a word,
/// as in `name="A B"`), backslash escapes `\"`, `\\`, `\n`, `\t` inside
/// quotes, `#` at the start of a word begins a comment.
pub fn tokenize(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        None => return Err("unterminated quote".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('n') => cur.push('\n'),
                            Some('t') => cur.push('\t'),
                            Some(o) => cur.push(o),
                            None => return Err("unterminated quote".into()),
                        },
                        Some(o) => cur.push(o),
                    }
                }
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

fn num<T: TryFrom<i64>>(s: &str, what: &str) -> Result<T, String> {
    names::parse_num(s).and_then(|n| T::try_from(n).ok()).ok_or_else(|| format!("bad {what} `{s}`"))
}

fn opt_ms(args: &[String], idx: usize, default: u64) -> Result<u64, String> {
    match args.get(idx) {
        None => Ok(default),
        Some(s) => num(s.trim_end_matches("ms"), "timeout (milliseconds)"),
    }
}

fn no_more(args: &[String], max: usize) -> Result<(), String> {
    if args.len() > max {
        Err(format!("unexpected `{}`", args[max]))
    } else {
        Ok(())
    }
}

fn need<'a>(args: &'a [String], idx: usize, what: &str) -> Result<&'a str, String> {
    args.get(idx).map(|s| s.as_str()).ok_or_else(|| format!("missing {what}"))
}

pub fn target(s: &str) -> Result<Target, String> {
    if s == "virtual" {
        Err("there is no shared `virtual` keyboard: each grabbed keyboard KB has its own clone, `clone:KB`"
            .into())
    } else if s == "pointer" {
        Ok(Target::Pointer)
    } else if let Some(kb) = s.strip_prefix("clone:") {
        Ok(Target::Clone(Some(dev_name(kb)?)))
    } else {
        Ok(Target::Dev(s.to_string()))
    }
}

fn node_ref(s: &str) -> Result<NodeRef, String> {
    if s.starts_with('/') || s.starts_with('$') {
        Ok(NodeRef::Path(s.to_string()))
    } else {
        Ok(NodeRef::Target(target(s)?))
    }
}

fn dev_name(s: &str) -> Result<String, String> {
    if s == "virtual" || s == "pointer" {
        return Err(format!("`{s}` is one of the daemon's devices; name synthetic devices otherwise"));
    }
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(format!("bad device name `{s}` (letters, digits, _ and - only)"));
    }
    Ok(s.to_string())
}

fn key(s: &str) -> Result<u16, String> {
    names::key_code(s).ok_or_else(|| format!("unknown key `{s}`"))
}

fn on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" | "yes" | "1" | "true" => Ok(true),
        "off" | "no" | "0" | "false" => Ok(false),
        o => Err(format!("expected on/off, got `{o}`")),
    }
}

fn signal(s: &str) -> Result<(i32, String), String> {
    let name = s.trim_start_matches("SIG").to_ascii_uppercase();
    let n = match name.as_str() {
        "HUP" => libc::SIGHUP,
        "TERM" => libc::SIGTERM,
        "INT" => libc::SIGINT,
        "KILL" => libc::SIGKILL,
        "USR1" => libc::SIGUSR1,
        "USR2" => libc::SIGUSR2,
        "QUIT" => libc::SIGQUIT,
        "STOP" => libc::SIGSTOP,
        "CONT" => libc::SIGCONT,
        _ => return Err(format!("unknown signal `{s}`")),
    };
    Ok((n, format!("SIG{name}")))
}

/// `a down, b up` or `a down b up`: pairs of key and action.
fn key_events(args: &[String]) -> Result<Vec<KeyEv>, String> {
    let words: Vec<&str> =
        args.iter().flat_map(|a| a.split(',')).map(|w| w.trim()).filter(|w| !w.is_empty()).collect();
    if words.is_empty() {
        return Err("no events given".into());
    }
    if !words.len().is_multiple_of(2) {
        return Err("events are `<key> down|up|repeat` pairs".into());
    }
    words
        .chunks(2)
        .map(|p| {
            Ok(KeyEv {
                code: key(p[0])?,
                value: names::key_value(p[1])
                    .ok_or_else(|| format!("expected down/up/repeat after `{}`, got `{}`", p[0], p[1]))?,
            })
        })
        .collect()
}

/// `EV_KEY a 1, EV_SYN SYN_REPORT 0`: triples of type, code, value.
fn raw_events(args: &[String]) -> Result<Vec<RawEv>, String> {
    let words: Vec<&str> =
        args.iter().flat_map(|a| a.split(',')).map(|w| w.trim()).filter(|w| !w.is_empty()).collect();
    if words.is_empty() || !words.len().is_multiple_of(3) {
        return Err("raw events are `TYPE CODE VALUE` triples".into());
    }
    words
        .chunks(3)
        .map(|t| {
            let ty = names::type_code(t[0]).ok_or_else(|| format!("unknown event type `{}`", t[0]))?;
            let code = names::code_for_type(ty, t[1])
                .ok_or_else(|| format!("unknown code `{}` for {}", t[1], t[0]))?;
            let value = match (ty, names::key_value(t[2])) {
                (names::EV_KEY, Some(v)) => v,
                _ => num(t[2], "value")?,
            };
            Ok(RawEv { ty, code, value })
        })
        .collect()
}

fn dev_spec(kind: DevKind, args: &[String]) -> Result<DevSpec, String> {
    let id = dev_name(need(args, 1, "device name")?)?;
    let mut spec = DevSpec {
        name: match kind {
            DevKind::Keyboard => format!("keymapd-testbed keyboard {id}"),
            DevKind::Mouse => format!("keymapd-testbed mouse {id}"),
            DevKind::Touchpad => format!("keymapd-testbed touchpad {id}"),
            DevKind::LidSwitch => "Lid Switch".to_string(),
        },
        phys: format!("keymapd-testbed/{id}"),
        kind,
        id,
        bus: 0x03,
        vendor: 0x1d6b,
        product: 0x0104,
        version: 1,
        rep: false,
        pointer: false,
        keys: None,
    };
    for opt in &args[2..] {
        let (k, v) = opt.split_once('=').ok_or_else(|| format!("expected key=value, got `{opt}`"))?;
        match k {
            "bus" => {
                spec.bus = match v {
                    "usb" => 0x03,
                    "bluetooth" | "bt" => 0x05,
                    "i8042" | "ps2" => 0x11,
                    "i2c" => 0x18,
                    "virtual" => 0x06,
                    "host" => 0x19,
                    o => num(o, "bus")?,
                }
            }
            "id" => {
                let (vv, pp) = v.split_once(':').ok_or_else(|| format!("id is VVVV:PPPP, got `{v}`"))?;
                spec.vendor = u16::from_str_radix(vv, 16).map_err(|_| format!("bad vendor `{vv}`"))?;
                spec.product = u16::from_str_radix(pp, 16).map_err(|_| format!("bad product `{pp}`"))?;
            }
            "version" => spec.version = num(v, "version")?,
            "name" => {
                if v.len() > 79 {
                    return Err("name longer than 79 bytes".into());
                }
                spec.name = v.to_string()
            }
            "phys" => spec.phys = v.to_string(),
            "rep" => spec.rep = on_off(v)?,
            "pointer" => spec.pointer = on_off(v)?,
            "keys" => {
                let keys = v.split(',').filter(|k| !k.is_empty()).map(key).collect::<Result<Vec<_>, _>>()?;
                if keys.is_empty() {
                    return Err("keys= needs at least one key".into());
                }
                spec.keys = Some(keys);
            }
            o => return Err(format!("unknown option `{o}` (bus, id, version, name, phys, rep, keys)")),
        }
    }
    if spec.keys.is_some() && spec.kind == DevKind::Mouse {
        return Err("keys= is for keyboards (a mouse has its buttons)".into());
    }
    Ok(spec)
}

fn parse_line(args: &[String]) -> Result<Cmd, String> {
    let verb = args[0].as_str();
    let a = args;
    Ok(match verb {
        "remove-profile" => {
            no_more(a, 2)?;
            Cmd::RemoveProfile(need(a, 1, "profile name")?.to_string())
        }
        "keyboard" => Cmd::Plug(dev_spec(DevKind::Keyboard, a)?),
        "mouse" => Cmd::Plug(dev_spec(DevKind::Mouse, a)?),
        "touchpad" => Cmd::Plug(dev_spec(DevKind::Touchpad, a)?),
        "lid-switch" => Cmd::Plug(dev_spec(DevKind::LidSwitch, a)?),
        "lid" => {
            no_more(a, 3)?;
            let closed = match need(a, 2, "closed|open")? {
                "closed" => true,
                "open" => false,
                o => return Err(format!("expected closed or open, got `{o}`")),
            };
            Cmd::Lid { dev: dev_name(need(a, 1, "device")?)?, closed }
        }
        "unplug" => {
            no_more(a, 2)?;
            Cmd::Unplug(dev_name(need(a, 1, "device name")?)?)
        }
        "press" | "release" | "tap" | "repeat" => {
            let dev = dev_name(need(a, 1, "device name")?)?;
            let code = key(need(a, 2, "key")?)?;
            let mut scan = None;
            for opt in &a[3..] {
                match opt.strip_prefix("scan=") {
                    Some(v) => scan = Some(num(v, "scan code")?),
                    None => return Err(format!("unexpected `{opt}` (only scan=0x…)")),
                }
            }
            let (value, tap) = match verb {
                "press" => (1, false),
                "release" => (0, false),
                "repeat" => (2, false),
                _ => (1, true),
            };
            Cmd::Key { dev, code, value, tap, scan }
        }
        "move" => {
            no_more(a, 5)?;
            Cmd::Move {
                dev: dev_name(need(a, 1, "device name")?)?,
                dx: num(need(a, 2, "dx")?, "dx")?,
                dy: num(need(a, 3, "dy")?, "dy")?,
                wheel: match a.get(4) {
                    Some(w) => num(w.trim_start_matches("wheel="), "wheel")?,
                    None => 0,
                },
            }
        }
        "daemon" => {
            let sub = need(a, 1, "daemon sub-command")?;
            match sub {
                "start" | "spawn" => {
                    Cmd::DaemonStart { user: None, args: a[2..].to_vec(), wait_ready: sub == "start" }
                }
                "start-as" | "spawn-as" => Cmd::DaemonStart {
                    user: Some(need(a, 2, "user")?.to_string()),
                    args: a[3..].to_vec(),
                    wait_ready: sub == "start-as",
                },
                "signal" => {
                    no_more(a, 3)?;
                    let (n, name) = signal(need(a, 2, "signal")?)?;
                    Cmd::DaemonSignal(n, name)
                }
                "expect-exit" => {
                    no_more(a, 4)?;
                    Cmd::DaemonExpectExit {
                        code: num(need(a, 2, "exit code")?, "exit code")?,
                        ms: opt_ms(a, 3, 5000)?,
                    }
                }
                "expect-log" => {
                    no_more(a, 4)?;
                    Cmd::DaemonExpectLog { text: need(a, 2, "text")?.to_string(), ms: opt_ms(a, 3, 5000)? }
                }
                "expect-no-log" => {
                    no_more(a, 3)?;
                    Cmd::DaemonExpectNoLog(need(a, 2, "text")?.to_string())
                }
                "expect-log-count" => {
                    no_more(a, 4)?;
                    Cmd::DaemonExpectLogCount {
                        text: need(a, 2, "text")?.to_string(),
                        n: num(need(a, 3, "count")?, "count")?,
                    }
                }
                "expect-ready" => {
                    no_more(a, 3)?;
                    Cmd::DaemonExpectNotify { text: "READY=1".into(), ms: opt_ms(a, 2, 5000)? }
                }
                "expect-notify" => {
                    no_more(a, 4)?;
                    Cmd::DaemonExpectNotify {
                        text: need(a, 2, "notify message")?.to_string(),
                        ms: opt_ms(a, 3, 5000)?,
                    }
                }
                "expect-running" => {
                    no_more(a, 2)?;
                    Cmd::DaemonExpectRunning
                }
                "attach" => {
                    no_more(a, 3)?;
                    Cmd::DaemonAttach { ms: opt_ms(a, 2, 5000)? }
                }
                "stop" => {
                    no_more(a, 3)?;
                    Cmd::DaemonStop { ms: opt_ms(a, 2, 5000)? }
                }
                o => return Err(format!("unknown `daemon {o}`")),
            }
        }
        "expect" => {
            let (t, rest) = match a.get(1).map(|s| s.as_str()) {
                Some("on") => return Err("use `expect-on KB …`".into()),
                _ => (Target::Clone(None), &a[1..]),
            };
            Cmd::Expect { target: t, events: key_events(rest)? }
        }
        "expect-on" => Cmd::Expect { target: target(need(a, 1, "device")?)?, events: key_events(&a[2..])? },
        "expect-none" => {
            no_more(a, 2)?;
            Cmd::ExpectNone { target: Target::Clone(None), ms: opt_ms(a, 1, 300)? }
        }
        "expect-none-on" => {
            no_more(a, 3)?;
            Cmd::ExpectNone { target: target(need(a, 1, "device")?)?, ms: opt_ms(a, 2, 300)? }
        }
        "expect-raw" => Cmd::ExpectRaw { target: Target::Clone(None), events: raw_events(&a[1..])? },
        "expect-raw-on" => {
            Cmd::ExpectRaw { target: target(need(a, 1, "device")?)?, events: raw_events(&a[2..])? }
        }
        "flush" => {
            no_more(a, 2)?;
            Cmd::Flush(match a.get(1).map(|s| s.as_str()) {
                None | Some("all") => None,
                Some(t) => Some(target(t)?),
            })
        }
        "repeats" => {
            no_more(a, 2)?;
            Cmd::Repeats(on_off(need(a, 1, "on|off")?)?)
        }
        "clone" => {
            no_more(a, 4)?;
            let check = match need(a, 2, "yes|no|kept|mirrors")? {
                "yes" => CloneCheck::Exists,
                "no" => CloneCheck::Gone,
                "kept" => CloneCheck::Kept,
                "mirrors" => CloneCheck::Mirrors,
                o => return Err(format!("expected yes, no, kept or mirrors, got `{o}`")),
            };
            Cmd::Clone { dev: dev_name(need(a, 1, "device")?)?, check, ms: opt_ms(a, 3, 3000)? }
        }
        "clone-count" => {
            no_more(a, 3)?;
            let n = need(a, 1, "count")?;
            Cmd::CloneCount { n: n.parse().map_err(|_| format!("bad count `{n}`"))?, ms: opt_ms(a, 2, 3000)? }
        }
        "grabbed" => {
            no_more(a, 4)?;
            Cmd::Grabbed {
                target: target(need(a, 1, "device")?)?,
                yes: on_off(need(a, 2, "yes|no")?)?,
                ms: opt_ms(a, 3, 3000)?,
            }
        }
        "led" => {
            no_more(a, 4)?;
            let led = need(a, 2, "led")?;
            Cmd::Led {
                target: target(need(a, 1, "device")?)?,
                led: names::led_code(led).ok_or_else(|| format!("unknown led `{led}`"))?,
                on: on_off(need(a, 3, "on|off")?)?,
            }
        }
        "expect-led" => {
            no_more(a, 5)?;
            let led = need(a, 2, "led")?;
            Cmd::ExpectLed {
                dev: dev_name(need(a, 1, "device")?)?,
                led: names::led_code(led).ok_or_else(|| format!("unknown led `{led}`"))?,
                on: on_off(need(a, 3, "on|off")?)?,
                ms: opt_ms(a, 4, 2000)?,
            }
        }
        "run" | "run-as" => {
            let (user, mut rest) = if verb == "run-as" {
                (Some(need(a, 1, "user")?.to_string()), &a[2..])
            } else {
                (None, &a[1..])
            };
            let mut ms = 20_000;
            if let Some(t) = rest.first().and_then(|f| f.strip_prefix("timeout=")) {
                ms = num(t.trim_end_matches("ms"), "timeout")?;
                rest = &rest[1..];
            }
            if rest.is_empty() {
                return Err("missing command".into());
            }
            Cmd::Run { user, argv: rest.to_vec(), ms }
        }
        "background" => {
            if a.len() < 2 {
                return Err("missing command".into());
            }
            Cmd::Background { user: None, argv: a[1..].to_vec() }
        }
        "background-as" => {
            let user = need(a, 1, "user")?.to_string();
            if a.len() < 3 {
                return Err("missing command".into());
            }
            Cmd::Background { user: Some(user), argv: a[2..].to_vec() }
        }
        "expect-file" => {
            no_more(a, 4)?;
            Cmd::ExpectFile {
                path: need(a, 1, "path")?.to_string(),
                text: need(a, 2, "text")?.to_string(),
                ms: opt_ms(a, 3, 5000)?,
                negate: false,
            }
        }
        "expect-no-file-text" => {
            no_more(a, 3)?;
            Cmd::ExpectFile {
                path: need(a, 1, "path")?.to_string(),
                text: need(a, 2, "text")?.to_string(),
                ms: 0,
                negate: true,
            }
        }
        "expect-exit" => {
            no_more(a, 2)?;
            Cmd::ExpectExit(num(need(a, 1, "exit code")?, "exit code")?)
        }
        "expect-stdout" | "expect-stderr" | "expect-no-stdout" | "expect-no-stderr" => {
            no_more(a, 2)?;
            Cmd::ExpectOutput {
                stderr: verb.ends_with("stderr"),
                negate: verb.contains("-no-"),
                text: need(a, 1, "text")?.to_string(),
            }
        }
        "expect-stdout-file" => {
            no_more(a, 2)?;
            Cmd::ExpectStdoutFile(need(a, 1, "path")?.to_string())
        }
        "stat" => {
            let node = node_ref(need(a, 1, "path or device")?)?;
            let (mut owner, mut group, mut mode) = (None, None, None);
            for opt in &a[2..] {
                match opt.split_once('=') {
                    Some(("owner", v)) => owner = Some(v.to_string()),
                    Some(("group", v)) => group = Some(v.to_string()),
                    Some(("mode", v)) => {
                        mode = Some(u32::from_str_radix(v, 8).map_err(|_| format!("bad octal mode `{v}`"))?)
                    }
                    _ => return Err(format!("unexpected `{opt}` (owner=, group=, mode=)")),
                }
            }
            Cmd::Stat { node, owner, group, mode }
        }
        "udev-prop" => {
            no_more(a, 3)?;
            let node = node_ref(need(a, 1, "path or device")?)?;
            let kv = need(a, 2, "PROP=VALUE or !PROP")?;
            if let Some(k) = kv.strip_prefix('!') {
                Cmd::UdevProp { node, key: k.to_string(), value: None }
            } else {
                let (k, v) =
                    kv.split_once('=').ok_or_else(|| format!("expected PROP=VALUE or !PROP, got `{kv}`"))?;
                Cmd::UdevProp { node, key: k.to_string(), value: Some(v.to_string()) }
            }
        }
        "sleep" => {
            no_more(a, 2)?;
            Cmd::Sleep(opt_ms(a, 1, 0).and_then(|m| {
                if a.len() < 2 {
                    Err("missing milliseconds".into())
                } else {
                    Ok(m)
                }
            })?)
        }
        "settle" => {
            no_more(a, 1)?;
            Cmd::Settle
        }
        "env" => {
            no_more(a, 2)?;
            let kv = need(a, 1, "NAME=VALUE")?;
            let (k, v) = kv.split_once('=').ok_or_else(|| format!("expected NAME=VALUE, got `{kv}`"))?;
            Cmd::Env(k.to_string(), v.to_string())
        }
        "echo" => Cmd::Echo(a[1..].join(" ")),
        o => return Err(format!("unknown verb `{o}`")),
    })
}

/// Verbs that take a block of raw lines ending with a line `end`.
fn block_verb(words: &[String]) -> Result<Option<(bool, bool, bool)>, String> {
    // (atomic, in_conf, expect_stdout)
    Ok(match words[0].as_str() {
        "profile" => Some((true, true, false)),
        "profile-write-inplace" => Some((false, true, false)),
        "file" => Some((true, false, false)),
        "expect-stdout-lines" => Some((false, false, true)),
        _ => None,
    })
}

pub fn parse(src: &str) -> Result<Vec<Step>, String> {
    let lines: Vec<&str> = src.lines().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let lineno = i + 1;
        let text = lines[i];
        i += 1;
        let words = tokenize(text).map_err(|e| format!("line {lineno}: {e}"))?;
        if words.is_empty() {
            continue;
        }
        if let Some((atomic, in_conf, stdout)) =
            block_verb(&words).map_err(|e| format!("line {lineno}: {e}"))?
        {
            let max = if stdout { 1 } else { 2 };
            no_more(&words, max).map_err(|e| format!("line {lineno}: {e}"))?;
            let path = if stdout {
                String::new()
            } else {
                need(&words, 1, "file name").map_err(|e| format!("line {lineno}: {e}"))?.to_string()
            };
            let mut body = String::new();
            let mut closed = false;
            while i < lines.len() {
                let l = lines[i];
                i += 1;
                if l.trim() == "end" {
                    closed = true;
                    break;
                }
                body.push_str(l);
                body.push('\n');
            }
            if !closed {
                return Err(format!("line {lineno}: `{}` block has no closing `end` line", words[0]));
            }
            let cmd = if stdout {
                Cmd::ExpectStdoutExact(body)
            } else {
                Cmd::WriteFile { path, body, atomic, in_conf }
            };
            steps.push(Step { line: lineno, text: text.trim().to_string(), cmd });
            continue;
        }
        let cmd = parse_line(&words).map_err(|e| format!("line {lineno}: {e}"))?;
        steps.push(Step { line: lineno, text: text.trim().to_string(), cmd });
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer() {
        assert_eq!(tokenize(r#"keyboard kb name="A B" # c"#).unwrap(), vec!["keyboard", "kb", "name=A B"]);
        assert_eq!(tokenize(r#"x "a\"b""#).unwrap(), vec!["x", "a\"b"]);
        assert!(tokenize(r#"x "a"#).is_err());
        assert_eq!(tokenize("a#b").unwrap(), vec!["a#b"]);
    }

    #[test]
    fn parses_a_scenario() {
        let src = "profile a.toml\n[ids]\n*\nend\nkeyboard kb bus=bluetooth id=046d:c31c name=\"x y\"\n\
                   tap kb a\npress kb leftcontrol scan=0x700e0\nexpect leftcontrol down, a down\n\
                   daemon start --verbose\ndaemon signal HUP\nexpect-none 100\n";
        let steps = parse(src).unwrap();
        assert_eq!(steps.len(), 8);
        match &steps[0].cmd {
            Cmd::WriteFile { path, body, atomic, in_conf } => {
                assert_eq!(path, "a.toml");
                assert_eq!(body, "[ids]\n*\n");
                assert!(*atomic && *in_conf);
            }
            o => panic!("{o:?}"),
        }
        assert_eq!(steps[1].line, 5);
        match &steps[1].cmd {
            Cmd::Plug(s) => {
                assert_eq!((s.bus, s.vendor, s.product), (5, 0x046d, 0xc31c));
                assert_eq!(s.name, "x y");
            }
            o => panic!("{o:?}"),
        }
        match &steps[4].cmd {
            Cmd::Expect { events, .. } => assert_eq!(events.len(), 2),
            o => panic!("{o:?}"),
        }
    }

    /// Every scenario in the repository parses (no VM needed for typos).
    #[test]
    fn repository_scenarios_parse() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let mut n = 0;
        for e in std::fs::read_dir(&dir).expect("tests/vm/scenarios") {
            let p = e.expect("dir entry").path();
            if p.extension().is_some_and(|x| x == "scn") {
                let src = std::fs::read_to_string(&p).expect("read scenario");
                if let Err(e) = parse(&src) {
                    panic!("{}: {e}", p.display());
                }
                n += 1;
            }
        }
        assert!(n > 0, "no scenarios in {}", dir.display());
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("keyboard kb\n\ntap kb nosuchkey\n").unwrap_err();
        assert!(e.starts_with("line 3: unknown key"), "{e}");
        let e = parse("profile x.toml\na=1\n").unwrap_err();
        assert!(e.contains("line 1") && e.contains("end"), "{e}");
        let e = parse("frobnicate\n").unwrap_err();
        assert!(e.contains("unknown verb"), "{e}");
        let e = parse("expect a sideways\n").unwrap_err();
        assert!(e.starts_with("line 1:"), "{e}");
    }
}
