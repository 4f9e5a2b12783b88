//! `/admin/faq`: which entries readers found unhelpful, and what they searched for in vain, so
//! administrators know what to improve and what to write next.
//!
//! For platform administrators only: the page sits inside [`AdminOnly`] (anonymous visitors are
//! sent to log in, developers get 403), and the report's server function checks again.

use super::api::faq_report;
use super::model::{FaqApiError, Report};
use crate::features::account::AdminOnly;
use crate::status::set_status;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn FaqAdminPage() -> impl IntoView {
    view! {
        <Title text="FAQ feedback"/>
        <AdminOnly>
            <FaqReport/>
        </AdminOnly>
    }
}

/// The report itself, fetched only once [`AdminOnly`] has let the reader in.
#[component]
fn FaqReport() -> impl IntoView {
    let report = Resource::new(|| (), |()| faq_report());
    view! {
        <h1>"FAQ feedback"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                report
                    .get()
                    .map(|result| match result {
                        Ok(report) => view! { <ReportView report/> }.into_any(),
                        Err(error @ FaqApiError::Access(access)) => {
                            // The session ended between the page's check and the report's.
                            set_status(access.status());
                            view! { <p class="notice error" role="alert">{error.to_string()}</p> }.into_any()
                        }
                        Err(error) => {
                            set_status(503);
                            view! { <p class="notice error" role="alert">{error.to_string()}</p> }.into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn ReportView(report: Report) -> AnyView {
    view! {
        <div class="faq-report">
        <section class="card" aria-labelledby="unanswered-title">
            <h2 id="unanswered-title">"Searches nothing answered well"</h2>
            {if report.unanswered.is_empty() {
                view! { <p class="muted">"None yet."</p> }.into_any()
            } else {
                view! {
                    <table id="faq-unanswered">
                        <thead><tr><th>"Search"</th><th class="number">"Times"</th><th>"Last"</th></tr></thead>
                        <tbody>
                            {report.unanswered.into_iter().map(|row| view! {
                                <tr><td>{row.query}</td><td class="number">{row.count}</td><td>{row.last_seen}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }
                .into_any()
            }}
        </section>
        <section class="card" aria-labelledby="helpfulness-title">
            <h2 id="helpfulness-title">"Helpfulness, least helpful first"</h2>
            <table id="faq-helpfulness">
                <thead><tr><th>"Entry"</th><th class="number">"Helpful"</th><th class="number">"Not helpful"</th></tr></thead>
                <tbody>
                    {report.entries.into_iter().map(|row| {
                        let href = format!("/faq/{}", row.entry.slug);
                        view! {
                            <tr>
                                <td><a href=href>{row.entry.title}</a></td>
                                <td class="number">{row.helpful}</td>
                                <td class="number">{row.not_helpful}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        </div>
    }
    .into_any()
}
