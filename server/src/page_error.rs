//! How a handler outside the Leptos pages says no: one [`PageError`], mapped to one status and
//! one small page (or the login redirect) in one place.
//!
//! The error itself carries no markup: it answers with its status and an [`ErrorPage`] in the
//! response's extensions, and the [`render`] middleware, which knows the site's stylesheet, turns
//! that into the page. The pages are outside the Leptos app on purpose: they must work even when
//! the app's assets do not.

use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
};

/// Why a form post, a download or a login step was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageError {
    /// Nobody is logged in: log in, then come back to `next` (a same-origin path).
    LogIn {
        next: String,
    },
    /// Logged in, but this is for platform administrators.
    AdminOnly,
    NotFound,
    /// Anything else: a status, a title and one sentence saying what to do; `retry` offers to
    /// start the login again.
    Page {
        status: StatusCode,
        title: &'static str,
        text: &'static str,
        retry: bool,
    },
}

/// The page a [`PageError`] becomes, waiting for [`render`].
#[derive(Debug, Clone)]
pub struct ErrorPage {
    title: &'static str,
    text: &'static str,
    retry: bool,
}

impl PageError {
    /// A page for the login steps and downloads that are not available right now.
    pub const fn page(
        status: StatusCode,
        title: &'static str,
        text: &'static str,
        retry: bool,
    ) -> Self {
        Self::Page {
            status,
            title,
            text,
            retry,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, page) = match self {
            Self::LogIn { next } => return login_redirect(&next),
            Self::AdminOnly => (
                StatusCode::FORBIDDEN,
                ErrorPage {
                    title: "For platform administrators",
                    text: "This action is for platform administrators.",
                    retry: false,
                },
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                ErrorPage {
                    title: "Not found",
                    text: "There is nothing at this address, or nothing you may see.",
                    retry: false,
                },
            ),
            Self::Page {
                status,
                title,
                text,
                retry,
            } => (status, ErrorPage { title, text, retry }),
        };
        let mut response = status.into_response();
        response.extensions_mut().insert(page);
        response
    }
}

/// To the login page, then back to `next`: the one place the login redirect is written.
pub fn login_redirect(next: &str) -> Response {
    Redirect::to(&app::links::login_path(next)).into_response()
}

/// The site's stylesheet, which error pages link to (its name carries the bundle's hash).
#[derive(Debug, Clone)]
pub struct Stylesheet(pub std::sync::Arc<str>);

/// Turns a response carrying an [`ErrorPage`] into that page, with the site's stylesheet.
pub async fn render(
    State(Stylesheet(stylesheet)): State<Stylesheet>,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let Some(page) = response.extensions_mut().remove::<ErrorPage>() else {
        return response;
    };
    let retry = if page.retry {
        r#"<p><a class="button" href="/auth/login">Try again</a></p>"#
    } else {
        ""
    };
    let body = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} · Welkin Developer Portal</title><link rel="stylesheet" href="{stylesheet}"></head><body><main class="page"><section class="card narrow"><h1>{title}</h1><p>{text}</p>{retry}<p><a href="/">Back to the home page</a></p></section></main></body></html>"#,
        title = escape(page.title),
        text = escape(page.text),
        stylesheet = escape(&stylesheet),
    );
    let status = response.status();
    let mut page = (status, Html(body)).into_response();
    // Keep what the handler set besides the body (cookies, cache rules).
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            page.headers_mut().append(name, value.clone());
        }
    }
    page
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_status_and_the_login_keeps_the_way_back() {
        let response = PageError::LogIn {
            next: "/networkpolicies?preset=allow-dns".into(),
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            response.headers()[header::LOCATION],
            "/auth/login?next=/networkpolicies%3Fpreset%3Dallow-dns"
        );
        for (error, status) in [
            (PageError::AdminOnly, StatusCode::FORBIDDEN),
            (PageError::NotFound, StatusCode::NOT_FOUND),
            (
                PageError::page(StatusCode::BAD_GATEWAY, "t", "x", true),
                StatusCode::BAD_GATEWAY,
            ),
        ] {
            let response = error.clone().into_response();
            assert_eq!(response.status(), status, "{error:?}");
            assert!(response.extensions().get::<ErrorPage>().is_some());
        }
    }

    #[test]
    fn page_text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }
}
