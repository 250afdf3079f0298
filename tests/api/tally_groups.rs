//! Tally groups through storage and live state: ballots whose contribution carries
//! groups (the shape a RANKED poll gives them: the first preference's counter and one
//! group per distinct ranking) keep every group equal to its ballots — on both
//! databases, with batches committing concurrently, through changes and retractions —
//! and the tally read back survives the live stores' round trip.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use serde_json::json;
use tally::clock::Clock;
use tally::config::DatabaseConfig;
use tally::domain::{
    Ballot, IdempotencyKey, OptionId, PollId, PollKind, RequestHash, Tally, TallyContribution,
    UserId, VoteId, kinds::BallotRules,
};
use tally::live::{LiveStore, LocalLive, RedisLive};
use tally::metrics::AppCounters;
use tally::redis::RedisClient;
use tally::store::{CastOutcome, CastRequest, ChangeOutcome, ChangeRequest, Store};
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, option_ids};
use crate::redis_support::shared_redis_url;

/// Ballots cast in the concurrency test.
const VOTERS: usize = 96;
/// Batches committed at once.
const CONCURRENT_BATCHES: usize = 6;

/// The store of a test app's database, beside the app.
async fn store_of(app: &TestApp) -> Store {
    Store::connect(&DatabaseConfig {
        url: Some(app.db.url.clone()),
        data_dir: std::env::temp_dir(),
        pool_size: CONCURRENT_BATCHES as u32 + 2,
        connect_timeout_secs: 5,
    })
    .await
    .expect("connecting a store to the test database")
}

/// A full ranking of four options for voter `i`: a fixed pseudo-random permutation,
/// skewed so that some rankings are shared by many ballots.
fn ranking(i: usize) -> Vec<usize> {
    let mut order = vec![0, 1, 2, 3];
    let mut seed = (i % 11) as u64 * 2_654_435_761 + 7;
    for k in (1..order.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        order.swap(k, (seed % (k as u64 + 1)) as usize);
    }
    order
}

/// The group key of a ranking (positions joined by `>`, as the contract says).
fn key(ranking: &[usize]) -> String {
    ranking
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(">")
}

/// What a ranked ballot adds: its first preference's counter and its ranking's group.
fn contribution(options: &[OptionId], ranking: &[usize]) -> TallyContribution {
    TallyContribution {
        options: vec![options[ranking[0]]],
        groups: vec![key(ranking)],
    }
}

/// A full ranking's ballot on the poll with these options.
fn ranked(options: &[OptionId], ranking: &[usize]) -> Ballot {
    Ballot::Ranking(ranking.iter().map(|&p| options[p]).collect())
}

/// The ballot rules of a RANKED poll with these options (the store reads the old
/// ballot of a change with them, and the kind counts what it took from the tally).
fn ranked_rules(options: &[OptionId]) -> Arc<BallotRules> {
    Arc::new(BallotRules {
        kind: PollKind::Ranked,
        options: options.to_vec(),
        min_choices: 1,
        max_choices: options.len(),
        score_range: None,
    })
}

fn cast_request(poll: Uuid, user: Uuid, options: &[OptionId], ranking: &[usize]) -> CastRequest {
    CastRequest {
        vote_id: VoteId::from(Uuid::now_v7()),
        poll_id: PollId::from(poll),
        user_id: UserId::from(user),
        ballot: ranked(options, ranking),
        contribution: contribution(options, ranking),
        key: IdempotencyKey::parse(&format!("cast-{user}")).expect("a valid key"),
        request_hash: RequestHash::from_stored(format!("hash-{user}")),
        request_id: Some("tally-groups-test".into()),
    }
}

/// Group keys and option ids with their ballots, as a [`Tally`] lists them.
type Counted<K> = Vec<(K, i64)>;

