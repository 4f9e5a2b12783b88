//! The Helm chart in `deploy/chart/` is what ships. `helm` (built from its Go module by
//! `tests/helm/build.sh`) lints it and renders it; every document it renders is applied to a real
//! kube-apiserver by server-side apply with strict field validation (namespaced objects for real
//! into a namespace of the test's own that enforces Pod Security `restricted`, cluster-scoped
//! ones as a dry run, since they are the ones `install_portal_rbac` installs for the other tests).
//! Then the objects the API server answered with are checked against what Welkin admits:
//! Gatekeeper's rules (CPU and memory requests, images from Harbor with a tag that is not
//! `latest`, a NetworkPolicy that selects the Pods, a PodDisruptionBudget that allows a
//! disruption) and Pod Security `restricted`, enforced by the API server itself on a Pod made
//! from the Deployment's template. The configuration file the chart renders is loaded by the
//! portal's own configuration code, which refuses unknown keys.
//!
//! "Defaults" are the chart's defaults with only what it requires: the issuer and the client
//! secret (`ci/minimal-values.yaml`). The production file (`ci/production-values.yaml`) turns on
//! PostgreSQL, three replicas, kubeconfig downloads, a FAQ, the ServiceMonitor and the
//! PrometheusRule: their CRDs are not in the test API server, so the test first installs the real
//! ones from the Prometheus Operator's Go module (`tests/helm/crds.sh`).
//!
//! The container image (`deploy/Containerfile`) is built by `deploy/build-image.sh --dev` from
//! this machine's debug build and run with podman the way the chart runs it.

use portal_tests::{
    TestCluster,
    helm::{self, Manifest},
};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const RELEASE: &str = "welkin-portal";
const CLUSTER_SCOPED: &[&str] = &[
    "ClusterRole",
    "ClusterRoleBinding",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "CustomResourceDefinition",
    "Namespace",
];

/// What one install left in the API server: every object as the API server answered.
struct Installed {
    namespace: String,
    objects: Vec<(String, String, Value)>,
}

impl Installed {
    fn all(&self, kind: &str) -> Vec<&Value> {
        self.objects
            .iter()
            .filter(|(k, _, _)| k == kind)
            .map(|(_, _, object)| object)
            .collect()
    }

    fn one(&self, kind: &str) -> &Value {
        let all = self.all(kind);
        assert_eq!(
            all.len(),
            1,
            "expected one {kind}, the chart rendered {}",
            all.len()
        );
        all[0]
    }

    fn named(&self, kind: &str, name: &str) -> &Value {
        self.objects
            .iter()
            .find(|(k, n, _)| k == kind && n == name)
            .map(|(_, _, object)| object)
            .unwrap_or_else(|| panic!("the chart rendered no {kind} {name}"))
    }

    fn pod_template(&self) -> &Value {
        &self.one("Deployment")["spec"]["template"]
    }

    /// The rendered `config.toml`, as `key = value` lines (the chart writes one key a line).
    fn config(&self) -> BTreeMap<String, String> {
        let text = self.config_text();
        text.lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .map(|line| {
                let (key, value) = line.split_once(" = ").expect("key = value");
                (key.to_owned(), value.to_owned())
            })
            .collect()
    }

    fn config_text(&self) -> String {
        self.named("ConfigMap", RELEASE)["data"]["config.toml"]
            .as_str()
            .expect("config.toml in the ConfigMap")
            .to_owned()
    }
}

/// A namespace of the test's own, labelled as Welkin labels user namespaces.
async fn namespace(client: &kube::Client, name: &str) {
    let yaml = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    \
         pod-security.kubernetes.io/enforce: restricted\n    \
         pod-security.kubernetes.io/audit: restricted\n    \
         pod-security.kubernetes.io/warn: restricted\n"
    );
    for manifest in helm::documents(&yaml) {
        helm::apply(client, &manifest, false)
            .await
            .expect("create the test namespace");
    }
}

