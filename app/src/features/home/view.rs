//! The home page.

use super::api::{HomeOverview, home_summary};
use crate::domain::{NamespaceName, NamingPolicy};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn HomePage() -> impl IntoView {
    let summary = OnceResource::new(home_summary());
    view! {
        <Title text="Home"/>
        <Suspense fallback=|| ()>
            {move || summary.get().and_then(Result::ok).flatten().map(|summary| view! { <YourCorner summary/> })}
        </Suspense>
        <section class="hero">
            <h1>"Your self-service corner of the platform"</h1>
            <p class="lead">
                "Get a namespace, see who can use it, find out why a Pod was refused and write the "
                "NetworkPolicy that lets it run, without waiting for a platform administrator."
            </p>
        </section>
        <section class="cards" aria-label="What you can do here">
            <Capability href="/namespaces/new" title="Request a namespace">
                "Ask for a namespace for your team. An administrator approves it, and the portal "
                "creates it with access for your group and safe network defaults."
            </Capability>
            <Capability href="/access" title="See who has access">
                "Which namespaces you can use, through which group, and who else can use them."
            </Capability>
            <Capability href="/faq" title="Find answers">
                "Search the knowledge base, or paste an error message to find what it means."
            </Capability>
            <Capability href="/networkpolicies" title="Write NetworkPolicies">
                "Build a policy with a live preview, a plain-words explanation and warnings for "
                "the classic mistakes, plus a safe recipe for kubectl run."
            </Capability>
            <Capability href="/networkpolicies/check" title="Would this traffic be allowed?">
                "Ask whether one Pod can reach another, DNS or the internet under your namespace's "
                "live policies: the policy that blocks it, and the one that would allow it."
            </Capability>
            <Capability href="/networkpolicies/map" title="Policy map">
                "See which of a namespace's Pods may talk to which, to DNS and the internet, and "
                "what the ingress controller reaches, drawn from the live policies."
            </Capability>
        </section>
        <NameChecker/>
    }
}

/// A logged-in user's own things first: open requests, namespaces, and for administrators the
/// queue.
#[component]
fn YourCorner(summary: HomeOverview) -> impl IntoView {
    let HomeOverview {
        name,
        open_requests,
        namespaces,
        pending,
    } = summary;
    view! {
        <section class="card" id="your-corner" aria-labelledby="your-corner-title">
            <h2 id="your-corner-title">"Welcome, "{name}</h2>
            {pending.map(|(count, more)| {
                let text = match (count, more) {
                    (0, _) => "No namespace request waits for a decision".to_owned(),
                    (1, false) => "1 namespace request waits for a decision".to_owned(),
                    (count, more) => format!(
                        "{count}{} namespace requests wait for a decision",
                        if more { "+" } else { "" }
                    ),
                };
                view! {
                    <p id="pending-for-admin"><a href="/admin/requests?status=pending">{text}</a></p>
                }
            })}
            {if namespaces.is_empty() {
                view! {
                    <p id="your-namespaces">"You have no namespace yet. "<a href="/namespaces/new">"Request one"</a>"."</p>
                }.into_any()
            } else {
                view! {
                    <p id="your-namespaces">"Your namespaces: "
                        {namespaces.into_iter().enumerate().map(|(index, namespace)| view! {
                            {(index > 0).then_some(", ")}
                            <a href=format!("/access/{namespace}")><code>{namespace.clone()}</code></a>
                        }).collect_view()}
                    </p>
                }.into_any()
            }}
            {(!open_requests.is_empty()).then(|| view! {
                <p>"Open requests:"</p>
                <ul id="your-open-requests">
                    {open_requests.into_iter().map(|(id, name, status)| view! {
                        <li><a href=format!("/namespaces/{id}")><code>{name}</code></a>{format!(" ({status})")}</li>
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}

#[component]
fn Capability(href: &'static str, title: &'static str, children: Children) -> impl IntoView {
    view! {
        <article class="card">
            <h2><a href=href>{title}</a></h2>
            <p>{children()}</p>
        </article>
    }
}

/// Checks a namespace name against the platform's rules. Without JavaScript the form submits
/// `?name=…` and the server renders the verdict; hydrated, the verdict follows every keystroke.
#[component]
fn NameChecker() -> impl IntoView {
    let naming = crate::page_context::config().map(|config| config.naming.clone());
    let initial = use_query_map()
        .read_untracked()
        .get("name")
        .unwrap_or_default();
    let (name, set_name) = signal(initial.clone());

    view! {
        <section class="card name-checker" aria-labelledby="name-checker-title">
            <h2 id="name-checker-title">"Is this namespace name available to request?"</h2>
            <form method="get" action="/">
                <label for="ns-name">"Namespace name"</label>
                <div class="inline-form">
                    <input
                        id="ns-name"
                        name="name"
                        type="text"
                        maxlength="253"
                        autocomplete="off"
                        spellcheck="false"
                        value=initial
                        on:input=move |ev| set_name.set(event_target_value(&ev))
                    />
                    <button type="submit">"Check"</button>
                </div>
            </form>
            {move || match naming.clone() {
                Some(policy) => view! { <Verdict name=name.get() policy/> }.into_any(),
                None => view! {
                    <p class="notice error" role="status">"The naming rules could not be loaded; try again later."</p>
                }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Verdict(name: String, policy: NamingPolicy) -> impl IntoView {
    if name.trim().is_empty() {
        return view! {
            <p id="name-verdict" class="muted" role="status" aria-live="polite">
                "Lowercase letters, digits and hyphens; at most 63 characters."
            </p>
        }
        .into_any();
    }
    let (class, text) = match NamespaceName::parse(&name, &policy) {
        Ok(valid) => ("notice ok", format!("'{valid}' is a valid namespace name.")),
        Err(error) => ("notice error", error.to_string()),
    };
    view! { <p id="name-verdict" class=class role="status" aria-live="polite">{text}</p> }
        .into_any()
}
