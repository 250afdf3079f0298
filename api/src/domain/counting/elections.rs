//! Published elections counted by [`instant_runoff`]: every round's figures must be the
//! published ones. The fixtures live in `tests/fixtures/elections/` (each cites its
//! source and says what in it is constructed); the API test counts the same ones
//! through GraphQL.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::irv::{RunoffOutcome, instant_runoff};

/// One fixture file.
#[derive(Debug, Deserialize)]
struct Election {
    options: Vec<String>,
    blank_ballots: u64,
    ballots: Vec<Ballots>,
    rounds: Vec<PublishedRound>,
    winner: String,
}

#[derive(Debug, Deserialize)]
struct Ballots {
    ranking: Vec<String>,
    count: u64,
}

#[derive(Debug, Deserialize)]
struct PublishedRound {
    tallies: BTreeMap<String, u64>,
    eliminated: Vec<String>,
    exhausted: u64,
    continuing: u64,
}

fn load(json: &str) -> Election {
    serde_json::from_str(json).expect("fixture is valid JSON")
}

/// Counts the fixture's ballots and compares every round and the winner.
fn assert_published_rounds(election: &Election) {
    let position = |name: &String| {
        election
            .options
            .iter()
            .position(|o| o == name)
            .expect("fixture names an option")
    };
    let mut rankings: Vec<(Vec<usize>, u64)> = election
        .ballots
        .iter()
        .map(|b| (b.ranking.iter().map(position).collect(), b.count))
        .collect();
    rankings.push((Vec::new(), election.blank_ballots));
    let runoff = instant_runoff(election.options.len(), &rankings);

    assert_eq!(
        runoff.rounds.len(),
        election.rounds.len(),
        "number of rounds"
    );
    for (number, (counted, published)) in runoff.rounds.iter().zip(&election.rounds).enumerate() {
        let tallies: BTreeMap<String, u64> = counted
            .tallies
            .iter()
            .map(|&(p, votes)| (election.options[p].clone(), votes))
            .collect();
        let eliminated: Vec<usize> = published.eliminated.iter().map(position).collect();
        let mut eliminated_sorted = eliminated.clone();
        eliminated_sorted.sort_unstable();
        let round = number + 1;
        assert_eq!(tallies, published.tallies, "round {round} tallies");
        assert_eq!(
            counted.eliminated, eliminated_sorted,
            "round {round} eliminated"
        );
        assert_eq!(
            counted.exhausted, published.exhausted,
            "round {round} exhausted"
        );
        assert_eq!(
            counted.continuing_ballots, published.continuing,
            "round {round} continuing"
        );
    }
    assert_eq!(
        runoff.outcome,
        RunoffOutcome::Winner(position(&election.winner))
    );
}

#[test]
fn the_tennessee_capital_textbook_example_elects_knoxville_in_three_rounds() {
    let election = load(include_str!(
        "../../../../tests/fixtures/elections/tennessee_capital.json"
    ));
    assert_published_rounds(&election);
}

#[test]
fn burlington_2009_matches_every_published_round_and_elects_kiss() {
    let election = load(include_str!(
        "../../../../tests/fixtures/elections/burlington_2009.json"
    ));
    assert_published_rounds(&election);
}
