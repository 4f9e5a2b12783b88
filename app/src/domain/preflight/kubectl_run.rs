//! A `kubectl run` command line turned into the Pod it would create, so that preflight can check
//! the command people actually type (the FAQ's first question is why it is refused).
//!
//! What kubectl v1.34's `run` builds: a Pod named NAME with the label `run=NAME` (or the
//! `--labels` given), one container named NAME with the image, `--env`, `--port`,
//! `--image-pull-policy`, `-i`/`--stdin` and `-t`/`--tty`, `--privileged`, the arguments after
//! `--` as `args` (or as `command` with `--command`), `restartPolicy` from `--restart` (default
//! `Always`) and `dnsPolicy: ClusterFirst`; then `--overrides` merged in as a JSON merge patch
//! (`--override-type=merge`, the default) or a JSON patch (`--override-type=json`). Flags that do
//! not change the Pod (`--rm`, `--dry-run`, `--attach`, output flags) are accepted and ignored;
//! any other flag is refused by name rather than guessed at.

use serde_json::{Map, Value, json};

/// Why a command line cannot be turned into a Pod; the message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the kubectl run command: {0}")]
pub struct RunCommandError(pub String);

fn error(message: impl Into<String>) -> RunCommandError {
    RunCommandError(message.into())
}

/// Whether `text` is a `kubectl run` command line rather than manifests.
pub fn is_kubectl_run(text: &str) -> bool {
    let mut words = text.split_whitespace();
    words.next() == Some("kubectl") && words.any(|word| word == "run")
}

/// Flags that take a value and do not change the Pod.
const IGNORED_WITH_VALUE: &[&str] = &[
    "--dry-run",
    "-o",
    "--output",
    "--pod-running-timeout",
    "--context",
    "--cluster",
    "--user",
    "--kubeconfig",
    "--field-manager",
    "--template",
    "--show-managed-fields",
];
/// Flags without a value that do not change the Pod.
const IGNORED_SWITCHES: &[&str] = &["--rm", "--attach", "-q", "--quiet", "--leave-stdin-open"];

