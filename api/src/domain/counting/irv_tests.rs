//! Unit tests of the instant-runoff rule, one per branch of the rule.

use super::irv::*;

/// Counts per ranking from `(ranking, ballots)` literals.
fn profile(rankings: &[(&[usize], u64)]) -> Vec<(Vec<usize>, u64)> {
    rankings.iter().map(|(r, n)| (r.to_vec(), *n)).collect()
}

fn tallies(runoff: &Runoff) -> Vec<Vec<(usize, u64)>> {
    runoff.rounds.iter().map(|r| r.tallies.clone()).collect()
}

fn eliminated(runoff: &Runoff) -> Vec<Vec<usize>> {
    runoff.rounds.iter().map(|r| r.eliminated.clone()).collect()
}

#[test]
fn an_option_with_more_than_half_of_the_ballots_wins_in_the_first_round() {
    let runoff = instant_runoff(3, &profile(&[(&[0, 1], 6), (&[1], 3), (&[0], 2)]));
    assert_eq!(runoff.outcome, RunoffOutcome::Winner(0));
    assert_eq!(
        runoff.rounds,
        vec![Round {
            tallies: vec![(0, 8), (1, 3), (2, 0)],
            eliminated: vec![],
            exhausted: 0,
            continuing_ballots: 11,
        }]
    );
}

#[test]
fn exactly_half_is_not_a_majority() {
    // 4 of 8: no majority; B and C (2 each, tied, no earlier round) go out together.
    let runoff = instant_runoff(3, &profile(&[(&[0], 4), (&[1], 2), (&[2], 2)]));
    assert_eq!(eliminated(&runoff), vec![vec![1, 2], vec![]]);
    assert_eq!(runoff.outcome, RunoffOutcome::Winner(0));
    assert_eq!(runoff.rounds[1].exhausted, 4);
    assert_eq!(runoff.rounds[1].continuing_ballots, 4);
}

#[test]
fn ballots_ranking_no_continuing_option_are_exhausted_and_the_majority_is_of_the_rest() {
    let runoff = instant_runoff(3, &profile(&[(&[0], 4), (&[1, 0], 3), (&[2], 2)]));
    assert_eq!(
        tallies(&runoff),
        vec![vec![(0, 4), (1, 3), (2, 2)], vec![(0, 4), (1, 3)]]
    );
    assert_eq!(eliminated(&runoff), vec![vec![2], vec![]]);
    assert_eq!(runoff.rounds[0].exhausted, 0);
    assert_eq!(runoff.rounds[1].exhausted, 2);
    assert_eq!(runoff.rounds[1].continuing_ballots, 7);
    // 4 of 9 ballots, but 4 of the 7 continuing: a majority.
    assert_eq!(runoff.outcome, RunoffOutcome::Winner(0));
}

#[test]
fn the_largest_set_of_lowest_options_that_cannot_catch_up_is_excluded_at_once() {
    // A 10, B 8, C 2, D 1, E 1: C+D+E = 4 < 8, so all three go; A+… = 12 is not < 10.
    let runoff = instant_runoff(
        5,
        &profile(&[
            (&[0], 10),
            (&[1], 8),
            (&[2, 0], 2),
            (&[3, 1], 1),
            (&[4, 1], 1),
        ]),
    );
    assert_eq!(eliminated(&runoff), vec![vec![2, 3, 4], vec![]]);
    assert_eq!(tallies(&runoff)[1], vec![(0, 12), (1, 10)]);
    assert_eq!(runoff.outcome, RunoffOutcome::Winner(0));
}

#[test]
fn a_tie_at_the_bottom_is_broken_by_the_latest_earlier_round_where_the_tied_options_differ() {
    // Round 1 excludes E, round 2 excludes D; in round 3 B and C tie on 11. They were
    // equal in round 2 (8 each) but not in round 1 (B 8, C 7): C goes.
    let runoff = instant_runoff(
        5,
        &profile(&[
            (&[0], 20),
            (&[1], 8),
            (&[2, 1], 7),
            (&[3, 1], 3),
            (&[3, 2, 1], 3),
            (&[4, 2, 1], 1),
        ]),
    );
    assert_eq!(
        tallies(&runoff),
        vec![
            vec![(0, 20), (1, 8), (2, 7), (3, 6), (4, 1)],
            vec![(0, 20), (1, 8), (2, 8), (3, 6)],
            vec![(0, 20), (1, 11), (2, 11)],
            vec![(0, 20), (1, 22)],
        ]
    );
    assert_eq!(eliminated(&runoff), vec![vec![4], vec![3], vec![2], vec![]]);
    assert_eq!(runoff.outcome, RunoffOutcome::Winner(1));
}

