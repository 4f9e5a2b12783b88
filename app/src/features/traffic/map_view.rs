//! The policy map page: a namespace picker around the map the server drew (see
//! [`super::model::ShownMap`] for why the browser places HTML rather than drawing it).

use super::api::{load_policy_map, policy_map_version};
use super::model::ShownMap;
use super::view::PageError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// How often the hydrated page asks whether the map changed.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(10);

#[component]
pub fn PolicyMapPage() -> impl IntoView {
    let query = use_query_map();
    let asked = query.with_untracked(|params| (params.get("ns"), params.get("pod")));
    let page = Resource::new(
        move || asked.clone(),
        |(namespace, pod)| async move { load_policy_map(namespace, pod).await.map(ShownMap::from) },
    );
    // Hydrated, the page asks every ten seconds for the map's version, and fetches the map
    // again only when the cluster changed it. Without JavaScript, reloading shows it as it is.
    Effect::new(move |_| {
        let Some(Ok(shown)) = page.get() else {
            return;
        };
        let (namespace, version) = (shown.namespace, shown.version);
        let handle = set_interval_with_handle(
            move || {
                let namespace = namespace.clone();
                leptos::task::spawn_local(async move {
                    if let Ok(now) = policy_map_version(namespace).await
                        && now != version
                    {
                        page.refetch();
                    }
                });
            },
            REFRESH,
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <Title text="Policy map"/>
        <h1>"Policy map"</h1>
        <p class="lead">
            "Which Pods of a namespace may talk to which, to the cluster DNS and the internet, and "
            "what the ingress controller may reach, as the NetworkPolicies in the cluster say now. "
            "Pods the policies treat alike are one box. "
            <a href="/faq/traffic-check" id="traffic-faq">"How to read it, and how to check one connection"</a>
        </p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || page.get().map(|page| match page {
                Ok(shown) => view! { <MapView shown/> }.into_any(),
                Err(error) => view! { <PageError error page="/networkpolicies/map"/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn MapView(shown: ShownMap) -> impl IntoView {
    let ShownMap {
        namespaces,
        namespace,
        version: _,
        html,
    } = shown;
    let check = format!(
        "/networkpolicies/check?ns={}",
        crate::links::query_value(&namespace)
    );
    view! {
        <form method="get" action="/networkpolicies/map" class="inline-form">
            <label for="ns">"Namespace"</label>
            <select id="ns" name="ns">
                {namespaces.into_iter().map(|name| {
                    let selected = name == namespace;
                    let label = name.clone();
                    view! { <option value=name selected=selected>{label}</option> }
                }).collect_view()}
            </select>
            <button type="submit">"Show"</button>
        </form>
        <div id="policy-map" inner_html=html></div>
        <p class="muted">
            "Pods of other namespaces are not on the map: what they may do depends on their labels. "
            <a href=check>"Ask about one connection"</a>
            " to check any other. Without JavaScript, reload the page to see changes."
        </p>
    }
}
