//! `/faq`: the categories, a search box and a "paste your error" box.
//!
//! Without JavaScript both boxes are GET forms: the server searches and renders the results.
//! Hydrated, the results follow every keystroke. A query is recorded for the administrators
//! (when nothing answers it well) once it is submitted or typing pauses, not on every keystroke.
//! When nothing answers it well, the closest entries are shown as such, with the portal's pages
//! that can answer that kind of question (a pasted manifest, a question about connections).

use super::api::{faq_overview, search_faq};
use super::model::{EntrySummary, Hit, Overview, Pointer, SearchInput, SearchResults, TextPart};
use leptos::{ev::SubmitEvent, html, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use std::time::Duration;

/// How long typing must pause before a query counts as asked.
const SETTLE: Duration = Duration::from_millis(1_500);

#[component]
pub fn FaqPage() -> impl IntoView {
    let initial = use_query_map()
        .read_untracked()
        .get("q")
        .unwrap_or_default();
    // A query that came in the address was submitted: record it if nothing answers it.
    let search = RwSignal::new(SearchInput {
        q: initial.clone(),
        record: true,
    });
    let results = Resource::new(
        move || search.get(),
        |input| async move {
            if input.q.trim().is_empty() {
                Ok(SearchResults::default())
            } else {
                search_faq(input).await
            }
        },
    );
    // The categories show only while there is no query, so a results page neither loads nor
    // carries them (they were a quarter of its bytes, sent for hydration and never shown);
    // when the query is cleared in the browser, they load then.
    let overview = Resource::new(
        move || search.with(|input| input.q.trim().is_empty()),
        |browsing| async move {
            if browsing {
                faq_overview().await.map(Some)
            } else {
                Ok(None)
            }
        },
    );
    // Hydrated, a settled search goes into the address (replacing, not adding, a history
    // entry), so results can be shared and survive a reload, as they do without JavaScript.
    Effect::new(move |_| {
        let input = search.get();
        if !input.record {
            return;
        }
        let q = input.q.trim();
        let url = if q.is_empty() {
            "/faq".to_owned()
        } else {
            format!("/faq?q={}", query_encode(q))
        };
        if let Ok(history) = window().history() {
            // Failing to update the address loses nothing but the shareable link.
            let _ = history.replace_state_with_url(
                &leptos::wasm_bindgen::JsValue::NULL,
                "",
                Some(&url),
            );
        }
    });
    let query_box = NodeRef::<html::Input>::new();
    let error_box = NodeRef::<html::Textarea>::new();

    let on_input = move |ev| {
        let q = event_target_value(&ev);
        search.set(SearchInput {
            q: q.clone(),
            record: false,
        });
        set_timeout(
            move || {
                if search.with_untracked(|current| current.q == q && !current.record) {
                    search.set(SearchInput { q, record: true });
                }
            },
            SETTLE,
        );
    };
    let submit_query = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Some(input) = query_box.get() {
            search.set(SearchInput {
                q: input.value(),
                record: true,
            });
        }
    };
    let submit_error = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Some(pasted) = error_box.get() {
            let q = pasted.value();
            if let Some(input) = query_box.get() {
                input.set_value(&q);
            }
            search.set(SearchInput { q, record: true });
        }
    };

    view! {
        <Title text="FAQ"/>
        <h1>"FAQ"</h1>
        <p class="lead">
            "Answers to what application developers ask most. Search in your own words, or paste "
            "the error message you got."
        </p>
        <div class="split faq-boxes">
            <form id="faq-search" class="card" method="get" action="/faq" role="search" on:submit=submit_query>
                <label for="faq-q">"Search the FAQ"</label>
                <div class="inline-form">
                    <input
                        id="faq-q"
                        name="q"
                        type="search"
                        maxlength="2000"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder="for example: kubectl run refused"
                        value=initial
                        node_ref=query_box
                        on:input=on_input
                    />
                    <button type="submit">"Search"</button>
                </div>
            </form>
            <form id="faq-paste" class="card" method="get" action="/faq" on:submit=submit_error>
                <label for="faq-error">"Paste your error"</label>
                <textarea
                    id="faq-error"
                    name="q"
                    rows="3"
                    maxlength="2000"
                    spellcheck="false"
                    placeholder="for example: Error from server (Forbidden): pods is forbidden: User …"
                    node_ref=error_box
                ></textarea>
                <button type="submit">"Find the answer"</button>
            </form>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Searching…"</p> }>
            {move || {
                results
                    .get()
                    .map(|result| match result {
                        Ok(results) if results.query.is_empty() => {
                            overview
                                .get()
                                .map(|overview| match overview {
                                    Ok(Some(overview)) => view! { <Browse overview/> }.into_any(),
                                    Ok(None) => ().into_any(),
                                    Err(error) => view! { <p class="notice error">{error.to_string()}</p> }.into_any(),
                                })
                                .into_any()
                        }
                        Ok(results) => view! { <Results results/> }.into_any(),
                        Err(error) => view! { <p class="notice error" role="alert">{error.to_string()}</p> }.into_any(),
                    })
            }}
        </Transition>
    }
}

