//! The browser entry point. `wasm-bindgen` exports `hydrate`, which the page's hydration script calls
//! once the bundle has loaded; from then on the server-rendered HTML is live.

use wasm_bindgen::prelude::wasm_bindgen;

/// Attaches the reactive app to the HTML the server already rendered.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
