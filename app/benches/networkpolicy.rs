//! How long generating a NetworkPolicy takes (target: under 50 µs per policy), for the presets,
//! a large hand-written spec and the kubectl run recipe. Results are recorded in BENCHMARKS.md.

use app::domain::networkpolicy::{
    LintConfig, Peer, Preset, PresetOptions, Rule, RunRecipeConfig, RunRecipeSpec,
    build_run_recipe, generate,
    model::{Label, PortSpec},
};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn presets(c: &mut Criterion) {
    let lint = LintConfig {
        pod_cidrs: vec!["10.244.0.0/16".parse().expect("CIDR")],
        service_cidrs: vec!["10.96.0.0/12".parse().expect("CIDR")],
    };
    for preset in [
        Preset::DefaultDenyAllExceptDns,
        Preset::AllowFromIngressController,
        Preset::FaqAllowAll,
    ] {
        let spec = preset.build("team-a-shop", &PresetOptions::default());
        c.bench_function(&format!("generate/{}", preset.id()), |b| {
            b.iter(|| generate(black_box(&spec), &lint).expect("valid"))
        });
    }

    // A busy policy: 20 ingress rules, each with three peers and four ports.
    let mut spec = Preset::DefaultDenyAllExceptDns.build("team-a-shop", &PresetOptions::default());
    spec.ingress = (0..20)
        .map(|i| {
            Rule::new(
                vec![
                    Peer::PodsInNamespace {
                        labels: vec![Label::new("app", format!("client-{i}"))],
                    },
                    Peer::NamespaceByName {
                        name: format!("team-{i}"),
                    },
                    Peer::IpBlock {
                        cidr: format!("203.0.{i}.0/24"),
                        except: vec![format!("203.0.{i}.7/32")],
                    },
                ],
                vec![
                    PortSpec::tcp(80),
                    PortSpec::tcp(443),
                    PortSpec::udp(53),
                    PortSpec::tcp(8080),
                ],
            )
        })
        .collect();
    c.bench_function("generate/20-rules-60-peers", |b| {
        b.iter(|| generate(black_box(&spec), &lint).expect("valid"))
    });

    let recipe = RunRecipeSpec {
        image: "harbor.example.com/team/debug-tools:1.4.2".into(),
        ..RunRecipeSpec::example()
    };
    let registries = RunRecipeConfig {
        allowed_registry_prefixes: vec!["harbor.example.com/".into()],
    };
    c.bench_function("run-recipe/blah", |b| {
        b.iter(|| build_run_recipe(black_box(&recipe), &registries, &lint).expect("valid"))
    });
}

criterion_group!(benches, presets);
criterion_main!(benches);