#[test]
fn the_backward_tie_break_uses_the_round_just_before_when_it_separates() {
    // Round 1: A 10, B 7, C 5, D 3 → D goes; its ballots make C 7 = B 7 in round 2.
    // C had fewer in round 1, so C goes, and B wins with C's ballots.
    let runoff = instant_runoff(
        4,
        &profile(&[
            (&[0], 10),
            (&[1], 7),
            (&[2, 1], 5),
            (&[3, 2, 1], 2),
            (&[3, 0], 1),
        ]),
    );
    assert_eq!(eliminated(&runoff), vec![vec![3], vec![2], vec![]]);
    assert_eq!(tallies(&runoff)[2], vec![(0, 11), (1, 14)]);
    assert_eq!(runoff.outcome, RunoffOutcome::Winner(1));
}

#[test]
fn options_still_tied_after_the_backward_tie_break_are_excluded_together() {
    // B and C tie on 2 in round 1 (no earlier round): both go at once.
    let runoff = instant_runoff(
        4,
        &profile(&[(&[0], 5), (&[3], 4), (&[1, 3], 2), (&[2, 3], 2)]),
    );
    assert_eq!(eliminated(&runoff), vec![vec![1, 2], vec![]]);
    assert_eq!(runoff.outcome, RunoffOutcome::Winner(3));
    assert_eq!(tallies(&runoff)[1], vec![(0, 5), (3, 8)]);
}

#[test]
fn equal_votes_for_every_continuing_option_end_the_count_in_a_tie() {
    let runoff = instant_runoff(2, &profile(&[(&[0, 1], 3), (&[1, 0], 3)]));
    assert_eq!(runoff.outcome, RunoffOutcome::Tie(vec![0, 1]));
    assert_eq!(runoff.rounds.len(), 1);
    assert!(runoff.rounds[0].eliminated.is_empty());

    // After an exclusion: C goes, its ballot is exhausted, A and B tie.
    let runoff = instant_runoff(3, &profile(&[(&[0], 3), (&[1], 3), (&[2], 1)]));
    assert_eq!(runoff.outcome, RunoffOutcome::Tie(vec![0, 1]));
    assert_eq!(eliminated(&runoff), vec![vec![2], vec![]]);
    assert_eq!(runoff.rounds[1].exhausted, 1);
}

#[test]
fn without_ballots_there_are_no_rounds() {
    for (options, rankings) in [
        (3, profile(&[])),
        (3, profile(&[(&[0], 0)])),
        (3, profile(&[(&[], 4)])),
        (0, profile(&[(&[0], 2)])),
    ] {
        let runoff = instant_runoff(options, &rankings);
        assert_eq!(runoff.outcome, RunoffOutcome::NoBallots, "{rankings:?}");
        assert!(runoff.rounds.is_empty());
    }
}

#[test]
fn a_single_option_wins_with_any_ballot() {
    let runoff = instant_runoff(1, &profile(&[(&[0], 1)]));
    assert_eq!(runoff.outcome, RunoffOutcome::Winner(0));
    assert_eq!(tallies(&runoff), vec![vec![(0, 1)]]);
}

#[test]
fn options_nobody_ranked_first_are_counted_with_zero_and_excluded_first() {
    let runoff = instant_runoff(4, &profile(&[(&[0], 3), (&[1], 2), (&[2, 1], 2)]));
    assert_eq!(tallies(&runoff)[0], vec![(0, 3), (1, 2), (2, 2), (3, 0)]);
    // D (0) alone: 0 < 2, and D+B = 2 is not < 2.
    assert_eq!(eliminated(&runoff)[0], vec![3]);
}

#[test]
fn positions_outside_the_poll_are_skipped_not_a_panic() {
    let runoff = instant_runoff(2, &profile(&[(&[9, 1], 3), (&[0], 1)]));
    assert_eq!(runoff.outcome, RunoffOutcome::Winner(1));
    assert_eq!(tallies(&runoff), vec![vec![(0, 1), (1, 3)]]);
}

#[test]
fn a_ranking_group_key_reads_back_to_the_same_ranking() {
    assert_eq!(ranking_group(&[2, 0, 1]), "2>0>1");
    assert_eq!(ranking_group(&[10]), "10");
    assert_eq!(parse_group("2>0>1", 3), Some(vec![2, 0, 1]));
    assert_eq!(parse_group("10", 11), Some(vec![10]));
}

#[test]
fn keys_that_are_not_a_canonical_ranking_of_the_poll_are_refused() {
    for key in [
        "", ">", "1>", ">1", "01", "+1", "1>1", "3", "a", "1 >0", "-1", "0>>1",
    ] {
        assert_eq!(parse_group(key, 3), None, "{key:?}");
    }
}

#[test]
fn tally_groups_become_rankings_and_a_bad_group_is_an_error() {
    let groups = vec![
        ("1>0".to_owned(), 4),
        ("0".to_owned(), 0),
        ("2".to_owned(), 1),
    ];
    assert_eq!(
        rankings_from_groups(&groups, 3),
        Ok(vec![(vec![1, 0], 4), (vec![2], 1)])
    );
    let negative = vec![("1>0".to_owned(), -1)];
    assert!(rankings_from_groups(&negative, 3).is_err());
    let foreign = vec![("1:5".to_owned(), 2)];
    let error = rankings_from_groups(&foreign, 3).expect_err("a score key is no ranking");
    assert_eq!(error.key, "1:5");
}