/// The namespace (`-n`), when given, and the Pod `command` would create.
pub fn pod_of(command: &str) -> Result<(Option<String>, Value), RunCommandError> {
    let words = shell_words::split(command)
        .map_err(|e| error(format!("it cannot be read as a shell command ({e})")))?;
    let mut words = words.into_iter().peekable();
    if words.next().as_deref() != Some("kubectl") {
        return Err(error("it must start with kubectl"));
    }

    let mut namespace = None;
    let mut name = None;
    let mut seen_run = false;
    let mut image = None;
    let mut labels: Option<Map<String, Value>> = None;
    let mut annotations = Map::new();
    let mut env = Vec::new();
    let mut port = None;
    let mut pull_policy = None;
    let mut restart = "Always".to_owned();
    let mut overrides = None;
    let mut override_type = "merge".to_owned();
    let (mut stdin, mut tty, mut privileged, mut as_command) = (false, false, false, false);
    let mut rest = Vec::new();

    while let Some(word) = words.next() {
        if word == "--" {
            rest.extend(words.by_ref());
            break;
        }
        // `--flag=value`, `--flag value`, `-n value`, `-it`.
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) if flag.starts_with('-') => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (word.clone(), None),
        };
        if !flag.starts_with('-') || flag == "-" {
            if !seen_run {
                if flag != "run" {
                    return Err(error(format!(
                        "only kubectl run is understood here, not kubectl {flag}"
                    )));
                }
                seen_run = true;
            } else if name.is_none() {
                name = Some(flag);
            } else {
                // Arguments without `--` are the container's arguments, as kubectl reads them.
                rest.push(flag);
            }
            continue;
        }
        let mut value = || -> Result<String, RunCommandError> {
            match &inline {
                Some(value) => Ok(value.clone()),
                None => words
                    .next()
                    .ok_or_else(|| error(format!("{flag} needs a value"))),
            }
        };
        match flag.as_str() {
            "-n" | "--namespace" => namespace = Some(value()?),
            "--image" => image = Some(value()?),
            "-l" | "--labels" => {
                let mut map = Map::new();
                for pair in value()?.split(',').filter(|p| !p.is_empty()) {
                    let (key, value) = pair
                        .split_once('=')
                        .ok_or_else(|| error(format!("--labels: {pair:?} is not key=value")))?;
                    map.insert(key.to_owned(), Value::String(value.to_owned()));
                }
                labels = Some(map);
            }
            "--annotations" => {
                let pair = value()?;
                let (key, value) = pair
                    .split_once('=')
                    .ok_or_else(|| error(format!("--annotations: {pair:?} is not key=value")))?;
                annotations.insert(key.to_owned(), Value::String(value.to_owned()));
            }
            "--env" => {
                let pair = value()?;
                let (key, value) = pair
                    .split_once('=')
                    .ok_or_else(|| error(format!("--env: {pair:?} is not NAME=value")))?;
                env.push(json!({ "name": key, "value": value }));
            }
            "--port" => {
                let text = value()?;
                let number: u16 = text
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| error(format!("--port: {text:?} is not a port number")))?;
                port = Some(number);
            }
            "--image-pull-policy" => pull_policy = Some(value()?),
            "--restart" => {
                let text = value()?;
                if !matches!(text.as_str(), "Always" | "OnFailure" | "Never") {
                    return Err(error(format!(
                        "--restart must be Always, OnFailure or Never, not {text:?}"
                    )));
                }
                restart = text;
            }
            "--overrides" => overrides = Some(value()?),
            "--override-type" => {
                let text = value()?;
                if !matches!(text.as_str(), "merge" | "json") {
                    return Err(error(format!(
                        "--override-type {text:?} is not checked here; use merge or json"
                    )));
                }
                override_type = text;
            }
            "--command" => as_command = switch(&flag, inline.as_deref())?,
            "--privileged" => privileged = switch(&flag, inline.as_deref())?,
            "-i" | "--stdin" => stdin = switch(&flag, inline.as_deref())?,
            "-t" | "--tty" => tty = switch(&flag, inline.as_deref())?,
            "-it" | "-ti" => (stdin, tty) = (true, true),
            _ if IGNORED_SWITCHES.contains(&flag.as_str()) => {}
            _ if IGNORED_WITH_VALUE.contains(&flag.as_str()) => {
                value()?;
            }
            other => {
                return Err(error(format!(
                    "{other} is not a flag this check understands; remove it or apply the \
                     manifest instead"
                )));
            }
        }
    }

    if !seen_run {
        return Err(error("it has no run"));
    }
    let name = name.ok_or_else(|| error("it names no Pod (kubectl run NAME --image=IMAGE)"))?;
    let image = image.ok_or_else(|| error("it has no --image"))?;

    let mut container = Map::new();
    container.insert("name".into(), Value::String(name.clone()));
    container.insert("image".into(), Value::String(image));
    if !rest.is_empty() {
        let key = if as_command { "command" } else { "args" };
        container.insert(key.into(), json!(rest));
    }
    if !env.is_empty() {
        container.insert("env".into(), Value::Array(env));
    }
    if let Some(port) = port {
        container.insert("ports".into(), json!([{ "containerPort": port }]));
    }
    if let Some(policy) = pull_policy {
        container.insert("imagePullPolicy".into(), Value::String(policy));
    }
    if stdin {
        container.insert("stdin".into(), Value::Bool(true));
    }
    if tty {
        container.insert("tty".into(), Value::Bool(true));
    }
    if privileged {
        container.insert("securityContext".into(), json!({ "privileged": true }));
    }
    let labels =
        labels.unwrap_or_else(|| Map::from_iter([("run".to_owned(), Value::String(name.clone()))]));
    let mut metadata = json!({ "name": name, "labels": labels });
    if !annotations.is_empty() {
        metadata["annotations"] = Value::Object(annotations);
    }
    if let Some(namespace) = &namespace {
        metadata["namespace"] = Value::String(namespace.clone());
    }
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "containers": [Value::Object(container)],
            "restartPolicy": restart,
            "dnsPolicy": "ClusterFirst",
        }
    });

    if let Some(overrides) = overrides {
        let patch: Value = serde_json::from_str(&overrides)
            .map_err(|e| error(format!("--overrides is not JSON ({e})")))?;
        if override_type == "json" {
            let patch: json_patch::Patch = serde_json::from_value(patch)
                .map_err(|e| error(format!("--overrides is not a JSON patch ({e})")))?;
            json_patch::patch(&mut pod, &patch)
                .map_err(|e| error(format!("--overrides does not apply ({e})")))?;
        } else {
            if !patch.is_object() {
                return Err(error("--overrides must be a JSON object"));
            }
            json_patch::merge(&mut pod, &patch);
        }
    }
    Ok((namespace, pod))
}

