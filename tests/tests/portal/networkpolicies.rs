//! The NetworkPolicy generator and the `kubectl run` recipe in the browser, with JavaScript on
//! (the preview follows every keystroke, no submit) and off (GET forms the server answers).

use app::domain::networkpolicy::names::DNS_LABEL_RULE;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use portal_tests::{Browser, JavaScript, TestApp};
use serde_json::Value;
use std::time::{Duration, Instant};

async fn app() -> TestApp {
    TestApp::spawn_with(|config| config.allowed_registries = vec!["harbor.example.com/".into()])
        .await
}

#[tokio::test]
async fn the_policy_preview_follows_the_form_as_you_type() -> anyhow::Result<()> {
    let app = app().await;
    let browser = Browser::start(&app.url(""), JavaScript::On).await?;
    browser
        .check("networkpolicy_live_preview", async |b| {
            b.goto("/networkpolicies").await?;
            b.wait_for_hydration().await?;
            b.fill("#name", "blah").await?;
            b.wait_for_text("#policy-yaml", "name: blah").await?;
            // The FAQ's `kubectl run blah` Pod, reachable from anywhere on port 8080.
            b.find("#target").await?.select_by_value("run").await?;
            b.fill("#tv", "blah").await?;
            b.wait_for_text("#policy-yaml", "run: blah").await?;
            b.find("select[name=i0k]")
                .await?
                .select_by_value("anywhere")
                .await?;
            b.fill("input[name=i0p]", "8080").await?;
            b.wait_for_text("#policy-yaml", "port: 8080").await?;
            b.wait_for_text("#policy-explanation", "blah").await?;
            // A mistake shows the field and the rule instead of a manifest.
            b.fill("#name", "Bad Name").await?;
            b.wait_for_text("#field-errors", "name").await?;
            anyhow::ensure!(
                !b.exists("#policy-yaml").await?,
                "an invalid policy was emitted"
            );
            anyhow::ensure!(
                b.client.current_url().await?.query().is_none(),
                "the form was submitted"
            );
            let errors = b.console_errors().await?;
            anyhow::ensure!(errors.is_empty(), "console errors: {errors:#?}");
            Ok(())
        })
        .await?;
    browser.close().await
}

#[tokio::test]
async fn default_deny_with_dns_without_javascript() -> anyhow::Result<()> {
    let app = app().await;
    let browser = Browser::start(&app.url(""), JavaScript::Off).await?;
    browser
        .check("networkpolicy_preset_without_javascript", async |b| {
            b.goto("/networkpolicies").await?;
            // The namespace typed first stays when a preset is loaded.
            b.fill("#ns", "team-a-shop").await?;
            b.find("#preset")
                .await?
                .select_by_value("default-deny-all-except-dns")
                .await?;
            b.find(".preset-form button[type=submit]")
                .await?
                .click()
                .await?;
            b.wait_for_text("#policy-yaml", "k8s-app: kube-dns").await?;
            let yaml = b.text("#policy-yaml").await?;
            anyhow::ensure!(
                yaml.contains("- Ingress") && yaml.contains("- Egress"),
                "{yaml}"
            );
            anyhow::ensure!(yaml.contains("namespace: team-a-shop"), "{yaml}");
            // Edit and submit the form itself: the server renders the new result.
            b.fill("#name", "deny-everything").await?;
            b.find("#generate").await?.click().await?;
            b.wait_for_text("#policy-yaml", "name: deny-everything")
                .await?;
            Ok(())
        })
        .await?;
    browser.close().await
}

