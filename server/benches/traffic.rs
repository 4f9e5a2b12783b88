//! The live traffic check as `POST /api/v1/networkpolicies/check` with a `namespace` makes it:
//! the caller's access to the namespaces, the Pods and NetworkPolicies of the connection's
//! namespaces taken from the watched stores, the model built over them and the connection
//! decided. The cluster is the engine benchmark's (`app/benches/traffic.rs`): one namespace of
//! 200 NetworkPolicies and 1 000 Pods, ten more of 100 Pods. Target: p99 under 5 ms. p99 is
//! measured over single calls, as criterion reports means.
//!
//! `cargo bench -p server --bench traffic -- --quick`

#[path = "../../app/benches/common/traffic_fixtures.rs"]
mod fixtures;

use app::domain::access::{AccessSnapshot, SubjectPrefixes, Viewer};
use app::domain::traffic::PodInfo;
use app::features::access::model::ClusterStatus;
use app::ports::{AccessView, Traffic};
use criterion::{Criterion, criterion_group, criterion_main};
use k8s_openapi::api::core::v1::Pod;
use server::traffic::{cache::LiveObjects, service::TrafficService};
use std::{hint::black_box, sync::Arc, time::Instant};

// As the portal's binary runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CALLS: usize = 1_000;

/// Every namespace of the fixtures, with its labels, for an administrator.
#[derive(Debug)]
struct Everyone(Arc<AccessSnapshot>);

impl AccessView for Everyone {
    fn snapshot(&self) -> Arc<AccessSnapshot> {
        self.0.clone()
    }
    fn cluster_status(&self) -> ClusterStatus {
        ClusterStatus::Connected
    }
    fn primary_binding(&self) -> String {
        "workload-admin".into()
    }
}

/// The Pod object a watch would hold for `info`.
fn pod_object(info: &PodInfo) -> Pod {
    let ports: Vec<serde_json::Value> = info
        .ports
        .iter()
        .map(|port| {
            serde_json::json!({ "name": port.name, "containerPort": port.number,
                                "protocol": port.protocol.as_str() })
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "metadata": { "name": info.name, "namespace": info.namespace, "labels": info.labels },
        "spec": { "containers": [{ "name": "app", "image": "harbor.example.com/shop/app:1.0",
                                   "ports": ports }] }
    }))
    .expect("a Pod")
}

fn bench(c: &mut Criterion) {
    let namespaces = fixtures::namespaces();
    let snapshot = AccessSnapshot::new(
        namespaces.iter().map(|namespace| namespace.name.clone()),
        [],
        SubjectPrefixes::default(),
        "workload-admin",
    )
    .with_labels(
        namespaces
            .iter()
            .map(|namespace| (namespace.name.clone(), namespace.labels.clone())),
    );
    let objects = LiveObjects::fixed(
        fixtures::pods().iter().map(pod_object).collect(),
        fixtures::policies(),
    );
    let service = TrafficService::new(Some(objects), Arc::new(Everyone(Arc::new(snapshot))));
    let admin = Viewer {
        username: "root".into(),
        groups: vec!["platform-admins".into()],
        is_admin: true,
    };
    let connections: Vec<_> = (0..1000).map(fixtures::connection).collect();
    let denied = connections
        .iter()
        .filter(|connection| {
            !service
                .check(fixtures::NAMESPACE, connection, Some(&admin))
                .expect("every Pod exists")
                .allowed
        })
        .count();

    let mut times: Vec<u128> = (0..CALLS)
        .map(|i| {
            let started = Instant::now();
            let _ = black_box(service.check(
                fixtures::NAMESPACE,
                black_box(&connections[i % connections.len()]),
                Some(&admin),
            ));
            started.elapsed().as_micros()
        })
        .collect();
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "live traffic check, 200 policies and 1 000 Pods in the namespace ({denied} of {} connections denied): p50 {} µs, p95 {} µs, p99 {} µs, max {} µs over {CALLS} calls",
        connections.len(),
        at(0.50),
        at(0.95),
        at(0.99),
        times[times.len() - 1],
    );
    let mut i = 0;
    c.bench_function("traffic/live-check/200-policies-1000-pods", |b| {
        b.iter(|| {
            i = (i + 1) % connections.len();
            black_box(service.check(fixtures::NAMESPACE, &connections[i], Some(&admin)))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
