//! `/kubeconfig`: how to use kubectl with the platform's login, and the download.

use crate::features::access::my_namespaces;
use crate::features::shared::copy::CopyButton;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn KubeconfigPage() -> impl IntoView {
    let logged_in = crate::page_context::user().is_some();
    // The commands name one of the user's own namespaces when there is one.
    let namespaces = OnceResource::new(my_namespaces());
    let use_it = move || {
        let namespace = namespaces
            .get()
            .and_then(Result::ok)
            .flatten()
            .and_then(|access| access.namespaces.into_iter().next())
            .map_or_else(
                || "YOUR-NAMESPACE".to_owned(),
                |namespace| namespace.namespace,
            );
        format!(
            "export KUBECONFIG=~/Downloads/welkin-kubeconfig.yaml\nkubectl get pods -n {namespace}"
        )
    };
    view! {
        <Title text="kubectl access"/>
        <section class="card narrow">
            <h1>"Use kubectl with your platform login"</h1>
            <p>
                "The kubeconfig below has no password or token of yours in it. The first time "
                "kubectl needs the cluster, the oidc-login plugin opens your browser, you log in "
                "as you do here, and kubectl gets a short-lived token."
            </p>
            <p class="muted" id="shared-client-secret">
                "The file does contain a client secret (--oidc-client-secret): it is the one "
                "secret the platform's identity provider shares with every kubectl, the same in "
                "every user's file. It identifies kubectl as a client, not you: it cannot log "
                "anyone in without their own password. Still, keep the file to yourself."
            </p>
            <h2>"1. Install the login plugin"</h2>
            <div class="code-block">
                <pre><code>"kubectl krew install oidc-login"</code></pre>
                <CopyButton text="kubectl krew install oidc-login".to_owned() label="Copy the install command"/>
            </div>
            <p class="muted">"Without krew: install kubelogin from your package manager, which provides kubectl-oidc_login."</p>
            <h2>"2. Download your kubeconfig"</h2>
            {if logged_in {
                view! {
                    <p><a class="button" rel="external" href="/kubeconfig/download" id="kubeconfig-download">"Download kubeconfig"</a></p>
                }.into_any()
            } else {
                view! {
                    <p><a rel="external" href="/auth/login?next=/kubeconfig">"Log in"</a>" to download your kubeconfig."</p>
                }.into_any()
            }}
            <h2>"3. Use it"</h2>
            <Suspense fallback=|| ()>
                {move || {
                    let commands = use_it();
                    view! {
                        <div class="code-block">
                            <pre><code id="use-kubeconfig">{commands.clone()}</code></pre>
                            <CopyButton text=commands label="Copy the commands"/>
                        </div>
                    }
                }}
            </Suspense>
            <p>
                "The plugin listens on localhost port 8000 for the login, and on 18000 if 8000 is "
                "taken. If login fails with \"Unregistered redirect_uri\", free port 8000 and try "
                "again; "
                <a href="/faq/unregistered-redirect-uri">"the FAQ explains why"</a>
                "."
            </p>
        </section>
    }
}
