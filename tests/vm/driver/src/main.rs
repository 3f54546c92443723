//! keymapd-testbed: runs keymapd test-bed scenarios inside the QEMU VM.
//!
//! ```text
//! keymapd-testbed run DIR [PATTERN]   run every DIR/*.scn (name contains PATTERN)
//! keymapd-testbed check FILE…         parse scenarios only (works anywhere)
//! keymapd-testbed send SOCKET LINE…    send lines to keymapd's control socket (`@hold=MS`: wait, connected), print what comes
//!                                      back until it closes or is quiet for 1 s (for `run-as`)
//! keymapd-testbed flood SOCKET N MS    N clients sending requests as fast as they can for MS ms,
//!                                      reconnecting when dropped (run it in `background`)
//! ```
//!
//! Markers on stdout, one line each, for tests/vm/run.sh:
//! `@@KEYMAPD-BEGIN <name>`, `@@KEYMAPD-SCENARIO <name> PASS`,
//! `@@KEYMAPD-SCENARIO <name> FAIL <reason>`, `@@KEYMAPD-DONE <passed> <failed>`.

mod daemon;
mod dev;
mod names;
mod runner;
mod script;

use std::path::{Path, PathBuf};
use std::time::Instant;

fn usage() -> ! {
    eprintln!("usage: keymapd-testbed run DIR [PATTERN] | keymapd-testbed check FILE...");
    std::process::exit(2);
}

fn scenario_name(p: &Path) -> String {
    p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// Runs one scenario file; returns whether it passed.
fn run_one(path: &Path) -> bool {
    let name = scenario_name(path);
    println!("@@KEYMAPD-BEGIN {name}");
    let started = Instant::now();
    let outcome: Result<(), (String, Vec<String>)> = (|| {
        let src = std::fs::read_to_string(path)
            .map_err(|e| (format!("cannot read {}: {e}", path.display()), vec![]))?;
        let steps = script::parse(&src).map_err(|e| (e, vec![]))?;
        if steps.is_empty() {
            return Err(("scenario has no steps".into(), vec![]));
        }
        let mut scn = runner::Scenario::new(&name).map_err(|e| (e, vec![]))?;
        let res =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scn.run(&steps))).unwrap_or_else(|p| {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "?".into());
                Err((format!("driver panicked: {msg}"), vec![]))
            });
        let cleanup = scn.cleanup();
        res?;
        match cleanup {
            Some(p) => Err(p),
            None => Ok(()),
        }
    })();
    let ms = started.elapsed().as_millis();
    match outcome {
        Ok(()) => {
            println!("@@KEYMAPD-TIME {name} {ms}");
            println!("@@KEYMAPD-SCENARIO {name} PASS");
            true
        }
        Err((reason, details)) => {
            for d in details {
                println!("    {d}");
            }
            println!("@@KEYMAPD-TIME {name} {ms}");
            println!("@@KEYMAPD-SCENARIO {name} FAIL {}", one_line(&reason));
            false
        }
    }
}

fn scenarios(dir: &Path, pattern: Option<&str>) -> Result<Vec<PathBuf>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut v: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "scn"))
        .filter(|p| {
            pattern.is_none_or(|pat| p.file_name().is_some_and(|n| n.to_string_lossy().contains(pat)))
        })
        .collect();
    v.sort();
    Ok(v)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(|s| s.as_str()) {
        Some("run") => {
            daemon::become_subreaper();
            let dir = args.get(1).unwrap_or_else(|| usage());
            let pattern = args.get(2).map(|s| s.as_str()).filter(|s| !s.is_empty());
            let list = match scenarios(Path::new(dir), pattern) {
                Ok(l) => l,
                Err(e) => {
                    println!("@@KEYMAPD-ERROR {e}");
                    println!("@@KEYMAPD-DONE 0 0");
                    std::process::exit(1);
                }
            };
            let (mut pass, mut fail) = (0, 0);
            for p in &list {
                if run_one(p) {
                    pass += 1;
                } else {
                    fail += 1;
                }
            }
            println!("@@KEYMAPD-DONE {pass} {fail}");
            std::process::exit(if fail == 0 && pass > 0 { 0 } else { 1 });
        }
        Some("check") => {
            if args.len() < 2 {
                usage();
            }
            let mut bad = 0;
            for f in &args[1..] {
                let r = std::fs::read_to_string(f)
                    .map_err(|e| e.to_string())
                    .and_then(|s| script::parse(&s).map(|_| ()));
                if let Err(e) = r {
                    eprintln!("{f}: {e}");
                    bad += 1;
                }
            }
            std::process::exit(if bad == 0 { 0 } else { 1 });
        }
        Some("send") if args.len() >= 2 => send(&args[1], &args[2..]),
        Some("flood") if args.len() == 4 => {
            let (Ok(n), Ok(ms)) = (args[2].parse::<usize>(), args[3].parse::<u64>()) else { usage() };
            flood(&args[1], n, ms)
        }
        _ => usage(),
    }
}

/// `send`: one connection, the lines written (`@hold=MS` waits that long instead), the answers
/// printed (exit 1 if it cannot connect).
fn send(socket: &str, lines: &[String]) {
    use std::io::{BufRead, Write};
    let mut s = match std::os::unix::net::UnixStream::connect(socket) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("connect {socket}: {e}");
            std::process::exit(1);
        }
    };
    for l in lines {
        // `@hold=MS`: keep the connection (a focus report lasts as long as its reporter).
        if let Some(ms) = l.strip_prefix("@hold=").and_then(|ms| ms.parse().ok()) {
            std::thread::sleep(std::time::Duration::from_millis(ms));
            continue;
        }
        if let Err(e) = s.write_all(format!("{l}\n").as_bytes()) {
            eprintln!("write: {e}");
            break;
        }
    }
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(1)));
    let mut r = std::io::BufReader::new(s);
    let mut line = String::new();
    while matches!(r.read_line(&mut line), Ok(n) if n > 0) {
        print!("{line}");
        line.clear();
    }
}

/// `flood`: N threads, each a client sending status requests and junk without reading.
fn flood(socket: &str, n: usize, ms: u64) {
    use std::io::Write;
    let end = Instant::now() + std::time::Duration::from_millis(ms);
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let socket = socket.to_owned();
            std::thread::spawn(move || {
                let mut drops = 0u64;
                while Instant::now() < end {
                    let Ok(mut s) = std::os::unix::net::UnixStream::connect(&socket) else {
                        std::thread::sleep(std::time::Duration::from_millis(10));
                        continue;
                    };
                    let _ = s.set_write_timeout(Some(std::time::Duration::from_millis(200)));
                    let hello = "{\"type\":\"hello\",\"version\":1,\"role\":\"client\"}\n";
                    if s.write_all(hello.as_bytes()).is_err() {
                        continue;
                    }
                    let mut msg = String::new();
                    for _ in 0..50 {
                        msg.push_str(if i % 2 == 0 {
                            "{\"type\":\"status\"}\n"
                        } else {
                            "{\"type\":\"listen\"}\n"
                        });
                    }
                    while Instant::now() < end && s.write_all(msg.as_bytes()).is_ok() {}
                    drops += 1;
                }
                drops
            })
        })
        .collect();
    let drops: u64 = threads.into_iter().map(|t| t.join().unwrap_or(0)).sum();
    println!("flood: {n} clients for {ms} ms, dropped {drops} times");
}
