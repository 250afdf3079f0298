//! Published ranked elections counted through the API: a RANKED poll is created, every
//! ballot is cast by its own voter over GraphQL, and `results { instantRunoff }` must
//! show every published round's figures. The fixtures (`tests/fixtures/elections/`)
//! cite their sources and say what in them is constructed.

use std::collections::BTreeMap;

use futures::StreamExt;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, TestUser, option_ids};

/// Voters casting at once: enough to exercise the batched write path, few enough for
/// a two-core machine running other tests.
const CONCURRENT_VOTERS: usize = 16;

/// One fixture file (the fields this test reads).
struct Election {
    title: String,
    options: Vec<String>,
    /// Ballots that ranked nobody: they cannot be cast through the API (a RANKED
    /// ballot ranks at least one option), so they are left out and the published
    /// exhausted figures are lowered by this many.
    blank_ballots: u64,
    ballots: Vec<Ballots>,
    rounds: Vec<PublishedRound>,
    winner: String,
}

struct Ballots {
    ranking: Vec<String>,
    count: u64,
}

struct PublishedRound {
    tallies: BTreeMap<String, u64>,
    eliminated: Vec<String>,
    exhausted: u64,
    continuing: u64,
}

const RUNOFF: &str = "query($id: ID!) { poll(id: $id) { results { totalVotes \
    options { option { text } votes } \
    instantRunoff { rounds { number tallies { option { text } votes percentage } \
      eliminated { text } exhaustedBallots continuingBallots } \
      winner { text } tiedOptions { text } } } } }";

/// Creates the election's RANKED poll, casts every ballot through `castVote` (one
/// guest voter per ballot, `CONCURRENT_VOTERS` at a time) and returns the results.
async fn count_through_the_api(app: &TestApp, election: &Election) -> Value {
    let owner = app.register("returning-officer").await;
    let poll = app
        .create_poll(
            &owner,
            json!({
                "title": election.title.chars().take(100).collect::<String>(),
                "options": election.options,
                "kind": "RANKED",
                "voters": "GUESTS",
            }),
        )
        .await;
    let poll_id = poll["id"].as_str().expect("a poll id").to_owned();
    let ids = option_ids(&poll);
    let id_of = |name: &String| {
        let position = election
            .options
            .iter()
            .position(|o| o == name)
            .expect("an option");
        ids[position].clone()
    };
    let ballots: Vec<Vec<String>> = election
        .ballots
        .iter()
        .flat_map(|b| {
            let ranking: Vec<String> = b.ranking.iter().map(id_of).collect();
            std::iter::repeat_n(ranking, usize::try_from(b.count).expect("a count"))
        })
        .collect();
    let cast = futures::stream::iter(ballots.into_iter().enumerate())
        .map(|(i, ranking)| {
            let poll_id = poll_id.clone();
            async move {
                let voter: TestUser = app.start_guest().await;
                let ranking: Vec<&str> = ranking.iter().map(String::as_str).collect();
                let body = app
                    .cast_vote(&voter, &poll_id, &ranking, &format!("ballot-{i}"))
                    .await;
                assert!(body["errors"].is_null(), "ballot {i} refused: {body}");
            }
        })
        .buffer_unordered(CONCURRENT_VOTERS)
        .collect::<Vec<()>>();
    cast.await;
    app.graphql(Some(&owner.token), RUNOFF, json!({ "id": poll_id }))
        .await
}