// Components here return `AnyView`: erasing each one's type keeps the nesting of view types
// within the compiler's limits for the hydrate build.
#[component]
fn Results(results: SearchResults) -> AnyView {
    let count = results.hits.len();
    let pointers = view! { <Pointers pointers=results.pointers/> };
    view! {
        <section id="faq-results" aria-live="polite" aria-label="Search results">
            {if count == 0 {
                view! {
                    <p class="notice info" id="faq-no-results">
                        "Nothing in the FAQ answers “" {results.query.clone()} "” yet. Try other words, "
                        "or paste the exact error message. Searches that find nothing are shown to the "
                        "administrators, so they know what to write next."
                    </p>
                    {pointers}
                }
                .into_any()
            } else if !results.answered {
                view! {
                    <p class="notice info" id="faq-weak-results">
                        "No entry answers “" {results.query.clone()} "” well. The closest entries are "
                        "below; searches like this one are shown to the administrators, so they know "
                        "what to write next."
                    </p>
                    {pointers}
                    <ol class="faq-hits faq-closest" aria-label="Closest entries">
                        {results.hits.into_iter().map(|hit| view! { <HitItem hit/> }).collect_view()}
                    </ol>
                }
                .into_any()
            } else {
                view! {
                    <p class="muted">
                        {if count == 1 { "1 answer".to_owned() } else { format!("{count} answers") }}
                        " for “" {results.query.clone()} "”, most relevant first"
                    </p>
                    <ol class="faq-hits">
                        {results.hits.into_iter().map(|hit| view! { <HitItem hit/> }).collect_view()}
                    </ol>
                }
                .into_any()
            }}
        </section>
    }
    .into_any()
}

/// The portal's pages that can answer what the FAQ does not.
#[component]
fn Pointers(pointers: Vec<Pointer>) -> AnyView {
    if pointers.is_empty() {
        return ().into_any();
    }
    view! {
        <div class="card" id="faq-pointers">
            <p>"The portal can help with this directly:"</p>
            <ul>
                {pointers.into_iter().map(|pointer| view! {
                    <li>
                        <a href=pointer.href>{pointer.label}</a>
                        " — " {pointer.why}
                    </li>
                }).collect_view()}
            </ul>
        </div>
    }
    .into_any()
}

#[component]
fn HitItem(hit: Hit) -> AnyView {
    let href = format!("/faq/{}", hit.entry.slug);
    view! {
        <li class="faq-hit">
            <a class="faq-hit-title" href=href><Marked parts=hit.title/></a>
            <span class="faq-meta">{hit.entry.category.clone()} <VersionBadge entry=hit.entry/></span>
            <p class="faq-snippet"><Marked parts=hit.snippet/></p>
        </li>
    }
    .into_any()
}

/// The categories with their entries.
#[component]
fn Browse(overview: Overview) -> AnyView {
    view! {
        <section id="faq-browse" aria-label="All questions by category">
            {overview.platform_version.clone().map(|version| view! {
                <p class="muted">
                    "Showing the answers for platform version " {version}
                    {(overview.hidden > 0).then(|| format!(
                        "; {} {} about other versions {} hidden.",
                        overview.hidden,
                        if overview.hidden == 1 { "entry" } else { "entries" },
                        if overview.hidden == 1 { "is" } else { "are" },
                    ))}
                </p>
            })}
            <div class="faq-categories">
                {overview.categories.into_iter().map(|category| view! {
                    <section class="card faq-category">
                        <h2>{category.name}</h2>
                        <ul>
                            {category.entries.into_iter().map(|entry| view! { <EntryLink entry/> }).collect_view()}
                        </ul>
                    </section>
                }).collect_view()}
            </div>
        </section>
    }
    .into_any()
}

/// A list item linking to an entry, with its version range when it has one.
#[component]
pub fn EntryLink(entry: EntrySummary) -> AnyView {
    let href = format!("/faq/{}", entry.slug);
    view! {
        <li><a href=href>{entry.title.clone()}</a> <VersionBadge entry/></li>
    }
    .into_any()
}

/// "platform >=0.30" for entries limited to some platform versions.
#[component]
pub fn VersionBadge(entry: EntrySummary) -> AnyView {
    entry
        .versions
        .map(|range| {
            view! {
                <span class="badge" title="The platform versions this entry is about">
                    "platform " {range}
                </span>
            }
        })
        .into_any()
}

/// Text with the matched words in `<mark>`. Every part is text, escaped like any other.
#[component]
pub fn Marked(parts: Vec<TextPart>) -> AnyView {
    parts
        .into_iter()
        .map(|part| {
            if part.mark {
                view! { <mark>{part.text}</mark> }.into_any()
            } else {
                part.text.into_any()
            }
        })
        .collect_view()
        .into_any()
}

/// `text` as a query value (`application/x-www-form-urlencoded`, what a GET form sends).
fn query_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b' ' => "+".to_owned(),
            b if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) => char::from(b).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}
