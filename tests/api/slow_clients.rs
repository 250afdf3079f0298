//! Slow clients over real sockets: headers that never finish, bodies that trickle in,
//! and one address opening more connections than it may.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{Backend, TestApp};

/// Far longer than any limit set below: a socket still open after it was not closed.
const PATIENCE: Duration = Duration::from_secs(15);

fn socket_address(app: &TestApp) -> SocketAddr {
    app.address
        .trim_start_matches("http://")
        .parse()
        .expect("a socket address")
}

/// Connects to the app from `source` (any 127.0.0.0/8 address on Linux loopback).
async fn connect_from(app: &TestApp, source: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(socket_address(app)).await.unwrap()
}

/// Reads until the server closes the connection; how long that took, or `None` when it
/// stayed open for [`PATIENCE`]. What arrived before is returned too.
async fn wait_for_close(stream: &mut TcpStream) -> (Option<Duration>, String) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(PATIENCE, stream.read(&mut buffer)).await {
            Err(_) => return (None, String::from_utf8_lossy(&received).into_owned()),
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (
                    Some(started.elapsed()),
                    String::from_utf8_lossy(&received).into_owned(),
                );
            }
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

/// Sends `GET /healthz` on a connection and reads the answer: its status line, or
/// `None` when the server closed the connection instead.
async fn healthz_on(stream: &mut TcpStream) -> Option<String> {
    let request = "GET /healthz HTTP/1.1\r\nHost: tally\r\n\r\n";
    if stream.write_all(request.as_bytes()).await.is_err() {
        return None;
    }
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    // /healthz answers "ok": the response is complete once its body is in.
    while !received.ends_with(b"\r\n\r\nok") {
        match tokio::time::timeout(PATIENCE, stream.read(&mut buffer)).await {
            Ok(Ok(n)) if n > 0 => received.extend_from_slice(&buffer[..n]),
            Ok(_) => return None,
            Err(_) => panic!("no answer and no close within {PATIENCE:?}"),
        }
    }
    let text = String::from_utf8_lossy(&received).into_owned();
    text.lines().next().map(str::to_owned)
}

async fn healthz(app: &TestApp) -> u16 {
    app.http()
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stalls_in_its_headers_is_disconnected() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.connections.header_read_timeout_ms = 1_000;
    })
    .await;
    // Half a request, then nothing: the slowloris pattern.
    let mut half = connect_from(&app, "127.0.0.1").await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: tally\r\nX-Wait: ")
        .await
        .unwrap();
    // Connected, and never a byte.
    let mut silent = connect_from(&app, "127.0.0.1").await;
    // One request answered, then idle on keep-alive.
    let mut idle = connect_from(&app, "127.0.0.1").await;
    assert_eq!(
        healthz_on(&mut idle).await.as_deref(),
        Some("HTTP/1.1 200 OK")
    );

    // Meanwhile everyone else is served.
    assert_eq!(healthz(&app).await, 200);

    for (name, stream) in [
        ("half", &mut half),
        ("silent", &mut silent),
        ("idle", &mut idle),
    ] {
        let (closed_after, _) = wait_for_close(stream).await;
        let closed_after = closed_after
            .unwrap_or_else(|| panic!("the {name} connection was still open after {PATIENCE:?}"));
        assert!(closed_after < PATIENCE, "{name}: {closed_after:?}");
    }
    // Counted as the connection task ends, which may be a moment after the close.
    let timeouts = || crate::helpers::counter(&app.metrics.app.header_read_timeouts);
    let deadline = Instant::now() + PATIENCE;
    while timeouts() < 2 {
        assert!(
            Instant::now() < deadline,
            "{} header timeouts counted",
            timeouts()
        );
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_trickles_in_is_refused_with_request_timeout() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.connections.body_read_timeout_ms = 1_000;
    })
    .await;
    let body = format!(r#"{{"query":"{{ viewer {{ id }} }}"{}}}"#, " ".repeat(170));
    let stream = connect_from(&app, "127.0.0.1").await;
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: tally\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    // One byte every 100 ms: the whole body would take 20 s.
    let trickle = tokio::spawn(async move {
        for byte in body.as_bytes() {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&received).contains("REQUEST_TIMEOUT") {
        match tokio::time::timeout(PATIENCE, reader.read(&mut buffer)).await {
            Ok(Ok(n)) if n > 0 => received.extend_from_slice(&buffer[..n]),
            other => panic!(
                "no refusal ({other:?}) after {:?}; received {:?}",
                started.elapsed(),
                String::from_utf8_lossy(&received)
            ),
        }
    }
    let response = String::from_utf8_lossy(&received).into_owned();
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refused only after {:?}, when most of the body had arrived",
        started.elapsed()
    );
    trickle.abort();
    assert_eq!(
        crate::helpers::counter(&app.metrics.app.body_read_timeouts),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_per_client_cap_are_closed_while_other_addresses_are_served() {
    const CAP: usize = 3;
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.connections.max_connections_per_client = CAP;
        // Held connections must not be closed by the header timeout during the test.
        c.connections.header_read_timeout_ms = 60_000;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..CAP {
        held.push(connect_from(&app, "127.0.0.1").await);
    }

    // The next one from the same address is closed without an answer.
    let mut over = connect_from(&app, "127.0.0.1").await;
    assert_eq!(healthz_on(&mut over).await, None, "served past the cap");
    let (closed_after, _) = wait_for_close(&mut over).await;
    assert!(closed_after.is_some());

    // Another address is served meanwhile, and the held connections work.
    let mut other = connect_from(&app, "127.0.0.2").await;
    assert_eq!(
        healthz_on(&mut other).await.as_deref(),
        Some("HTTP/1.1 200 OK")
    );
    for stream in &mut held {
        assert_eq!(healthz_on(stream).await.as_deref(), Some("HTTP/1.1 200 OK"));
    }

    // A connection that closes gives its place back.
    drop(held.pop());
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut again = connect_from(&app, "127.0.0.1").await;
        if healthz_on(&mut again).await.as_deref() == Some("HTTP/1.1 200 OK") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the freed place was never given back"
        );
        tokio::task::yield_now().await;
    }
    assert!(crate::helpers::counter(&app.metrics.app.connections_refused_per_client) >= 1);
}
