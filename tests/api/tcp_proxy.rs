//! A TCP proxy a test puts between the app and a server (PostgreSQL, say) to make the
//! network misbehave: it passes bytes until frozen, then holds every connection open
//! and passes nothing, as a hung server or a dropped route does, until thawed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// A running proxy; it stops with the test's runtime.
pub struct TcpProxy {
    /// `127.0.0.1:<port>` to connect to instead of the server.
    pub address: String,
    frozen: Arc<AtomicBool>,
    thawed: Arc<Notify>,
}

impl TcpProxy {
    /// Proxies a free local port to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let address = listener.local_addr().expect("an address").to_string();
        let frozen = Arc::new(AtomicBool::new(false));
        let thawed = Arc::new(Notify::new());
        let upstream = upstream.to_owned();
        let (f, t) = (frozen.clone(), thawed.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, f, t) = (upstream.clone(), f.clone(), t.clone());
                tokio::spawn(async move {
                    wait_while_frozen(&f, &t).await;
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::join!(
                        pump(client_read, server_write, &f, &t),
                        pump(server_read, client_write, &f, &t)
                    );
                });
            }
        });
        TcpProxy {
            address,
            frozen,
            thawed,
        }
    }

    /// From now on nothing passes, in either direction, on any connection.
    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::SeqCst);
    }

    /// Bytes pass again.
    pub fn thaw(&self) {
        self.frozen.store(false, Ordering::SeqCst);
        self.thawed.notify_waiters();
    }
}

async fn wait_while_frozen(frozen: &AtomicBool, thawed: &Notify) {
    while frozen.load(Ordering::SeqCst) {
        let notified = thawed.notified();
        if !frozen.load(Ordering::SeqCst) {
            break;
        }
        notified.await;
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: &AtomicBool,
    thawed: &Notify,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let Ok(n) = from.read(&mut buffer).await else {
            return;
        };
        if n == 0 {
            let _ = to.shutdown().await;
            return;
        }
        // Bytes read while frozen are held until the thaw, like a stalled route.
        wait_while_frozen(frozen, thawed).await;
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}