/// Compares the API's rounds with the published ones, figure by figure.
fn assert_published_rounds(election: &Election, body: &Value) {
    let results = &body["data"]["poll"]["results"];
    assert!(results.is_object(), "no results: {body}");
    let cast: u64 = election.ballots.iter().map(|b| b.count).sum();
    assert_eq!(results["totalVotes"].as_u64(), Some(cast), "{body}");

    // First preferences are the options' counters.
    let first: BTreeMap<String, u64> = results["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| {
            (
                o["option"]["text"].as_str().expect("text").to_owned(),
                o["votes"].as_u64().expect("votes"),
            )
        })
        .filter(|(_, votes)| *votes > 0)
        .collect();
    let published_first: BTreeMap<String, u64> = election.rounds[0]
        .tallies
        .iter()
        .filter(|(_, votes)| **votes > 0)
        .map(|(name, votes)| (name.clone(), *votes))
        .collect();
    assert_eq!(first, published_first, "first preferences");

    let runoff = &results["instantRunoff"];
    let rounds = runoff["rounds"].as_array().expect("rounds");
    assert_eq!(
        rounds.len(),
        election.rounds.len(),
        "number of rounds: {runoff}"
    );
    for (index, (round, published)) in rounds.iter().zip(&election.rounds).enumerate() {
        let number = index + 1;
        assert_eq!(round["number"].as_u64(), Some(number as u64));
        let continuing = published.continuing;
        let mut tallies = BTreeMap::new();
        for tally in round["tallies"].as_array().expect("tallies") {
            let name = tally["option"]["text"].as_str().expect("text").to_owned();
            let votes = tally["votes"].as_u64().expect("votes");
            let percentage = tally["percentage"].as_f64().expect("a percentage");
            let exact = 100.0 * votes as f64 / continuing as f64;
            assert!(
                (percentage - exact).abs() < 0.051,
                "round {number}, {name}: {percentage}% of continuing ballots, expected {exact:.2}%"
            );
            tallies.insert(name, votes);
        }
        assert_eq!(tallies, published.tallies, "round {number} tallies");
        let mut eliminated: Vec<String> = round["eliminated"]
            .as_array()
            .expect("eliminated")
            .iter()
            .map(|o| o["text"].as_str().expect("text").to_owned())
            .collect();
        eliminated.sort();
        let mut expected = published.eliminated.clone();
        expected.sort();
        assert_eq!(eliminated, expected, "round {number} eliminated");
        assert_eq!(
            round["exhaustedBallots"].as_u64(),
            Some(published.exhausted - election.blank_ballots),
            "round {number} exhausted (published, less the blank ballots not cast)"
        );
        assert_eq!(
            round["continuingBallots"].as_u64(),
            Some(continuing),
            "round {number} continuing"
        );
    }
    assert_eq!(
        runoff["winner"]["text"].as_str(),
        Some(election.winner.as_str())
    );
    assert_eq!(runoff["tiedOptions"], json!([]));
}

/// Reads a fixture file (read by hand: the test crate has no serde derive).
fn fixture(json: &str) -> Election {
    let file: Value = serde_json::from_str(json).expect("a valid fixture");
    let text = |v: &Value| v.as_str().expect("a string").to_owned();
    let count = |v: &Value| v.as_u64().expect("a count");
    let texts = |v: &Value| v.as_array().expect("an array").iter().map(text).collect();
    Election {
        title: text(&file["title"]),
        options: texts(&file["options"]),
        blank_ballots: count(&file["blank_ballots"]),
        ballots: file["ballots"]
            .as_array()
            .expect("ballots")
            .iter()
            .map(|b| Ballots {
                ranking: texts(&b["ranking"]),
                count: count(&b["count"]),
            })
            .collect(),
        rounds: file["rounds"]
            .as_array()
            .expect("rounds")
            .iter()
            .map(|r| PublishedRound {
                tallies: r["tallies"]
                    .as_object()
                    .expect("tallies")
                    .iter()
                    .map(|(name, votes)| (name.clone(), count(votes)))
                    .collect(),
                eliminated: texts(&r["eliminated"]),
                exhausted: count(&r["exhausted"]),
                continuing: count(&r["continuing"]),
            })
            .collect(),
        winner: text(&file["winner"]),
    }
}

both_backends! {
    async fn the_tennessee_capital_example_counts_to_knoxville_round_by_round(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let election = fixture(include_str!("../fixtures/elections/tennessee_capital.json"));
        let body = count_through_the_api(&app, &election).await;
        assert_published_rounds(&election, &body);
    }

    async fn burlington_2009_counts_to_the_published_rounds_from_8976_ballots(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let election = fixture(include_str!("../fixtures/elections/burlington_2009.json"));
        let body = count_through_the_api(&app, &election).await;
        assert_published_rounds(&election, &body);
    }
}
