//! Live tallies and voter marks in Redis.
//!
//! A tally is one string, `version|total|as_of_micros|option:count,…[|group=count,…]`
//! ([`super::codec`]), replaced only by a newer version (an atomic script compares).
//! A mark is one string,
//! `vote_id|request_hash|cast_at_micros|option,…|key` (the key last: it may contain
//! `|`), with a TTL. Both keys carry the poll id as their hash tag.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use fred::prelude::*;
use fred::types::scripts::Script;
use uuid::Uuid;

use super::codec::{decode_tally, encode_tally};
use super::{LiveStore, Mark, Unavailable};
use crate::domain::{Ballot, IdempotencyKey, RequestHash, Tally};
use crate::redis::RedisClient;
use crate::redis::coalesce::{self, Coalescer};

/// `KEYS[i]`: a tally; `ARGV[3i - 2]`, `ARGV[3i - 1]`, `ARGV[3i]`: its version, its
/// encoding, TTL (ms). Writes each unless the kept version is the same or newer; returns
/// per tally 1 when written, else 0.
const PUT_IF_NEWER: &str = r"
local written = {}
for i, key in ipairs(KEYS) do
  local version = tonumber(ARGV[3 * i - 2])
  local kept = redis.call('GET', key)
  local v = kept and tonumber(string.match(kept, '^(%d+)|'))
  if v and v >= version then
    written[i] = 0
  else
    redis.call('SET', key, ARGV[3 * i - 1], 'PX', ARGV[3 * i])
    written[i] = 1
  end
end
return written
";

/// `KEYS[1]`: the tally; `ARGV`: the value expected ('' for none), the new value, TTL
/// (ms). Compare-and-set: writes only if the kept value is still the expected one.
const REPAIR: &str = r"
local kept = redis.call('GET', KEYS[1]) or ''
if kept ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
";

/// `KEYS[i]`: a voter mark; `ARGV[2i - 1]`, `ARGV[2i]`: the mark and its TTL (s).
/// Returns 1 per mark.
const SET_MARKS: &str = r"
local written = {}
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[2 * i - 1], 'EX', ARGV[2 * i])
  written[i] = 1
end
return written
";

/// Live state in Redis.
pub struct RedisLive {
    redis: RedisClient,
    put_if_newer: Script,
    repair: Script,
    set_marks: Script,
    /// Reads of one voter's mark (poll, user), coalesced.
    mark_reads: Coalescer<(Uuid, Uuid), Option<String>>,
    tally_ttl: Duration,
    mark_ttl: Duration,
}

impl RedisLive {
    /// Live state in `redis`, with the given key lifetimes. Starts the task that reads
    /// voter marks, on the current runtime.
    pub fn new(redis: RedisClient, tally_ttl: Duration, mark_ttl: Duration) -> Self {
        RedisLive {
            mark_reads: Coalescer::start({
                let redis = redis.clone();
                move |reads| read_marks(redis.clone(), reads)
            }),
            redis,
            put_if_newer: Script::from_lua(PUT_IF_NEWER),
            repair: Script::from_lua(REPAIR),
            set_marks: Script::from_lua(SET_MARKS),
            tally_ttl,
            mark_ttl,
        }
    }

    fn ttl_millis(&self) -> String {
        self.tally_ttl.as_millis().to_string()
    }

    /// Runs a writing script over `entries` (key, its arguments); fine when every
    /// call of it went through.
    async fn write_all(
        &self,
        what: &str,
        script: &Script,
        entries: &[(String, Vec<String>)],
    ) -> Result<(), Unavailable> {
        let written = self
            .redis
            .run_script_per_key::<i64>(what, script, entries)
            .await;
        if written.iter().all(Option::is_some) {
            Ok(())
        } else {
            Err(Unavailable)
        }
    }
}

/// A round of mark reads: one `MGET` per poll (a poll's marks share its hash tag,
/// hence one cluster slot).
async fn read_marks(redis: RedisClient, reads: Vec<(Uuid, Uuid)>) -> Vec<Option<Option<String>>> {
    let client = redis.cmd();
    coalesce::by_group(
        &redis,
        "read voter marks",
        &reads,
        |(poll, _)| *poll,
        |poll, reads| {
            let keys: Vec<String> = reads
                .iter()
                .map(|(_, user)| redis.keys().voter(poll, *user))
                .collect();
            client.mget::<Vec<Option<String>>, _>(keys)
        },
    )
    .await
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn from_micros(micros: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros)
}

/// `vote_id|request_hash|cast_at_micros|ballot|key`, the ballot in its tagged form
/// ([`Ballot::to_tagged`]: `option,…` for a choice, as marks were written before poll
/// kinds existed).
fn encode_mark(mark: &Mark) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        mark.vote_id,
        mark.request_hash.as_str(),
        micros(mark.cast_at),
        mark.ballot.to_tagged(),
        mark.key.as_str()
    )
}

