//! The command lines of keymapd's own programs, `keymapd-daemon` and `keymapd-session`, parsed
//! by hand (no clap in them): a few options each, as `keymapd run` and `keymapd session` pass
//! them. `--name value` and `--name=value` for an option that takes a value, `--name` alone for
//! one that does not; an error names the offending argument.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::control::protocol::SOCKET_PATH;

/// The control socket when no `--socket` is given: `KEYMAPD_SOCKET` (`env`), unless unset or
/// empty, else the default path.
pub fn default_socket(env: Option<OsString>) -> PathBuf {
    env.filter(|s| !s.is_empty()).map_or_else(|| PathBuf::from(SOCKET_PATH), PathBuf::from)
}

/// `args` as options: each name with its value (`Some`) when it is one of `valued`, else
/// `None`. Fails on an argument that is not UTF-8, a valued option without a value, and a
/// value given to an option that takes none.
pub fn options(
    program: &str,
    args: impl IntoIterator<Item = OsString>,
    valued: &[&str],
) -> Result<Vec<(String, Option<OsString>)>, String> {
    let mut out = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str() else {
            return Err(format!("unexpected argument {arg:?}"));
        };
        let (name, inline) = match text.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(OsString::from(v))),
            _ => (text, None),
        };
        if !valued.contains(&name) {
            if inline.is_some() {
                return Err(unexpected(program, text));
            }
            out.push((name.to_owned(), None));
            continue;
        }
        match inline.or_else(|| args.next()) {
            Some(v) if !v.is_empty() => out.push((name.to_owned(), Some(v))),
            _ => return Err(format!("{name} needs a value")),
        }
    }
    Ok(out)
}

/// The error for an argument `program` does not take.
pub fn unexpected(program: &str, arg: &str) -> String {
    format!("unexpected argument '{arg}' (see `{program} --help`)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(args: &[&str]) -> Result<Vec<(String, Option<OsString>)>, String> {
        options("p", args.iter().map(OsString::from), &["--v", "-v"])
    }

    #[test]
    fn values_in_both_forms_flags_alone() {
        let got = lex(&["--v", "a", "--v=b", "-v", "c", "--flag"]).unwrap();
        let want: Vec<(String, Option<OsString>)> = vec![
            ("--v".into(), Some("a".into())),
            ("--v".into(), Some("b".into())),
            ("-v".into(), Some("c".into())),
            ("--flag".into(), None),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn errors_name_the_argument() {
        assert_eq!(lex(&["--v"]), Err("--v needs a value".into()));
        assert_eq!(lex(&["--v="]), Err("--v needs a value".into()));
        assert_eq!(lex(&["--flag=x"]), Err("unexpected argument '--flag=x' (see `p --help`)".into()));
        assert!(options("p", [std::os::unix::ffi::OsStringExt::from_vec(vec![0xff])], &[]).is_err());
    }
}