/// Renders the chart into `namespace` with `values` and applies every document.
async fn install(namespace_name: &str, values: &[&str]) -> Installed {
    let admin = TestCluster::shared().admin_client().await;
    namespace(&admin, namespace_name).await;
    let rendered = helm::render(RELEASE, namespace_name, values, &[], &[])
        .unwrap_or_else(|error| panic!("helm template with {values:?}: {error}"));
    let manifests = helm::documents(&rendered);
    assert!(
        manifests.len() >= 10,
        "only {} documents rendered",
        manifests.len()
    );
    let mut objects = Vec::new();
    for manifest in &manifests {
        let cluster_scoped = CLUSTER_SCOPED.contains(&manifest.kind.as_str());
        // `helm template | kubectl apply` must land every namespaced object in the release's
        // namespace, so each one names it.
        if !cluster_scoped {
            assert_eq!(
                manifest.namespace.as_deref(),
                Some(namespace_name),
                "{} {} does not name the release's namespace",
                manifest.kind,
                manifest.name
            );
        }
        let object = helm::apply(&admin, manifest, cluster_scoped)
            .await
            .unwrap_or_else(|error| {
                panic!("the API server refused what the chart renders with {values:?}: {error}")
            });
        objects.push((manifest.kind.clone(), manifest.name.clone(), object));
    }
    Installed {
        namespace: namespace_name.to_owned(),
        objects,
    }
}

/// The containers and init containers of the Pod template.
fn containers(template: &Value) -> Vec<&Value> {
    let spec = &template["spec"];
    let mut all: Vec<&Value> = spec["initContainers"]
        .as_array()
        .map(|list| list.iter().collect())
        .unwrap_or_default();
    all.extend(spec["containers"].as_array().expect("containers"));
    all
}

fn container<'a>(template: &'a Value, name: &str) -> &'a Value {
    containers(template)
        .into_iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container {name}"))
}

/// `selector` (matchLabels) selects `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    let wanted = selector["matchLabels"].as_object().expect("matchLabels");
    selector.get("matchExpressions").is_none()
        && wanted
            .iter()
            .all(|(key, value)| labels.get(key) == Some(value))
}

