//! `/admin/faq`: which entries readers found unhelpful, and what they searched for in vain, so
//! administrators know what to improve and what to write next.
//!
//! The portal has no login yet: the server serves this report only when the operator has made it
//! public (`faq_admin_public`); otherwise the page says why it is unavailable, with status 404.

use super::api::faq_report;
use super::model::{FaqApiError, Report};
use crate::features::shared::status::set_status;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn FaqAdminPage() -> impl IntoView {
    let report = Resource::new(|| (), |()| faq_report());
    view! {
        <Title text="FAQ feedback"/>
        <h1>"FAQ feedback"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                report
                    .get()
                    .map(|result| match result {
                        Ok(report) => view! { <ReportView report/> }.into_any(),
                        Err(error @ FaqApiError::NeedsLogin) => {
                            set_status(404);
                            view! {
                                <p class="notice info" id="faq-admin-unavailable">{error.to_string()}". "
                                    "Until it has, an operator can make this page public by setting "
                                    <code>"faq_admin_public = true"</code>"."
                                </p>
                            }
                            .into_any()
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
            <h2 id="unanswered-title">"Searches that found nothing"</h2>
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
