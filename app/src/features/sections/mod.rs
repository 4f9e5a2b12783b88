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
pub fn Namespaces() -> impl IntoView {
    view! {
        <NotYet title="Namespaces">
            <p>"Until you can request namespaces here, ask a platform administrator to create one."</p>
        </NotYet>
    }
}

#[component]
pub fn Admin() -> impl IntoView {
    view! {
        <crate::features::account::AdminOnly>
        <NotYet title="Admin">
            <p>"The approval queue and audit trail for platform administrators will live here."</p>
        </NotYet>
        </crate::features::account::AdminOnly>
    }
}
