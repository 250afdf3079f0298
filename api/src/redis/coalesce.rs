//! Rounds of [`Coalescer`] calls answered one Redis command per group.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;

pub use crate::coalesce::Coalescer;

use super::RedisClient;

/// Answers a round one command per group: `group` names each question's group (a poll,
/// a cluster slot), `command` answers one group's questions in their order, and each
/// answer goes back to its question's place. Each command goes through
/// [`RedisClient::guarded`]; a group whose command was held back, failed (counted and
/// logged as `what`) or answered another number of questions stays unanswered.
pub async fn by_group<Q, K, A, Fut>(
    redis: &RedisClient,
    what: &str,
    questions: &[Q],
    group: impl Fn(&Q) -> K,
    command: impl Fn(K, Vec<&Q>) -> Fut,
) -> Vec<Option<A>>
where
    K: Hash + Eq,
    A: Clone,
    Fut: Future<Output = Result<Vec<A>, fred::error::Error>>,
{
    let mut groups: HashMap<K, Vec<usize>> = HashMap::new();
    for (i, question) in questions.iter().enumerate() {
        groups.entry(group(question)).or_default().push(i);
    }
    // Each command boxed: `join_all` moves every future it holds at least twice (into
    // its list, and out when done), and a Redis command's future is kilobytes.
    let commands = groups.into_iter().map(|(key, at)| {
        let run = command(key, at.iter().map(|&i| &questions[i]).collect());
        Box::pin(async move { (at, redis.guarded(what, run).await) })
    });
    let mut answers = vec![None; questions.len()];
    for (at, result) in futures::future::join_all(commands).await {
        if let Some(values) = result
            && values.len() == at.len()
        {
            for (i, value) in at.into_iter().zip(values) {
                answers[i] = Some(value);
            }
        }
    }
    answers
}
