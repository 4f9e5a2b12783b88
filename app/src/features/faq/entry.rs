//! `/faq/SLUG`: one entry, its related entries and "Was this helpful?".

use super::api::{VoteFaq, faq_entry, my_faq_vote};
use super::code::CodeBlock;
use super::model::{BodyBlock, Entry, FaqApiError, VoteOutcome};
use super::search::{EntryLink, VersionBadge};
use crate::status::set_status;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn FaqEntryPage() -> impl IntoView {
    let params = use_params_map();
    let entry = Resource::new(
        move || params.read().get("slug").unwrap_or_default(),
        faq_entry,
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                entry
                    .get()
                    .map(|result| match result {
                        Ok(entry) => view! { <EntryView entry/> }.into_any(),
                        Err(FaqApiError::UnknownEntry(_)) => {
                            set_status(404);
                            view! {
                                <Title text="No such FAQ entry"/>
                                <section class="card narrow">
                                    <h1>"No such FAQ entry"</h1>
                                    <p>"There is no FAQ entry at this address. It may have been renamed."</p>
                                    <p><a href="/faq">"Search the FAQ"</a></p>
                                </section>
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
fn EntryView(entry: Entry) -> AnyView {
    let Entry {
        summary,
        tags,
        errors,
        body,
        related,
        does_not_apply_to,
    } = entry;
    let slug = summary.slug.clone();
    view! {
        <Title text=summary.title.clone()/>
        <article id="faq-entry" class="faq-entry">
            <p class="breadcrumbs"><a href="/faq">"FAQ"</a>" › "{summary.category.clone()}</p>
            <h1>{summary.title.clone()}</h1>
            {does_not_apply_to.map(|version| view! {
                <p class="notice error" id="faq-version-note">
                    "This entry is about platform versions " {summary.versions.clone().unwrap_or_default()}
                    ". This platform runs " {version} ", so it may not apply here."
                </p>
            })}
            {summary.versions.is_some().then(|| view! {
                <p class="faq-meta"><VersionBadge entry=summary.clone()/></p>
            })}
            {(!errors.is_empty()).then(|| view! {
                <details class="faq-errors">
                    <summary>"The error messages this answers"</summary>
                    <ul>{errors.into_iter().map(|error| view! { <li><code>{error}</code></li> }).collect_view()}</ul>
                </details>
            })}
            <div class="faq-body">
                {body.into_iter().map(|block| match block {
                    // HTML the server rendered from Markdown: raw HTML shown as text, unsafe
                    // links removed, everything escaped (server/src/faq/markdown.rs).
                    BodyBlock::Html(html) => view! { <div inner_html=html></div> }.into_any(),
                    BodyBlock::Code { language, code } => view! { <CodeBlock code language/> }.into_any(),
                }).collect_view()}
            </div>
            {(!tags.is_empty()).then(|| view! {
                <p class="faq-tags">
                    {tags.into_iter().map(|tag| view! { <span class="tag">{tag}</span> " " }).collect_view()}
                </p>
            })}
            <Feedback slug/>
            {(!related.is_empty()).then(|| view! {
                <section class="faq-related" aria-labelledby="related-title">
                    <h2 id="related-title">"Related questions"</h2>
                    <ul>{related.into_iter().map(|entry| view! { <EntryLink entry/> }).collect_view()}</ul>
                </section>
            })}
        </article>
    }
    .into_any()
}

/// "Was this helpful?": two buttons of one form. Without JavaScript the form posts, the server
/// records the vote and sends the reader back here; hydrated, it posts in the background.
#[component]
fn Feedback(slug: String) -> AnyView {
    let vote = ServerAction::<VoteFaq>::new();
    let mine = {
        let slug = slug.clone();
        Resource::new(
            move || vote.version().get(),
            move |_| my_faq_vote(slug.clone()),
        )
    };
    let status = move || {
        if let Some(result) = vote.value().get() {
            return match result {
                Ok(VoteOutcome::Recorded) => "Thank you, your answer is recorded.".to_owned(),
                Ok(VoteOutcome::Changed) => "Thank you, your answer is changed.".to_owned(),
                Ok(VoteOutcome::Unchanged) => "You had already answered this way.".to_owned(),
                Err(error) => error.to_string(),
            };
        }
        match mine.get() {
            Some(Ok(Some(true))) => {
                "You found this helpful. You can change your answer.".to_owned()
            }
            Some(Ok(Some(false))) => {
                "You found this not helpful. You can change your answer.".to_owned()
            }
            _ => String::new(),
        }
    };
    view! {
        <section id="feedback" class="card feedback" aria-labelledby="feedback-title">
            <h2 id="feedback-title">"Was this helpful?"</h2>
            <ActionForm action=vote>
                <input type="hidden" name="input[slug]" value=slug/>
                <div class="inline-form">
                    <button type="submit" name="input[helpful]" value="true" id="vote-yes">"Yes"</button>
                    <button type="submit" name="input[helpful]" value="false" id="vote-no">"No"</button>
                </div>
            </ActionForm>
            <Transition>
                <p id="feedback-status" role="status" aria-live="polite">{status}</p>
            </Transition>
        </section>
    }
    .into_any()
}
