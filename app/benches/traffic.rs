//! How long "would this traffic be allowed?" takes in a busy namespace: 200 NetworkPolicies and
//! 1 000 Pods (plus ten more namespaces of 100 Pods), target p99 under 5 ms per check. Measures
//! a check on a model built once, building the model, and both together (what a request that
//! builds nothing in advance would pay); then prints p50/p99/max over many different
//! connections, which criterion does not report. Results are recorded in BENCHMARKS.md.
//!
//! `cargo bench -p app --bench traffic`

use std::hint::black_box;
use std::time::{Duration, Instant};

use app::domain::traffic::{Connection, TrafficModel, explain};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "common/traffic_fixtures.rs"]
mod fixtures;

use fixtures::{connection, namespaces, pods, policies};

/// p50, p99 and max of `run` over `rounds` calls, each on the next of `connections`.
fn percentiles(label: &str, rounds: usize, mut run: impl FnMut(usize)) {
    let mut times: Vec<Duration> = (0..rounds)
        .map(|i| {
            let started = Instant::now();
            run(i);
            started.elapsed()
        })
        .collect();
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    eprintln!(
        "{label}: p50 {:?}, p99 {:?}, max {:?} over {rounds} runs",
        at(0.50),
        at(0.99),
        times[times.len() - 1]
    );
}

fn traffic(c: &mut Criterion) {
    let (policies, namespaces, pods) = (policies(), namespaces(), pods());
    let model = TrafficModel::new(&policies, namespaces.clone(), pods.clone());
    assert!(model.problems().is_empty(), "{:?}", model.problems());
    let connections: Vec<Connection> = (0..1000).map(connection).collect();
    for connection in &connections {
        model.check(connection).expect("every Pod exists");
    }

    percentiles("traffic/check (model built once)", 20_000, |i| {
        black_box(
            model
                .check(&connections[i % connections.len()])
                .expect("valid"),
        );
    });
    percentiles("traffic/model+check", 300, |i| {
        let model = TrafficModel::new(&policies, namespaces.clone(), pods.clone());
        black_box(
            model
                .check(&connections[i % connections.len()])
                .expect("valid"),
        );
    });

    let mut i = 0;
    c.bench_function("traffic/check/200-policies-1000-pods", |b| {
        b.iter(|| {
            i = (i + 1) % connections.len();
            model.check(black_box(&connections[i])).expect("valid")
        })
    });
    // The worst case among them: the destination isolated by the most policies.
    let worst = connections
        .iter()
        .max_by_key(|c| {
            let answer = model.check(c).expect("valid");
            answer.ingress.map_or(0, |i| i.isolated_by.len())
                + answer.egress.map_or(0, |e| e.isolated_by.len())
        })
        .expect("connections")
        .clone();
    c.bench_function("traffic/check/most-isolated", |b| {
        b.iter(|| model.check(black_box(&worst)).expect("valid"))
    });
    let answer = model.check(&worst).expect("valid");
    eprintln!(
        "traffic/most-isolated: isolated by {} policies for ingress and {} for egress",
        answer.ingress.as_ref().map_or(0, |i| i.isolated_by.len()),
        answer.egress.as_ref().map_or(0, |e| e.isolated_by.len()),
    );
    c.bench_function("traffic/explain/most-isolated", |b| {
        b.iter(|| explain(black_box(&answer)))
    });
    c.bench_function("traffic/model/200-policies-1000-pods", |b| {
        b.iter(|| TrafficModel::new(black_box(&policies), namespaces.clone(), pods.clone()))
    });
}

criterion_group!(benches, traffic);
criterion_main!(benches);
