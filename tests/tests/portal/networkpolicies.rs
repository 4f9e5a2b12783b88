//! The NetworkPolicy generator and the `kubectl run` recipe in the browser, with JavaScript on
//! (the preview follows every keystroke, no submit) and off (GET forms the server answers).

use portal_tests::{Browser, JavaScript, TestApp};

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
            b.find("#policy-form button[type=submit]")
                .await?
                .click()
                .await?;
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
