//! `/admin/access`: every group, user and ServiceAccount against the namespaces it may use,
//! searchable with a plain GET form (works without JavaScript) and exportable as CSV.

use super::api::access_matrix;
use super::model::AdminAccess;
use super::parts::{ClusterBanner, SubjectName, error_view};
use crate::domain::access::{Grid, MatrixRow};
use crate::features::account::AdminOnly;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AdminAccessPage() -> impl IntoView {
    view! {
        <AdminOnly>
            <AdminAccessContent/>
        </AdminOnly>
    }
}

#[component]
fn AdminAccessContent() -> impl IntoView {
    let query = use_query_map();
    let access = Resource::new(
        move || query.read().get("q").unwrap_or_default(),
        access_matrix,
    );
    view! {
        <Title text="Access matrix"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || access.get().map(|result| match result {
                Ok(access) => view! { <MatrixView access/> }.into_any(),
                Err(error) => error_view(error, "/admin/access"),
            })}
        </Suspense>
    }
}

#[component]
fn MatrixView(access: AdminAccess) -> AnyView {
    let AdminAccess {
        status,
        search,
        matrix,
        groups_never_seen,
        primary_binding,
    } = access;
    let csv_href = if search.trim().is_empty() {
        "/admin/access.csv".to_owned()
    } else {
        format!(
            "/admin/access.csv?q={}",
            crate::links::query_value(search.trim())
        )
    };
    view! {
        // One root element: sibling sections at the top failed to hydrate.
        <div class="access-matrix">
        <section class="card" id="admin-access">
            <h1>"Who has access to which namespace"</h1>
            <ClusterBanner status/>
            <form method="get" action="/admin/access" class="inline-form" role="search">
                <label for="access-search">"Group, user or namespace"</label>
                <input id="access-search" type="search" name="q" value=search.clone()/>
                <button type="submit">"Search"</button>
            </form>
            <p>
                {matrix.namespace_count} " namespaces in the cluster. "
                <a rel="external" href=csv_href id="access-csv">"Download as CSV"</a>
            </p>
        </section>
        <section class="card" id="without-primary">
            <h2>"Namespaces without a " <code>{primary_binding.clone()}</code> " RoleBinding"</h2>
            {if matrix.without_primary_binding.is_empty() {
                view! { <p class="muted">"None."</p> }.into_any()
            } else {
                view! { <ul>{matrix.without_primary_binding.into_iter().map(|ns| {
                    let href = format!("/access/{ns}");
                    view! { <li><a href=href>{ns}</a></li> }
                }).collect_view()}</ul> }.into_any()
            }}
        </section>
        <section class="card" id="never-seen">
            <h2>"Groups no one who logged in has carried"</h2>
            <p class="muted">"Named in a RoleBinding, but no user who logged in to the portal was in them: a typo, a renamed group, or a team that has not logged in yet."</p>
            {if groups_never_seen.is_empty() {
                view! { <p class="muted">"None."</p> }.into_any()
            } else {
                view! { <ul>{groups_never_seen.into_iter().map(|g| view! { <li><code>{g}</code></li> }).collect_view()}</ul> }.into_any()
            }}
        </section>
        <MatrixTable id="matrix-groups" title="Groups × namespaces" rows=matrix.groups/>
        <MatrixTable id="matrix-users" title="Users × namespaces" rows=matrix.users/>
        <MatrixTable id="matrix-serviceaccounts" title="ServiceAccounts × namespaces" rows=matrix.service_accounts/>
        </div>
    }
    .into_any()
}

/// One kind of subject against the namespaces: a grid (a row per namespace, a column per
/// subject) when it fits on a screen, otherwise a row per subject with its namespaces, and a
/// hint to search.
#[component]
fn MatrixTable(id: &'static str, title: &'static str, rows: Vec<MatrixRow>) -> impl IntoView {
    let body = if rows.is_empty() {
        view! { <p class="muted">"None."</p> }.into_any()
    } else if let Some(grid) = Grid::of(&rows) {
        view! { <GridTable id grid/> }.into_any()
    } else {
        let count = rows.len();
        view! {
            <p class="muted">
                {count} " subjects: too many to show as a grid. Search for a group, user or \
                namespace to narrow it."
            </p>
            <div class="table-scroll">
                <table id=id class="matrix">
                    <thead><tr><th scope="col">"Subject"</th><th scope="col">"Namespaces (RoleBinding)"</th></tr></thead>
                    <tbody>{rows.into_iter().map(|row| view! {
                        <tr>
                            <th scope="row"><SubjectName subject=row.subject/></th>
                            <td>{row.namespaces.into_iter().map(|(ns, binding)| {
                                let href = format!("/access/{ns}");
                                view! { <a href=href class="ns">{ns}</a> " (" {binding} ") " }
                            }).collect_view()}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="card">
            <h2>{title}</h2>
            {body}
        </section>
    }
}

/// The grid: a tick where the column's subject may use the row's namespace, naming the
/// RoleBindings that allow it.
#[component]
fn GridTable(id: &'static str, grid: Grid) -> impl IntoView {
    let Grid { columns, rows } = grid;
    view! {
        <div class="table-scroll">
            <table id=id class="grid">
                <thead>
                    <tr>
                        <th scope="col">"Namespace"</th>
                        {columns.into_iter().map(|subject| view! {
                            <th scope="col"><SubjectName subject/></th>
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody>{rows.into_iter().map(|row| {
                    let href = format!("/access/{}", row.namespace);
                    view! {
                        <tr>
                            <th scope="row"><a href=href class="ns">{row.namespace}</a></th>
                            {row.cells.into_iter().map(|bindings| {
                                if bindings.is_empty() {
                                    view! { <td class="no"><span class="visually-hidden">"no access"</span></td> }.into_any()
                                } else {
                                    let names = bindings.join(", ");
                                    let title = names.clone();
                                    view! {
                                        <td class="yes" title=title>
                                            <span aria-hidden="true">"✓"</span>
                                            <span class="visually-hidden">"through " {names}</span>
                                        </td>
                                    }.into_any()
                                }
                            }).collect_view()}
                        </tr>
                    }
                }).collect_view()}</tbody>
            </table>
        </div>
    }
}
