//! The account corner of the header.

use crate::page_context;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[component]
pub fn AccountMenu() -> impl IntoView {
    let location = use_location();
    let next = move || {
        let path = location.pathname.get();
        let query = location.search.get();
        let target = if query.is_empty() {
            path
        } else {
            format!("{path}?{query}")
        };
        crate::links::login_path(&target)
    };
    match page_context::user() {
        Some(user) => view! {
            <div class="account">
                <span class="who" title=user.groups.join(", ")>
                    {user.display_name().to_owned()}
                    <span class="groups">{user.groups.join(", ")}</span>
                </span>
                <form method="post" action="/auth/logout">
                    <button type="submit" class="link">"Log out"</button>
                </form>
            </div>
        }
        .into_any(),
        None => view! { <a class="login" rel="external" href=next>"Log in"</a> }.into_any(),
    }
}

/// Shows `children` to administrators only: anonymous visitors are sent to log in (and back to
/// this page afterwards), developers get a 403 page (the server functions behind admin pages
/// check again).
#[component]
pub fn AdminOnly(children: ChildrenFn) -> impl IntoView {
    match page_context::user() {
        Some(user) if user.is_admin => children().into_any(),
        Some(_) => {
            crate::status::set_status(403);
            view! {
                <section class="card narrow">
                    <h1>"For platform administrators"</h1>
                    <p>"This page is for platform administrators. If you need something from one, ask them; the FAQ may already answer it."</p>
                </section>
            }
            .into_any()
        }
        None => {
            let login = crate::links::login_path(&use_location().pathname.get_untracked());
            // Redirect sets Location; the status must say it is a redirect too.
            crate::status::set_status(303);
            view! { <leptos_router::components::Redirect path=login/> }.into_any()
        }
    }
}
