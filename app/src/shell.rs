//! The HTML document around every page, the shared layout and the route table.

use crate::features::{
    access::{AdminAccessPage, MyAccessPage, NamespaceAccessPage},
    account::AccountMenu,
    admin::AdminHome,
    faq::{FaqAdminPage, FaqEntryPage, FaqPage},
    home::HomePage,
    kubeconfig::KubeconfigPage,
    namespaces::{AuditTrailPage, MyRequestsPage, NewRequestPage, QueuePage, RequestPage},
    networkpolicies::{PolicyPage, RunRecipePage},
    not_found::NotFound,
    preflight::PreflightPage,
    traffic::{PolicyMapPage, TrafficCheckPage},
};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{A, Route, Router, Routes},
};

/// The product's name as users see it.
pub const PRODUCT_NAME: &str = "Welkin Developer Portal";

/// The whole HTML document. The server renders it for every page; the browser hydrates `<body>`.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // The bundle's content-hashed name (`portal-<hash>`) names its stylesheet too.
                <link rel="stylesheet" href=format!("/pkg/{}.css", options.output_name)/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The app: layout and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    crate::page_context::provide();
    mark_hydrated();

    view! {
        <Title formatter=|page: String| format!("{page} · {PRODUCT_NAME}")/>
        <Router>
            // `rel="external"`: the router leaves the link to the browser, which moves focus
            // to `#main`; handled by the router (once hydrated) it did nothing.
            <a class="skip-link" href="#main" rel="external">"Skip to content"</a>
            <Header/>
            <main id="main" class="page">
                // Every page renders whole before its first byte (`SsrMode::Async`): without
                // JavaScript, content streamed out of order stays in `<template>`s only a script
                // moves into place, so pages showed "Loading…" whenever the server was busy. It
                // also lets a page decide its status (303 to login, 403, 404) once its data and
                // the user are known. The fallback (404) renders in order, also whole.
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("namespaces") view=MyRequestsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("namespaces"), StaticSegment("new")) view=NewRequestPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("namespaces"), ParamSegment("id")) view=RequestPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("access") view=MyAccessPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("access"), ParamSegment("namespace")) view=NamespaceAccessPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("faq") view=FaqPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("faq"), ParamSegment("slug")) view=FaqEntryPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("networkpolicies") view=PolicyPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("networkpolicies"), StaticSegment("run")) view=RunRecipePage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("networkpolicies"), StaticSegment("check")) view=TrafficCheckPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("networkpolicies"), StaticSegment("map")) view=PolicyMapPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("preflight") view=PreflightPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("kubeconfig") view=KubeconfigPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("admin") view=AdminHome ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("requests")) view=QueuePage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("audit")) view=AuditTrailPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("faq")) view=FaqAdminPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), StaticSegment("access")) view=AdminAccessPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <Footer/>
        </Router>
    }
}

/// Sets `data-hydrated` on `<html>` once the browser bundle has taken over. Effects never run on
/// the server, so the attribute is proof that hydration happened (the browser tests wait for it).
fn mark_hydrated() {
    Effect::new(|_| {
        if let Some(root) = document().document_element() {
            // Failing to set a marker attribute is harmless; there is nothing to recover.
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
}

#[component]
fn Header() -> impl IntoView {
    let links = [
        ("/", "Home"),
        ("/namespaces", "Namespaces"),
        ("/access", "Access"),
        ("/faq", "FAQ"),
        ("/networkpolicies", "NetworkPolicies"),
        ("/networkpolicies/check", "Traffic"),
        ("/preflight", "Will it run?"),
    ];
    // The Admin entry is shown to administrators only (the pages check again on the server).
    let admin_link = crate::page_context::user()
        .filter(|user| user.is_admin)
        .map(|_| view! { <li><A href="/admin" exact=true>"Admin"</A></li> });
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">
                <span class="brand-mark" aria-hidden="true">"◆"</span>
                {PRODUCT_NAME}
            </A>
            <nav aria-label="Main">
                <ul class="nav-links">
                    {links
                        .into_iter()
                        .map(|(href, label)| view! { <li><A href=href exact=true>{label}</A></li> })
                        .collect_view()}
                    {admin_link}
                </ul>
            </nav>
            <AccountMenu/>
        </header>
    }
}

#[component]
fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <p>
                {concat!(
                    "Welkin Developer Portal · version ",
                    env!("CARGO_PKG_VERSION"),
                    " · for application developers on Compliant Kubernetes (Welkin)"
                )}
            </p>
        </footer>
    }
}
