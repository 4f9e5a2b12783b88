//! `/access`: the namespaces you may use; `/access/NAMESPACE`: who may use one namespace.

use super::api::{my_namespaces, namespace_access};
use super::model::{AccessApiError, MyAccess, NamespacePage};
use super::parts::{ClusterBanner, SubjectName, error_view, via_text};
use crate::domain::access::{Binding, MyNamespace};
use crate::domain::preflight::rules::NamespaceAudit;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn MyAccessPage() -> impl IntoView {
    let access = Resource::new(|| (), |()| my_namespaces());
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || access.get().map(|result| match result {
                Ok(Some(access)) => view! { <MyAccessView access/> }.into_any(),
                Ok(None) => error_view(AccessApiError::NotLoggedIn, "/access"),
                Err(error) => error_view(error, "/access"),
            })}
        </Suspense>
    }
}

#[component]
fn MyAccessView(access: MyAccess) -> AnyView {
    let MyAccess {
        status,
        username,
        groups,
        namespaces,
        primary_binding: _,
    } = access;
    let groups_text = if groups.is_empty() {
        "no groups".to_owned()
    } else {
        groups.join(", ")
    };
    view! {
        <Title text="Your namespaces"/>
        <section class="card" id="my-access">
            <h1>"Your namespaces"</h1>
            <ClusterBanner status/>
            <p>
                "As " <strong>{username}</strong> " in " <span id="my-groups">{groups_text}</span>
                ", you can use these namespaces. Access comes from your groups in the identity "
                "provider; the portal does not change group membership."
            </p>
            // Wrapped: an if/else of views followed by static siblings failed to hydrate.
            <div class="my-namespaces">{if namespaces.is_empty() {
                view! {
                    <p class="notice info" id="no-namespaces">
                        "You have access to no namespace yet. Ask your team to add you to their "
                        "group in the identity provider, or request a namespace."
                    </p>
                }
                .into_any()
            } else {
                view! {
                    <table id="my-namespaces">
                        <thead><tr><th>"Namespace"</th><th>"How you have access"</th><th>"Use it with kubectl"</th></tr></thead>
                        <tbody>{namespaces.into_iter().map(|ns| view! { <MyNamespaceRow ns/> }).collect_view()}</tbody>
                    </table>
                }
                .into_any()
            }}</div>
            <p class="muted">
                "kubectl needs the platform login set up once: see "<a href="/kubeconfig">"kubectl access"</a>"."
            </p>
        </section>
    }
    .into_any()
}

#[component]
fn MyNamespaceRow(ns: MyNamespace) -> impl IntoView {
    let MyNamespace { namespace, grants } = ns;
    let href = format!("/access/{namespace}");
    let commands = format!(
        "kubectl config set-context --current --namespace={namespace}\n\
         kubectl get pods -n {namespace}\n\
         kubectl auth can-i --list -n {namespace}"
    );
    view! {
        <tr data-namespace=namespace.clone()>
            <td><a href=href>{namespace.clone()}</a></td>
            <td>
                <ul class="plain">
                    {grants.into_iter().map(|grant| view! {
                        <li>"your " {via_text(&grant.via)} " in RoleBinding " <code>{grant.binding}</code>
                            " (ClusterRole " <code>{grant.role}</code> ")"</li>
                    }).collect_view()}
                </ul>
            </td>
            <td><pre><code>{commands}</code></pre></td>
        </tr>
    }
}

#[component]
pub fn NamespaceAccessPage() -> impl IntoView {
    let params = use_params_map();
    let page = Resource::new(
        move || params.read().get("namespace").unwrap_or_default(),
        namespace_access,
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || page.get().map(|result| match result {
                Ok(Some(page)) => view! { <NamespaceView page/> }.into_any(),
                Ok(None) => error_view(AccessApiError::NotLoggedIn, "/access"),
                Err(error) => error_view(error, "/access"),
            })}
        </Suspense>
    }
}

