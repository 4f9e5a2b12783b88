//! A code block from an FAQ entry, with a "Copy" button. The button needs JavaScript, so it
//! appears only once the page has hydrated; without JavaScript the code is a plain, selectable
//! `<pre>`.

use leptos::prelude::*;
use std::time::Duration;

#[component]
pub fn CodeBlock(code: String, language: Option<String>) -> AnyView {
    let hydrated = RwSignal::new(false);
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| hydrated.set(true));
    let copied = RwSignal::new(false);
    let text = code.clone();
    let copy = move |_| {
        if let Some(window) = web_sys::window() {
            // The promise settles once the text is on the clipboard. The feedback need not wait
            // for it, and if the browser refuses, the text is still there to select.
            let _promise = window.navigator().clipboard().write_text(&text);
        }
        copied.set(true);
        set_timeout(move || copied.set(false), Duration::from_secs(2));
    };
    let class = language.map(|language| format!("language-{language}"));
    view! {
        <div class="code-block">
            <Show when=move || hydrated.get()>
                <button type="button" class="copy" aria-label="Copy the code" on:click=copy.clone()>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </Show>
            <pre><code class=class>{code}</code></pre>
        </div>
    }
    .into_any()
}
