//! Access view benchmarks: the `/access` question ("which namespaces may this user use, and
//! why") over 2 000 namespaces and 10 000 RoleBindings, and the memory the reflector caches and
//! the snapshot take for that set.
//!
//! The latency is of what a page view costs the server apart from HTML: the snapshot lookup,
//! the domain function and the JSON the server function sends. p99 is measured over single
//! calls, as criterion reports means. Memory is the growth of the process's resident set while
//! the caches are filled (one object at a time, so the generated input is not counted).
//!
//! `cargo bench -p server --bench access -- --quick`

use app::domain::access::{SubjectPrefixes, Viewer};
use criterion::{Criterion, criterion_group, criterion_main};
use k8s_openapi::api::{
    core::v1::Namespace,
    rbac::v1::{RoleBinding, RoleRef, Subject},
};
use kube::{
    api::ObjectMeta,
    core::PartialObjectMeta,
    runtime::{reflector, watcher::Event},
};
use server::access::build_snapshot;
use std::{hint::black_box, time::Instant};

const NAMESPACES: usize = 2_000;
const BINDINGS: usize = 10_000;
const GROUPS: usize = 600;
const USERS: usize = 3_000;
const P99_CALLS: usize = 5_000;
/// Five access bindings per namespace: 2 000 × 5 = 10 000.
const BINDING_NAMES: [&str; 5] = [
    "workload-admin",
    "extra-workload-admins",
    "team-admins",
    "ci-deployers",
    "readers",
];

/// A small deterministic generator (xorshift64*), so every run measures the same data.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        usize::try_from(self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64).unwrap_or(0)
    }
}

fn subject(kind: &str, name: String, namespace: Option<String>) -> Subject {
    Subject {
        api_group: (kind != "ServiceAccount").then(|| "rbac.authorization.k8s.io".into()),
        kind: kind.into(),
        name,
        namespace,
    }
}

/// Binding `i`: 1–3 groups (`oidc:team-N`, prefixed as kube-apiserver sees them), a user in a
/// third of them, a ServiceAccount in a tenth.
fn binding(i: usize, rng: &mut Rng) -> RoleBinding {
    let namespace = format!("tenant-{:04}", i / BINDING_NAMES.len());
    let mut subjects: Vec<Subject> = (0..1 + rng.below(3))
        .map(|_| subject("Group", format!("oidc:team-{}", rng.below(GROUPS)), None))
        .collect();
    if rng.below(3) == 0 {
        subjects.push(subject(
            "User",
            format!("oidc:user{}@example.com", rng.below(USERS)),
            None,
        ));
    }
    if rng.below(10) == 0 {
        subjects.push(subject(
            "ServiceAccount",
            "deployer".into(),
            Some(namespace.clone()),
        ));
    }
    RoleBinding {
        metadata: ObjectMeta {
            name: Some(BINDING_NAMES[i % BINDING_NAMES.len()].into()),
            namespace: Some(namespace),
            resource_version: Some(i.to_string()),
            uid: Some(format!("00000000-0000-0000-0000-{i:012}")),
            ..ObjectMeta::default()
        },
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: "admin".into(),
        },
        subjects: Some(subjects),
    }
}

/// Resident set size of this process, in bytes.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn bench(c: &mut Criterion) {
    let mut rng = Rng(0x5eed_acce55);
    let before = rss();
    let (namespaces, mut namespace_writer) = reflector::store::<PartialObjectMeta<Namespace>>();
    namespace_writer.apply_watcher_event(&Event::Init);
    for i in 0..NAMESPACES {
        let namespace = PartialObjectMeta::<Namespace> {
            types: None,
            metadata: ObjectMeta {
                name: Some(format!("tenant-{i:04}")),
                resource_version: Some(i.to_string()),
                uid: Some(format!("11111111-0000-0000-0000-{i:012}")),
                ..ObjectMeta::default()
            },
            _phantom: std::marker::PhantomData,
        };
        namespace_writer.apply_watcher_event(&Event::InitApply(namespace));
    }
    namespace_writer.apply_watcher_event(&Event::InitDone);
    let mut readers = Vec::new();
    let mut writers = Vec::new();
    for _ in BINDING_NAMES {
        let (reader, mut writer) = reflector::store::<RoleBinding>();
        writer.apply_watcher_event(&Event::Init);
        readers.push(reader);
        writers.push(writer);
    }
    for i in 0..BINDINGS {
        let object = binding(i, &mut rng);
        writers[i % BINDING_NAMES.len()].apply_watcher_event(&Event::InitApply(object));
    }
    for writer in &mut writers {
        writer.apply_watcher_event(&Event::InitDone);
    }
    let after_caches = rss();
    let prefixes = SubjectPrefixes {
        username: "oidc:".into(),
        groups: "oidc:".into(),
    };
    let started = Instant::now();
    let snapshot = build_snapshot(&namespaces, &readers, &prefixes, "workload-admin");
    let rebuild = started.elapsed();
    let after_snapshot = rss();
    assert_eq!(snapshot.namespace_count(), NAMESPACES);
    assert_eq!(snapshot.binding_count(), BINDINGS);
    println!(
        "memory: reflector caches {:.1} MiB, snapshot {:.1} MiB (RSS growth); snapshot rebuild {:.1} ms",
        (after_caches - before) as f64 / 1_048_576.0,
        after_snapshot.saturating_sub(after_caches) as f64 / 1_048_576.0,
        rebuild.as_secs_f64() * 1000.0
    );

    let viewers: Vec<Viewer> = (0..P99_CALLS)
        .map(|_| Viewer {
            username: format!("user{}@example.com", rng.below(USERS)),
            groups: (0..1 + rng.below(3))
                .map(|_| format!("team-{}", rng.below(GROUPS)))
                .collect(),
            is_admin: false,
        })
        .collect();
    let shared = std::sync::Arc::new(snapshot);
    let one_view = |viewer: &Viewer| {
        let snapshot = shared.clone();
        let mine = snapshot.my_namespaces(viewer);
        serde_json::to_vec(&mine)
            .map(|json| json.len())
            .unwrap_or(0)
    };
    let mut times: Vec<u128> = viewers
        .iter()
        .map(|viewer| {
            let started = Instant::now();
            black_box(one_view(viewer));
            started.elapsed().as_micros()
        })
        .collect();
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    let found: usize = viewers.iter().map(|v| shared.my_namespaces(v).len()).sum();
    println!(
        "/access lookup + JSON over {NAMESPACES} namespaces / {BINDINGS} bindings: p50 {} µs, p95 {} µs, p99 {} µs, max {} µs ({:.1} namespaces per user on average)",
        at(0.50),
        at(0.95),
        at(0.99),
        times[times.len() - 1],
        found as f64 / viewers.len() as f64
    );

    let mut i = 0;
    c.bench_function("access/my_namespaces_2000ns_10000rb", |b| {
        b.iter(|| {
            i = (i + 1) % viewers.len();
            black_box(one_view(&viewers[i]))
        });
    });
    c.bench_function("access/admin_matrix_search", |b| {
        b.iter(|| black_box(shared.matrix("team-42")));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