/// The groups and first-preference counters the ballots must add up to.
fn expected(
    options: &[OptionId],
    rankings: &BTreeMap<Uuid, Vec<usize>>,
) -> (Counted<String>, Counted<Uuid>) {
    let mut groups: BTreeMap<String, i64> = BTreeMap::new();
    let mut firsts = vec![0i64; options.len()];
    for ranking in rankings.values() {
        *groups.entry(key(ranking)).or_default() += 1;
        firsts[ranking[0]] += 1;
    }
    let counts = options
        .iter()
        .zip(firsts)
        .map(|(o, n)| (o.uuid(), n))
        .collect();
    (groups.into_iter().collect(), counts)
}

async fn tally_of(store: &Store, poll: Uuid, clock: &dyn Clock) -> Tally {
    store
        .tallies(&[poll], clock.now())
        .await
        .expect("reading the tally")
        .pop()
        .expect("the poll has a tally")
}

async fn assert_tally_matches(
    store: &Store,
    poll: Uuid,
    clock: &dyn Clock,
    options: &[OptionId],
    rankings: &BTreeMap<Uuid, Vec<usize>>,
) -> Tally {
    let tally = tally_of(store, poll, clock).await;
    let (groups, counts) = expected(options, rankings);
    assert_eq!(tally.groups, groups, "groups must equal the ballots");
    assert_eq!(
        tally.counts, counts,
        "first preferences must equal the ballots"
    );
    assert_eq!(tally.total_votes, rankings.len() as i64);
    tally
}

/// Commits every request, in concurrent batches, until each is decided.
async fn cast_concurrently(store: &Store, clock: &dyn Clock, requests: Vec<CastRequest>) {
    let mut pending = requests;
    while !pending.is_empty() {
        let size = pending.len().div_ceil(CONCURRENT_BATCHES);
        let batches: Vec<Vec<CastRequest>> = pending.chunks(size).map(<[_]>::to_vec).collect();
        let results = join_all(
            batches
                .iter()
                .map(|batch| store.commit_cast_batch(batch, clock)),
        )
        .await;
        pending = Vec::new();
        for (batch, result) in batches.iter().zip(results) {
            let result = result.expect("a batch commits");
            for (request, outcome) in batch.iter().zip(result.outcomes) {
                match outcome {
                    CastOutcome::Recorded(_) => {}
                    CastOutcome::Retry => pending.push(request.clone()),
                    other => panic!("a fresh ballot was answered {other:?}"),
                }
            }
        }
    }
}

