//! The page for any path the portal does not know, served with status 404.

use crate::status::set_status;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    set_status(404);
    view! {
        <Title text="Page not found"/>
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. It may have moved, or the link may be mistyped."</p>
            <p><a href="/">"Go to the home page"</a></p>
        </section>
    }
}
