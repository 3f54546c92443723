//! Hostile and broken profiles: every one gives a clear `path[:line:col]: error: …` diagnostic
//! through `ProfileSet::load`, with no panic, no hang and no stack overflow, in bounded time; and
//! a bad load leaves the last good set untouched. Fixtures are made at test time in a temp dir.
// Test code: failing loudly is its job (the workspace [lints] deny this elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keymapd_testkit::harness;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keymapd::keymap::Keymap;
use keymapd::profile::{Diagnostic, Profile, ProfileSet, Severity};
use keymapd::script;

/// The loader's size limit (`MAX_PROFILE_BYTES` in src/profile_files.rs).
const MAX_PROFILE_BYTES: usize = 1 << 20;
/// The stack hostile inputs are parsed on: the size of a spawned thread's default stack, a
/// quarter of the daemon's main thread's (8 MiB), so that passing here leaves a margin there.
const STACK: usize = 2 << 20;
/// Time allowed for one hostile load in a debug build; a sane parser needs well under a second.
const BUDGET: Duration = Duration::from_secs(10);

// ---- Helpers ----

/// A directory of fixtures, removed (permissions restored first) when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("keymapd-hostile-{}-{n}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        fs::write(&p, content).expect("write fixture");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o755));
        if let Ok(entries) = fs::read_dir(&self.0) {
            for e in entries.flatten() {
                let _ = fs::set_permissions(e.path(), fs::Permissions::from_mode(0o755));
            }
        }
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs `f` on its own thread with a [`STACK`]-sized stack; fails if it takes longer than
/// `budget` (a hang) or panics.
fn bounded<T: Send + 'static>(what: &str, budget: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let start = Instant::now();
    std::thread::Builder::new()
        .name(what.to_owned())
        .stack_size(STACK)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("spawn");
    match rx.recv_timeout(budget) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: not done after {budget:?} (a hang, or time that grows too fast with the input)")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("{what}: panicked after {:?} (see its message above)", start.elapsed())
        }
    }
}

/// Set in a child process to the name of the test it runs (see [`isolated`]).
const CHILD_ENV: &str = "KEYMAPD_HOSTILE_CHILD";

/// Runs test `name` again in a child process (this test binary, filtered to it), so that a
/// stack overflow, which aborts the whole process, fails only that test. Returns `true` in the
/// child, which then runs the test's body; in the parent it waits (at most `budget`), checks
/// that the child passed, and returns `false`.
fn isolated(name: &str, budget: Duration) -> bool {
    if std::env::var_os(CHILD_ENV).is_some_and(|v| v == name) {
        return true;
    }
    run_child(name, budget, None);
    false
}

/// The uid and gid an unprivileged child runs as: `nobody` and `nogroup` on Debian. Any id that
/// is not root would do; this one exists on every system, owns nothing and is in no group.
const NOBODY: u32 = 65534;

/// Runs test `name` in a child process as [`NOBODY`] (this process must be root); the child
/// runs the test's unprivileged branch. The set-uid happens in the forked child before exec
/// (`CommandExt::uid`, which also drops the supplementary groups), so it needs nothing but root:
/// no setpriv, runuser or sudo. A failure to drop privileges, or to run the binary as that user,
/// fails the test: it never silently skips the check.
fn as_unprivileged(name: &str, budget: Duration) {
    assert!(is_root(), "{name}: only root can run a child as uid {NOBODY}");
    run_child(name, budget, Some(NOBODY));
}

/// In a child started by [`as_unprivileged`]: asserts that it really runs without root.
fn assert_unprivileged_child(name: &str) {
    if std::env::var_os(CHILD_ENV).is_some_and(|v| v == name) {
        // SAFETY: getuid, getgid, getgroups(0, NULL) have no preconditions and cannot fail.
        let (uid, gid, groups) =
            unsafe { (libc::getuid(), libc::getgid(), libc::getgroups(0, std::ptr::null_mut())) };
        assert!(
            (uid, gid, groups, is_root()) == (NOBODY, NOBODY, 0, false),
            "{name}: the child should run as {NOBODY}:{NOBODY} without groups, runs as \
             uid {uid} gid {gid} with {groups} groups"
        );
    }
}

/// Whether every directory on the way to `path` can be searched, and `path` read and executed,
/// by a user who is neither its owner nor in its group.
fn others_can_run(path: &Path) -> bool {
    let mode = |p: &Path| fs::metadata(p).map(|m| m.permissions().mode()).unwrap_or(0);
    mode(path) & 0o005 == 0o005 && path.ancestors().skip(1).all(|d| mode(d) & 0o001 != 0)
}