fn decode_mark(text: &str) -> Option<Mark> {
    let mut parts = text.splitn(5, '|');
    Some(Mark {
        vote_id: Uuid::parse_str(parts.next()?).ok()?,
        request_hash: RequestHash::from_stored(parts.next()?.to_owned()),
        cast_at: from_micros(parts.next()?.parse().ok()?)?,
        ballot: Ballot::from_tagged(parts.next()?),
        // Marks are written only from keys that were parsed; one that no longer
        // parses (a Redis written to by something else) is no mark.
        key: IdempotencyKey::parse(parts.next()?).ok()?,
    })
}

#[async_trait]
impl LiveStore for RedisLive {
    async fn tallies(&self, polls: &[Uuid]) -> Result<Vec<Option<Tally>>, Unavailable> {
        // One GET per poll, sent together (keys of different polls may live in
        // different cluster slots, so no MGET).
        let client = self.redis.cmd();
        let reads = polls
            .iter()
            .map(|poll| client.get::<Option<String>, _>(self.redis.keys().tally(*poll)));
        let texts = self
            .redis
            .guarded("read live tallies", futures::future::try_join_all(reads))
            .await
            .ok_or(Unavailable)?;
        Ok(polls
            .iter()
            .zip(texts)
            .map(|(poll, text)| text.and_then(|t| decode_tally(*poll, &t)))
            .collect())
    }

    async fn put_tallies(&self, tallies: &[Tally]) -> Result<(), Unavailable> {
        // One script for all of them (one per slot on a cluster): a batch of votes on
        // many polls moves many tallies at once.
        let entries: Vec<(String, Vec<String>)> = tallies
            .iter()
            .map(|t| {
                let args = vec![t.version.to_string(), encode_tally(t), self.ttl_millis()];
                (self.redis.keys().tally(t.poll_id), args)
            })
            .collect();
        self.write_all("write live tallies", &self.put_if_newer, &entries)
            .await
    }

    async fn repair_tally(
        &self,
        tally: &Tally,
        found: Option<&Tally>,
    ) -> Result<bool, Unavailable> {
        let args = vec![
            found.map(encode_tally).unwrap_or_default(),
            encode_tally(tally),
            self.ttl_millis(),
        ];
        let key = self.redis.keys().tally(tally.poll_id);
        self.redis
            .guarded(
                "repair live tally",
                self.redis.run_script::<i64>(&self.repair, key, args),
            )
            .await
            .map(|written| written == 1)
            .ok_or(Unavailable)
    }

    async fn mark(&self, poll: Uuid, user: Uuid) -> Result<Option<Mark>, Unavailable> {
        let text = self
            .mark_reads
            .call((poll, user))
            .await
            .ok_or(Unavailable)?;
        Ok(text.and_then(|t| decode_mark(&t)))
    }

    async fn put_marks(&self, marks: &[(Uuid, Uuid, Mark)]) -> Result<(), Unavailable> {
        // One script for the batch (one per slot on a cluster) instead of a `SET` per
        // vote: far cheaper for both ends.
        let ttl = self.mark_ttl.as_secs().max(1).to_string();
        let entries: Vec<(String, Vec<String>)> = marks
            .iter()
            .map(|(poll, user, mark)| {
                let key = self.redis.keys().voter(*poll, *user);
                (key, vec![encode_mark(mark), ttl.clone()])
            })
            .collect();
        self.write_all("write voter marks", &self.set_marks, &entries)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_and_marks_survive_their_encoding() {
        let poll = Uuid::now_v7();
        let tally = Tally {
            poll_id: poll,
            total_votes: 7,
            version: 12,
            counts: vec![(Uuid::now_v7(), 4), (Uuid::now_v7(), 3)],
            groups: vec![("1>0".into(), 4), ("0>1".into(), 3)],
            as_of: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap_or_default(),
        };
        assert_eq!(decode_tally(poll, &encode_tally(&tally)), Some(tally));
        let option = || crate::domain::OptionId(Uuid::now_v7());
        for ballot in [
            Ballot::Choice(vec![option()]),
            Ballot::Ranking(vec![option(), option()]),
            Ballot::Scores(vec![(option(), -2), (option(), 7)]),
        ] {
            let mark = Mark {
                vote_id: Uuid::now_v7(),
                ballot,
                cast_at: DateTime::from_timestamp_micros(1_700_000_000_000_001).unwrap_or_default(),
                key: IdempotencyKey::parse("a|key with | bars").unwrap_or_else(|e| panic!("{e:?}")),
                request_hash: RequestHash::from_stored("abc".into()),
            };
            assert_eq!(decode_mark(&encode_mark(&mark)), Some(mark));
        }
        assert_eq!(decode_tally(poll, "garbage"), None);
    }
}
