//! What a shared poll link shows before the app runs, and the embeddable widget's page.
//!
//! | route | what |
//! |---|---|
//! | `GET /polls/{id}` | the app's `index.html` with the poll's question in `<title>`, Open Graph and Twitter card tags (HTML-escaped), so a link unfurls in chats; **404** (still the app, which says so) for an unknown poll |
//! | `GET /embed/polls/{id}` | the app's `index.html` for the widget, the only page any site may frame (`frame-ancestors *`); 404 for an unknown poll |
//! | `GET /oembed?url=…&format=json` | oEmbed 1.0 `rich` answer with the widget's `<iframe>`; 404 for a URL that is not one of this server's polls, 501 for `format=xml`, 400 without `url` |
//!
//! The poll's title and description are the only data these pages show, and anyone
//! with the link reads them anyway (`poll(id:)` needs no sign-in); results never appear.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use uuid::Uuid;

use super::security;
use crate::domain::Poll;
use crate::store::Store;

/// The widget's policy: the app's, except that any site may frame it.
pub const EMBED_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors *";
/// The widget's size an oEmbed answer proposes (the widget then reports its real height
/// to the host page with `postMessage`).
pub const EMBED_WIDTH: u32 = 480;
/// See [`EMBED_WIDTH`].
pub const EMBED_HEIGHT: u32 = 400;
/// Shown when a poll has no description.
const DEFAULT_DESCRIPTION: &str = "Vote and watch the results live on Tally.";

struct Pages {
    store: Store,
    /// The built `index.html`, read once at start-up.
    index: Option<String>,
    /// The public origin links are built on (`TALLY_PUBLIC_ORIGIN`).
    origin: String,
}

/// The routes, over the built app in `static_dir` (the page routes only when it is built).
pub fn routes(store: Store, static_dir: &Path, origin: &str) -> Router {
    let index = std::fs::read_to_string(static_dir.join("index.html")).ok();
    let built = index.is_some();
    let pages = Arc::new(Pages {
        store,
        index,
        origin: origin.trim_end_matches('/').to_owned(),
    });
    let router = Router::new().route("/oembed", get(oembed));
    let router = if built {
        router.route("/polls/{id}", get(poll_page)).route(
            "/embed/polls/{id}",
            get(embed_page).layer(security::own_policy(EMBED_POLICY)),
        )
    } else {
        router
    };
    router.with_state(pages)
}