fn run_child(name: &str, budget: Duration, uid: Option<u32>) {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    use std::process::{Command, Stdio};
    let dir = TempDir::new("child");
    let log = dir.path("output");
    let file = fs::File::create(&log).expect("child log");
    let mut exe = std::env::current_exe().expect("test binary");
    let mut command = Command::new(&exe);
    if let Some(uid) = uid {
        // The checkout may sit where that user cannot reach it (under /root): then run a copy
        // from the temp dir (opened to others whatever the umask). Its temp files go to a
        // directory of its own.
        fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o755)).expect("chmod the child dir");
        if !others_can_run(&exe) {
            let copy = dir.path("hostile");
            fs::copy(&exe, &copy).expect("copy the test binary");
            fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).expect("chmod the copy");
            exe = copy;
            assert!(
                others_can_run(&exe),
                "{name}: uid {uid} could not run {}: a directory above it is closed to others",
                exe.display()
            );
            command = Command::new(&exe);
        }
        let tmp = dir.path("tmp");
        fs::create_dir(&tmp).expect("child temp dir");
        std::os::unix::fs::chown(&tmp, Some(uid), Some(uid)).expect("chown the child's temp dir");
        command.uid(uid).gid(uid).env("TMPDIR", &tmp);
    }
    let mut child = command
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, name)
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("dup"))
        .stderr(file)
        .spawn()
        .unwrap_or_else(|e| {
            let who = uid.map(|u| format!(" as uid {u}")).unwrap_or_default();
            panic!("{name}: cannot run {}{who}: {e}", exe.display())
        });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if start.elapsed() > budget {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = fs::read_to_string(&log).unwrap_or_default();
    // The child's own lines, without libtest's (whose summary lines would confuse a reader of
    // the parent's output).
    let tail: String = output
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| !["running ", "test ", "failures:", "    "].iter().any(|p| l.starts_with(p)))
        .take(30)
        .collect::<Vec<_>>()
        .join("\n");
    match status {
        Some(s) if s.success() && output.contains("1 passed") => {}
        Some(s) => match s.signal() {
            Some(sig) => panic!(
                "{name}: the process crashed (signal {sig}; 6 is an abort, e.g. a stack overflow):\n{tail}"
            ),
            None => panic!("{name}: failed ({s}):\n{tail}"),
        },
        None => panic!(
            "{name}: not done after {budget:?} (a hang, or time that grows too fast with the input):\n{tail}"
        ),
    }
}

fn load(path: &Path) -> Result<ProfileSet, Vec<Diagnostic>> {
    let paths = vec![path.to_owned()];
    bounded("profile_files::load", BUDGET, move || keymapd::profile_files::load(&paths))
}

/// Loads `path`, which must fail; returns the errors, each checked to be a clear diagnostic.
fn load_errors(path: &Path) -> Vec<Diagnostic> {
    match load(path) {
        Ok(set) => panic!("expected errors, got a set of {} profiles", set.profiles.len()),
        Err(diags) => {
            let errors: Vec<Diagnostic> =
                diags.into_iter().filter(|d| d.severity == Severity::Error).collect();
            assert!(!errors.is_empty(), "Err without any error");
            for d in &errors {
                assert_clear(d);
            }
            errors
        }
    }
}

/// `path[:line:col]: error: message`, on one line, with no control characters.
fn assert_clear(d: &Diagnostic) {
    let text = d.to_string();
    let prefix = if d.line == 0 {
        format!("{}: error: ", d.path.display())
    } else {
        format!("{}:{}:{}: error: ", d.path.display(), d.line, d.col)
    };
    assert!(text.starts_with(&prefix), "not `path[:line:col]: error: …`: {text:?}");
    assert!(d.line > 0 || d.col == 0, "a column without a line: {text:?}");
    assert!(!d.message.trim().is_empty(), "an empty message: {text:?}");
    assert!(
        !text.chars().any(|c| c.is_control()),
        "a control character in a diagnostic (it reaches terminals and logs as is): {text:?}"
    );
}

/// The error for `path` containing `needle`, from loading `load`.
fn expect_error(load: &Path, path: &Path, needle: &str) -> Diagnostic {
    let errors = load_errors(load);
    let found = errors.iter().find(|d| d.path == path && d.message.contains(needle));
    match found {
        Some(d) => d.clone(),
        None => panic!(
            "no error for {} containing {needle:?}; got:\n{}",
            path.display(),
            errors.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")
        ),
    }
}

