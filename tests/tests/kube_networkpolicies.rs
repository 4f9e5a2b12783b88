//! Every NetworkPolicy the generator emits is accepted by a real kube-apiserver: the YAML, exactly
//! as a developer pastes it into `kubectl apply`, is sent with a server-side dry run, and what the
//! API server parsed equals the manifest the portal showed.

use app::domain::networkpolicy::{
    LintConfig, Preset, PresetOptions, RunRecipeConfig, RunRecipeSpec, build_run_recipe, generate,
    model::{Label, Peer, PolicySpec, PolicyTypes, PortSpec, Rule, Target},
};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};
use portal_tests::TestCluster;
use serde_json::Value;

/// Sends `yaml` as a server-side dry-run create and returns what the API server made of it.
async fn dry_run_create(
    client: &kube::Client,
    namespace: &str,
    yaml: &str,
) -> Result<Value, String> {
    let request = http::Request::post(format!(
        "/apis/networking.k8s.io/v1/namespaces/{namespace}/networkpolicies?dryRun=All&fieldValidation=Strict"
    ))
    .header("content-type", "application/yaml")
    .body(yaml.as_bytes().to_vec())
    .expect("a request");
    let text = client
        .request_text(request)
        .await
        .map_err(|error| error.to_string())?;
    serde_json::from_str(&text).map_err(|error| format!("{error}: {text}"))
}

async fn namespace(client: &kube::Client, name: &str) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let mut namespace = Namespace::default();
    namespace.metadata.name = Some(name.to_owned());
    match namespaces.create(&PostParams::default(), &namespace).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(error) => panic!("create namespace {name}: {error}"),
    }
}

fn tricky_labels() -> PolicySpec {
    // Label values that YAML 1.1 would read as booleans, null or numbers unless quoted.
    let values = [
        "true", "yes", "on", "off", "null", "1.0", "0x1F", "1e3", "08", "y", "n", "NO", "True", "",
    ];
    PolicySpec {
        name: "tricky-labels".into(),
        namespace: "np-dry-run".into(),
        target: Target::Labels {
            labels: values
                .iter()
                .enumerate()
                .map(|(i, v)| Label::new(format!("k{i}"), *v))
                .collect(),
        },
        policy_types: PolicyTypes {
            ingress: true,
            egress: true,
        },
        ingress: vec![Rule::new(
            vec![Peer::PodsInNamespace {
                labels: vec![Label::new("on", "yes")],
            }],
            vec![PortSpec::tcp(8080)],
        )],
        egress: vec![],
        allow_dns: true,
    }
}

#[tokio::test]
async fn the_api_server_accepts_every_generated_policy_exactly_as_shown() {
    let cluster = TestCluster::shared();
    let client = cluster.admin_client().await;
    namespace(&client, "np-dry-run").await;

    let mut specs: Vec<(String, PolicySpec)> = Preset::ALL
        .into_iter()
        .map(|preset| {
            (
                preset.id().to_owned(),
                preset.build("np-dry-run", &PresetOptions::default()),
            )
        })
        .collect();
    specs.push(("tricky-labels".into(), tricky_labels()));

    for (what, spec) in specs {
        let generated = generate(&spec, &LintConfig::default()).expect("a valid preset");
        let accepted = dry_run_create(&client, "np-dry-run", &generated.yaml)
            .await
            .unwrap_or_else(|error| panic!("{what} refused: {error}\n{}", generated.yaml));
        assert_eq!(
            accepted["spec"], generated.manifest_json["spec"],
            "{what}: the API server read\n{}",
            generated.yaml
        );
        assert_eq!(
            accepted["metadata"]["name"], generated.manifest_json["metadata"]["name"],
            "{what}"
        );
    }
}

#[tokio::test]
async fn the_api_server_accepts_the_run_recipe_policy() {
    let cluster = TestCluster::shared();
    let client = cluster.admin_client().await;
    namespace(&client, "np-run-recipe").await;
    let spec = RunRecipeSpec {
        image: "harbor.example.com/team/debug-tools:1.4.2".into(),
        namespace: "np-run-recipe".into(),
        ..RunRecipeSpec::example()
    };
    let registries = RunRecipeConfig {
        allowed_registry_prefixes: vec!["harbor.example.com/".into()],
    };
    let recipe = build_run_recipe(&spec, &registries, &LintConfig::default()).expect("valid");
    let accepted = dry_run_create(&client, "np-run-recipe", &recipe.policy.yaml)
        .await
        .expect("accepted");
    assert_eq!(
        accepted["spec"]["podSelector"]["matchLabels"]["run"],
        "blah"
    );
}