#[component]
fn NamespaceView(page: NamespacePage) -> AnyView {
    let NamespacePage {
        status,
        access,
        primary_binding,
        audit,
    } = page;
    let namespace = access.namespace.clone();
    let kubectl = format!(
        "kubectl get rolebindings.rbac.authorization.k8s.io {primary_binding} -n {namespace} -o yaml"
    );
    let yours = if access.grants.is_empty() {
        "You have no access of your own here; you see it as a platform administrator.".to_owned()
    } else {
        let ways: Vec<String> = access.grants.iter().map(|g| via_text(&g.via)).collect();
        format!("You have access through your {}.", ways.join(", your "))
    };
    let groups: Vec<String> = access
        .bindings
        .iter()
        .flat_map(|b| &b.subjects)
        .filter(|s| s.kind == crate::domain::access::SubjectKind::Group)
        .map(|s| s.name.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    view! {
        <Title text=format!("Access to {namespace}")/>
        // One root element: sibling sections at the top failed to hydrate.
        <div class="access-namespace">
        <section class="card" id="namespace-access" data-namespace=namespace.clone()>
            <p class="breadcrumbs"><a href="/access">"Your namespaces"</a>" › " {namespace.clone()}</p>
            <h1>"Who has access to " <code>{namespace.clone()}</code></h1>
            <ClusterBanner status/>
            <p id="your-access">{yours}</p>
            <div class="bindings">{if access.bindings.is_empty() {
                view! { <p class="notice error" id="no-bindings">"This namespace has no access RoleBinding: nobody but administrators can use it."</p> }.into_any()
            } else {
                access.bindings.into_iter().map(|binding| view! { <BindingView binding/> }).collect_view().into_any()
            }}</div>
        </section>
        <section class="card" id="give-access">
            <h2>"Give a new developer access"</h2>
            <p>
                "Add them to one of the groups below in your identity provider. The next time "
                "they log in, kubectl and this portal see the group. The portal does not edit "
                "group membership: the identity provider is the one place it is kept."
            </p>
            {(!groups.is_empty()).then(|| view! {
                <ul id="groups-to-join">{groups.into_iter().map(|g| view! { <li><code>{g}</code></li> }).collect_view()}</ul>
            })}
            <h2>"The same with kubectl"</h2>
            <pre><code id="kubectl-get-rolebinding">{kubectl}</code></pre>
        </section>
        {audit.map(|audit| view! { <AuditView audit namespace=namespace.clone()/> })}
        </div>
    }
    .into_any()
}

#[component]
fn BindingView(binding: Binding) -> impl IntoView {
    let Binding {
        name,
        role_kind,
        role_name,
        subjects,
        ..
    } = binding;
    view! {
        <section class="binding" data-binding=name.clone()>
            <h2>"RoleBinding " <code>{name.clone()}</code></h2>
            <p>"Binds the " {role_kind} " " <code class="role">{role_name}</code> " to:"</p>
            {if subjects.is_empty() {
                view! { <p class="muted">"No subjects: nobody has access through it."</p> }.into_any()
            } else {
                view! {
                    <table class="subjects">
                        <thead><tr><th>"Kind"</th><th>"Name"</th></tr></thead>
                        <tbody>{subjects.into_iter().map(|subject| view! {
                            <tr><td>{subject.kind.as_str()}</td><td><SubjectName subject/></td></tr>
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

/// What Gatekeeper's audit found among the namespace's existing objects, in the words the
/// preflight check uses: the rule, what it does, the object, the message, why the rule exists.
#[component]
fn AuditView(audit: NamespaceAudit, namespace: String) -> impl IntoView {
    use crate::domain::preflight::rules::{RulesStatus, faq_slug, reason};
    let NamespaceAudit {
        status,
        violations,
        incomplete,
    } = audit;
    let body = match status {
        RulesStatus::NoCluster | RulesStatus::NoGatekeeper => return ().into_any(),
        RulesStatus::Starting => view! {
            <p class="muted">"The cluster's Gatekeeper constraints are still being read."</p>
        }
        .into_any(),
        _ if violations.is_empty() => view! {
            <p class="notice ok" id="audit-clean">
                "Gatekeeper's last audit found nothing here that breaks the cluster's rules."
            </p>
        }
        .into_any(),
        _ => {
            let count = violations.len();
            view! {
                <p id="audit-count">{format!(
                    "Gatekeeper's last audit found {count} object{} here that break{} the cluster's rules. \
                     Objects already running keep running; the next change to them will be refused or warned about the same way.",
                    if count == 1 { "" } else { "s" },
                    if count == 1 { "s" } else { "" },
                )}</p>
                <ul class="rules" id="audit-violations">
                    {violations.into_iter().map(|violation| {
                        let class = match violation.action.as_str() {
                            "deny" => "notice error",
                            "warn" => "notice info",
                            _ => "muted",
                        };
                        let faq = format!("/faq/{}", faq_slug(&violation.kind));
                        view! {
                            <li class=class data-constraint=violation.constraint.clone()>
                                <strong>{format!("{} {}", violation.object_kind, violation.object_name)}</strong>
                                {format!(" breaks {} ({}, {})", violation.constraint, violation.kind, violation.action)}
                                <pre class="prewrap">{violation.message}</pre>
                                {reason(&violation.kind).map(|reason| view! { <p>{reason}</p> })}
                                <p><a href=faq>"Why, and what to do"</a></p>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }
            .into_any()
        }
    };
    let incomplete = (!incomplete.is_empty()).then(|| {
        view! {
            <p class="muted">{format!(
                "Gatekeeper keeps only the first violations of each constraint; {} count more than they list, so there may be more here.",
                incomplete.join(", ")
            )}</p>
        }
    });
    let kubectl = format!(
        "kubectl get constraints -o json | jq '.items[].status.violations[]? | select(.namespace == \"{namespace}\")'"
    );
    view! {
        <section class="card" id="namespace-audit">
            <h2>"What the cluster's rules say about what runs here"</h2>
            {body}
            {incomplete}
            <p>"Check a change before you apply it at " <a href="/preflight">"Will it run here?"</a> "."</p>
            <h3>"The same with kubectl"</h3>
            <pre><code>{kubectl}</code></pre>
        </section>
    }
    .into_any()
}