#[tokio::test]
async fn the_kubectl_run_recipe_without_javascript() -> anyhow::Result<()> {
    let app = app().await;
    let browser = Browser::start(&app.url(""), JavaScript::Off).await?;
    browser
        .check("run_recipe_without_javascript", async |b| {
            b.goto("/networkpolicies/run").await?;
            b.fill("#pod", "blah").await?;
            b.fill("#image", "harbor.example.com/team/debug:1.2.3")
                .await?;
            b.fill("#ns", "demo").await?;
            b.find("#run-form button[type=submit]")
                .await?
                .click()
                .await?;
            let command = b
                .wait_for_text("#run-command", "kubectl run blah --rm -ti")
                .await?;
            let overrides = command.split('\'').nth(1).unwrap_or_default();
            serde_json::from_str::<serde_json::Value>(overrides)
                .map_err(|e| anyhow::anyhow!("the override is not JSON ({e}): {overrides}"))?;
            anyhow::ensure!(
                !b.exists("button.copy").await?,
                "a copy button without JavaScript"
            );
            Ok(())
        })
        .await?;
    browser.close().await
}

#[tokio::test]
async fn the_kubectl_run_recipe_checks_the_image_as_you_type() -> anyhow::Result<()> {
    let app = app().await;
    let browser = Browser::start(&app.url(""), JavaScript::On).await?;
    browser
        .check("run_recipe_live", async |b| {
            b.goto("/networkpolicies/run").await?;
            b.wait_for_hydration().await?;
            b.fill("#image", "nginx").await?;
            b.wait_for_text("#field-errors", "image").await?;
            // At the field too, in words, and marked for assistive technology; the summary
            // names the field by its label, not by the API's JSON name.
            b.wait_for_text("#image-error", "the platform's registry")
                .await?;
            anyhow::ensure!(
                b.exists("#image[aria-invalid=true][aria-describedby=image-error]")
                    .await?,
                "the image input is not marked invalid"
            );
            let summary = b.text("#field-errors").await?;
            anyhow::ensure!(
                summary.contains("Image:") && !summary.contains("podName"),
                "{summary}"
            );
            anyhow::ensure!(
                !b.exists("#pod[aria-invalid=true]").await?,
                "pod name is fine"
            );
            b.fill("#image", "harbor.example.com/team/debug:latest")
                .await?;
            b.wait_for_text("#field-errors", "latest").await?;
            b.fill("#image", "harbor.example.com/team/debug:1.0")
                .await?;
            b.wait_for_text("#run-command", "--image=harbor.example.com/team/debug:1.0")
                .await?;
            anyhow::ensure!(
                b.exists("button.copy").await?,
                "the copy button appears when hydrated"
            );
            let errors = b.console_errors().await?;
            anyhow::ensure!(errors.is_empty(), "console errors: {errors:#?}");
            Ok(())
        })
        .await?;
    browser.close().await
}

/// Opened from a ready namespace's page (`?ns=`), the recipe is there at once for the
/// pre-filled example, with the namespace filled in and a command beside every step.
#[tokio::test]
async fn the_prefilled_run_recipe_is_ready_at_once_with_a_command_for_each_step() {
    let app = app().await;
    let page = app
        .get("/networkpolicies/run?ns=team-a-shop")
        .await
        .text()
        .await
        .expect("a body");
    assert!(!page.contains("Fill in the form"), "{page}");
    for id in ["apply-command", "run-command", "cleanup-command"] {
        assert!(
            page.contains(&format!("id=\"{id}\"")),
            "step {id} has its command"
        );
    }
    let apply = page
        .split("id=\"apply-command\"")
        .nth(1)
        .unwrap_or_default();
    assert!(apply.contains("kubectl apply -f -"), "{apply}");
    assert!(
        page.contains("value=\"team-a-shop\""),
        "the namespace is filled in"
    );
    assert!(page.contains("-n team-a-shop"), "and used by the commands");
}

