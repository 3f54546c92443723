//! The `keymapd test --script` format: `<key> down|up|repeat` and `<N>ms` lines in, events out.
//! Pure text handling around the engine; stable, because users paste it into bug reports.
