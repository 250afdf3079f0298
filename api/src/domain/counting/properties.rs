//! Property tests: counting over the tally's aggregated counts (one entry per distinct
//! ranking or per option and score) gives exactly what a naive count over the raw
//! ballots, one by one, gives.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::irv::{Round, Runoff, RunoffOutcome, instant_runoff};
use super::score::score_results;

/// A partial ranking: a non-empty prefix of a random order of the options.
fn ranking(options: usize) -> impl Strategy<Value = Vec<usize>> {
    Just((0..options).collect::<Vec<_>>())
        .prop_shuffle()
        .prop_flat_map(move |order| (1..=options).prop_map(move |length| order[..length].to_vec()))
}

/// Raw ballots over 2–8 options. Few options and small electorates make ties, bulk
/// exclusions and exhausted ballots frequent.
fn election() -> impl Strategy<Value = (usize, Vec<Vec<usize>>)> {
    (2usize..=8).prop_flat_map(|options| {
        (
            Just(options),
            prop::collection::vec(ranking(options), 0..60),
        )
    })
}

/// The rule of `irv`, written ballot by ballot with no shared code.
fn naive_irv(options: usize, ballots: &[Vec<usize>]) -> Runoff {
    let mut out: Vec<usize> = Vec::new();
    let mut rounds: Vec<Round> = Vec::new();
    loop {
        let mut votes: BTreeMap<usize, u64> = (0..options)
            .filter(|o| !out.contains(o))
            .map(|o| (o, 0))
            .collect();
        let mut exhausted = 0;
        for ballot in ballots {
            match ballot.iter().find(|o| !out.contains(o)) {
                Some(o) => *votes.get_mut(o).expect("continuing") += 1,
                None => exhausted += 1,
            }
        }
        let continuing: u64 = votes.values().sum();
        if continuing == 0 {
            return Runoff {
                rounds: vec![],
                outcome: RunoffOutcome::NoBallots,
            };
        }
        let mut round = Round {
            tallies: votes.iter().map(|(&o, &v)| (o, v)).collect(),
            eliminated: vec![],
            exhausted,
            continuing_ballots: continuing,
        };
        if let Some((&winner, _)) = votes.iter().find(|&(_, &v)| 2 * v > continuing) {
            rounds.push(round);
            return Runoff {
                rounds,
                outcome: RunoffOutcome::Winner(winner),
            };
        }
        let values: Vec<u64> = votes.values().copied().collect();
        if values.iter().all(|&v| v == values[0]) {
            rounds.push(round);
            let tied = votes.keys().copied().collect();
            return Runoff {
                rounds,
                outcome: RunoffOutcome::Tie(tied),
            };
        }
        // Every candidate set: the options strictly below some option's votes, kept if
        // their combined votes are fewer than the lowest votes at or above that line.
        let mut best: Vec<usize> = vec![];
        for &(_, threshold) in &round.tallies {
            let below: Vec<usize> = votes
                .iter()
                .filter(|&(_, &v)| v < threshold)
                .map(|(&o, _)| o)
                .collect();
            let sum: u64 = below.iter().map(|o| votes[o]).sum();
            let next = votes.values().filter(|&&v| v >= threshold).min().copied();
            if !below.is_empty() && next.is_some_and(|n| sum < n) && below.len() > best.len() {
                best = below;
            }
        }
        if best.is_empty() {
            let lowest = *votes.values().min().expect("options");
            best = votes
                .iter()
                .filter(|&(_, &v)| v == lowest)
                .map(|(&o, _)| o)
                .collect();
            for earlier in rounds.iter().rev() {
                let of = |o: &usize| {
                    earlier
                        .tallies
                        .iter()
                        .find(|t| t.0 == *o)
                        .expect("was continuing")
                        .1
                };
                let fewest = best.iter().map(of).min().expect("tied");
                best.retain(|o| of(o) == fewest);
            }
        }
        best.sort_unstable();
        out.extend(&best);
        round.eliminated = best;
        rounds.push(round);
    }
}

/// Counts per distinct ranking, as the tally keeps them.
fn aggregate<K: Ord + Clone>(raw: impl IntoIterator<Item = K>) -> Vec<(K, u64)> {
    let mut counts = BTreeMap::new();
    for key in raw {
        *counts.entry(key).or_insert(0u64) += 1;
    }
    counts.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn irv_over_counts_per_ranking_equals_irv_over_raw_ballots((options, ballots) in election()) {
        let aggregated = aggregate(ballots.iter().cloned());
        prop_assert_eq!(instant_runoff(options, &aggregated), naive_irv(options, &ballots));
    }

    #[test]
    fn score_results_over_counts_per_score_equal_a_count_over_raw_ballots(
        (options, (min, max), ballots) in (2usize..=8, (-3i32..=3, 1i32..=5)).prop_flat_map(|(options, (min, span))| {
            let ballot = prop::collection::btree_map(0..options, min..=min + span, 1..=options);
            (Just(options), Just((min, min + span)), prop::collection::vec(ballot, 0..40))
        })
    ) {
        let aggregated = aggregate(ballots.iter().flat_map(|b| b.iter().map(|(&o, &s)| (o, s))));
        let outcome = score_results(options, min, max, &aggregated);
        // Naive: per option, the list of scores it received.
        let received: Vec<Vec<i32>> = (0..options)
            .map(|o| ballots.iter().filter_map(|b| b.get(&o).copied()).collect())
            .collect();
        for (option, scores) in received.iter().enumerate() {
            let result = &outcome.options[option];
            prop_assert_eq!(result.ballots, scores.len() as u64);
            prop_assert_eq!(result.total, scores.iter().map(|&s| i64::from(s)).sum::<i64>());
            for &(score, count) in &result.distribution {
                prop_assert_eq!(count, scores.iter().filter(|&&s| s == score).count() as u64);
            }
        }
        // Naive winners: sort key (average as a fraction, counts from the top score down).
        let key = |scores: &Vec<i32>| {
            let counts: Vec<usize> = (min..=max).rev().map(|s| scores.iter().filter(|&&x| x == s).count()).collect();
            (scores.iter().map(|&s| i64::from(s)).sum::<i64>(), scores.len() as i64, counts)
        };
        let better = |a: &Vec<i32>, b: &Vec<i32>| {
            let (ta, na, ca) = key(a);
            let (tb, nb, cb) = key(b);
            (i128::from(ta) * i128::from(nb)).cmp(&(i128::from(tb) * i128::from(na))).then(ca.cmp(&cb))
        };
        let scored: Vec<usize> = (0..options).filter(|&o| !received[o].is_empty()).collect();
        let winners: Vec<usize> = scored
            .iter()
            .copied()
            .filter(|&o| scored.iter().all(|&p| better(&received[o], &received[p]).is_ge()))
            .collect();
        prop_assert_eq!(outcome.winners, winners);
    }
}
