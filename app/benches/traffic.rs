//! How long "would this traffic be allowed?" takes in a busy namespace: 200 NetworkPolicies and
//! 1 000 Pods (plus ten more namespaces of 100 Pods), target p99 under 5 ms per check. Measures
//! a check on a model built once, building the model, and both together (what a request that
//! builds nothing in advance would pay); then prints p50/p99/max over many different
//! connections, which criterion does not report. Results are recorded in BENCHMARKS.md.
//!
//! `cargo bench -p app --bench traffic`

use std::hint::black_box;
use std::time::{Duration, Instant};

use app::domain::traffic::map::map;
use app::domain::traffic::question::{NamespaceObjects, Platform};
use app::domain::traffic::{Connection, NamespaceInfo, TrafficModel, explain};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "common/traffic_fixtures.rs"]
mod fixtures;

use fixtures::{NAMESPACE, connection, namespaces, pod, pods, policies, policy};

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

/// The policy map of one namespace: `pod_count` Pods (in the 100-Pod one every Pod is its own
/// group: the policies select by app and tier, and no two of these Pods share both) and
/// `policy_count` of the fixture's policies, those that select every Pod without their egress
/// rules (with them, every Pod may only leave the namespace, and the map has no flow at all).
fn map_objects(pod_count: usize, policy_count: usize) -> NamespaceObjects {
    NamespaceObjects {
        namespace: NamespaceInfo::new(NAMESPACE, [("team", "a")]),
        pods: (0..pod_count).map(|i| pod(NAMESPACE, i)).collect(),
        policies: (0..policy_count)
            .map(|k| {
                let mut policy = policy(k);
                if k % 10 == 0
                    && let Some(spec) = policy.spec.as_mut()
                {
                    spec.egress = None;
                    spec.policy_types = None;
                }
                policy
            })
            .collect(),
    }
}

fn policy_map(c: &mut Criterion) {
    let platform = Platform {
        ingress_namespace: "ingress-nginx".into(),
    };
    for (pods, policies) in [(100, 50), (1000, 200)] {
        let objects = map_objects(pods, policies);
        let drawn = map(&objects, &platform);
        eprintln!(
            "traffic/map/{pods}-pods-{policies}-policies: {} groups, {} flows",
            drawn.groups.len(),
            drawn.flows.len()
        );
        percentiles(
            &format!("traffic/map/{pods}-pods-{policies}-policies"),
            if pods > 100 { 5 } else { 200 },
            |_| {
                black_box(map(&objects, &platform));
            },
        );
        if pods == 100 {
            c.bench_function(
                &format!("traffic/map/{pods}-pods-{policies}-policies"),
                |b| b.iter(|| map(black_box(&objects), &platform)),
            );
        }
        // What the page adds on the server: the map drawn and tabled as HTML (built with
        // `--features ssr`; the browser never draws it). Whole, and for one group's flows.
        #[cfg(feature = "ssr")]
        {
            let first = drawn.groups[0].pods[0].clone();
            for (what, focus) in [
                ("map-html", None),
                ("map-html-one-group", Some(first.as_str())),
            ] {
                let html = app::features::traffic::map_html(&drawn, focus);
                eprintln!(
                    "traffic/{what}/{pods}-pods-{policies}-policies: {} bytes",
                    html.len()
                );
                percentiles(
                    &format!("traffic/{what}/{pods}-pods-{policies}-policies"),
                    if pods > 100 { 5 } else { 100 },
                    |_| {
                        black_box(app::features::traffic::map_html(&drawn, focus));
                    },
                );
            }
        }
    }
}

criterion_group!(benches, traffic, policy_map);
criterion_main!(benches);