both_backends! {
    async fn ranked_groups_equal_the_ballots_under_concurrent_batches_changes_and_retractions(
        backend: Backend
    ) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let poll = app
            .create_poll(
                &owner,
                json!({ "kind": "RANKED", "options": ["A", "B", "C", "D"], "allowVoteChange": true }),
            )
            .await;
        let poll_id: Uuid = poll["id"].as_str().unwrap().parse().unwrap();
        let options: Vec<OptionId> = option_ids(&poll)
            .iter()
            .map(|id| OptionId::from(id.parse::<Uuid>().unwrap()))
            .collect();
        let voters = app.register_many("voter", VOTERS).await;
        let store = store_of(&app).await;
        let clock: &dyn Clock = &*app.clock;

        let mut rankings: BTreeMap<Uuid, Vec<usize>> = BTreeMap::new();
        let requests: Vec<CastRequest> = voters
            .iter()
            .enumerate()
            .map(|(i, voter)| {
                let user: Uuid = voter.id.parse().unwrap();
                rankings.insert(user, ranking(i));
                cast_request(poll_id, user, &options, &ranking(i))
            })
            .collect();
        cast_concurrently(&store, clock, requests).await;
        let tally = assert_tally_matches(&store, poll_id, clock, &options, &rankings).await;
        assert!(
            tally.groups.len() > 1 && tally.groups.len() < VOTERS,
            "the test should share rankings between ballots: {:?}",
            tally.groups
        );

        // Changes: the old ballot's contribution comes from its kind, given the ballot
        // the store read back; the new one from the request.
        let changed: Vec<Uuid> = rankings.keys().copied().take(10).collect();
        for (n, user) in changed.iter().enumerate() {
            let old = rankings[user].clone();
            let new = ranking(n + 3);
            let rules = ranked_rules(&options);
            assert_eq!(
                rules.contribution(&ranked(&options, &old)),
                contribution(&options, &old)
            );
            let request = ChangeRequest {
                poll_id: PollId::from(poll_id),
                user_id: UserId::from(*user),
                ballot: Some(ranked(&options, &new)),
                contribution: Some(contribution(&options, &new)),
                rules,
                key: IdempotencyKey::parse(&format!("change-{user}")).unwrap(),
                request_hash: RequestHash::from_stored(format!("change-{user}")),
                request_id: Some("tally-groups-test".into()),
            };
            let (outcome, _) = store.commit_vote_change(&request, clock).await.unwrap();
            assert!(matches!(outcome, ChangeOutcome::Changed(_)), "{outcome:?}");
            rankings.insert(*user, new);
        }
        assert_tally_matches(&store, poll_id, clock, &options, &rankings).await;

        // Retractions, until one ranking's group has no ballot left: it leaves the tally.
        let (gone, holders) = {
            let mut by_key: BTreeMap<String, Vec<Uuid>> = BTreeMap::new();
            for (user, ranking) in &rankings {
                by_key.entry(key(ranking)).or_default().push(*user);
            }
            by_key.into_iter().min_by_key(|(_, users)| users.len()).unwrap()
        };
        for user in holders {
            let request = ChangeRequest {
                poll_id: PollId::from(poll_id),
                user_id: UserId::from(user),
                ballot: None,
                contribution: None,
                rules: ranked_rules(&options),
                key: IdempotencyKey::parse(&format!("retract-{user}")).unwrap(),
                request_hash: RequestHash::from_stored(format!("retract-{user}")),
                request_id: Some("tally-groups-test".into()),
            };
            let (outcome, tally) = store.commit_vote_change(&request, clock).await.unwrap();
            assert!(matches!(outcome, ChangeOutcome::Retracted(_)), "{outcome:?}");
            assert!(tally.is_some(), "a retraction returns the new tally");
            rankings.remove(&user);
        }
        let tally = assert_tally_matches(&store, poll_id, clock, &options, &rankings).await;
        assert!(
            tally.groups.iter().all(|(k, _)| *k != gone),
            "a group without ballots is left out: {:?}",
            tally.groups
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tally_with_groups_survives_the_live_stores() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let owner = app.register("owner").await;
    let poll = app
        .create_poll(
            &owner,
            json!({ "kind": "RANKED", "options": ["A", "B", "C", "D"] }),
        )
        .await;
    let poll_id: Uuid = poll["id"].as_str().unwrap().parse().unwrap();
    let options: Vec<OptionId> = option_ids(&poll)
        .iter()
        .map(|id| OptionId::from(id.parse::<Uuid>().unwrap()))
        .collect();
    let voters = app.register_many("voter", 12).await;
    let store = store_of(&app).await;
    let clock: &dyn Clock = &*app.clock;
    let requests = voters
        .iter()
        .enumerate()
        .map(|(i, v)| cast_request(poll_id, v.id.parse().unwrap(), &options, &ranking(i)))
        .collect();
    cast_concurrently(&store, clock, requests).await;
    let tally = tally_of(&store, poll_id, clock).await;
    assert!(!tally.groups.is_empty());

    let redis = RedisClient::connect(
        &shared_redis_url(),
        &format!("t{}", Uuid::new_v4().simple()),
        1,
        Duration::from_secs(1),
        Arc::new(AppCounters::default()),
    )
    .await
    .expect("connecting to Redis");
    let stores: [(&str, Box<dyn LiveStore>); 2] = [
        (
            "redis",
            Box::new(RedisLive::new(
                redis,
                Duration::from_secs(60),
                Duration::from_secs(60),
            )),
        ),
        ("local", Box::new(LocalLive::default())),
    ];
    for (name, live) in stores {
        live.put_tallies(std::slice::from_ref(&tally))
            .await
            .unwrap_or_else(|_| panic!("{name} takes the tally"));
        let kept = live
            .tallies(&[poll_id])
            .await
            .unwrap_or_else(|_| panic!("{name} answers"));
        assert_eq!(kept, vec![Some(tally.clone())], "{name}");
    }
}