/// Text made safe inside HTML content and double-quoted attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The poll `id` names, if it is a poll; `None` for a malformed id or an unknown poll.
/// A failing database is an error (the page is then served without the poll's tags).
async fn find(pages: &Pages, id: &str) -> Result<Option<Poll>, ()> {
    let Ok(id) = Uuid::parse_str(id) else {
        return Ok(None);
    };
    match pages.store.find_polls(&[id]).await {
        Ok(polls) => Ok(polls.into_iter().next()),
        Err(error) => {
            tracing::warn!(?error, "reading a poll for its link preview");
            Err(())
        }
    }
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// `index.html` with the poll's title and link-preview tags in its head.
fn with_preview(index: &str, poll: &Poll, origin: &str) -> String {
    let title = escape_html(&poll.title);
    let description = escape_html(
        poll.description
            .as_deref()
            .filter(|d| !d.trim().is_empty())
            .unwrap_or(DEFAULT_DESCRIPTION),
    );
    let url = format!("{origin}/polls/{}", poll.id);
    let oembed = format!(
        "{origin}/oembed?url={}&amp;format=json",
        urlencoding_component(&url)
    );
    let tags = format!(
        "<meta property=\"og:type\" content=\"website\" />\n\
         <meta property=\"og:site_name\" content=\"Tally\" />\n\
         <meta property=\"og:title\" content=\"{title}\" />\n\
         <meta property=\"og:description\" content=\"{description}\" />\n\
         <meta property=\"og:url\" content=\"{url}\" />\n\
         <meta name=\"twitter:card\" content=\"summary\" />\n\
         <meta name=\"twitter:title\" content=\"{title}\" />\n\
         <meta name=\"twitter:description\" content=\"{description}\" />\n\
         <link rel=\"alternate\" type=\"application/json+oembed\" href=\"{oembed}\" title=\"{title}\" />\n"
    );
    let page = index.replacen(
        "<title>Tally</title>",
        &format!("<title>{title} · Tally</title>"),
        1,
    );
    page.replacen("</head>", &format!("{tags}</head>"), 1)
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn urlencoding_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn poll_page(State(pages): State<Arc<Pages>>, UrlPath(id): UrlPath<String>) -> Response {
    let index = pages.index.clone().unwrap_or_default();
    // `/polls/new` is the app's own page, not a poll.
    if id == "new" {
        return html(StatusCode::OK, index);
    }
    match find(&pages, &id).await {
        Ok(Some(poll)) => html(StatusCode::OK, with_preview(&index, &poll, &pages.origin)),
        Ok(None) => html(StatusCode::NOT_FOUND, index),
        Err(()) => html(StatusCode::OK, index),
    }
}

async fn embed_page(State(pages): State<Arc<Pages>>, UrlPath(id): UrlPath<String>) -> Response {
    let index = pages.index.clone().unwrap_or_default();
    match find(&pages, &id).await {
        Ok(Some(poll)) => html(StatusCode::OK, with_preview(&index, &poll, &pages.origin)),
        Ok(None) => html(StatusCode::NOT_FOUND, index),
        Err(()) => html(StatusCode::OK, index),
    }
}

/// The query of `/oembed` (oEmbed 1.0, section 2.2).
#[derive(Debug, Deserialize)]
struct OEmbedQuery {
    url: Option<String>,
    format: Option<String>,
    maxwidth: Option<u32>,
    maxheight: Option<u32>,
}

fn refusal(status: StatusCode, message: &'static str) -> Response {
    (status, [(CACHE_CONTROL, "no-cache")], message).into_response()
}

async fn oembed(State(pages): State<Arc<Pages>>, Query(query): Query<OEmbedQuery>) -> Response {
    match query.format.as_deref() {
        None | Some("json") => {}
        Some(_) => return refusal(StatusCode::NOT_IMPLEMENTED, "only format=json is offered\n"),
    }
    let Some(url) = query.url.as_deref() else {
        return refusal(StatusCode::BAD_REQUEST, "url is required\n");
    };
    let prefix = format!("{}/polls/", pages.origin);
    let Some(id) = url
        .strip_prefix(&prefix)
        .map(|rest| rest.split(['?', '#']).next().unwrap_or_default())
    else {
        return refusal(StatusCode::NOT_FOUND, "not a poll of this server\n");
    };
    let poll = match find(&pages, id).await {
        Ok(Some(poll)) => poll,
        Ok(None) => return refusal(StatusCode::NOT_FOUND, "no such poll\n"),
        Err(()) => return refusal(StatusCode::SERVICE_UNAVAILABLE, "try again\n"),
    };
    let width = query.maxwidth.map_or(EMBED_WIDTH, |m| m.min(EMBED_WIDTH));
    let height = query
        .maxheight
        .map_or(EMBED_HEIGHT, |m| m.min(EMBED_HEIGHT));
    let src = format!("{}/embed/polls/{}", pages.origin, poll.id);
    let iframe = format!(
        "<iframe src=\"{src}\" width=\"{width}\" height=\"{height}\" title=\"Poll: {}\" \
         style=\"border:0;max-width:100%\" loading=\"lazy\"></iframe>",
        escape_html(&poll.title)
    );
    let body = serde_json::json!({
        "version": "1.0",
        "type": "rich",
        "provider_name": "Tally",
        "provider_url": pages.origin,
        "title": poll.title,
        "html": iframe,
        "width": width,
        "height": height,
        "cache_age": 300,
    });
    (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "public, max-age=300"),
        ],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape_html(r#"<script>"a" & 'b'</script>"#),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}
