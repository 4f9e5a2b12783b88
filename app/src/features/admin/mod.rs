//! `/admin`: where platform administrators start — the approval queue, the audit trail, the
//! access overview and the FAQ report.

use crate::features::account::AdminOnly;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminHome() -> impl IntoView {
    view! {
        <AdminOnly>
            <Title text="Admin"/>
            <h1>"Admin"</h1>
            <div class="cards" id="admin-links">
                <a class="card" href="/admin/requests?status=pending">
                    <h2>"Namespace requests"</h2>
                    <p>"Approve or reject what developers asked for; retry a failed provisioning."</p>
                </a>
                <a class="card" href="/admin/audit">
                    <h2>"Audit trail"</h2>
                    <p>"Every step of every request: who, when, and what happened. Export as CSV or JSON."</p>
                </a>
                <a class="card" href="/admin/access">
                    <h2>"Access overview"</h2>
                    <p>"Who has access to which namespace, namespaces without the team binding, groups nobody carries. Export as CSV."</p>
                </a>
                <a class="card" href="/admin/faq">
                    <h2>"FAQ feedback"</h2>
                    <p>"Which answers readers found unhelpful, and what they searched for in vain."</p>
                </a>
            </div>
        </AdminOnly>
    }
}
