//! Lets a page choose the HTTP status of its server-rendered response (404 for "not found").
//! In the browser, after hydration, there is no response to change, so this does nothing there.

#[cfg(feature = "ssr")]
mod imp {
    use leptos::prelude::use_context;

    pub fn set_status(code: u16) {
        if let (Some(response), Ok(status)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(code),
        ) {
            response.set_status(status);
        }
    }
}

#[cfg(not(feature = "ssr"))]
mod imp {
    pub fn set_status(_code: u16) {}
}

/// Sets the status code of the page being rendered on the server.
pub fn set_status(code: u16) {
    imp::set_status(code);
}