/// What Welkin admits, checked on the objects the API server stored.
async fn check_what_welkin_admits(installed: &Installed) {
    let template = installed.pod_template();
    let labels = &template["metadata"]["labels"];

    // Gatekeeper: CPU and memory requests on every container (deny).
    for c in containers(template) {
        for resource in ["cpu", "memory"] {
            assert!(
                c["resources"]["requests"][resource].is_string(),
                "container {} has no {resource} request: {}",
                c["name"],
                c["resources"]
            );
        }
        // Trusted registries (Harbor, never Docker Hub) and an image tag that is not `latest`.
        let image = c["image"].as_str().expect("an image");
        assert!(image.starts_with("harbor."), "{image} is not from Harbor");
        let (_, tag) = image
            .split('@')
            .next()
            .and_then(|reference| reference.rsplit_once('/'))
            .and_then(|(_, last)| last.split_once(':'))
            .unwrap_or_else(|| panic!("{image} has no tag"));
        assert!(!tag.is_empty() && tag != "latest", "{image}: bad tag");
    }

    // Gatekeeper: every Pod selected by a NetworkPolicy; and what the portal's own allows.
    let policy = installed.named("NetworkPolicy", RELEASE);
    assert!(selects(&policy["spec"]["podSelector"], labels));
    assert_eq!(policy["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    let ingress = policy["spec"]["ingress"].as_array().expect("ingress rules");
    let ports: Vec<&Value> = ingress.iter().map(|rule| &rule["ports"]).collect();
    assert_eq!(
        ports,
        [
            &json!([{ "protocol": "TCP", "port": "http" }]),
            &json!([{ "protocol": "TCP", "port": "metrics" }]),
        ],
        "in from the ingress controller to http and from Prometheus to metrics, nothing else"
    );
    assert_eq!(
        ingress[0]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        "ingress-nginx"
    );
    assert_eq!(
        ingress[1]["from"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        "monitoring"
    );
    let egress = policy["spec"]["egress"].as_array().expect("egress rules");
    let egress_ports: Vec<i64> = egress
        .iter()
        .flat_map(|rule| {
            rule["ports"]
                .as_array()
                .expect("ports on every egress rule")
        })
        .map(|port| port["port"].as_i64().expect("numbered egress ports"))
        .collect();
    for port in [53, 6443, 443] {
        assert!(
            egress_ports.contains(&port),
            "no egress to port {port}: {egress_ports:?}"
        );
    }

    // Gatekeeper: the PodDisruptionBudget must allow one disruption (deny).
    let budget = installed.one("PodDisruptionBudget");
    assert!(
        budget["spec"]["maxUnavailable"]
            .as_i64()
            .expect("maxUnavailable")
            >= 1
    );
    assert!(selects(&budget["spec"]["selector"], labels));
    assert!(selects(
        &json!({ "matchLabels": installed.one("Service")["spec"]["selector"] }),
        labels
    ));

    // Pod Security `restricted`, enforced by the API server: a Pod made from the template is
    // admitted in this namespace; the same Pod with one container allowed to escalate is not.
    let admin = TestCluster::shared().admin_client().await;
    let pods =
        kube::Api::<k8s_openapi::api::core::v1::Pod>::namespaced(admin, &installed.namespace);
    let dry_run = kube::api::PostParams {
        dry_run: true,
        ..Default::default()
    };
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": { "name": "portal-pod-security-probe", "labels": labels },
        "spec": template["spec"],
    });
    let as_pod = |value: &Value| -> k8s_openapi::api::core::v1::Pod {
        serde_json::from_value(value.clone()).expect("a Pod")
    };
    if let Err(error) = pods.create(&dry_run, &as_pod(&pod)).await {
        panic!("a Pod of the chart's template is refused in a restricted namespace: {error}");
    }
    pod["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = json!(true);
    match pods.create(&dry_run, &as_pod(&pod)).await {
        Err(kube::Error::Api(status)) => assert!(
            status.message.contains("violates PodSecurity \"restricted"),
            "{}",
            status.message
        ),
        other => panic!("Pod Security did not refuse an escalating container: {other:?}"),
    }

    // The rest of the Pod: no service links, the probes, the ports, the migration first.
    let spec = &template["spec"];
    assert_eq!(spec["enableServiceLinks"], false);
    assert_eq!(spec["automountServiceAccountToken"], true);
    assert_eq!(spec["serviceAccountName"], RELEASE);
    let portal = container(template, "portal");
    assert_eq!(portal["args"], json!(["serve"]));
    assert_eq!(container(template, "migrate")["args"], json!(["migrate"]));
    assert_eq!(spec["initContainers"][0]["name"], "migrate");
    assert_eq!(
        portal["ports"],
        json!([
            { "name": "http", "containerPort": 3000, "protocol": "TCP" },
            { "name": "metrics", "containerPort": 9090, "protocol": "TCP" },
        ])
    );
    for (probe, path) in [
        ("startupProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
        ("livenessProbe", "/healthz"),
    ] {
        assert_eq!(portal[probe]["httpGet"]["path"], path, "{probe}");
        assert_eq!(portal[probe]["httpGet"]["port"], "http", "{probe}");
    }

    // The portal's configuration, as the chart renders it: accepted by the portal's own loader
    // (unknown keys are errors there), with the addresses the Pod's ports and probes expect.
    let config = installed.config();
    assert_eq!(config["listen_addr"], "\"0.0.0.0:3000\"");
    assert_eq!(config["metrics_addr"], "\"0.0.0.0:9090\"");
    assert_eq!(config["site_root"], "\"/app/site\"");
    assert_eq!(config["log_json"], "true");
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), installed.config_text()).expect("write config.toml");
    let database_from_secret = portal["env"]
        .as_array()
        .expect("env")
        .iter()
        .any(|var| var["name"] == "PORTAL_DATABASE_URL");
    let env = database_from_secret
        .then(|| {
            (
                "PORTAL_DATABASE_URL".to_owned(),
                "postgres://portal:secret@postgres:5432/portal".to_owned(),
            )
        })
        .into_iter();
    let loaded = server::config::Config::load_from(Some(file.path()), env)
        .unwrap_or_else(|error| panic!("the portal refuses the chart's config.toml: {error:#}"));
    assert_eq!(loaded.listen_addr.to_string(), "0.0.0.0:3000");
    assert_eq!(
        loaded.oidc_issuer.as_deref(),
        Some("https://dex.welkin.example.com")
    );

    // The client secret is a file in the mounted Secret, where the configuration says.
    let secret_file = config["oidc_client_secret_file"]
        .trim_matches('"')
        .to_owned();
    let (folder, key) = secret_file.rsplit_once('/').expect("a path");
    let mount = portal["volumeMounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .find(|m| m["mountPath"] == folder)
        .unwrap_or_else(|| panic!("nothing mounted at {folder}"));
    let volume = spec["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| v["name"] == mount["name"])
        .expect("the mounted volume");
    assert_eq!(volume["secret"]["items"][0]["path"], key);

    // Stopping: the kubelet's preStop sleep, then the portal's drain and grace, all within the
    // termination grace period.
    let number = |key: &str| -> i64 { config[key].parse().expect("a number") };
    let pre_stop = portal["lifecycle"]["preStop"]["sleep"]["seconds"]
        .as_i64()
        .expect("a preStop sleep");
    let period = spec["terminationGracePeriodSeconds"]
        .as_i64()
        .expect("a grace period");
    assert!(
        period > pre_stop + number("shutdown_drain_seconds") + number("shutdown_grace_seconds"),
        "terminationGracePeriodSeconds {period} does not outlast preStop {pre_stop} + drain + grace"
    );
}

#[test]
fn helm_lint_passes_with_every_ci_values_file() {
    let chart = helm::chart_dir();
    for values in ["ci/minimal-values.yaml", "ci/production-values.yaml"] {
        let output = helm::helm(&[
            "lint",
            "--strict",
            &chart.display().to_string(),
            "--values",
            &chart.join(values).display().to_string(),
        ])
        .unwrap_or_else(|error| panic!("helm lint --strict with {values}: {error}"));
        assert!(output.contains("0 chart(s) failed"), "{output}");
    }
}

#[tokio::test]
async fn the_default_install_is_accepted_by_the_api_server_and_fits_welkin() {
    let installed = install("chart-defaults", &["ci/minimal-values.yaml"]).await;
    check_what_welkin_admits(&installed).await;

    // One replica on SQLite: a volume that outlives the release, stopped before it is replaced.
    let deployment = installed.one("Deployment");
    assert_eq!(deployment["spec"]["replicas"], 1);
    assert_eq!(deployment["spec"]["strategy"]["type"], "Recreate");
    let claim = installed.named("PersistentVolumeClaim", "welkin-portal-data");
    assert_eq!(
        claim["metadata"]["annotations"]["helm.sh/resource-policy"],
        "keep"
    );
    assert_eq!(
        installed.config()["database_url"],
        "\"sqlite:///data/portal.db\""
    );

    // Everything a Welkin administrator did not set comes from the issuer's domain.
    let image = installed.pod_template()["spec"]["containers"][0]["image"].clone();
    assert_eq!(
        image,
        "harbor.welkin.example.com/welkin-portal/welkin-portal:0.1.0"
    );
    let ingress = installed.one("Ingress");
    assert_eq!(ingress["spec"]["ingressClassName"], "nginx");
    assert_eq!(
        ingress["spec"]["rules"][0]["host"],
        "portal.welkin.example.com"
    );
    assert_eq!(ingress["spec"]["tls"][0]["secretName"], "welkin-portal-tls");
    assert_eq!(
        ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"],
        "letsencrypt-prod"
    );
    let config = installed.config();
    assert_eq!(
        config["public_url"],
        "\"https://portal.welkin.example.com\""
    );
    assert_eq!(
        config["allowed_registries"],
        "[\"harbor.welkin.example.com/\"]"
    );
    assert!(installed.all("ServiceMonitor").is_empty());
    assert!(installed.all("PrometheusRule").is_empty());
}

#[tokio::test]
async fn the_production_install_is_accepted_by_the_api_server_and_fits_welkin() {
    // The monitoring stack's CRDs, as Welkin has them, so the ServiceMonitor and PrometheusRule
    // are validated against their real schemas.
    let admin = TestCluster::shared().admin_client().await;
    let folder = helm::prometheus_operator_crds();
    for file in [
        "monitoring.coreos.com_servicemonitors.yaml",
        "monitoring.coreos.com_prometheusrules.yaml",
    ] {
        let text = std::fs::read_to_string(folder.join(file)).expect("read a CRD");
        for crd in helm::documents(&text) {
            helm::apply(&admin, &crd, false)
                .await
                .expect("install the CRD");
            wait_until_established(&admin, &crd).await;
        }
    }

    let installed = install("chart-production", &["ci/production-values.yaml"]).await;
    check_what_welkin_admits(&installed).await;

    // The inventory kind it names is readable, and no more than readable.
    let ingresses: Vec<&Value> = installed
        .all("ClusterRole")
        .into_iter()
        .flat_map(|role| role["rules"].as_array().into_iter().flatten())
        .filter(|rule| rule["resources"] == serde_json::json!(["ingresses"]))
        .collect();
    assert_eq!(ingresses.len(), 1, "{ingresses:#?}");
    assert_eq!(
        ingresses[0]["apiGroups"],
        serde_json::json!(["networking.k8s.io"])
    );
    assert_eq!(
        ingresses[0]["verbs"],
        serde_json::json!(["get", "list", "watch"])
    );

    // Three replicas on PostgreSQL, rolled one at a time, spread over zones and nodes.
    let deployment = installed.one("Deployment");
    assert_eq!(deployment["spec"]["replicas"], 3);
    assert_eq!(
        deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"],
        0
    );
    let spread = &installed.pod_template()["spec"]["topologySpreadConstraints"];
    assert_eq!(spread[0]["topologyKey"], "topology.kubernetes.io/zone");
    assert_eq!(spread[1]["topologyKey"], "kubernetes.io/hostname");
    assert!(installed.all("PersistentVolumeClaim").is_empty());
    assert!(!installed.config().contains_key("database_url"));
    let portal = container(installed.pod_template(), "portal");
    let database = portal["env"]
        .as_array()
        .expect("env")
        .iter()
        .find(|var| var["name"] == "PORTAL_DATABASE_URL")
        .expect("the database URL from its Secret");
    assert_eq!(
        database["valueFrom"]["secretKeyRef"],
        json!({ "name": "welkin-portal-database", "key": "url" })
    );
    assert_eq!(
        portal["image"],
        "harbor.welkin.example.com/platform/welkin-portal:0.1.0@sha256:\
         0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    );
    assert_eq!(
        installed.pod_template()["spec"]["imagePullSecrets"],
        json!([{ "name": "harbor-robot-platform" }])
    );

    // The FAQ, the kubeconfig downloads' CA and secret, and the extra configuration.
    let config = installed.config();
    assert_eq!(config["faq_dir"], "\"/etc/welkin-portal/faq\"");
    assert_eq!(
        config["cluster_ca_file"],
        "\"/etc/welkin-portal/cluster-ca.crt\""
    );
    assert_eq!(config["kube_oidc_groups_prefix"], "\"oidc:\"");
    assert_eq!(config["kubelogin_ports"], "[8000, 18000]");
    assert_eq!(config["admin_groups"], "[\"platform-admins\"]");
    let faq = installed.named("ConfigMap", "welkin-portal-faq");
    assert!(
        faq["data"]["vpn.md"]
            .as_str()
            .expect("vpn.md")
            .contains("slug: office-vpn")
    );

    // Metrics: the ServiceMonitor scrapes the Service's metrics port, which only Prometheus
    // may reach; the rules watch the portal's targets.
    let monitor = installed.one("ServiceMonitor");
    assert_eq!(
        monitor["spec"]["endpoints"],
        json!([{ "port": "metrics", "path": "/metrics", "interval": "30s" }])
    );
    let service = installed.one("Service");
    assert!(selects(
        &monitor["spec"]["selector"],
        &service["metadata"]["labels"]
    ));
    assert!(
        service["spec"]["ports"]
            .as_array()
            .expect("ports")
            .iter()
            .any(|port| port["name"] == "metrics" && port["targetPort"] == "metrics")
    );
    let rules = &installed.one("PrometheusRule")["spec"]["groups"][0]["rules"];
    assert_eq!(rules[0]["alert"], "WelkinPortalDown");
    assert!(
        rules[0]["expr"]
            .as_str()
            .expect("expr")
            .contains("namespace=\"chart-production\"")
    );
}

async fn wait_until_established(client: &kube::Client, crd: &Manifest) {
    for _ in 0..100 {
        let request = http::Request::get(crd.path())
            .body(Vec::new())
            .expect("request");
        let text = client.request_text(request).await.expect("read the CRD");
        let object: Value = serde_json::from_str(&text).expect("JSON");
        let established = object["status"]["conditions"]
            .as_array()
            .is_some_and(|conditions| {
                conditions
                    .iter()
                    .any(|c| c["type"] == "Established" && c["status"] == "True")
            });
        if established {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the CRD {} never became established", crd.name);
}

#[test]
fn bad_values_fail_rendering_with_a_message_that_says_what_to_do() {
    let minimal = ["ci/minimal-values.yaml"];
    let cases: &[(&[&str], &[&str], &str)] = &[
        (
            &minimal,
            &["replicas=2"],
            "replicas: 2 replicas need PostgreSQL (database.postgresql.existingSecret): SQLite on \
             a volume serves one replica only",
        ),
        (
            &[],
            &[],
            "oidc.issuer: set the OpenID Provider's issuer (Welkin: https://dex.BASE_DOMAIN)",
        ),
        (
            &[],
            &["oidc.clientSecret.existingSecret=welkin-portal-oidc"],
            "oidc.issuer: set the OpenID Provider's issuer",
        ),
        (
            &minimal,
            &["oidc.issuer=http://dex.welkin.example.com"],
            "oidc.issuer: http://dex.welkin.example.com is not an https:// URL",
        ),
        (
            &minimal,
            &["oidc.clientSecret.existingSecret="],
            "oidc.clientSecret.existingSecret: name the Secret that holds the portal's client secret",
        ),
        (
            &minimal,
            &["image.registry=docker.io"],
            "image.registry: docker.io is Docker Hub",
        ),
        (
            &minimal,
            &["image.tag=latest"],
            "image.tag: latest is refused (Welkin's Gatekeeper denies it)",
        ),
        (
            &minimal,
            &["config.database_url=postgres://u:p@db/portal"],
            "config.database_url: set by database, not in config",
        ),
        (
            &minimal,
            &["config.oidc_client_secret=hunter2"],
            "config.oidc_client_secret: set by oidc.clientSecret, not in config",
        ),
        (
            &minimal,
            &["podDisruptionBudget.maxUnavailable=0"],
            "/podDisruptionBudget/maxUnavailable",
        ),
        (
            &minimal,
            &["resources.requests=null"],
            "at '/resources': missing property 'requests'",
        ),
        (
            &minimal,
            &["replica=2"],
            "additional properties 'replica' not allowed",
        ),
        (
            &minimal,
            &[
                "preflight.inventoryKinds[0].apiGroups={\"\"}",
                "preflight.inventoryKinds[0].resources={pods}",
                "preflight.inventoryKinds[0].verbs={create}",
            ],
            "additional properties 'verbs' not allowed",
        ),
        (
            &minimal,
            &[
                "preflight.inventoryKinds[0].apiGroups={\"\"}",
                "preflight.inventoryKinds[0].resources={*}",
            ],
            "/preflight/inventoryKinds/0/resources/0",
        ),
        (
            &["ci/production-values.yaml"],
            &[
                "oidc.issuer=https://login.example.com",
                "publicUrl=https://portal.example.com",
                "baseDomain=",
                "image.registry=",
            ],
            "image.registry: set the registry to pull the portal from",
        ),
    ];
    for (values, set, message) in cases {
        match helm::render(RELEASE, RELEASE, values, set, &[]) {
            Ok(_) => panic!("{values:?} {set:?} rendered; expected: {message}"),
            Err(error) => assert!(
                error.contains(message),
                "{values:?} {set:?}: expected {message:?} in:\n{error}"
            ),
        }
    }
}

#[test]
fn the_rbac_the_other_tests_install_is_the_charts_and_names_the_release() {
    // install_portal_rbac applies exactly these documents (helm sorts them in install order);
    // a release elsewhere binds its own ServiceAccount, and the admission policy bounds that one.
    let rendered = helm::render(
        "portal",
        "platform-portal",
        &["ci/minimal-values.yaml"],
        &[],
        &[
            "--show-only",
            "templates/rbac.yaml",
            "--show-only",
            "templates/admission-policy.yaml",
        ],
    )
    .expect("render the RBAC");
    let kinds: Vec<(String, String)> = helm::documents(&rendered)
        .into_iter()
        .map(|m| (m.kind, m.name))
        .collect();
    assert_eq!(
        kinds,
        [
            ("ServiceAccount", "portal-welkin-portal"),
            ("ClusterRole", "welkin-portal"),
            ("ClusterRole", "welkin-portal-subnamespace-anchors"),
            ("ClusterRoleBinding", "welkin-portal"),
            ("ValidatingAdmissionPolicy", "welkin-portal-bounds"),
            ("ValidatingAdmissionPolicyBinding", "welkin-portal-bounds"),
        ]
        .map(|(kind, name)| (kind.to_owned(), name.to_owned()))
    );
    assert!(rendered.contains(
        "request.userInfo.username == 'system:serviceaccount:platform-portal:portal-welkin-portal'"
    ));
    assert!(rendered.contains("    name: portal-welkin-portal\n    namespace: platform-portal\n"));
}

/// `podman ARGS` with the image test's containers.conf; stdout, or a panic naming stderr.
fn podman(args: &[&str]) -> String {
    let output = podman_command(args).output().expect("run podman");
    assert!(
        output.status.success(),
        "podman {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn podman_command(args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new("podman");
    command.args(args);
    if std::env::var_os("CONTAINERS_CONF").is_none() {
        command.env(
            "CONTAINERS_CONF",
            portal_tests::repo_root().join("deploy/containers.conf"),
        );
    }
    command
}

/// Removes the test's container however the test ends.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = podman_command(&["rm", "--force", "--time", "0", &self.0]).output();
    }
}

/// The image as `deploy/Containerfile` makes it (its runtime stage, over this machine's debug
/// build: `deploy/build-image.sh --dev`, cached by content), run as Kubernetes runs it under the chart:
/// read-only root filesystem (no tmpfs anywhere but the database's folder), UID 10001, every
/// capability dropped, no privilege escalation. It must answer `/readyz`, serve a page and the
/// bundle, and stop cleanly on SIGTERM.
#[tokio::test]
async fn the_image_serves_read_only_as_uid_10001_without_capabilities() {
    let found = std::process::Command::new("podman")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        found,
        "podman is missing: run .ci/setup.sh (it installs podman, buildah and runc from Debian)"
    );
    let script = portal_tests::repo_root().join("deploy/build-image.sh");
    let output = std::process::Command::new(&script)
        // The debug build .ci/build.sh made: see build-image.sh for why not the release one.
        .arg("--dev")
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("run deploy/build-image.sh");
    assert!(output.status.success(), "deploy/build-image.sh failed");
    let image = String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .expect("build-image.sh prints the image")
        .trim()
        .to_owned();

    let port = portal_tests::free_port();
    let name = format!("portal-image-test-{}", uuid::Uuid::new_v4().simple());
    let publish = format!("127.0.0.1:{port}:3000");
    let public_url = format!("PORTAL_PUBLIC_URL=http://127.0.0.1:{port}");
    podman(&[
        "run",
        "--detach",
        "--name",
        &name,
        "--read-only",
        "--read-only-tmpfs=false",
        "--user",
        "10001:10001",
        "--cap-drop",
        "all",
        "--security-opt",
        "no-new-privileges",
        "--mount",
        "type=tmpfs,destination=/data,tmpfs-mode=1777",
        "--env",
        "PORTAL_DATABASE_URL=sqlite:///data/portal.db",
        "--env",
        &public_url,
        "--publish",
        &publish,
        &image,
    ]);
    let container = Container(name);
    let logs = || {
        let output = podman_command(&["logs", &container.0])
            .output()
            .expect("podman logs");
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };

    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("a client");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        match client.get(format!("{base}/readyz")).send().await {
            Ok(response) if response.status() == 200 => break,
            _ if std::time::Instant::now() > deadline => {
                panic!("{image} never answered /readyz with 200:\n{}", logs())
            }
            _ => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
        }
    }

    let page = client.get(format!("{base}/")).send().await.expect("GET /");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("the home page");
    let bundle = portal_tests::bundle_of(&html)
        .unwrap_or_else(|| panic!("the page does not load the bundle:\n{html}"));
    let faq = client
        .get(format!("{base}/faq"))
        .send()
        .await
        .expect("GET /faq");
    assert_eq!(faq.status(), 200);
    for (path, content_type) in [
        (format!("/pkg/{bundle}.js"), "text/javascript"),
        (format!("/pkg/{bundle}_bg.wasm"), "application/wasm"),
        (format!("/pkg/{bundle}.css"), "text/css"),
    ] {
        let response = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect(&path);
        assert_eq!(response.status(), 200, "{path}");
        let header = response.headers()["content-type"]
            .to_str()
            .expect("a content type")
            .to_owned();
        assert!(header.starts_with(content_type), "{path}: {header}");
        let body = response.bytes().await.expect(&path);
        if path.ends_with(".wasm") {
            assert!(body.starts_with(b"\0asm"), "{path} is not WebAssembly");
        }
    }

    // What runs: UID 10001 (the image's passwd calls it portal), no capabilities at all, and
    // the root filesystem read-only.
    let top = podman(&["top", &container.0, "huser", "user", "capeff"]);
    let row: Vec<&str> = top
        .lines()
        .nth(1)
        .expect("a process")
        .split_whitespace()
        .collect();
    assert_eq!(row, ["10001", "portal", "none"], "podman top:\n{top}");
    let read_only = podman(&[
        "inspect",
        "--format",
        "{{.HostConfig.ReadonlyRootfs}}",
        &container.0,
    ]);
    assert_eq!(read_only.trim(), "true");

    // SIGTERM: the portal drains, finishes and exits 0 within the time podman gives it.
    podman(&["stop", "--time", "40", &container.0]);
    let exit_code = podman(&["inspect", "--format", "{{.State.ExitCode}}", &container.0]);
    assert_eq!(exit_code.trim(), "0", "{}", logs());
    assert!(logs().contains("portal stopped"), "{}", logs());
}
