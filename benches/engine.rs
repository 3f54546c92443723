//! Engine throughput: input events per second through `Engine::process`/`tick` and the `Merger`,
//! into a frame buffer allocated once, exactly as the daemon drives them. `cargo bench --bench engine`.
// Test code: failing loudly is its job (the workspace [lints] deny this elsewhere).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keymapd_testkit::workload as common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, Criterion, Throughput};

use common::{Driver, Workload};

/// Events per stream: enough to cover every branch of the generators many times over.
const EVENTS: usize = 100_000;

fn bench_profile(c: &mut Criterion, name: &str, profile: &str, stream: Workload) {
    let keymap = match common::load(profile) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("engine/{name}: skipped, {profile} does not load:\n{e}");
            return;
        }
    };
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(stream.len() as u64));
    group.measurement_time(Duration::from_secs(6));
    group.sample_size(30);
    let mut driver = Driver::new(keymap);
    driver.replay(&stream); // warm up: every table touched, the frame buffer at its size
    group.bench_function(name, |b| {
        b.iter(|| {
            driver.replay(black_box(&stream));
            black_box(driver.checksum)
        })
    });
    group.finish();
    let per_replay = driver.emitted as f64 / driver.base.as_secs_f64() * stream.span.as_secs_f64();
    eprintln!(
        "engine/{name}: {} input events per replay, ~{per_replay:.0} output events per replay",
        stream.len()
    );
}

fn engine(c: &mut Criterion) {
    bench_profile(c, "swap", common::SWAP, common::swap_stream(1, EVENTS));
    bench_profile(c, "layers", common::LAYERS, common::layers_stream(2, EVENTS));
    bench_profile(c, "heavy", common::HEAVY, common::heavy_stream(3, EVENTS));
}

criterion_group!(benches, engine);

/// `KEYMAPD_BENCH_REPLAYS=N cargo bench --bench engine -- PROFILE` (or the bench binary run under
/// `valgrind --tool=callgrind --toggle-collect='*Driver*replay*'`) replays PROFILE's stream N
/// times without criterion and prints the event count, so that instructions per event can be
/// counted. Otherwise: the criterion benches.
fn main() {
    if let Ok(n) = std::env::var("KEYMAPD_BENCH_REPLAYS") {
        let n: usize = n.parse().expect("KEYMAPD_BENCH_REPLAYS is a number");
        let which = std::env::args().skip(1).find(|a| !a.starts_with('-')).unwrap_or_else(|| "swap".into());
        let (profile, stream) = match which.as_str() {
            "swap" => (common::SWAP, common::swap_stream(1, EVENTS)),
            "layers" => (common::LAYERS, common::layers_stream(2, EVENTS)),
            "heavy" => (common::HEAVY, common::heavy_stream(3, EVENTS)),
            other => panic!("unknown profile `{other}`: swap, layers or heavy"),
        };
        let keymap = common::load(profile).unwrap_or_else(|e| panic!("{e}"));
        let mut driver = Driver::new(keymap);
        for _ in 0..n {
            driver.replay(black_box(&stream));
        }
        println!(
            "{which}: {} replays of {} input events = {} events in, {} events out (checksum {:x})",
            n,
            stream.len(),
            n * stream.len(),
            driver.emitted,
            driver.checksum
        );
        return;
    }
    benches();
    criterion::Criterion::default().configure_from_args().final_summary();
}