/// Parses `text` directly (no file), on a bounded thread; must fail with clear diagnostics.
fn parse_errors(what: &str, text: String) -> Vec<Diagnostic> {
    let result = bounded(what, BUDGET, move || {
        Profile::parse(Path::new("hostile.toml"), &text).map(|_| ()).map_err(|d| d.to_vec())
    });
    let errors = result.expect_err("expected the profile to be rejected");
    assert!(!errors.is_empty());
    for d in &errors {
        assert_clear(d);
        assert!(d.line > 0, "a parse error has a position: {d}");
    }
    errors
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

const GOOD: &str = "ids = [\"usb:kb\"]\n[main]\ncapslock = \"esc\"\n";

// ---- Bytes that are not a profile ----

#[test]
fn non_utf8_bytes_are_an_error_at_their_position() {
    let dir = TempDir::new("utf8");
    let p = dir.write("bad.toml", b"ids = [\"*\"]\n[main]\na = \"b\xff\xfe\"\n");
    let d = expect_error(&p, &p, "not valid UTF-8");
    assert_eq!((d.line, d.col), (3, 7), "{d}");
    // At the very start, and a lone continuation byte in a comment.
    let p = dir.write("start.toml", b"\x80ids = []\n");
    let d = expect_error(&p, &p, "not valid UTF-8");
    assert_eq!((d.line, d.col), (1, 1), "{d}");
    let p = dir.write("comment.toml", b"# caf\xc3\n");
    expect_error(&p, &p, "not valid UTF-8");
}

#[test]
fn raw_control_characters_and_nul_are_rejected() {
    for (what, text) in [
        ("nul", "ids = [\"*\"]\n[main]\na = \"b\0\"\n"),
        ("escape", "ids = [\"*\"]\n[main]\na = \"\x1b[2J\"\n"),
        ("bare nul", "\0\0\0\0"),
    ] {
        parse_errors(what, text.to_owned());
    }
}

#[test]
fn ten_megabyte_file_is_refused_without_being_parsed() {
    let dir = TempDir::new("big");
    let p = dir.path("big.toml");
    let f = fs::File::create(&p).unwrap();
    f.set_len(10 << 20).unwrap(); // sparse: no 10 MB written to disk
    drop(f);
    let start = Instant::now();
    let d = expect_error(&p, &p, "too large");
    assert!(start.elapsed() < Duration::from_secs(2), "took {:?}", start.elapsed());
    assert_eq!(d.line, 0, "{d}");
}

#[test]
fn ten_megabytes_of_text_parse_in_bounded_time() {
    if !isolated("ten_megabytes_of_text_parse_in_bounded_time", CHILD_BUDGET) {
        return;
    }
    // The loader refuses this, but `Profile::parse` takes any text: it must stay linear.
    let mut text = String::from("ids = [\"*\"]\n[main]\ncapslock = \"esc\"\n");
    while text.len() < 10 << 20 {
        text.push_str("# a comment line of a profile that someone made far too long, on purpose\n");
    }
    let ok =
        bounded("10 MB of comments", BUDGET, move || Profile::parse(Path::new("big.toml"), &text).is_ok());
    assert!(ok);
    let mut junk = String::with_capacity(10 << 20);
    while junk.len() < 10 << 20 {
        junk.push_str("[[[[{{{{ \"\"\" ''' = = ]]]] ");
    }
    parse_errors("10 MB of junk", junk);
}

// ---- Nesting: the TOML parser and the action parser must not overflow the stack ----

/// The budget of a test run in a child process: spawning it, plus [`BUDGET`].
const CHILD_BUDGET: Duration = Duration::from_secs(20);

#[test]
fn ten_thousand_nested_arrays() {
    if !isolated("ten_thousand_nested_arrays", CHILD_BUDGET) {
        return;
    }
    let n = 10_000;
    let text = format!("ids = [\"*\"]\n[main]\na = {}1{}\n", "[".repeat(n), "]".repeat(n));
    let e = parse_errors("nested arrays", text);
    assert!(e[0].message.contains("invalid TOML"), "{}", e[0]);
}

#[test]
fn ten_thousand_nested_inline_tables() {
    if !isolated("ten_thousand_nested_inline_tables", CHILD_BUDGET) {
        return;
    }
    let n = 10_000;
    let text = format!("ids = [\"*\"]\n[main]\na = {}1{}\n", "{ b = ".repeat(n), " }".repeat(n));
    parse_errors("nested inline tables", text);
}

#[test]
fn ten_thousand_part_dotted_keys_and_headers() {
    if !isolated("ten_thousand_part_dotted_keys_and_headers", CHILD_BUDGET) {
        return;
    }
    let n = 10_000;
    let keys = vec!["a"; n].join(".");
    parse_errors("dotted key", format!("ids = [\"*\"]\n{keys} = 1\n"));
    parse_errors("table header", format!("ids = [\"*\"]\n[{keys}]\n"));
    parse_errors("array of tables header", format!("ids = [\"*\"]\n[[{keys}]]\n"));
}

/// A binding whose action is `open` × `depth`, `b`, `close` × `depth`.
fn nested_action(open: &str, close: &str, depth: usize) -> String {
    format!("ids = [\"*\"]\n[main]\na = \"{}b{}\"\n", open.repeat(depth), close.repeat(depth))
}

/// Parses `text` on a thread with the daemon's main-thread stack (8 MiB); if it parses, types
/// its `a` through the checked engine. Either way: no crash, clear diagnostics, bounded time.
fn parse_and_press_a(what: &str, text: String) {
    let what = what.to_owned();
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            let r = match Profile::parse(Path::new("deep.toml"), &text) {
                Ok((p, _)) => {
                    let ops =
                        harness::parse_ops("dev0 a down; 100ms; dev0 a up; 1000ms; dev0 a down; dev0 a up")
                            .unwrap();
                    harness::run(&[p.keymap], 1, &ops, false).map_err(|v| v.message)
                }
                Err(errors) => {
                    errors.iter().for_each(assert_clear);
                    Ok(())
                }
            };
            let _ = tx.send(r);
        })
        .expect("spawn");
    match rx.recv_timeout(BUDGET) {
        Ok(Ok(())) => {}
        Ok(Err(v)) => panic!("{what}: {v}"),
        Err(e) => panic!("{what}: {e:?} (see above)"),
    }
}

