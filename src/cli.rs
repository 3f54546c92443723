//! The command line: `run`, `check`, `test`, `list`; argument parsing, output formats, exit codes.
//! It never remaps anything itself: it wires files and the terminal to the core and the daemon.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::profile::{Diagnostic, Profile, DEFAULT_DIR};
use crate::{daemon, script};

const EXAMPLES: &str = "\
Examples:
  keymapd check                          validate /etc/keymapd/*.toml
  keymapd check profiles/laptop.toml     validate one file
  keymapd list                           show input devices and the profile claiming each
  echo 'leftcontrol down' | keymapd test --profile profiles/usb-keyboard.toml --script -
  keymapd test                           live dry-run on the keyboards the profiles claim
  keymapd run                            serve (normally started by systemd)";

/// A keyboard remapping daemon: per-keyboard TOML profiles, keyd's action model, one virtual keyboard.
#[derive(Parser, Debug)]
#[command(name = "keymapd", version, about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Grab the keyboards the profiles claim, remap them and re-emit through one virtual keyboard.
    Run {
        /// Profile directory.
        #[arg(long, short, value_name = "DIR", default_value = DEFAULT_DIR)]
        config: PathBuf,
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
  # comment, blank lines                   ignored
Output: one line per output event, e.g. `leftmeta down`; a command() action prints `command <text>`.")]
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
    },
    /// List input devices: path, vendor:product, name, phys, and which profile claims each.
    List {
        /// Profile directory.
        #[arg(long, short, value_name = "DIR", default_value = DEFAULT_DIR)]
        config: PathBuf,
    },
    /// Convert keyd configs (`/etc/keyd/*.conf`) to profiles: TOML on stdout, or files in DIR.
    #[command(after_help = "\
What cannot be converted is commented out in the output with the reason, and listed on stderr as
`FILE:LINE: note: …`. `include` lines are resolved next to the config, then in /usr/share/keyd.
Example: keymapd import-keyd -o /etc/keymapd /etc/keyd/*.conf && keymapd check")]
    ImportKeyd {
        /// keyd config files.
        #[arg(value_name = "FILE.conf", required = true)]
        files: Vec<PathBuf>,
        /// Write `NAME.toml` for each `NAME.conf` into this directory (existing files are kept).
        #[arg(long, short, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Print shell completions to standard output.
    #[command(hide = true)]
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff) to standard output.
    #[command(hide = true)]
    Man,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = if matches!(cli.command, Command::Run { .. } | Command::Test { script: None, .. }) {
        "info"
    } else {
        "warn"
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default_level))
        .format_timestamp(None)
        .format_target(false)
        .init();
    match cli.command {
        Command::Run { config } => daemon_result(daemon::run(&config)),
        Command::Check { paths } => check(&paths),
        Command::Test { profile: Some(p), script: Some(s), .. } => test_script(&p, &s),
        Command::Test { config, .. } => daemon_result(daemon::live_test(&config)),
        Command::List { config } => daemon_result(daemon::list(&config)),
        Command::ImportKeyd { files, out } => import_keyd(&files, out.as_deref()),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "keymapd", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Man => match man_page(&mut std::io::stdout().lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(format_args!("cannot write the man page: {e}")),
        },
    }
}

/// One self-contained man page: every command with its options in a COMMANDS section (clap's
/// own layout would point at `keymapd-run(1)` and other pages that are not installed).
fn man_page(w: &mut dyn Write) -> std::io::Result<()> {
    let mut cmd = Cli::command();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
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
    writeln!(w, ".SH EXAMPLES\n.nf\n{}\n.fi", roff_escape(EXAMPLES.trim_start_matches("Examples:\n")))?;
    writeln!(
        w,
        ".SH FILES\n.TP\n/etc/keymapd/*.toml\nProfiles, one per keyboard; see the README for the format."
    )?;
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

fn fail(msg: std::fmt::Arguments) -> ExitCode {
    eprintln!("keymapd: error: {msg}");
    ExitCode::FAILURE
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
        let _ = writeln!(err, "{d}");
    }
}

/// `keymapd check`: exit 0 when every profile is valid (warnings may be printed), 1 otherwise.
fn check(paths: &[PathBuf]) -> ExitCode {
    let paths = if paths.is_empty() { vec![PathBuf::from(DEFAULT_DIR)] } else { paths.to_vec() };
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

/// `keymapd test --profile P --script S`: offline simulation.
fn test_script(profile_path: &Path, script_path: &Path) -> ExitCode {
    let profile = match crate::profile_files::load(&[profile_path.to_owned()]) {
        Ok(mut set) if set.profiles.len() == 1 => {
            print_diagnostics(&set.warnings);
            set.profiles.remove(0)
        }
        Ok(set) => {
            return fail(format_args!(
                "--profile takes one profile file; {} holds {}",
                profile_path.display(),
                set.profiles.len()
            ))
        }
        Err(diags) => {
            print_diagnostics(&diags);
            return ExitCode::FAILURE;
        }
    };
    let (label, text) = match read_script(script_path) {
        Ok(t) => t,
        Err(e) => return fail(format_args!("cannot read script {}: {e}", script_path.display())),
    };
    let steps = match script::parse(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{label}:{}: error: {}", e.line, e.message);
            return ExitCode::FAILURE;
        }
    };
    simulate(&profile, &steps)
}

fn simulate(profile: &Profile, steps: &[script::Step]) -> ExitCode {
    let out = script::run(profile.keymap.clone(), steps);
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(script::format(&out).as_bytes()).and_then(|_| stdout.flush()) {
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
fn import_keyd(paths: &[PathBuf], out_dir: Option<&Path>) -> ExitCode {
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
                eprintln!("{}: error: cannot read: {e}", file.display());
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
                eprintln!("{}: error: {e}", file.display());
                ok = false;
                continue;
            }
        };
        for n in &converted.notes {
            match n.line {
                0 => eprintln!("{}: note: {}", file.display(), n.message),
                l => eprintln!("{}:{l}: note: {}", file.display(), n.message),
            }
        }
        if let Ok((profile, _)) = Profile::parse(Path::new("import.toml"), &converted.toml) {
            for id in profile.ids.iter().filter(|s| !s.exclude) {
                if let Some((_, other)) = claims.iter().find(|(t, _)| *t == id.text) {
                    eprintln!(
                        "{}: note: `{}` is also claimed by {other}.toml; `keymapd check` refuses two profiles \
                         claiming the same way: narrow one of them",
                        file.display(),
                        id.text
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
                    .create_new(true)
                    .open(&target)
                    .and_then(|mut f| f.write_all(converted.toml.as_bytes()));
                match written {
                    Ok(()) => eprintln!("wrote {}", target.display()),
                    Err(e) => {
                        eprintln!("{}: error: cannot write: {e}", target.display());
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
