//! Serving connections: our own accept loop over hyper's HTTP/1.1 server, with the limits
//! a slow client would otherwise get around.
//!
//! `axum::serve` has no header read timeout and no per-client cap, so a client that opens
//! sockets and sends its headers a byte at a time (slowloris) holds each one forever.
//! Here every connection:
//!
//! - must send each request's headers within the header read timeout, counted from when
//!   the server is ready for them (a new connection, or an idle keep-alive one): hyper's
//!   own `header_read_timeout`, driven by a Tokio timer, closes it otherwise;
//! - takes a slot of its client address ([`ClientSlots`]); past the cap it is closed as
//!   soon as it is accepted, before a byte is read;
//! - sees `ConnectInfo<SocketAddr>` in its requests (as `into_make_service_with_connect_info`
//!   gave), and may upgrade to a WebSocket;
//! - writes small messages at once (`TCP_NODELAY`; `axum::serve` leaves that to a
//!   listener option).
//!
//! The body read timeout is the body reader's job (`graphql::read_body`).
//!
//! Only HTTP/1.1 is served, as before (axum's `http2` feature was never on). hyper-util's
//! `auto::Builder` would add h2c, but it first sniffs the HTTP/2 preface with no deadline
//! of its own: a client that connects and sends nothing (or `PRI` slowly) would sit there
//! untouched by the header timeout. hyper's HTTP/1 builder starts that timeout at once.

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::client_slots::{ClientSlots, Slot};
use crate::config::Config;
use crate::metrics::AppCounters;

/// How long the accept loop pauses after an error that is not about one connection
/// (out of file descriptors, say), instead of spinning on it.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_secs(1);

/// Limits every connection meets before a request reaches the router.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Longest a connection may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// Most connections open at once per client address; `None`: no cap.
    pub max_per_client: Option<usize>,
}

impl ConnectionLimits {
    /// The limits from configuration. Behind a trusted proxy every connection comes from
    /// the proxy's address, so a per-address cap would cap everyone together: it is off.
    pub fn from_config(config: &Config) -> Self {
        let cap = config.connections.max_connections_per_client;
        ConnectionLimits {
            header_read_timeout: config.connections.header_read_timeout(),
            max_per_client: (cap > 0 && !config.http.trust_forwarded_for).then_some(cap),
        }
    }
}

/// A listener being served, and the connections it accepted.
pub struct Server {
    /// Stops the accept loop (which drops the listener, so the OS refuses newcomers).
    stop_accepting: CancellationToken,
    /// Asks each connection to finish the request in flight and close.
    finish: CancellationToken,
    /// Drops each connection where it stands.
    drop_now: CancellationToken,
    /// The accept loop and every connection's task.
    tasks: TaskTracker,
}

impl Server {
    /// Serves `router` on `listener` until [`Server::begin_shutdown`].
    pub fn start(
        listener: TcpListener,
        router: Router,
        limits: ConnectionLimits,
        counters: Arc<AppCounters>,
    ) -> Server {
        let server = Server {
            stop_accepting: CancellationToken::new(),
            finish: CancellationToken::new(),
            drop_now: CancellationToken::new(),
            tasks: TaskTracker::new(),
        };
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout);
        let acceptor = Acceptor {
            http,
            router,
            slots: ClientSlots::new(limits.max_per_client),
            counters,
            finish: server.finish.clone(),
            drop_now: server.drop_now.clone(),
            tasks: server.tasks.clone(),
        };
        server
            .tasks
            .spawn(acceptor.run(listener, server.stop_accepting.clone()));
        server
    }

    /// Stops accepting, and asks every connection to close once its request in flight
    /// is answered (idle keep-alive connections close now). Upgraded connections
    /// (WebSockets) have left hyper and are not affected.
    pub fn begin_shutdown(&self) {
        self.stop_accepting.cancel();
        self.finish.cancel();
        self.tasks.close();
    }

    /// Waits until every connection has closed, or until `deadline`; true when all have.
    pub async fn closed_by(&self, deadline: Instant) -> bool {
        tokio::time::timeout_at(deadline, self.tasks.wait())
            .await
            .is_ok()
    }

    /// Drops the connections still open, mid-request or not.
    pub fn drop_connections(&self) {
        self.drop_now.cancel();
    }
}

/// What the accept loop hands each connection.
struct Acceptor {
    http: http1::Builder,
    router: Router,
    slots: Arc<ClientSlots>,
    counters: Arc<AppCounters>,
    finish: CancellationToken,
    drop_now: CancellationToken,
    tasks: TaskTracker,
}

impl Acceptor {
    async fn run(self, listener: TcpListener, stop: CancellationToken) {
        loop {
            let accepted = tokio::select! {
                () = stop.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, peer)) => self.admit(stream, peer),
                // The peer gave up before we took it: nothing to do.
                Err(e) if is_connection_error(&e) => {}
                Err(e) => {
                    tracing::error!(error = %e, "accepting connections failed; pausing");
                    tokio::select! {
                        () = stop.cancelled() => break,
                        () = tokio::time::sleep(ACCEPT_ERROR_BACKOFF) => {}
                    }
                }
            }
        }
    }

    /// Serves a new connection, or closes it at once when its address is at the cap.
    fn admit(&self, stream: TcpStream, peer: SocketAddr) {
        let Some(slot) = self.slots.take(peer.ip()) else {
            self.counters
                .connections_refused_per_client
                .fetch_add(1, Ordering::Relaxed);
            tracing::debug!(client = %peer.ip(), "connection refused: the address is at its connection cap");
            return;
        };
        // Small writes (a WebSocket message, the Close frame that ends a connection) go
        // out at once rather than wait, under Nagle's algorithm, for the peer to
        // acknowledge the last one: a Close frame held back that way was lost when the
        // socket closed right after it (the client saw 1006 instead of its close code).
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(client = %peer.ip(), error = %e, "setting TCP_NODELAY failed");
        }
        let connection = Connection {
            stream,
            peer,
            _slot: slot,
        };
        self.tasks.spawn(connection.serve(
            self.http.clone(),
            self.router.clone(),
            self.counters.clone(),
            self.finish.clone(),
            self.drop_now.clone(),
        ));
    }
}

/// One accepted connection, holding its address's slot until it closes.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    _slot: Slot,
}

impl Connection {
    async fn serve(
        self,
        http: http1::Builder,
        router: Router,
        counters: Arc<AppCounters>,
        finish: CancellationToken,
        drop_now: CancellationToken,
    ) {
        let peer = self.peer;
        let service =
            TowerToHyperService::new(router.map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            }));
        let mut connection = pin!(
            http.serve_connection(TokioIo::new(self.stream), service)
                .with_upgrades()
        );
        let outcome = tokio::select! {
            outcome = connection.as_mut() => outcome,
            () = finish.cancelled() => {
                connection.as_mut().graceful_shutdown();
                tokio::select! {
                    outcome = connection.as_mut() => outcome,
                    () = drop_now.cancelled() => return,
                }
            }
        };
        if let Err(e) = outcome {
            if e.is_timeout() {
                counters
                    .header_read_timeouts
                    .fetch_add(1, Ordering::Relaxed);
                tracing::debug!(client = %peer.ip(), "connection closed: its headers did not arrive in time");
            } else {
                tracing::debug!(client = %peer.ip(), error = %e, "connection ended with an error");
            }
        }
    }
}

/// Errors about one connection that `accept` may return (the peer reset it, say); the
/// listener itself is fine.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}
