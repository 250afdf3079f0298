//! Opening a `pollResults` subscription over graphql-transport-ws, as the bench's
//! subscribers (`subs`) and its per-instance watchers (`agreement`) both do.

use std::net::SocketAddr;

use futures::SinkExt;
use serde_json::json;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// An open subscription's socket.
pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connects to `address`'s `/graphql/ws`, sends `connection_init` and subscribes (id
/// `1`) to `query` with the poll `poll` as `$id`. The caller reads the answers.
pub async fn subscribe(address: SocketAddr, query: &str, poll: &str) -> anyhow::Result<Socket> {
    let mut request = format!("ws://{address}/graphql/ws").into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({ "type": "connection_init" });
    let subscribe = json!({ "id": "1", "type": "subscribe",
        "payload": { "query": query, "variables": { "id": poll } } });
    socket.send(Message::Text(init.to_string().into())).await?;
    socket
        .send(Message::Text(subscribe.to_string().into()))
        .await?;
    Ok(socket)
}
