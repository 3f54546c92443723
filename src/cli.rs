//! The command line: `run`, `check`, `test`, `list`; argument parsing, output formats, exit codes.
//! It never remaps anything itself: it wires files and the terminal to the core and the daemon.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::control::client::{self, Client};
use crate::control::protocol;
use crate::profile::{Diagnostic, Profile, DEFAULT_DIR};
use crate::term::{fail, init_log, paint};
use crate::{daemon, script, session};

const EXAMPLES: &str = "\
Examples:
  keymapd check                          validate /etc/keymapd/*.toml
  keymapd check profiles/laptop.toml     validate one file
  keymapd list                           show input devices and the profile claiming each
  keymapd keys ctrl                      key names containing `ctrl`, with codes and aliases
  keymapd import-keyd /etc/keyd          convert keyd configs (print them; -o DIR writes files)
  echo 'leftcontrol down' | keymapd test --profile profiles/usb-keyboard.toml --script -
  keymapd test                           live dry-run on the keyboards the profiles claim
  keymapd status                         the grabbed keyboards, their layers, the focused app
  keymapd reload                         re-read the profiles; exit 1 with the errors if invalid
  keymapd listen                         layer, focus, device and reload events as JSON lines
  keymapd run                            serve (normally started by systemd)";

/// A keyboard remapping daemon: per-keyboard TOML profiles, keyd's action model, one virtual clone per keyboard.
#[derive(Parser, Debug)]
#[command(name = "keymapd", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Grab the keyboards the profiles claim, remap them and re-emit each through its own virtual clone
    /// (this execs keymapd-daemon, the daemon's own program, installed beside keymapd).
    Run {
        /// Profile directory.
        #[arg(long, short, value_name = "DIR", default_value = DEFAULT_DIR)]
        config: PathBuf,
        /// The control socket to listen on.
        #[arg(long, value_name = "PATH", env = "KEYMAPD_SOCKET", default_value = protocol::SOCKET_PATH)]
        socket: PathBuf,
    },
    /// The running daemon: grabbed keyboards, their profiles and active layers, the focused app.
    Status {
        /// One JSON object (the protocol's `status` message).
        #[arg(long)]
        json: bool,
        /// The daemon's control socket.
        #[arg(long, value_name = "PATH", env = "KEYMAPD_SOCKET", default_value = protocol::SOCKET_PATH)]
        socket: PathBuf,
    },
    /// Make the daemon re-read its profiles and wait for the outcome: exit 1 with the errors if
    /// the new set is invalid (the daemon keeps the previous one).
    Reload {
        /// The daemon's control socket.
        #[arg(long, value_name = "PATH", env = "KEYMAPD_SOCKET", default_value = protocol::SOCKET_PATH)]
        socket: PathBuf,
    },
    /// Stream the daemon's events, one JSON object a line (for status bars such as waybar):
    /// `layer`, `focus`, `device`, `reloaded`. The current layers and focus come first.
    Listen {
        /// The daemon's control socket.
        #[arg(long, value_name = "PATH", env = "KEYMAPD_SOCKET", default_value = protocol::SOCKET_PATH)]
        socket: PathBuf,
    },
    /// Validate profiles (files or directories); exit 1 with `path:line:col: error: …` if any is bad.
    Check {
        /// Profile files or directories [default: /etc/keymapd].
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Show what keys would become: offline with --script, else live on the claimed keyboards.
    #[command(after_help = "\
Script format (--script): one step per line
  <key> down | <key> up | <key> repeat     an input event (keyd key names, e.g. leftcontrol)
  <N>ms                                    let N milliseconds pass
  focus <app-id> | focus                   that application has the focus | no window has it
  # comment, blank lines                   ignored
Output: one line per output event, e.g. `leftmeta down`; a command() action prints `command <text>`.
When the script ends, the clock runs on until nothing is pending (the rest of a macro, a tap-hold
or oneshot timeout; at most 10 s), and what that emits is printed too.
--timestamps: `   200 ms  leftcontrol down` (the time of each event, from the script's start).
--json: one object a line: {\"time_ms\":200,\"key\":\"leftcontrol\",\"code\":29,\"value\":\"down\"}.")]
    Test {
        /// The profile to simulate (with --script).
        #[arg(long, short, value_name = "PATH", requires = "script")]
        profile: Option<PathBuf>,
        /// Script file, or `-` for standard input; runs offline, without any device.
        #[arg(long, short, value_name = "PATH|-", requires = "profile")]
        script: Option<PathBuf>,
        /// Profile directory (live mode).
        #[arg(long, short, value_name = "DIR", default_value = DEFAULT_DIR, conflicts_with = "script")]
        config: PathBuf,
        /// With --script: print each event's time in milliseconds before it.
        #[arg(long, requires = "script", conflicts_with = "json")]
        timestamps: bool,
        /// With --script: print one JSON object a line (time_ms, key, code, value; or command).
        #[arg(long, requires = "script")]
        json: bool,
    },
    /// List input devices: path, vendor:product, name, phys, which profile claims each, and the
    /// event node of the virtual clone of each keyboard a running keymapd grabbed.
    List {
        /// Profile directory [default: /etc/keymapd]; one given here must exist.
        #[arg(long, short, value_name = "DIR")]
        config: Option<PathBuf>,
        /// One JSON object a line: path, id, vendor, product, name, phys, kind, profile, selector, note, error.
        #[arg(long)]
        json: bool,
    },
    /// List every key name with its code and aliases (the names profiles and scripts accept).
    #[command(after_help = "\
PATTERN keeps the keys any of whose names contains it (case-insensitive), or whose code it is
(decimal, or hex as 0x1d). Output: CODE  NAME  ALIASES…, in code order.
Examples: keymapd keys ctrl    keymapd keys 29    keymapd keys mouse")]
    Keys {
        /// Only the keys a name of which contains this, or with this code.
        #[arg(value_name = "PATTERN")]
        pattern: Option<String>,
    },
    /// Convert keyd configs (`/etc/keyd/*.conf`) to profiles: TOML on stdout, or files in DIR.
    #[command(after_help = "\
A directory stands for its *.conf (and keyd 1.x *.cfg) files. What cannot be converted is
commented out in the output with the reason, and listed on stderr as `FILE:LINE: note: …`.
`include` lines are resolved next to the config, then in /usr/share/keyd.
Exit status 1 if a config cannot be read, is not keyd's format (a keymapd profile, say), or
yields no binding; a file in DIR that exists already is kept unless --force.
Example: keymapd import-keyd -o /etc/keymapd /etc/keyd && keymapd check")]
    ImportKeyd {
        /// keyd config files, or directories holding them (`/etc/keyd`).
        #[arg(value_name = "FILE.conf|DIR", required = true)]
        files: Vec<PathBuf>,
        /// Write `NAME.toml` for each `NAME.conf` into this directory (existing files are kept).
        #[arg(long, short, value_name = "DIR")]
        out: Option<PathBuf>,
        /// With -o: overwrite existing files.
        #[arg(long, requires = "out")]
        force: bool,
    },
    /// Draw the keyboard with what each key does in each layer of a profile; or write it as SVG.
    #[command(after_help = "\
Each layer is drawn on an ANSI 104-key board, each key with its action in short (`esc/C`:
esc tapped, control held; `@nav`: layer(nav); `1:nav` oneshot, `T:` toggle, `S:` swap), and
followed by a legend with every binding in full. In [main], keys left alone show their own name;
in other layers, keys the layer does not bind are blank. The SVG highlights the keys a layer
changes. Example: keymapd show /etc/keymapd/usb-keyboard.toml --svg usb-keyboard.svg")]
    Show {
        /// The profile file.
        #[arg(value_name = "PROFILE")]
        profile: PathBuf,
        /// Draw only this layer (a section name: main, nav, control, …).
        #[arg(long, value_name = "NAME")]
        layer: Option<String>,
        /// Write an SVG image to FILE instead (one keyboard per layer); `-` for standard output.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
    },
    /// The session agent: report the focused window to the daemon and run its command() actions
    /// (run as the user, by the keymapd-session user unit; this execs keymapd-session, the agent's
    /// own program, installed beside keymapd).
    #[command(after_help = "\
The backend is detected from the environment (WAYLAND_DISPLAY, SWAYSOCK, XDG_CURRENT_DESKTOP,
DISPLAY) unless --backend names it; with no desktop found the agent still connects (it reports no
focus). Without a daemon the agent waits for its socket to appear and reconnects whenever the
daemon restarts. While connected it runs the profiles' command() actions the daemon sends it, as
this user with this environment (`/bin/sh -c`). --print needs no daemon: it prints
`focus <app-id>`, a tab and the title, on each focus change (`focus` alone when no window has the
focus).")]
    Session {
        /// Print focus changes on standard output instead of reporting them to the daemon.
        #[arg(long)]
        print: bool,
        /// The desktop to watch [default: detected].
        #[arg(long, value_enum)]
        backend: Option<session::Backend>,
        /// The daemon's control socket.
        #[arg(long, value_name = "PATH", default_value = protocol::SOCKET_PATH)]
        socket: PathBuf,
    },
    /// Print shell completions to standard output.
    #[command(hide = true)]
    Completions { shell: clap_complete::Shell },
    /// Print a man page (roff) to standard output: keymapd(1), or keymapd.toml(5).
    #[command(hide = true)]
    Man {
        #[arg(value_parser = ["keymapd", "keymapd.toml"], default_value = "keymapd")]
        page: String,
    },
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level =
        if matches!(cli.command, Command::Test { script: None, .. }) { "info" } else { "warn" };
    init_log(default_level);
    match cli.command {
        Command::Run { config, socket } => exec_beside(
            daemon::program::PROGRAM,
            &["--config".into(), config.into_os_string(), "--socket".into(), socket.into_os_string()],
        ),
        Command::Status { json, socket } => status(json, &socket),
        Command::Reload { socket } => reload(&socket),
        Command::Listen { socket } => listen(&socket),
        Command::Check { paths } => check(&paths),
        Command::Test { profile: Some(p), script: Some(s), timestamps, json, .. } => {
            let format = if json {
                ScriptOutput::Json
            } else if timestamps {
                ScriptOutput::Timestamps
            } else {
                ScriptOutput::Plain
            };
            test_script(&p, &s, format)
        }
        Command::Test { config, .. } => daemon_result(daemon::live_test(&config)),
        Command::List { config, json } => daemon_result(daemon::list(config.as_deref(), json)),
        Command::Keys { pattern } => keys(pattern.as_deref()),
        Command::ImportKeyd { files, out, force } => import_keyd(&files, out.as_deref(), force),
        Command::Show { profile, layer, svg } => show(&profile, layer.as_deref(), svg.as_deref()),
        Command::Session { print, backend, socket } => {
            let mut args: Vec<OsString> = Vec::new();
            if print {
                args.push("--print".into());
            }
            if let Some(b) = backend {
                args.extend(["--backend".into(), b.name().into()]);
            }
            args.extend(["--socket".into(), socket.into_os_string()]);
            exec_beside(session::program::PROGRAM, &args)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "keymapd", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Man { page } => match match page.as_str() {
            "keymapd.toml" => {
                std::io::stdout().lock().write_all(crate::reference::profile_man_page().as_bytes())
            }
            _ => man_page(&mut std::io::stdout().lock()),
        } {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(format_args!("cannot write the man page: {e}")),
        },
    }
}

fn status(json: bool, socket: &Path) -> ExitCode {
    let status = match Client::connect(socket).and_then(|mut c| c.status()) {
        Ok(s) => s,
        Err(e) => return fail(format_args!("{e}")),
    };
    if json {
        print!("{}", protocol::encode(&protocol::DaemonMessage::Status(status)));
    } else {
        print!("{}", client::format_status(&status));
    }
    ExitCode::SUCCESS
}

fn reload(socket: &Path) -> ExitCode {
    match Client::connect(socket).and_then(|mut c| c.reload()) {
        Ok(errors) if errors.is_empty() => {
            println!("reloaded");
            ExitCode::SUCCESS
        }
        Ok(errors) => {
            let mut err = std::io::stderr().lock();
            for e in &errors {
                let _ = writeln!(err, "{}", paint(e));
            }
            fail(format_args!("reload refused: the daemon keeps its previous profiles"))
        }
        Err(e) => fail(format_args!("{e}")),
    }
}

fn listen(socket: &Path) -> ExitCode {
    match Client::connect(socket).and_then(|c| c.listen(&mut std::io::stdout().lock())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format_args!("{e}")),
    }
}

/// The man page's account of the devices the daemon creates, and why.
const VIRTUAL_DEVICES: &str =
    "Each grabbed keyboard reaches the desktop as itself, through a virtual clone made \
when it is grabbed: the keyboard's bus type, vendor, product, version and name, its keys and every \
key its profile can emit, its LEDs, EV_REP and MSC_SCAN; its phys is keymapd/ followed by the \
keyboard's phys (or its event node's name). libinput and compositors decide per device, so a PS/2 \
laptop keyboard's clone stays internal (paired with the touchpad and the lid switch) and a USB \
keyboard's stays external (typing on it with the lid closed does not report the lid open), \
libinput's quirks match each clone as they match its keyboard, and per-keyboard settings apply \
per keyboard. No libinput quirk is needed. A clone is kept across reloads while its keyboard \
stays claimed; when the keyboard goes or is no longer claimed, the keys it holds are released on \
the clone, then the clone is removed. LED changes written to a clone go to its keyboard. Mouse \
buttons a profile emits go to one shared \"keymapd virtual pointer\". keymapd list shows each \
grabbed keyboard's clone.";

/// One self-contained man page: every command with its options in a COMMANDS section (clap's
/// own layout would point at `keymapd-run(1)` and other pages that are not installed).
fn man_page(w: &mut dyn Write) -> std::io::Result<()> {
    let mut cmd = Cli::command();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone()).date(crate::reference::MAN_DATE);
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    writeln!(w, ".SH COMMANDS")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        let mut sub = sub.clone().bin_name(format!("keymapd {}", sub.get_name()));
        let usage = sub.render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ");
        writeln!(w, ".TP\n\\fB{}\\fR", roff_escape(usage))?;
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            writeln!(w, "{}", roff_escape(&about.to_string()))?;
        }
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set() && a.get_id() != "help") {
            let name = match (arg.get_long(), arg.get_value_names()) {
                (Some(l), Some(v)) => {
                    format!("--{l} {}", v.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(" "))
                }
                (Some(l), None) => format!("--{l}"),
                (None, Some(v)) => v.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(" "),
                (None, None) => arg.get_id().to_string(),
            };
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            writeln!(w, ".RS\n.TP\n\\fB{}\\fR\n{}\n.RE", roff_escape(&name), roff_escape(&help))?;
        }
        if let Some(after) = sub.get_after_help() {
            writeln!(w, ".RS\n.PP\n.nf\n{}\n.fi\n.RE", roff_escape(&after.to_string()))?;
        }
    }
    writeln!(w, ".SH VIRTUAL DEVICES\n{}", roff_escape(VIRTUAL_DEVICES))?;
    writeln!(w, ".SH EXAMPLES\n.nf\n{}\n.fi", roff_escape(EXAMPLES.trim_start_matches("Examples:\n")))?;
    writeln!(
        w,
        ".SH FILES\n.TP\n.I /etc/keymapd/*.toml\nProfiles, one per keyboard; their format is in\n.BR keymapd.toml (5)."
    )?;
    writeln!(w, ".SH SEE ALSO\n.BR keymapd.toml (5),\n.BR systemctl (1),\n.BR keyd (1)")?;
    man.render_version_section(w)
}

/// Escapes text for roff: backslashes, and a leading `.` or `'` that would read as a request.
fn roff_escape(s: &str) -> String {
    s.replace('\\', "\\e")
        .lines()
        .map(|l| if l.starts_with('.') || l.starts_with('\'') { format!("\\&{l}") } else { l.to_owned() })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `keymapd run` and `keymapd session`: become the daemon's or the session agent's own program
/// (exec, the same process), found beside this executable, so that a process that stays up maps
/// only its own code (`keymapd::daemon::program`). Returns only if the exec fails.
fn exec_beside(program: &str, args: &[OsString]) -> ExitCode {
    use std::os::unix::process::CommandExt;
    // /proc/self/exe: symlinks resolved; after an upgrade replaced the file it reads
    // "keymapd (deleted)", whose directory is still the right one.
    let path = match std::env::current_exe() {
        Ok(exe) => exe.with_file_name(program),
        Err(e) => return fail(format_args!("cannot find keymapd's own executable: {e}")),
    };
    let e = std::process::Command::new(&path).args(args).exec();
    fail(format_args!(
        "cannot start {}: {e}; it is installed beside keymapd (cargo build builds both; \
         packaging/install-debian.sh installs both)",
        path.display()
    ))
}

fn daemon_result(r: Result<(), daemon::Error>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format_args!("{e}")),
    }
}

fn print_diagnostics(diags: &[Diagnostic]) {
    let mut err = std::io::stderr().lock();
    for d in diags {
        let _ = writeln!(err, "{}", paint(&d.to_string()));
    }
}

/// `keymapd check`: exit 0 when every profile is valid (warnings may be printed), 1 otherwise.
fn check(paths: &[PathBuf]) -> ExitCode {
    let paths = if paths.is_empty() { vec![PathBuf::from(DEFAULT_DIR)] } else { paths.to_vec() };
    if let Some(conf) = paths.iter().find_map(|p| keyd_configs(p)) {
        return fail(format_args!(
            "{conf} is keyd's format, not a keymapd profile: convert it with `keymapd import-keyd {conf}` \
             (or `-o DIR` to write the profiles), then check those"
        ));
    }
    match crate::profile_files::load(&paths) {
        Ok(set) if set.profiles.is_empty() => {
            let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            fail(format_args!("no profiles (*.toml) found in {}", shown.join(", ")))
        }
        Ok(set) => {
            print_diagnostics(&set.warnings);
            let names: Vec<&str> = set.profiles.iter().map(|p| p.name.as_str()).collect();
            println!(
                "ok: {} profile{} ({})",
                names.len(),
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(diags) => {
            print_diagnostics(&diags);
            let n = diags.iter().filter(|d| d.severity == crate::profile::Severity::Error).count();
            eprintln!("keymapd: {n} error{} found", if n == 1 { "" } else { "s" });
            ExitCode::FAILURE
        }
    }
}

/// For `keymapd check`: the keyd config `path` is (a `.conf`/`.cfg` file), or a directory
/// holding keyd configs and no profile, as the `import-keyd` argument that converts it.
fn keyd_configs(path: &Path) -> Option<String> {
    let is_keyd = |p: &Path| p.extension().is_some_and(|x| x == "conf" || x == "cfg");
    if path.is_dir() {
        let names: Vec<PathBuf> =
            std::fs::read_dir(path).ok()?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        let toml = names.iter().any(|p| p.extension().is_some_and(|x| x == "toml"));
        (!toml && names.iter().any(|p| is_keyd(p))).then(|| path.display().to_string())
    } else {
        is_keyd(path).then(|| path.display().to_string())
    }
}

/// `keymapd keys [PATTERN]`: every key name with its code and aliases.
fn keys(pattern: Option<&str>) -> ExitCode {
    let table = key_table(pattern);
    if table.is_empty() {
        return fail(format_args!(
            "no key name contains `{}` (and no key has that code)",
            pattern.unwrap_or_default()
        ));
    }
    let mut stdout = std::io::stdout().lock();
    for (code, name, aliases) in &table {
        let line = if aliases.is_empty() {
            format!("{code:>4}  {name}")
        } else {
            format!("{code:>4}  {name:<24}  {}", aliases.join(" "))
        };
        if writeln!(stdout, "{line}").is_err() {
            break; // a closed pipe (`| head`)
        }
    }
    ExitCode::SUCCESS
}

/// The keys `keymapd keys` lists: (code, canonical name, other accepted names), in code order.
fn key_table(pattern: Option<&str>) -> Vec<(u16, &'static str, Vec<&'static str>)> {
    let pattern = pattern.map(str::to_ascii_lowercase);
    let code = pattern.as_deref().and_then(|p| match p.strip_prefix("0x") {
        Some(hex) => u16::from_str_radix(hex, 16).ok(),
        None => p.parse::<u16>().ok(),
    });
    let mut aliases: std::collections::BTreeMap<u16, Vec<&'static str>> = Default::default();
    for (name, key) in crate::keys::all_names() {
        if key.name() != name {
            aliases.entry(key.code()).or_default().push(name);
        }
    }
    crate::keys::canonical_names()
        .map(|(key, name)| (key.code(), name, aliases.remove(&key.code()).unwrap_or_default()))
        .filter(|(c, name, others)| match &pattern {
            None => true,
            Some(p) => {
                Some(*c) == code || name.contains(p.as_str()) || others.iter().any(|o| o.contains(p.as_str()))
            }
        })
        .collect()
}

/// How `keymapd test --script` prints its events.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum ScriptOutput {
    Plain,
    Timestamps,
    Json,
}

/// Loads the one profile in `profile_path` for `what` (an option or a command, for the message),
/// printing its warnings; on failure, what to exit with, its diagnostics printed.
fn one_profile(profile_path: &Path, what: &str) -> Result<Profile, ExitCode> {
    match crate::profile_files::load(&[profile_path.to_owned()]) {
        Ok(mut set) if set.profiles.len() == 1 => {
            print_diagnostics(&set.warnings);
            Ok(set.profiles.remove(0))
        }
        Ok(set) => Err(fail(format_args!(
            "{what} takes one profile file; {} holds {}",
            profile_path.display(),
            set.profiles.len()
        ))),
        Err(diags) => {
            print_diagnostics(&diags);
            Err(ExitCode::FAILURE)
        }
    }
}

/// `keymapd test --profile P --script S`: offline simulation.
fn test_script(profile_path: &Path, script_path: &Path, format: ScriptOutput) -> ExitCode {
    let profile = match one_profile(profile_path, "--profile") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let (label, text) = match read_script(script_path) {
        Ok(t) => t,
        Err(e) => return fail(format_args!("cannot read script {}: {e}", script_path.display())),
    };
    let steps = match script::parse(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", paint(&format!("{label}:{}: error: {}", e.line, e.message)));
            return ExitCode::FAILURE;
        }
    };
    simulate(&profile, &steps, format)
}

fn simulate(profile: &Profile, steps: &[script::Step], format: ScriptOutput) -> ExitCode {
    let run = script::run_timed(profile.keymap.clone(), steps, true);
    if run.unsettled {
        eprintln!(
            "{}",
            paint(&format!(
                "keymapd: note: still pending {} s after the script's end (a held key repeating its macro?); \
                 stopped the clock at {} ms",
                script::SETTLE_LIMIT.as_secs(),
                run.end.as_millis()
            ))
        );
    }
    let text = match format {
        ScriptOutput::Plain => script::format(&run.outputs.into_iter().map(|t| t.output).collect::<Vec<_>>()),
        ScriptOutput::Timestamps => script::format_timestamps(&run.outputs),
        ScriptOutput::Json => script::format_json(&run.outputs),
    };
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(format_args!("cannot write output: {e}")),
    }
}

/// Scripts larger than this are refused (`--script /dev/zero` must not eat the memory).
const MAX_SCRIPT_BYTES: u64 = 64 << 20;

fn read_script(path: &Path) -> std::io::Result<(String, String)> {
    let (label, reader): (String, Box<dyn Read>) = if path == Path::new("-") {
        ("<stdin>".to_owned(), Box::new(std::io::stdin()))
    } else {
        (path.display().to_string(), Box::new(std::fs::File::open(path)?))
    };
    let mut text = String::new();
    reader.take(MAX_SCRIPT_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SCRIPT_BYTES {
        return Err(std::io::Error::other(format!("larger than {} MiB", MAX_SCRIPT_BYTES >> 20)));
    }
    Ok((label, text))
}

/// `keymapd import-keyd`: exit 0 when every config converted (notes may be printed), else 1.
fn import_keyd(paths: &[PathBuf], out_dir: Option<&Path>, force: bool) -> ExitCode {
    let mut ok = true;
    let mut stdout = std::io::stdout().lock();
    // A directory (`/etc/keyd`) stands for its `*.conf` (and keyd 1.x `*.cfg`) files, in name order.
    let mut files = Vec::new();
    for p in paths {
        match std::fs::read_dir(p) {
            Ok(entries) => {
                let mut confs: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    // keyd 1.x configs end in `.cfg`.
                    .filter(|f| f.extension().is_some_and(|x| x == "conf" || x == "cfg"))
                    .collect();
                confs.sort();
                files.extend(confs);
            }
            Err(_) => files.push(p.clone()),
        }
    }
    // Which profile claims each id, to warn about pairs `keymapd check` would refuse.
    let mut claims: Vec<(String, String)> = Vec::new();
    for file in &files {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{}", paint(&format!("{}: error: cannot read: {e}", file.display())));
                ok = false;
                continue;
            }
        };
        let near = file.parent().unwrap_or(Path::new(".")).to_owned();
        let resolve = |name: &str| -> Option<String> {
            [near.clone(), PathBuf::from("/usr/share/keyd")]
                .iter()
                .find_map(|dir| std::fs::read_to_string(dir.join(name)).ok())
        };
        let converted = match crate::import_keyd::convert(file, &text, &resolve) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{}", paint(&format!("{}: error: {e}", file.display())));
                ok = false;
                continue;
            }
        };
        for n in &converted.notes {
            match n.line {
                0 => eprintln!("{}", paint(&format!("{}: note: {}", file.display(), n.message))),
                l => eprintln!("{}", paint(&format!("{}:{l}: note: {}", file.display(), n.message))),
            }
        }
        if converted.bindings == 0 {
            eprintln!(
                "{}",
                paint(&format!(
                    "{}: error: no binding converted (see the notes above); nothing written",
                    file.display()
                ))
            );
            ok = false;
            continue;
        }
        if let Ok((profile, _)) = Profile::parse(Path::new("import.toml"), &converted.toml) {
            for id in profile.ids.iter().filter(|s| !s.exclude) {
                if let Some((_, other)) = claims.iter().find(|(t, _)| *t == id.text) {
                    eprintln!(
                        "{}",
                        paint(&format!(
                            "{}: note: `{}` is also claimed by {other}.toml; `keymapd check` refuses two \
                             profiles claiming the same way: narrow one of them",
                            file.display(),
                            id.text
                        ))
                    );
                }
                claims.push((id.text.clone(), converted.name.clone()));
            }
        }
        match out_dir {
            Some(dir) => {
                let target = dir.join(format!("{}.toml", converted.name));
                let written = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(!force)
                    .create(force)
                    .truncate(force)
                    .open(&target)
                    .and_then(|mut f| f.write_all(converted.toml.as_bytes()));
                match written {
                    Ok(()) => eprintln!("wrote {}", target.display()),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        eprintln!(
                            "{}",
                            paint(&format!(
                                "{}: error: exists already, kept as it is (--force overwrites it)",
                                target.display()
                            ))
                        );
                        ok = false;
                    }
                    Err(e) => {
                        eprintln!("{}", paint(&format!("{}: error: cannot write: {e}", target.display())));
                        ok = false;
                    }
                }
            }
            None => {
                if files.len() > 1 {
                    let _ = writeln!(stdout, "# ==> {}.toml <==", converted.name);
                }
                let _ = stdout.write_all(converted.toml.as_bytes());
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `keymapd show PROFILE [--layer NAME] [--svg FILE]`: the drawing comes from `crate::show`.
fn show(profile_path: &Path, layer: Option<&str>, svg: Option<&Path>) -> ExitCode {
    let profile = match one_profile(profile_path, "show") {
        Ok(p) => p,
        Err(code) => return code,
    };
    let views = match crate::show::layers(&profile.keymap, layer) {
        Ok(v) => v,
        Err(e) => return fail(format_args!("{}: {e}", profile_path.display())),
    };
    let (out, text) = match svg {
        Some(p) => (p, crate::show::svg(&profile.name, &views)),
        None => (Path::new("-"), crate::show::text(&views)),
    };
    let written = if out == Path::new("-") {
        std::io::stdout().lock().write_all(text.as_bytes())
    } else {
        std::fs::write(out, text)
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format_args!("cannot write {}: {e}", out.display())),
    }
}
