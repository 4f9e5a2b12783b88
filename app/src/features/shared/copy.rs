//! A "Copy" button for code blocks. It needs JavaScript, so it appears only once the page has
//! hydrated; without JavaScript the text stays a plain, selectable `<pre>`.

use leptos::prelude::*;

/// Copies `text` to the clipboard when clicked, and says so for a moment.
#[component]
pub fn CopyButton(#[prop(into)] text: Signal<String>, label: &'static str) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let copied = RwSignal::new(false);
    let copy = move |_| {
        let clipboard = window().navigator().clipboard();
        // The promise resolves once the text is on the clipboard; the button's feedback does not
        // need to wait for it, and a refusal (no permission) leaves the text selectable anyway.
        let _promise = clipboard.write_text(&text.get_untracked());
        copied.set(true);
        set_timeout(move || copied.set(false), std::time::Duration::from_secs(2));
    };
    // `try_get`: on the server, Leptos may walk this view again while re-checking a
    // `<Suspense>` around it, after its signals were disposed (a panic under load, caught by
    // the load test in server/tests/process.rs); a disposed button is simply not shown.
    view! {
        <Show when=move || hydrated.try_get().unwrap_or(false)>
            <button type="button" class="copy" on:click=copy aria-label=label>
                {move || if copied.try_get().unwrap_or(false) { "Copied" } else { "Copy" }}
            </button>
        </Show>
    }
}
