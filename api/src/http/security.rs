//! Security headers on every response, and how one route sets a policy of its own.
//!
//! The outer layer adds each header only where the response does not carry it yet, so
//! a route that needs another policy sets it with [`own_policy`] and keeps it: GraphiQL
//! does (inline styles: [`super::graphiql::POLICY`]), and a future `/embed` route will, to let
//! other sites frame it (`frame-ancestors *` or a list of origins).

use axum::Router;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS};
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy of the web app and the API: everything from this origin only, no inline
/// script or style, no plugins, never inside a frame. It fits what the built app loads:
/// its scripts, its stylesheet and its icon from `/`, `fetch` to `/graphql` and a
/// WebSocket to `/graphql/ws` (`'self'` covers `ws:`/`wss:` to the same host in CSP
/// Level 3), inline SVG for QR codes, and element styles set from script (the results
/// bars), which CSP does not restrict.
pub const APP_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Responses are never sniffed into another content type.
const NOSNIFF: &str = "nosniff";
/// No address (which can hold a poll's id) leaks to another site through `Referer`.
const REFERRER: &str = "no-referrer";

/// Adds the security headers to every response of `router` that does not set its own.
pub fn with_headers(router: Router) -> Router {
    router.layer(headers())
}

/// One header set where a response lacks it.
type HeaderLayer = SetResponseHeaderLayer<HeaderValue>;

/// The three security headers, outermost first: `Referrer-Policy`,
/// `X-Content-Type-Options`, `Content-Security-Policy`.
pub type Headers = Stack<HeaderLayer, Stack<HeaderLayer, Stack<HeaderLayer, Identity>>>;

/// The security headers as one layer, each added only where a response does not carry
/// it yet.
pub fn headers() -> Headers {
    ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::if_not_present(
            REFERRER_POLICY,
            HeaderValue::from_static(REFERRER),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static(NOSNIFF),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(APP_POLICY),
        ))
        .into_inner()
}

/// A layer that gives the routes it wraps their own Content-Security-Policy.
pub fn own_policy(policy: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy))
}
