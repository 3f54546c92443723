//! Engine throughput: input events per second through `Engine::process`/`tick` and the `Merger`,
//! into a frame buffer allocated once, exactly as the daemon drives them. `cargo bench --bench engine`.

mod common;

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

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
criterion_main!(benches);
