//! `GET /graphiql`: the GraphiQL IDE, served whole from the binary.
//!
//! async-graphql's GraphiQL page loads React and GraphiQL from unpkg.com, so it is
//! blank without internet (a laptop offline, a locked-down network). Here the page and
//! its scripts and styles are compiled in (`api/assets/graphiql/`, gzipped: about 1 MB)
//! and served under `/graphiql/assets/`; the page references nothing outside this
//! origin, and its policy lets scripts come from this origin only.

use axum::Router;
use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::security;

/// The page.
const PAGE: &str = include_str!("../../assets/graphiql/graphiql.html");

/// The page's assets: name, content type, whether the bytes are gzipped, bytes.
const ASSETS: [(&str, &str, bool, &[u8]); 5] = [
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        true,
        include_bytes!("../../assets/graphiql/graphiql.min.js.gz"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        true,
        include_bytes!("../../assets/graphiql/graphiql.min.css.gz"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        true,
        include_bytes!("../../assets/graphiql/react.production.min.js.gz"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        true,
        include_bytes!("../../assets/graphiql/react-dom.production.min.js.gz"),
    ),
    (
        "graphiql.js",
        "text/javascript; charset=utf-8",
        false,
        include_bytes!("../../assets/graphiql/graphiql.js"),
    ),
];

/// The page's policy: everything from this origin; inline styles (the page's own and
/// the ones GraphiQL's editors add), fonts and images as `data:` URLs from its
/// stylesheet.
pub const POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// `/graphiql` and its assets, with the page's own policy.
pub fn routes() -> Router {
    Router::new()
        .route("/graphiql", get(page))
        .route("/graphiql/assets/{file}", get(asset))
        .layer(security::own_policy(POLICY))
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

/// An asset, gzipped as stored (every browser accepts gzip; the assets are only for
/// the page above).
async fn asset(Path(file): Path<String>) -> Response {
    let Some((_, content_type, gzipped, bytes)) = ASSETS.iter().find(|(name, ..)| *name == file)
    else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let mut response = (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // The names carry no version: a browser checks again after an hour.
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        *bytes,
    )
        .into_response();
    if *gzipped {
        let headers = response.headers_mut();
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}
