//! Shared executions of `pollResults`: subscribers sending the same subscription (same
//! document and variables) and admitted to the same kind of access share one
//! execution, whose messages are rendered to JSON once and handed to each of them.
//!
//! A viral poll's ten thousand watchers would otherwise each resolve and serialise
//! every tally themselves. What a message contains does not depend on who receives it
//! (only whether they may receive it, which [`SubscriptionGate`] decides for each
//! subscriber before they join, and again before each message where that can change:
//! an AFTER_VOTE voter who retracts), so sharing changes nothing they can see. Each
//! subscriber reads the latest rendered message through a `watch`, so a slow one skips
//! to the newest and never holds the others back.
//!
//! [`SubscriptionGate`]: crate::service::SubscriptionGate

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use async_graphql::Request;
use async_graphql::parser::types::{OperationType, Selection};
use futures::StreamExt;
use futures::stream::BoxStream;
use serde_json::Value;
use tokio::sync::watch;
use uuid::Uuid;

use super::ws::detached::detached;
use crate::error::AppError;
use crate::graphql::{AppSchema, SharedExecution};
use crate::service::{Recheck, SubscriptionAccess};

/// What identifies a shared execution.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeedKey {
    query: String,
    operation_name: Option<String>,
    variables: String,
    poll: Uuid,
    access: SubscriptionAccess,
}

/// The latest rendered message of a shared execution.
#[derive(Debug, Clone, Default)]
struct Latest {
    /// The `payload` of the newest `next` message, as JSON.
    payload: Option<Arc<str>>,
    /// Counts messages, so a subscriber can tell a new one from one it sent.
    seq: u64,
    /// The execution ended: after `payload`, the subscribers complete.
    done: bool,
}

/// One shared execution; it stops when its last subscriber lets go of it.
pub struct SharedFeed {
    latest: watch::Receiver<Latest>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SharedFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An item of a subscription on a connection.
pub enum Outgoing {
    /// A response of the connection's own execution.
    Response(Box<async_graphql::Response>),
    /// The rendered payload of a shared execution's `next` message.
    Rendered(Arc<str>),
    /// The subscription ended.
    End,
}

/// The shared executions of this instance.
#[derive(Default)]
pub struct SharedFeeds {
    feeds: Mutex<Feeds>,
}

/// Fewest entries at which ended feeds are swept from the map.
const LEAST_SWEEP: usize = 64;

/// The map of feeds. Entries of ended feeds are swept out once the map has doubled since
/// the last sweep, so joining stays cheap however many polls are watched.
#[derive(Default)]
struct Feeds {
    by_key: HashMap<FeedKey, Weak<SharedFeed>>,
    sweep_at: usize,
}

/// When a subscribe message is a plain `pollResults` subscription, the poll it names.
pub fn poll_results_target(
    query: &str,
    operation_name: Option<&str>,
    variables: &Value,
) -> Option<Uuid> {
    let document = crate::graphql::parse_document(query).ok()?;
    let (_, operation) = document
        .operations
        .iter()
        .find(|(name, _)| operation_name.is_none() || name.map(|n| n.as_str()) == operation_name)?;
    if operation.node.ty != OperationType::Subscription {
        return None;
    }
    let [item] = operation.node.selection_set.node.items.as_slice() else {
        return None;
    };
    let Selection::Field(field) = &item.node else {
        return None;
    };
    let field = &field.node;
    if field.name.node != "pollResults" || !field.directives.is_empty() {
        return None;
    }
    let argument = field.get_argument("pollId")?;
    let value = argument
        .node
        .clone()
        .into_const_with(|name| {
            let given = variables.get(name.as_str()).cloned().ok_or(())?;
            async_graphql::Value::from_json(given).map_err(|_| ())
        })
        .ok()?;
    match value {
        async_graphql::Value::String(text) => Uuid::parse_str(&text).ok(),
        _ => None,
    }
}

impl SharedFeeds {
    /// A stream of `request`'s results, shared with every subscriber of the same key;
    /// the execution starts (as `request`) when the key has no live one. With a
    /// `recheck`, this subscriber is checked again before each message and ends with
    /// the refusal once it may no longer see them.
    pub fn join(
        &self,
        schema: &AppSchema,
        poll: Uuid,
        access: SubscriptionAccess,
        request: Request,
        variables: &Value,
        recheck: Option<Recheck>,
    ) -> BoxStream<'static, Outgoing> {
        let key = FeedKey {
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
            variables: variables.to_string(),
            poll,
            access,
        };
        let feed = {
            let mut feeds = self.feeds.lock().unwrap_or_else(|p| p.into_inner());
            if feeds.by_key.len() >= feeds.sweep_at {
                feeds.by_key.retain(|_, feed| feed.strong_count() > 0);
                feeds.sweep_at = (2 * feeds.by_key.len()).max(LEAST_SWEEP);
            }
            match feeds.by_key.get(&key).and_then(Weak::upgrade) {
                Some(feed) if !feed.latest.borrow().done => feed,
                _ => {
                    let feed = Arc::new(start(schema, request));
                    feeds.by_key.insert(key, Arc::downgrade(&feed));
                    feed
                }
            }
        };
        follow(feed, recheck)
    }
}

