//! The generated key table accepts every name the hand-kept table did, for the same code, and
//! names every code as it did: `keys-before-generator.txt` is that old table, captured before it
//! was replaced.

use keymapd_core::keys::{all_names, Key, KEY_CNT};

const BEFORE: &str = include_str!("keys-before-generator.txt");

#[test]
fn every_name_of_the_old_table_resolves_to_the_same_code() {
    let mut names = 0;
    let mut canonical = 0;
    for line in BEFORE.lines().filter(|l| !l.starts_with('#')) {
        let mut fields = line.split(' ');
        let (Some(name), Some(code)) = (fields.next(), fields.next()) else {
            panic!("bad fixture line {line:?}");
        };
        let code: u16 = code.parse().unwrap_or_else(|e| panic!("{line:?}: {e}"));
        assert_eq!(Key::from_name(name).map(Key::code), Some(code), "{name}");
        names += 1;
        if fields.next() == Some("canonical") {
            assert_eq!(Key::new(code).map(Key::name), Some(name), "canonical name of {code}");
            canonical += 1;
        }
    }
    assert_eq!(canonical, KEY_CNT, "every code has one canonical name in the fixture");
    // The old table accepted exactly these names (besides the numbered forms): no name is lost,
    // and none appears that the fixture does not know.
    assert_eq!(names - (canonical - 613), all_names().count());
}
