//! What keymapd's tests, benches and fuzz targets share (a dev-dependency only): the one-line
//! simulator of the behaviour tests (`sim`), the bench workloads and their driver (`workload`),
//! and the invariant checker of the property tests and fuzz targets (`harness`).

// Test code: failing loudly on a broken fixture is its job.
#![forbid(unsafe_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod harness;
pub mod sim;
pub mod workload;
