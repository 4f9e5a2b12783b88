//! Pages for the parts of the portal that are not built yet. Each says so plainly and gives the
//! manual way to get the same thing done today, so no navigation entry leads nowhere.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
fn NotYet(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title/>
        <section class="card narrow">
            <h1>{title}</h1>
            <p class="notice info">"This part of the portal is not available yet."</p>
            {children()}
        </section>
    }
}

#[component]
pub fn Access() -> impl IntoView {
    view! {
        <NotYet title="Access">
            <p>"To see who can use a namespace, list the subjects of its workload-admin RoleBinding:"</p>
            <pre><code>"kubectl get rolebindings.rbac.authorization.k8s.io workload-admin -n NAMESPACE -o yaml"</code></pre>
        </NotYet>
    }
}
