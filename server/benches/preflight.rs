//! Preflight benchmarks: a 20-document Helm-style output (Deployments, Services, ConfigMaps)
//! checked against 10 Gatekeeper templates with one constraint each and Pod Security, the whole
//! port call as the page and the API make it (reading the YAML, every object and the Pods each
//! workload creates, the fixes and their re-check); and the memory the compiled templates take.
//!
//! The templates are the four of `tests/gatekeeper/preflight/templates.yaml` (the shape of
//! Welkin's rules), each also under other kinds, to make ten. p99 is measured over single
//! calls, as criterion reports means.
//!
//! `cargo bench -p server --bench preflight -- --quick`

use app::domain::preflight::rules::RulesStatus;
use app::ports::{Preflight, PreflightTarget};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use server::preflight::{
    cluster::{LiveRules, RulesSnapshot},
    gatekeeper::{Constraint, ConstraintTemplate},
    manifests,
    service::PreflightService,
};
use std::{collections::BTreeMap, hint::black_box, time::Instant};

// As the portal's binary runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TEMPLATES: &str = include_str!("../../tests/gatekeeper/preflight/templates.yaml");
const TEMPLATE_COUNT: usize = 10;
const CALLS: usize = 300;

/// Resident set size of this process, in bytes.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn parameters(kind: &str) -> Value {
    match kind {
        "K8sAllowedRepos" => json!({ "repos": ["harbor.example.com/"] }),
        "K8sDisallowedTags" => json!({ "tags": ["latest"] }),
        "K8sMinimumReplicas" => json!({ "min_replicas": 2 }),
        _ => json!({}),
    }
}

/// Ten templates and one constraint of each.
fn rules() -> (Vec<ConstraintTemplate>, Vec<Constraint>) {
    // The first four (registries, tags, requests, replicas) read the pod spec, as most rules
    // do; the NetworkPolicy and budget templates after them would answer at once here.
    let base: Vec<ConstraintTemplate> = manifests::read(TEMPLATES)
        .expect("the templates")
        .iter()
        .take(4)
        .map(|document| ConstraintTemplate::from_value(&document.value).expect("a template"))
        .collect();
    let mut templates = Vec::new();
    let mut constraints = Vec::new();
    for index in 0..TEMPLATE_COUNT {
        let mut template = base[index % base.len()].clone();
        let base_kind = template.kind.clone();
        if index >= base.len() {
            template.kind = format!("{base_kind}{index}");
            template.name = template.kind.to_ascii_lowercase();
        }
        constraints.push(
            Constraint::from_value(&json!({
                "kind": template.kind,
                "metadata": { "name": format!("rule-{index}") },
                "spec": {
                    "enforcementAction": if index % 3 == 0 { "warn" } else { "deny" },
                    "match": { "kinds": [
                        { "apiGroups": [""], "kinds": ["Pod"] },
                        { "apiGroups": ["apps"], "kinds": ["Deployment"] }
                    ] },
                    "parameters": parameters(&base_kind),
                }
            }))
            .expect("a constraint"),
        );
        templates.push(template);
    }
    (templates, constraints)
}

/// What `helm template` prints for a small application: 10 Deployments (half of them with
/// problems), 6 Services and 4 ConfigMaps.
fn helm_output() -> String {
    let mut documents = Vec::new();
    for index in 0..10 {
        let (image, requests) = if index % 2 == 0 {
            (
                format!("harbor.example.com/shop/svc{index}:1.{index}"),
                "\n          resources:\n            requests:\n              cpu: 50m\n              memory: 64Mi",
            )
        } else {
            (format!("svc{index}:latest"), "")
        };
        documents.push(format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc{index}\n  labels:\n    app.kubernetes.io/name: svc{index}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: svc{index}\n  template:\n    metadata:\n      labels:\n        app: svc{index}\n    spec:\n      securityContext:\n        runAsNonRoot: true\n        seccompProfile:\n          type: RuntimeDefault\n      containers:\n        - name: app\n          image: {image}{requests}\n          securityContext:\n            allowPrivilegeEscalation: false\n            capabilities:\n              drop: [ALL]\n        - name: sidecar\n          image: harbor.example.com/shop/proxy:2.0\n          resources:\n            requests:\n              cpu: 10m\n              memory: 16Mi",
            replicas = 1 + index % 3,
        ));
    }
    for index in 0..6 {
        documents.push(format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc{index}\nspec:\n  selector:\n    app: svc{index}\n  ports:\n    - port: 80\n      targetPort: 8080"
        ));
    }
    for index in 0..4 {
        documents.push(format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config{index}\ndata:\n  LOG_LEVEL: info"
        ));
    }
    format!("---\n{}\n", documents.join("\n---\n"))
}

fn bench(c: &mut Criterion) {
    let (templates, constraints) = rules();
    let before = rss();
    let snapshot = RulesSnapshot::current(
        &templates,
        constraints,
        RulesStatus::Current {
            templates: TEMPLATE_COUNT,
            constraints: TEMPLATE_COUNT,
        },
    );
    let compiled = rss().saturating_sub(before);
    let labels: BTreeMap<String, String> = ["enforce", "audit", "warn"]
        .iter()
        .map(|mode| {
            (
                format!("pod-security.kubernetes.io/{mode}"),
                "restricted".to_owned(),
            )
        })
        .collect();
    let service = PreflightService::new(
        labels,
        app::domain::preflight::advice::Platform {
            allowed_registries: vec!["harbor.example.com/".into()],
        },
        LiveRules::fixed(snapshot),
        std::sync::Arc::new(server::access::NoCluster {
            primary_binding: "workload-admin".into(),
        }),
    );
    let text = helm_output();
    let answer = service
        .check(&text, &PreflightTarget::NewNamespace)
        .expect("an answer");
    assert_eq!(answer.objects.len(), 20);
    let refused = answer
        .objects
        .iter()
        .filter(|object| object.verdict == app::domain::preflight::report::Verdict::Refused)
        .count();
    let rules_checked: usize = answer
        .objects
        .iter()
        .map(|object| object.rules.len() + object.pod_rules.len())
        .sum();

    let mut times: Vec<u128> = (0..CALLS)
        .map(|_| {
            let started = Instant::now();
            let _ = black_box(
                service
                    .check(black_box(&text), &PreflightTarget::NewNamespace)
                    .map(|a| a.objects.len()),
            );
            started.elapsed().as_micros()
        })
        .collect();
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    println!(
        "preflight of {} bytes, 20 documents, {TEMPLATE_COUNT} templates ({rules_checked} rule evaluations, {refused} objects refused): p50 {} µs, p95 {} µs, p99 {} µs, max {} µs over {CALLS} calls; compiled templates: {:.1} MiB resident",
        text.len(),
        at(0.50),
        at(0.95),
        at(0.99),
        times[times.len() - 1],
        compiled as f64 / (1024.0 * 1024.0)
    );
    c.bench_function("preflight/20_documents_10_templates", |b| {
        b.iter(|| {
            black_box(
                service
                    .check(black_box(&text), &PreflightTarget::NewNamespace)
                    .map(|a| a.objects.len()),
            )
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