/// A submitted recipe with mistakes (JavaScript off: what the server renders) shows each at its
/// field in words, marks the field invalid, and names fields by their labels, not JSON names.
#[tokio::test]
async fn a_run_recipe_with_mistakes_shows_each_at_its_field() {
    let app = app().await;
    let page = app
        .get("/networkpolicies/run?pod=Bad+Name&image=harbor.example.com/team/debug:1.0&ns=demo&user=0&group=1000&cpu=100m&memory=64Mi")
        .await
        .text()
        .await
        .expect("a body");
    for (id, words) in [
        ("pod", "shell command"),
        ("pod", "lowercase letters"),
        ("user", "The user ID must not be 0"),
    ] {
        let at = page
            .split(&format!("id=\"{id}-error\""))
            .nth(1)
            .unwrap_or_default();
        let at = at.split("</div>").next().unwrap_or_default();
        assert!(at.contains(words), "{id}: {words:?} not at the field: {at}");
    }
    for id in ["pod", "user"] {
        assert!(
            page.contains(&format!("aria-describedby=\"{id}-error\"")),
            "{id} points at its message"
        );
    }
    for fine in ["image", "ns", "group", "cpu", "memory"] {
        assert!(
            !page.contains(&format!("id=\"{fine}-error\"")),
            "{fine} has no problem"
        );
    }
    let summary = page.split("id=\"field-errors\"").nth(1).unwrap_or_default();
    assert!(summary.contains("href=\"#pod\""), "{summary}");
    assert!(
        !summary.contains("podName") && !summary.contains("runAsUser"),
        "{summary}"
    );
}

/// Presses a key on whatever has the keyboard focus, as a person would.
async fn press(b: &Browser, key: Key) -> anyhow::Result<()> {
    let key = char::from(key);
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    b.client.perform_actions(actions).await?;
    Ok(())
}

/// The focused element: its id, else its name, else its text.
async fn focused(b: &Browser) -> anyhow::Result<String> {
    let found = b
        .client
        .execute(
            "const e = document.activeElement; \
             return e ? (e.id || e.getAttribute('name') || e.textContent.trim()) : ''",
            vec![],
        )
        .await?;
    Ok(found.as_str().unwrap_or_default().to_owned())
}