/// A switch, `--flag` or `--flag=true|false`.
fn switch(flag: &str, inline: Option<&str>) -> Result<bool, RunCommandError> {
    match inline {
        None | Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(error(format!("{flag}={other}: use true or false"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_faqs_quick_run_becomes_the_pod_kubectl_would_create() {
        let (namespace, pod) = pod_of("kubectl run nginx --image=nginx -n demo").unwrap();
        assert_eq!(namespace.as_deref(), Some("demo"));
        assert_eq!(
            pod,
            json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": { "name": "nginx", "labels": { "run": "nginx" }, "namespace": "demo" },
                "spec": {
                    "containers": [{ "name": "nginx", "image": "nginx" }],
                    "restartPolicy": "Always", "dnsPolicy": "ClusterFirst"
                }
            })
        );
    }

    #[test]
    fn flags_arguments_and_overrides_are_read_as_kubectl_reads_them() {
        let command = r#"kubectl run blah --rm -ti --image=harbor.example.com/t/debug:1.0 --restart=Never --env FOO=bar --port 8080 --labels app=debug,team=a --overrides='{"spec":{"securityContext":{"runAsNonRoot":true},"containers":[{"name":"blah","image":"harbor.example.com/t/debug:1.0","resources":{"requests":{"cpu":"100m"}}}]}}' -- sh -c 'echo hi'"#;
        let (namespace, pod) = pod_of(command).unwrap();
        assert_eq!(namespace, None);
        assert_eq!(
            pod["metadata"]["labels"],
            json!({ "app": "debug", "team": "a" })
        );
        assert_eq!(pod["spec"]["restartPolicy"], "Never");
        assert_eq!(pod["spec"]["securityContext"]["runAsNonRoot"], true);
        // A merge patch replaces lists whole: the override's container is the container.
        let container = &pod["spec"]["containers"][0];
        assert_eq!(container["resources"]["requests"]["cpu"], "100m");
        assert!(container.get("args").is_none(), "{container}");

        let (_, pod) = pod_of("kubectl run x --image=i:1 -it --command -- sleep 10").unwrap();
        let container = &pod["spec"]["containers"][0];
        assert_eq!(container["command"], json!(["sleep", "10"]));
        assert_eq!(
            (container["stdin"].clone(), container["tty"].clone()),
            (json!(true), json!(true))
        );
    }

    #[test]
    fn a_json_patch_override_is_applied() {
        let command = r#"kubectl run x --image=i:1 --override-type=json --overrides='[{"op":"add","path":"/spec/hostNetwork","value":true}]'"#;
        let (_, pod) = pod_of(command).unwrap();
        assert_eq!(pod["spec"]["hostNetwork"], true);
    }

    #[test]
    fn every_mistake_is_named() {
        for (command, part) in [
            ("kubectl run", "names no Pod"),
            ("kubectl run x", "no --image"),
            ("kubectl get pods", "only kubectl run"),
            ("kubectl run x --image", "--image needs a value"),
            ("kubectl run x --image=i --port=http", "not a port number"),
            ("kubectl run x --image=i --port=0", "not a port number"),
            (
                "kubectl run x --image=i --restart=Sometimes",
                "--restart must be",
            ),
            ("kubectl run x --image=i --overrides='{'", "not JSON"),
            (
                "kubectl run x --image=i --overrides='[1]'",
                "must be a JSON object",
            ),
            (
                "kubectl run x --image=i --override-type=strategic",
                "is not checked here",
            ),
            (
                "kubectl run x --image=i --frobnicate",
                "--frobnicate is not a flag",
            ),
            ("kubectl run x --image=i --labels=a", "is not key=value"),
            (
                "kubectl run x --image='unclosed",
                "cannot be read as a shell command",
            ),
            (
                "kubectl run x --image=i --privileged=maybe",
                "use true or false",
            ),
            (
                "kubectl run x --image=i --override-type=json --overrides='[{\"op\":\"remove\",\"path\":\"/nope\"}]'",
                "does not apply",
            ),
        ] {
            let message = pod_of(command).unwrap_err().to_string();
            assert!(message.contains(part), "{command}: {message}");
        }
    }

    #[test]
    fn kubectl_run_is_told_apart_from_manifests() {
        assert!(is_kubectl_run("kubectl run x --image=i"));
        assert!(is_kubectl_run("  kubectl -n demo run x --image=i"));
        assert!(!is_kubectl_run("apiVersion: v1\nkind: Pod\n"));
        assert!(!is_kubectl_run("kubectl apply -f x.yaml"));
    }
}