/// Runs the execution, rendering each response once.
fn start(schema: &AppSchema, request: Request) -> SharedFeed {
    let (tx, latest) = watch::channel(Latest::default());
    let mut results = schema.execute_stream(request.data(SharedExecution));
    let task = tokio::spawn(async move {
        while let Some(response) = results.next().await {
            let Ok(payload) = serde_json::to_string(&response) else {
                continue;
            };
            tx.send_modify(|latest| {
                latest.payload = Some(payload.into());
                latest.seq += 1;
            });
        }
        tx.send_modify(|latest| latest.done = true);
    });
    SharedFeed { latest, task }
}

/// One subscriber's view: the newest message whenever there is one (while `recheck`
/// passes), then the end.
fn follow(feed: Arc<SharedFeed>, recheck: Option<Recheck>) -> BoxStream<'static, Outgoing> {
    let mut latest = feed.latest.clone();
    async_stream::stream! {
        // Holding the feed keeps the execution alive while this subscriber is.
        let _feed = feed;
        let mut seen = 0;
        loop {
            let now = latest.borrow_and_update().clone();
            if now.seq > seen {
                seen = now.seq;
                // Boxed: the recheck's database read is kilobytes of state, which an
                // idle subscriber would otherwise hold inside this stream.
                if let Some(recheck) = &recheck
                    && let Err(refused) = Box::pin(still_admitted(recheck)).await
                {
                    yield refusal(refused);
                    break;
                }
                if let Some(payload) = now.payload {
                    yield Outgoing::Rendered(payload);
                }
            }
            if now.done || latest.changed().await.is_err() {
                yield Outgoing::End;
                break;
            }
        }
    }
    .boxed()
}

/// Whether a subscriber may still see the poll, checked on a task of its own: the
/// database read must not wait for the connection's loop to poll it
/// ([`super::ws::detached`]).
async fn still_admitted(recheck: &Recheck) -> Result<(), AppError> {
    let recheck = recheck.clone();
    detached(async move { recheck.still_admitted().await })
        .await
        .unwrap_or_else(|| {
            Err(AppError::Internal(anyhow::anyhow!(
                "the admission recheck failed"
            )))
        })
}

/// The error ending a subscriber's stream: the protocol's `error` message.
fn refusal(error: AppError) -> Outgoing {
    let error = async_graphql::Error::from(error);
    let mut server_error = async_graphql::ServerError::new(error.message, None);
    server_error.extensions = error.extensions;
    Outgoing::Response(Box::new(async_graphql::Response::from_errors(vec![
        server_error,
    ])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_plain_poll_results_subscriptions_are_shared() {
        let poll = Uuid::now_v7();
        let by_variable = "subscription($id: ID!) { pollResults(pollId: $id) { version } }";
        assert_eq!(
            poll_results_target(by_variable, None, &json!({ "id": poll.to_string() })),
            Some(poll)
        );
        let literal =
            format!("subscription {{ r: pollResults(pollId: \"{poll}\") {{ version }} }}");
        assert_eq!(poll_results_target(&literal, None, &json!({})), Some(poll));
        let query = "{ viewer { id } }";
        assert_eq!(poll_results_target(query, None, &json!({})), None);
        let skipped = "subscription($id: ID!, $s: Boolean!) { pollResults(pollId: $id) @skip(if: $s) { version } }";
        assert_eq!(
            poll_results_target(skipped, None, &json!({ "id": poll.to_string() })),
            None
        );
    }
}