#[test]
fn deeply_nested_overloadi_at_the_size_limit() {
    // `overloadi(a, overloadi(…), 1)` may nest: a file at the size limit nests it about 50 000 deep.
    if !isolated("deeply_nested_overloadi_at_the_size_limit", CHILD_BUDGET) {
        return;
    }
    let depth = MAX_PROFILE_BYTES / 20;
    parse_and_press_a("overloadi × 50 000", nested_action("overloadi(a, ", ", 1)", depth));
}

#[test]
fn nested_overloadi_two_thousand_deep() {
    // 34 KB: a small file.
    if !isolated("nested_overloadi_two_thousand_deep", CHILD_BUDGET) {
        return;
    }
    parse_and_press_a("overloadi × 2000", nested_action("overloadi(a, ", ", 1)", 2000));
}

#[test]
fn other_nested_actions_at_the_size_limit() {
    if !isolated("other_nested_actions_at_the_size_limit", CHILD_BUDGET) {
        return;
    }
    for (open, close) in [
        ("overload(shift, ", ")"),
        ("timeout(a, 1, ", ")"),
        ("layerm(shift, ", ")"),
        ("macro(", ")"),
        ("(", ")"),
    ] {
        let depth = MAX_PROFILE_BYTES / (open.len() + close.len()) - 10;
        parse_and_press_a(&format!("{open}…{close}"), nested_action(open, close, depth));
    }
}

// ---- Sections, keys and references ----

