//! What a resolver may read from the request context.

use async_graphql::Context;

use crate::auth::Viewer;

/// Facts about the HTTP request carrying an operation, for audit rows and logs.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    /// The `x-request-id` of the HTTP request.
    pub request_id: Option<String>,
    /// The client's IP address, as seen by this server.
    pub client_ip: Option<std::net::IpAddr>,
}

/// Typed access to request data.
pub trait ContextExt {
    /// Who sent the request (anonymous when nothing was set).
    fn viewer(&self) -> &Viewer;
    /// The client's address, as rate limits key it.
    fn client_address(&self) -> String;
    /// The HTTP request's id, for audit rows.
    fn request_id(&self) -> Option<String>;
    /// A service injected at start-up.
    fn service<T: Send + Sync + 'static>(&self) -> &T;
}

static ANONYMOUS: Viewer = Viewer::Anonymous;

impl ContextExt for Context<'_> {
    fn viewer(&self) -> &Viewer {
        self.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
    }

    fn client_address(&self) -> String {
        self.data_opt::<RequestMeta>()
            .and_then(|meta| meta.client_ip)
            .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
    }

    fn request_id(&self) -> Option<String> {
        self.data_opt::<RequestMeta>()
            .and_then(|meta| meta.request_id.clone())
    }

    fn service<T: Send + Sync + 'static>(&self) -> &T {
        // Services are inserted by `graphql::build`; a missing one is a wiring bug that
        // every test would hit at once.
        self.data_unchecked::<T>()
    }
}