/// Waits until `script` returns true in the page (what it checks is named by `what`).
async fn wait_until(b: &Browser, what: &str, script: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if b.client.execute(script, vec![]).await? == Value::Bool(true) {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!("never true: {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn value_of(b: &Browser, css: &str) -> anyhow::Result<String> {
    Ok(b.find(css).await?.prop("value").await?.unwrap_or_default())
}

/// Submits the policy form the way its page says: JavaScript off, the server renders what
/// was sent; on, the page has already followed every keystroke.
async fn generate(b: &Browser, javascript: JavaScript) -> anyhow::Result<()> {
    if javascript == JavaScript::Off {
        b.find("#generate").await?.click().await?;
    }
    Ok(())
}

async fn open_generator(b: &Browser, javascript: JavaScript) -> anyhow::Result<()> {
    b.goto("/networkpolicies").await?;
    if javascript == JavaScript::On {
        b.wait_for_hydration().await?;
    }
    Ok(())
}

fn mode(javascript: JavaScript) -> &'static str {
    match javascript {
        JavaScript::On => "hydrated",
        JavaScript::Off => "without_javascript",
    }
}

/// Every input the form shows has a label a person can see, saying what it is (for a screen
/// reader too: no two fields share a name), and a rule shows only the inputs its peer uses.
#[tokio::test]
async fn every_field_of_the_policy_form_has_a_visible_label() -> anyhow::Result<()> {
    let app = app().await;
    for javascript in [JavaScript::Off, JavaScript::On] {
        let browser = Browser::start(&app.url(""), javascript).await?;
        browser
            .check(&format!("networkpolicy_labels_{}", mode(javascript)), async |b| {
                open_generator(b, javascript).await?;
                // Bring out every kind of input: a target with labels, an incoming rule for Pods
                // in a named namespace, an outgoing rule to an IP range.
                b.find("#target").await?.select_by_value("labels").await?;
                b.find("#i0k").await?.select_by_value("podsInNamespace").await?;
                b.find("#eg").await?.click().await?;
                b.find("#e0k").await?.select_by_value("ipBlock").await?;
                let fields = b
                    .client
                    .execute(
                        "const form = document.getElementById('policy-form'); \
                         const controls = [document.getElementById('preset'), \
                           ...form.querySelectorAll('input, select, textarea')]; \
                         return controls.filter(e => e.checkVisibility()).map(e => [ \
                           e.id, \
                           [...e.labels].filter(l => l.checkVisibility()) \
                             .map(l => l.innerText.trim().replace(/\\s+/g, ' ')).join(' ')]);",
                        vec![],
                    )
                    .await?;
                let fields: Vec<(String, String)> = serde_json::from_value(fields)?;
                let unlabelled: Vec<&String> = fields
                    .iter()
                    .filter(|(_, label)| label.is_empty())
                    .map(|(id, _)| id)
                    .collect();
                anyhow::ensure!(unlabelled.is_empty(), "no visible label: {unlabelled:?} of {fields:#?}");
                let mut names: Vec<&String> = fields.iter().map(|(_, label)| label).collect();
                names.sort();
                names.dedup();
                anyhow::ensure!(names.len() == fields.len(), "two fields share a label: {fields:#?}");
                let label = |id: &str| {
                    fields
                        .iter()
                        .find(|(field, _)| field == id)
                        .map(|(_, label)| label.as_str())
                };
                for (id, expected) in [
                    ("tv", "Pod labels (key=value, separated by commas)"),
                    ("i0k", "Incoming rule 1: Allow from"),
                    ("i0v", "Incoming rule 1: Namespace name"),
                    ("i0x", "Incoming rule 1: Pod labels (key=value, separated by commas; empty: every Pod)"),
                    ("i0p", "Incoming rule 1: Ports (empty: every port)"),
                    ("e0k", "Outgoing rule 1: Allow to"),
                    ("e0v", "Outgoing rule 1: IP range (CIDR), such as 203.0.113.0/24"),
                    ("e0x", "Outgoing rule 1: IP ranges inside it to leave out (optional)"),
                ] {
                    anyhow::ensure!(label(id) == Some(expected), "{id}: {:?}, not {expected:?}", label(id));
                }
                // Pods of this namespace take labels only: no second input.
                b.find("#i0k").await?.select_by_value("pods").await?;
                anyhow::ensure!(!b.find("#i0x").await?.is_displayed().await?, "i0x is shown for pods");
                anyhow::ensure!(b.find("#i0v").await?.is_displayed().await?, "i0v is hidden for pods");
                Ok(())
            })
            .await?;
        browser.close().await?;
    }
    Ok(())
}

/// From the top of the page, Tab reaches Generate past the header, the preset and the fields of
/// a new policy, nothing else (it was the 51st stop, past sixteen inputs of empty rules).
#[tokio::test]
async fn generate_is_a_few_tab_stops_from_the_top() -> anyhow::Result<()> {
    let app = app().await;
    for javascript in [JavaScript::Off, JavaScript::On] {
        let browser = Browser::start(&app.url(""), javascript).await?;
        browser
            .check(
                &format!("networkpolicy_tab_order_{}", mode(javascript)),
                async |b| {
                    open_generator(b, javascript).await?;
                    let mut stops = Vec::new();
                    while stops.last().map(String::as_str) != Some("generate") {
                        anyhow::ensure!(
                            stops.len() < 60,
                            "Generate never took the focus: {stops:?}"
                        );
                        press(b, Key::Tab).await?;
                        stops.push(focused(b).await?);
                    }
                    let preset =
                        stops
                            .iter()
                            .position(|stop| stop == "preset")
                            .ok_or_else(|| {
                                anyhow::anyhow!("the preset list is not a stop: {stops:?}")
                            })?;
                    anyhow::ensure!(
                        stops[preset..]
                            == [
                                "preset", "load", "name", "ns", "target", "in", "i0k", "add", "eg",
                                "generate"
                            ],
                        "{stops:?}"
                    );
                    anyhow::ensure!(stops.len() <= 22, "{} stops: {stops:?}", stops.len());
                    Ok(())
                },
            )
            .await?;
        browser.close().await?;
    }
    Ok(())
}

/// Enter in a field generates the policy typed (it used to load the preset shown above it,
/// which the browser took for the form's first button).
#[tokio::test]
async fn enter_in_a_field_generates_what_was_typed() -> anyhow::Result<()> {
    let app = app().await;
    let browser = Browser::start(&app.url(""), JavaScript::Off).await?;
    browser
        .check("networkpolicy_enter", async |b| {
            b.goto("/networkpolicies").await?;
            b.fill("#name", "typed-name").await?;
            b.find("#name")
                .await?
                .send_keys(&Key::Enter.to_string())
                .await?;
            b.wait_for_text("#policy-yaml", "name: typed-name").await?;
            let url = b.client.current_url().await?;
            anyhow::ensure!(
                !url.query().unwrap_or_default().contains("load=preset"),
                "{url}"
            );
            Ok(())
        })
        .await?;
    browser.close().await
}

/// "Add an incoming rule" adds one row, keeping everything typed; "Remove" takes one away. With
/// JavaScript in place; without it the same buttons submit the form and the server adds the row.
#[tokio::test]
async fn rules_are_added_and_removed_on_demand_keeping_what_was_typed() -> anyhow::Result<()> {
    let app = app().await;
    for javascript in [JavaScript::Off, JavaScript::On] {
        let browser = Browser::start(&app.url(""), javascript).await?;
        browser
            .check(
                &format!("networkpolicy_rows_{}", mode(javascript)),
                async |b| {
                    open_generator(b, javascript).await?;
                    let rows = async || -> anyhow::Result<usize> {
                        Ok(b.client
                            .find_all(fantoccini::Locator::Css("select[name^=i][name$=k]"))
                            .await?
                            .len())
                    };
                    anyhow::ensure!(rows().await? == 1, "one row to start");
                    anyhow::ensure!(
                        !b.exists("button[name=remove]").await?,
                        "the only row has no Remove"
                    );
                    b.fill("#name", "web").await?;
                    b.find("#i0k").await?.select_by_value("pods").await?;
                    b.fill("#i0v", "app=front").await?;
                    b.find("button[name=add][value=i]").await?.click().await?;
                    b.client
                        .wait()
                        .for_element(fantoccini::Locator::Css("#i1k"))
                        .await?;
                    anyhow::ensure!(rows().await? == 2, "{} rows", rows().await?);
                    wait_until(
                        b,
                        "the new row has the focus",
                        "return document.activeElement?.id === 'i1k'",
                    )
                    .await?;
                    anyhow::ensure!(value_of(b, "#name").await? == "web");
                    anyhow::ensure!(value_of(b, "#i0k").await? == "pods");
                    anyhow::ensure!(value_of(b, "#i0v").await? == "app=front");
                    let url = b.client.current_url().await?;
                    match javascript {
                        JavaScript::On => {
                            anyhow::ensure!(url.query().is_none(), "submitted: {url}")
                        }
                        JavaScript::Off => anyhow::ensure!(
                            url.query().unwrap_or_default().contains("add=i"),
                            "{url}"
                        ),
                    }
                    b.find("#i1k").await?.select_by_value("anywhere").await?;
                    b.fill("#i1p", "8080").await?;
                    generate(b, javascript).await?;
                    let yaml = b.wait_for_text("#policy-yaml", "port: 8080").await?;
                    anyhow::ensure!(yaml.contains("app: front"), "{yaml}");
                    // Remove the first rule: the second moves up, with what was typed in it.
                    b.find("button[name=remove][value=i0]")
                        .await?
                        .click()
                        .await?;
                    wait_until(
                        b,
                        "the first rule leaves the manifest",
                        "const yaml = document.getElementById('policy-yaml')?.textContent ?? ''; \
                     return yaml.includes('port: 8080') && !yaml.includes('app: front')",
                    )
                    .await?;
                    anyhow::ensure!(rows().await? == 1, "{} rows", rows().await?);
                    anyhow::ensure!(value_of(b, "#i0k").await? == "anywhere");
                    anyhow::ensure!(value_of(b, "#i0p").await? == "8080");
                    if javascript == JavaScript::On {
                        let errors = b.console_errors().await?;
                        anyhow::ensure!(errors.is_empty(), "console errors: {errors:#?}");
                    }
                    Ok(())
                },
            )
            .await?;
        browser.close().await?;
    }
    Ok(())
}

/// A namespace the cluster would refuse is marked at its field, with the rule in words (the
/// domain's, as the API says it), and the list beside the form names the field.
#[tokio::test]
async fn a_bad_namespace_is_shown_at_its_field_in_words() -> anyhow::Result<()> {
    let app = app().await;
    let expected = format!("A namespace name {DNS_LABEL_RULE}.");
    for javascript in [JavaScript::Off, JavaScript::On] {
        let browser = Browser::start(&app.url(""), javascript).await?;
        browser
            .check(
                &format!("networkpolicy_bad_namespace_{}", mode(javascript)),
                async |b| {
                    open_generator(b, javascript).await?;
                    anyhow::ensure!(
                        !b.exists("[aria-invalid=true]").await?,
                        "an error before typing"
                    );
                    b.fill("#ns", "Team_A").await?;
                    generate(b, javascript).await?;
                    b.wait_for_text("#ns-error", &expected).await?;
                    let field = b.find("#ns").await?;
                    anyhow::ensure!(field.attr("aria-invalid").await?.as_deref() == Some("true"));
                    anyhow::ensure!(
                        field.attr("aria-describedby").await?.as_deref() == Some("ns-error")
                    );
                    let summary = b.text("#field-errors").await?;
                    anyhow::ensure!(
                        summary.contains(&format!("Namespace: {expected}")),
                        "{summary}"
                    );
                    anyhow::ensure!(
                        !summary.contains("RFC") && !summary.contains("namespace:"),
                        "jargon or a path: {summary}"
                    );
                    anyhow::ensure!(
                        b.find("#field-errors a")
                            .await?
                            .attr("href")
                            .await?
                            .as_deref()
                            == Some("#ns")
                    );
                    // Fixed, the mark goes.
                    b.fill("#ns", "team-a").await?;
                    generate(b, javascript).await?;
                    b.wait_for_text("#policy-yaml", "namespace: team-a").await?;
                    wait_until(
                        b,
                        "the mark and the message go",
                        "return !document.querySelector('[aria-invalid=true], #ns-error')",
                    )
                    .await?;
                    Ok(())
                },
            )
            .await?;
        browser.close().await?;
    }
    Ok(())
}

/// Loading a preset keeps what it does not set: the namespace, rules typed for a direction it
/// leaves open (rows added included), the target's labels; restricting that direction again
/// brings them into the policy.
#[tokio::test]
async fn a_preset_keeps_what_was_typed_that_it_does_not_set() -> anyhow::Result<()> {
    let app = app().await;
    for javascript in [JavaScript::Off, JavaScript::On] {
        let browser = Browser::start(&app.url(""), javascript).await?;
        browser
            .check(
                &format!("networkpolicy_preset_keeps_{}", mode(javascript)),
                async |b| {
                    open_generator(b, javascript).await?;
                    b.fill("#ns", "team-a-shop").await?;
                    b.find("#target").await?.select_by_value("labels").await?;
                    b.fill("#tv", "app=api").await?;
                    b.find("#i0k").await?.select_by_value("pods").await?;
                    b.fill("#i0v", "app=front").await?;
                    b.find("button[name=add][value=i]").await?.click().await?;
                    b.client
                        .wait()
                        .for_element(fantoccini::Locator::Css("#i1k"))
                        .await?;
                    b.find("#i1k").await?.select_by_value("namespace").await?;
                    b.fill("#i1v", "monitoring").await?;
                    // "Allow DNS lookups": every Pod, egress only.
                    b.find("#preset")
                        .await?
                        .select_by_value("allow-dns")
                        .await?;
                    b.find(".preset-form button[type=submit]")
                        .await?
                        .click()
                        .await?;
                    b.wait_for_text("#policy-yaml", "name: allow-dns").await?;
                    if javascript == JavaScript::On {
                        b.wait_for_hydration().await?;
                    }
                    let yaml = b.text("#policy-yaml").await?;
                    anyhow::ensure!(yaml.contains("namespace: team-a-shop"), "{yaml}");
                    anyhow::ensure!(!yaml.contains("- Ingress"), "{yaml}");
                    for (css, expected) in [
                        ("#ns", "team-a-shop"),
                        ("#target", "all"),
                        ("#tv", "app=api"),
                        ("#i0k", "pods"),
                        ("#i0v", "app=front"),
                        ("#i1k", "namespace"),
                        ("#i1v", "monitoring"),
                    ] {
                        let value = value_of(b, css).await?;
                        anyhow::ensure!(value == expected, "{css} is {value:?}, not {expected:?}");
                    }
                    anyhow::ensure!(
                        !b.find("#in").await?.is_selected().await?,
                        "ingress restricted"
                    );
                    b.wait_for_text("#policy-warnings", "ingress rules").await?;
                    // Restrict incoming traffic again: the kept rules count.
                    b.find("#in").await?.click().await?;
                    generate(b, javascript).await?;
                    let yaml = b.wait_for_text("#policy-yaml", "- Ingress").await?;
                    anyhow::ensure!(
                        yaml.contains("app: front")
                            && yaml.contains("kubernetes.io/metadata.name: monitoring"),
                        "{yaml}"
                    );
                    Ok(())
                },
            )
            .await?;
        browser.close().await?;
    }
    Ok(())
}

/// Without JavaScript, "Add a rule" and "Remove" are plain GET submissions the server answers;
/// a link naming only a namespace fills it in.
#[tokio::test]
async fn rows_are_added_and_removed_by_the_server_and_a_linked_namespace_is_filled_in() {
    let app = app().await;
    let page = |path: &'static str| {
        let app = &app;
        async move { app.get(path).await.text().await.expect("a body") }
    };
    let added =
        page("/networkpolicies?name=web&ns=demo&in=on&i0k=pods&i0v=app%3Dfront&i0x=&i0p=&add=i")
            .await;
    assert!(added.contains("name=\"i1k\""), "a second row");
    assert!(!added.contains("name=\"i2k\""), "only one more");
    assert!(
        added.contains("value=\"app=front\""),
        "the first row is kept"
    );
    let tag = |page: &str, name: &str| -> String {
        let at = page.find(&format!("name=\"{name}\"")).expect("the field");
        let start = page[..at].rfind('<').expect("its tag");
        let end = at + page[at..].find('>').expect("its end");
        page[start..end].to_owned()
    };
    assert!(
        tag(&added, "i1k").contains("autofocus"),
        "the new row has the focus"
    );
    assert!(
        !tag(&added, "i0k").contains("autofocus"),
        "only the new row"
    );
    let removed = page("/networkpolicies?name=web&ns=demo&in=on&i0k=pods&i0v=app%3Dfront&i1k=anywhere&i1p=8080&remove=i0").await;
    assert!(!removed.contains("name=\"i1k\""), "one row left");
    assert!(
        !removed.contains("value=\"app=front\""),
        "the first row is gone"
    );
    assert!(
        removed.contains("value=\"8080\""),
        "the second is now the first"
    );
    let linked = page("/networkpolicies?ns=team-a-shop").await;
    assert!(
        linked.contains("namespace: team-a-shop"),
        "the policy is for the linked namespace"
    );
    let bad = page("/networkpolicies?name=web&ns=Team&in=on").await;
    assert!(bad.contains("aria-invalid=\"true\""), "{bad}");
    assert!(bad.contains("id=\"ns-error\""), "{bad}");
}