#[test]
fn unknown_and_malformed_sections_and_fields() {
    let cases: &[(&str, &str)] = &[
        ("ids = [\"*\"]\nfrobnicate = 1\n", "frobnicate"),
        ("ids = [\"*\"]\n[\"bad name!\"]\n", "bad name!"),
        ("ids = [\"*\"]\n[\"nav:X\"]\n", "nav:X"),
        ("ids = [\"*\"]\n[\"main:C\"]\n", "main"),
        ("ids = [\"*\"]\n[\"\"]\n", "section"),
        ("ids = [\"*\"]\n[main]\na = 1\n", "string"),
        ("ids = [\"*\"]\n[main]\na = [\"b\"]\n", "string"),
        ("ids = [\"*\"]\n[main.sub]\nx = \"y\"\n", "sub"),
        ("ids = [\"*\"]\n[[main]]\n", ""),
        ("ids = \"usb:kb\"\n", "array"),
        ("ids = [1, 2]\n", "string"),
        ("ids = []\n", "empty"),
        ("ids = [\"*\"]\n[main]\nnokey = \"a\"\n", "nokey"),
        ("ids = [\"*\"]\n[main]\na = \"nokey\"\n", "nokey"),
        ("ids = [\"*\"]\n[main]\na = \"layer(nolayer)\"\n", "nolayer"),
        ("ids = [\"*\"]\n[main]\na = \"layer(\"\n", "layer("),
        ("ids = [\"*\"]\n[main]\na = \")(\"\n", ")("),
        ("ids = [\"*\"]\n[main]\na = \"overload(shift, overload(shift, a))\"\n", "overload"),
        ("ids = [\"*\"]\n[main]\na = \"macro()\"\n", "macro"),
        ("ids = [\"*\"]\n[main]\na = \"macro(99999ms)\"\n", "99999ms"),
        ("ids = [\"*\"]\n[main]\na = \"overloadt(shift, a, -1)\"\n", "-1"),
        ("ids = [\"*\"]\n[main]\n\"a+a\" = \"b\"\n", "a+a"),
        ("ids = [\"*\"]\n[global]\nchord_timeout = -5\n", "chord_timeout"),
        ("ids = [\"*\"]\n[global]\nfrobnicate = 1\n", "frobnicate"),
        ("ids = [\"*\"]\n[main]\na = \"command(rm -rf /)\"\n", "allow_commands"),
    ];
    for (text, needle) in cases {
        let errors = parse_errors(text, text.to_string());
        assert!(
            errors.iter().any(|d| d.message.contains(needle)),
            "no error mentions {needle:?} for {text:?}: {:?}",
            errors.iter().map(|d| d.to_string()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn duplicate_keys_sections_and_aliases() {
    for (text, needle, line) in [
        ("ids = [\"*\"]\n[main]\na = \"b\"\na = \"c\"\n", "duplicate", 4),
        ("ids = [\"*\"]\n[main]\nleftctrl = \"b\"\nleftcontrol = \"c\"\n", "twice", 4),
        ("ids = [\"*\"]\n[main]\n[main]\n", "duplicate", 3),
        ("ids = [\"*\"]\n[nav]\n[\"nav:C\"]\n", "twice", 3),
        ("ids = [\"*\"]\nids = [\"*\"]\n", "duplicate", 2),
    ] {
        let errors = parse_errors(text, text.to_owned());
        let d = errors.iter().find(|d| d.message.contains(needle));
        let d = d.unwrap_or_else(|| panic!("no {needle:?} error for {text:?}: {errors:?}"));
        assert_eq!(d.line, line, "{d}");
    }
}

#[test]
fn cyclic_layer_references_parse_and_do_not_loop() {
    let text = "ids = [\"*\"]\n[main]\ncapslock = \"layer(a)\"\n\
                [a]\nx = \"layer(b)\"\nj = \"swap(b)\"\n\
                [b]\nx = \"layer(a)\"\nj = \"swap(a)\"\nk = \"toggle(a)\"\n";
    let keymap: Arc<Keymap> = match Profile::parse(Path::new("cycle.toml"), text) {
        Ok((p, _)) => p.keymap,
        Err(d) => panic!("{d:?}"),
    };
    let ops = harness::parse_ops(
        "dev0 capslock down; dev0 x down; dev0 j down; dev0 x up; dev0 x down; dev0 k down; dev0 k up; \
         dev0 j up; dev0 x up; dev0 k down; dev0 capslock up; dev0 k up; 1000ms",
    )
    .unwrap();
    let r = bounded("cyclic layers", BUDGET, move || {
        harness::run(&[keymap], 1, &ops, true).map_err(|v| v.to_string())
    });
    if let Err(v) = r {
        panic!("{v}");
    }
}

#[test]
fn huge_macros_are_bounded() {
    if !isolated("huge_macros_are_bounded", CHILD_BUDGET) {
        return;
    }
    // One macro that fills the size limit: it must parse (or be refused) quickly, and play out
    // through timers without stranding a key or stalling the engine.
    let mut steps = String::new();
    while steps.len() < MAX_PROFILE_BYTES - 100 {
        steps.push_str("C-a b 1ms ");
    }
    let text = format!("ids = [\"*\"]\n[main]\nf1 = \"macro({steps})\"\n");
    let parsed = bounded("huge macro: parse", BUDGET, move || {
        Profile::parse(Path::new("macro.toml"), &text).map(|(p, _)| p.keymap).map_err(|d| d.to_vec())
    });
    let keymap = match parsed {
        Ok(k) => k,
        Err(errors) => {
            for d in &errors {
                assert_clear(d);
            }
            return;
        }
    };
    let ops =
        harness::parse_ops("dev0 f1 down; dev0 f1 up; dev0 f1 down; 5ms; shutdown; dev0 f1 up").unwrap();
    let r = bounded("huge macro: play", BUDGET, move || {
        harness::run(&[keymap], 1, &ops, false).map_err(|v| v.message)
    });
    r.unwrap_or_else(|m| panic!("{m}"));
}

#[test]
fn binary_blobs_in_strings() {
    // Valid TOML whose strings hold control characters, escapes and invalid names.
    let blob: String =
        (0u32..0x300).filter_map(char::from_u32).map(|c| format!("\\u{:04X}", c as u32)).collect();
    for text in [
        format!("ids = [\"{blob}\"]\n[main]\n"),
        format!("ids = [\"*\"]\n[main]\na = \"{blob}\"\n"),
        format!("ids = [\"*\"]\n[main]\n\"{blob}\" = \"a\"\n"),
        format!("ids = [\"*\"]\n[\"{blob}\"]\n"),
        "ids = [\"name:\\u0000\\u001b[31m\"]\n[main]\na = \"\\u001b]0;pwned\\u0007\"\n".to_owned(),
    ] {
        parse_errors("binary blob", text);
    }
}

// ---- Files that are not profiles ----

#[test]
fn empty_and_blank_files() {
    let dir = TempDir::new("empty");
    for (name, content) in [("empty.toml", ""), ("blank.toml", "\n\n   \n"), ("comment.toml", "# nothing\n")]
    {
        let p = dir.write(name, content);
        let d = expect_error(&p, &p, "missing `ids`");
        assert_eq!((d.line, d.col), (1, 1), "{d}");
    }
}

#[test]
fn symlink_loop_in_the_profile_directory() {
    let dir = TempDir::new("loop");
    dir.write("good.toml", GOOD);
    symlink(dir.path("b.toml"), dir.path("a.toml")).unwrap();
    symlink(dir.path("a.toml"), dir.path("b.toml")).unwrap();
    symlink(dir.path("self.toml"), dir.path("self.toml")).unwrap();
    // A directory loop too: the loader does not recurse, so it must not follow it.
    symlink(&dir.0, dir.path("sub")).unwrap();
    for name in ["a.toml", "b.toml", "self.toml"] {
        expect_error(&dir.0, &dir.path(name), "cannot read");
    }
    // Named directly.
    expect_error(&dir.path("self.toml"), &dir.path("self.toml"), "cannot read");
}

#[test]
fn dangling_symlink() {
    let dir = TempDir::new("dangling");
    symlink(dir.path("missing.toml"), dir.path("x.toml")).unwrap();
    expect_error(&dir.0, &dir.path("x.toml"), "cannot read");
    // A path that does not exist at all, given directly.
    expect_error(&dir.path("nope.toml"), &dir.path("nope.toml"), "cannot read");
}

#[test]
fn unreadable_file_and_directory() {
    const NAME: &str = "unreadable_file_and_directory";
    assert_unprivileged_child(NAME);
    let dir = TempDir::new("unreadable");
    let p = dir.write("x.toml", GOOD);
    fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).unwrap();
    let sub = TempDir::new("unreadable-dir");
    sub.write("y.toml", GOOD);
    fs::set_permissions(&sub.0, fs::Permissions::from_mode(0o000)).unwrap();
    if is_root() {
        // Root reads them anyway (CI runs as root): the profiles load...
        let set = load(&dir.0).unwrap_or_else(|d| panic!("{d:?}"));
        assert_eq!(set.profiles.len(), 1);
        assert!(load(&sub.0).is_ok());
        // ...and the errors a user gets are checked by this same test run as one.
        as_unprivileged(NAME, BUDGET);
    } else {
        expect_error(&dir.0, &p, "cannot read");
        expect_error(&sub.0, &sub.0, "cannot read directory");
    }
}

#[test]
fn directory_named_like_a_profile() {
    let dir = TempDir::new("dirprofile");
    fs::create_dir(dir.path("x.toml")).unwrap();
    dir.write("x.toml/inner.toml", GOOD);
    expect_error(&dir.0, &dir.path("x.toml"), "not a regular file");
}

#[test]
fn fifo_and_devices_named_like_a_profile_do_not_hang() {
    let dir = TempDir::new("fifo");
    let fifo = dir.path("x.toml");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
    // Nothing ever writes to it: opening it for reading would block forever.
    expect_error(&dir.0, &fifo, "not a regular file");
    expect_error(&fifo, &fifo, "not a regular file");
    symlink(&fifo, dir.path("to-fifo.toml")).unwrap();
    expect_error(&dir.0, &dir.path("to-fifo.toml"), "not a regular file");
    // Endless devices. (Not /dev/stdin: under a test runner it may be a regular file.)
    for dev in ["/dev/zero", "/dev/urandom"] {
        if Path::new(dev).exists() {
            let link = dir.path(&format!("{}.toml", &dev[5..]));
            symlink(dev, &link).unwrap();
            expect_error(&link, &link, "not a regular file");
        }
    }
}

#[test]
fn non_utf8_file_name_loads() {
    use std::os::unix::ffi::OsStrExt;
    let dir = TempDir::new("name");
    let name = std::ffi::OsStr::from_bytes(b"\xff\xfe.toml");
    fs::write(dir.0.join(name), "ids = [\"*\"]\n[main]\n").unwrap();
    let set = load(&dir.0).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(set.profiles.len(), 1);
    fs::write(dir.0.join(name), "ids = [\"*\"]\n[main]\nnokey = \"a\"\n").unwrap();
    load_errors(&dir.0);
}

// ---- Time: files at the size limit that are cheap to write but could be costly to check ----

/// Fills a profile up to just under the size limit with `line(i)`.
fn up_to_limit(head: &str, line: impl Fn(usize) -> String) -> String {
    let mut text = String::from(head);
    for i in 0.. {
        let l = line(i);
        if text.len() + l.len() >= MAX_PROFILE_BYTES {
            break;
        }
        text.push_str(&l);
    }
    text
}

fn load_text_bounded(what: &str, text: String) {
    let dir = TempDir::new("limit");
    let p = dir.write("limit.toml", &text);
    let start = Instant::now();
    let r = load(&p);
    eprintln!(
        "{what}: {} bytes, {:?}, {}",
        text.len(),
        start.elapsed(),
        if r.is_ok() { "ok" } else { "errors" }
    );
    if let Err(d) = r {
        for d in d.iter().take(100) {
            assert_clear(d);
        }
    }
}

#[test]
fn many_sections_at_the_size_limit() {
    if !isolated("many_sections_at_the_size_limit", CHILD_BUDGET) {
        return;
    }
    load_text_bounded("many sections", up_to_limit("ids = [\"*\"]\n", |i| format!("[l{i}]\n")));
}

#[test]
fn many_unknown_keys_at_the_size_limit() {
    if !isolated("many_unknown_keys_at_the_size_limit", CHILD_BUDGET) {
        return;
    }
    load_text_bounded(
        "many unknown keys",
        up_to_limit("ids = [\"*\"]\n[main]\n", |i| format!("k{i} = \"a\"\n")),
    );
}

#[test]
fn many_bindings_at_the_size_limit() {
    if !isolated("many_bindings_at_the_size_limit", CHILD_BUDGET) {
        return;
    }
    let names: Vec<&str> = keymapd::keys::all_names().map(|(n, _)| n).collect();
    let text = up_to_limit("ids = [\"*\"]\n", |i| {
        if i % 500 == 0 {
            format!("[s{i}]\n")
        } else {
            format!("\"{}\" = \"C-a\"\n", names[i % 500])
        }
    });
    load_text_bounded("many bindings", text);
}

#[test]
fn many_macros_of_text_at_the_size_limit() {
    // Valid macros typing text (`xx` is not a key name, so each word is typed letter by letter):
    // the parser must not do costly work (such as "did you mean" suggestions) for every word.
    if !isolated("many_macros_of_text_at_the_size_limit", CHILD_BUDGET) {
        return;
    }
    let names: Vec<&str> = keymapd::keys::all_names().map(|(n, _)| n).filter(|n| n.len() > 1).collect();
    let words = vec!["xx"; 500].join(" ");
    let text = up_to_limit("ids = [\"*\"]\n", |i| {
        let section = if i % 100 == 0 { format!("[s{i}]\n") } else { String::new() };
        format!("{section}\"{}\" = \"macro({words})\"\n", names[i % 100])
    });
    load_text_bounded("many macros of text", text);
}

#[test]
fn many_ids_at_the_size_limit() {
    if !isolated("many_ids_at_the_size_limit", CHILD_BUDGET) {
        return;
    }
    let text = up_to_limit("ids = [\n", |i| format!("\"name:kbd{i}*\",\n")) + "]\n[main]\n";
    load_text_bounded("many ids", text);
}

// ---- The last good set survives a bad load ----

/// Loads `dir` as the daemon does on a reload: the new set if it is valid, else the old one.
fn reload(current: ProfileSet, dir: &Path) -> (ProfileSet, Option<Vec<Diagnostic>>) {
    match load(dir) {
        Ok(new) => (new, None),
        Err(errors) => (current, Some(errors)),
    }
}

#[test]
fn a_bad_load_keeps_the_last_good_set() {
    let dir = TempDir::new("keep");
    dir.write("usb.toml", GOOD);
    dir.write("laptop.toml", "ids = [\"laptop:kb\"]\n[main]\nleftalt = \"leftcontrol\"\n");
    let good = load(&dir.0).unwrap_or_else(|d| panic!("{d:?}"));
    let run = |set: &ProfileSet| {
        let steps = script::parse("capslock down\ncapslock up\nleftalt down\nleftalt up\n").unwrap();
        set.profiles
            .iter()
            .map(|p| script::format(&script::run(p.keymap.clone(), &steps)))
            .collect::<Vec<_>>()
    };
    let before = run(&good);

    // Each kind of breakage in turn: the reload fails, names the culprit, and changes nothing.
    type Breakage = Box<dyn Fn(&TempDir) -> PathBuf>;
    let breakages: Vec<(&str, Breakage)> = vec![
        ("syntax", Box::new(|d: &TempDir| d.write("usb.toml", "ids = [\"usb:kb\"\n"))),
        (
            "unknown key",
            Box::new(|d: &TempDir| d.write("usb.toml", "ids = [\"usb:kb\"]\n[main]\ncapslok = \"esc\"\n")),
        ),
        ("binary", Box::new(|d: &TempDir| d.write("usb.toml", b"\x7fELF\x02\x01\x01\0\0\0"))),
        ("tie", Box::new(|d: &TempDir| d.write("zz.toml", GOOD))),
        (
            "fifo",
            Box::new(|d: &TempDir| {
                let p = d.path("fifo.toml");
                let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
                // SAFETY: a valid NUL-terminated path.
                assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
                p
            }),
        ),
    ];
    let mut current = good;
    for (what, breakage) in breakages {
        let culprit = breakage(&dir);
        let (kept, errors) = reload(current, &dir.0);
        let errors = errors.unwrap_or_else(|| panic!("{what}: the bad set loaded"));
        assert!(
            errors.iter().any(|d| d.path == culprit),
            "{what}: no error names {}: {errors:?}",
            culprit.display()
        );
        assert_eq!(kept.profiles.len(), 2, "{what}");
        assert_eq!(run(&kept), before, "{what}: the kept set behaves differently");
        current = kept;
        // Repair for the next round.
        let _ = fs::remove_file(&culprit);
        dir.write("usb.toml", GOOD);
    }
    // Repaired: the reload takes the new set.
    let (new, errors) = reload(current, &dir.0);
    assert!(errors.is_none(), "{errors:?}");
    assert_eq!(run(&new), before);
}

// ---- Scripts (`keymapd test --script`) are user input too ----

#[test]
fn script_with_huge_durations_does_not_panic() {
    let steps = script::parse(&"18446744073709551615ms\na down\n".repeat(1100)).expect("parses");
    let keymap = Arc::new(Keymap::new());
    let out = bounded("huge durations", BUDGET, move || script::run(keymap, &steps).len());
    assert_eq!(out, 1, "one `a down`, the rest are presses of a key already down");
}

// ---- No unwrap/expect/panic in non-test code ----

/// The workspace's [lints] table denies `unwrap`, `expect` and `panic!` outside tests (clippy, with
/// `-D warnings` in tests/all.sh), and every crate of the workspace uses that table: a panic on
/// input, the system or a file would take the keyboard with it. This fails if that guard is
/// removed, which clippy alone would not notice.
#[test]
fn workspace_lints_deny_unwrap_expect_and_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |rel: &str| fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let manifest = read("Cargo.toml");
    let section = |name: &str| -> Vec<String> {
        let after = manifest.split(&format!("\n{name}\n")).nth(1).unwrap_or_default();
        after.lines().take_while(|l| !l.starts_with('[')).map(|l| l.trim().to_owned()).collect()
    };
    let clippy = section("[workspace.lints.clippy]");
    for lint in ["unwrap_used", "expect_used", "panic"] {
        let line = format!("{lint} = \"deny\"");
        assert!(clippy.contains(&line), "Cargo.toml [workspace.lints.clippy] no longer has `{line}`");
    }
    let members = section("[workspace]").into_iter().find(|l| l.starts_with("members")).expect("members");
    let members: Vec<&str> = members.split('"').skip(1).step_by(2).collect();
    assert!(members.len() >= 3, "{members:?}");
    for m in members {
        let path = format!("{m}/Cargo.toml");
        assert!(
            read(&path).contains("\n[lints]\nworkspace = true\n"),
            "{path} does not use the workspace's [lints]"
        );
    }
}
