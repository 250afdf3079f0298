//! Unit tests of score results and the score tie-break.

use super::score::*;

#[test]
fn each_option_gets_its_ballots_total_average_and_a_distribution_over_the_whole_range() {
    let outcome = score_results(3, 0, 3, &[((0, 3), 2), ((0, 1), 1), ((1, 0), 4)]);
    assert_eq!(
        outcome.options[0],
        OptionScore {
            ballots: 3,
            total: 7,
            average: Some(7.0 / 3.0),
            distribution: vec![(0, 0), (1, 1), (2, 0), (3, 2)],
        }
    );
    assert_eq!(outcome.options[1].average, Some(0.0));
    assert_eq!(
        outcome.options[2],
        OptionScore {
            ballots: 0,
            total: 0,
            average: None,
            distribution: vec![(0, 0), (1, 0), (2, 0), (3, 0)],
        }
    );
    assert_eq!(outcome.winners, vec![0]);
}

#[test]
fn the_highest_average_wins_not_the_highest_total() {
    // A: 10 ballots of 3 (total 30, average 3); B: 2 ballots of 5 (total 10, average 5).
    let outcome = score_results(2, 0, 5, &[((0, 3), 10), ((1, 5), 2)]);
    assert_eq!(outcome.winners, vec![1]);
}

#[test]
fn equal_averages_go_to_the_option_with_more_ballots_at_the_highest_score() {
    // A: 5 and 1; B: 3 and 3. Both average 3; A has a 5.
    let outcome = score_results(2, 0, 5, &[((0, 5), 1), ((0, 1), 1), ((1, 3), 2)]);
    assert_eq!(outcome.winners, vec![0]);
}

#[test]
fn when_the_highest_score_counts_are_equal_the_next_score_down_decides() {
    // A: 5, 3, 1; B: 5, 2, 2. Averages 3; one 5 each; no 4s; A has a 3.
    let groups = [
        ((0, 5), 1),
        ((0, 3), 1),
        ((0, 1), 1),
        ((1, 5), 1),
        ((1, 2), 2),
    ];
    assert_eq!(score_results(2, 0, 5, &groups).winners, vec![0]);
}

#[test]
fn options_equal_in_average_and_every_score_count_are_all_winners() {
    let groups = [
        ((0, 4), 1),
        ((0, 2), 1),
        ((2, 4), 1),
        ((2, 2), 1),
        ((1, 1), 5),
    ];
    assert_eq!(score_results(3, 0, 5, &groups).winners, vec![0, 2]);
}

#[test]
fn averages_are_compared_exactly() {
    // 1/3 vs 333333333/1000000000: a float rounding could call them equal.
    let groups = [
        ((0, 1), 1),
        ((0, 0), 2),
        ((1, 1), 333_333_333),
        ((1, 0), 666_666_667),
    ];
    assert_eq!(score_results(2, 0, 1, &groups).winners, vec![0]);
}

#[test]
fn nobody_scoring_means_no_winner() {
    let outcome = score_results(2, 0, 5, &[]);
    assert!(outcome.winners.is_empty());
    assert!(outcome.options.iter().all(|o| o.average.is_none()));
}

#[test]
fn negative_ranges_count_like_any_other() {
    let outcome = score_results(2, -2, 2, &[((0, -2), 3), ((1, -1), 1), ((1, 2), 1)]);
    assert_eq!(outcome.options[0].total, -6);
    assert_eq!(outcome.options[1].average, Some(0.5));
    assert_eq!(outcome.options[0].distribution[0], (-2, 3));
    assert_eq!(outcome.winners, vec![1]);
}

#[test]
fn groups_outside_the_poll_or_the_range_are_ignored_not_a_panic() {
    let outcome = score_results(
        2,
        0,
        5,
        &[((5, 3), 1), ((0, 9), 1), ((0, -1), 1), ((1, 2), 1)],
    );
    assert_eq!(outcome.options[0].ballots, 0);
    assert_eq!(outcome.winners, vec![1]);
}

#[test]
fn a_score_group_key_reads_back_to_the_same_option_and_score() {
    assert_eq!(score_group(3, 5), "3:5");
    assert_eq!(score_group(0, -2), "0:-2");
    assert_eq!(parse_group("3:5", 4), Some((3, 5)));
    assert_eq!(parse_group("0:-2", 1), Some((0, -2)));
}

#[test]
fn keys_that_are_not_a_canonical_score_of_the_poll_are_refused() {
    for key in [
        "", "3", "3:", ":5", "03:5", "3:+5", "3:-0", "3:05", "4:1", "-1:2", "1:2:3", "1>2",
    ] {
        assert_eq!(parse_group(key, 4), None, "{key:?}");
    }
}

#[test]
fn tally_groups_become_scores_and_a_bad_group_is_an_error() {
    let groups = vec![("1:4".to_owned(), 2), ("0:3".to_owned(), 0)];
    assert_eq!(scores_from_groups(&groups, 2), Ok(vec![((1, 4), 2)]));
    assert!(scores_from_groups(&[("1:4".to_owned(), -3)], 2).is_err());
    assert!(scores_from_groups(&[("1>0".to_owned(), 1)], 2).is_err());
}
