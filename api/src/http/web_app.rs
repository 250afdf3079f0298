//! The built web app: its files, compressed ahead of time, and how long browsers keep them.
//!
//! `npm run build` writes `name.js.br` and `name.js.gz` beside each text asset
//! (frontend/vite.config.ts); the server sends the smallest one the request's
//! `Accept-Encoding` takes, without compressing anything per request. Files under
//! `/assets/` carry a content hash in their names, so a browser may keep them for a year
//! without asking again (`immutable`); everything else — `index.html` above all, which
//! names the current assets — is `no-cache`: kept, but revalidated on every use, so a
//! deploy is seen at the next load. Client-side routes get `index.html`.

use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::services::{ServeDir, ServeFile};

use super::exposure;

/// Where the build puts files whose names change with their content.
pub const ASSETS_PREFIX: &str = "/assets/";
/// For hashed assets: a year, never revalidated.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For everything else the app serves: revalidate before each use.
pub const REVALIDATE: &str = "no-cache";

/// The built web app in `dir`, when there is one; source maps only where exposed.
pub fn routes(dir: &Path, source_maps: bool) -> Router {
    let index = dir.join("index.html");
    if !index.exists() {
        tracing::warn!(dir = %dir.display(), "no built web app here; / answers 404 (run `make run`, which builds it)");
        return Router::new().fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "The web app is not built. `make run` builds and serves it; the API is at /graphql.",
            )
        });
    }
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(
            ServeFile::new(index)
                .precompressed_br()
                .precompressed_gzip(),
        );
    // A missing asset is a 404, never the app's page under a script's name.
    let assets = ServeDir::new(dir.join("assets"))
        .precompressed_br()
        .precompressed_gzip();
    let app = Router::new()
        .nest_service("/assets", assets)
        .fallback_service(files)
        .layer(axum::middleware::from_fn(cache_headers));
    if source_maps {
        app
    } else {
        app.layer(axum::middleware::from_fn(exposure::refuse_source_maps))
    }
}

/// Sets `Cache-Control` (immutable for a hashed asset that was found, revalidate for
/// everything else, a missing asset included) and `Vary: Accept-Encoding`, since the
/// same URL answers with a different encoding by request.
async fn cache_headers(request: Request, next: Next) -> Response {
    let hashed = request.uri().path().starts_with(ASSETS_PREFIX);
    let mut response = next.run(request).await;
    let found = response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
    let policy = if hashed && found {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let headers = response.headers_mut();
    headers
        .entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(policy));
    headers.append(VARY, HeaderValue::from_static("accept-encoding"));
    response
}
