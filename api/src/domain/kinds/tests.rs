//! The kinds' rules, without a database.

use uuid::Uuid;

use super::*;
use crate::domain::OptionId;

fn ids(n: usize) -> Vec<OptionId> {
    let mut ids: Vec<OptionId> = (0..n).map(|_| OptionId(Uuid::now_v7())).collect();
    ids.sort_unstable();
    ids
}

fn rules(kind: PollKind, options: &[OptionId], min: usize, max: usize) -> BallotRules {
    BallotRules {
        kind,
        options: options.to_vec(),
        min_choices: min,
        max_choices: max,
        score_range: (kind == PollKind::Score).then_some(ScoreRange { min: 0, max: 5 }),
    }
}

fn message(result: AppResult<Ballot>) -> String {
    match result {
        Err(AppError::InvalidOption(message)) => message,
        other => panic!("expected INVALID_OPTION, got {other:?}"),
    }
}

fn choose(option_ids: Vec<OptionId>) -> BallotInput {
    BallotInput {
        option_ids,
        scores: None,
    }
}

fn score(scores: Vec<(OptionId, i32)>) -> BallotInput {
    BallotInput {
        option_ids: vec![],
        scores: Some(scores),
    }
}

fn bad_field(result: AppResult<Settings>) -> String {
    match result {
        Err(AppError::BadInput { field, .. }) => field,
        other => panic!("expected BAD_USER_INPUT, got {other:?}"),
    }
}

#[test]
fn each_kind_defaults_its_settings() {
    let draft = SettingsDraft::default();
    let single = settings(PollKind::Single, draft, 4).ok();
    assert_eq!(single.map(|s| (s.min_choices, s.max_choices)), Some((1, 1)));
    let ranked = settings(PollKind::Ranked, draft, 4).ok();
    assert_eq!(ranked.map(|s| (s.min_choices, s.max_choices)), Some((1, 4)));
    let score = settings(PollKind::Score, draft, 4).ok();
    assert_eq!(
        score.map(|s| (s.min_choices, s.max_choices, s.score_range)),
        Some((4, 4, Some(ScoreRange { min: 0, max: 5 })))
    );
}

#[test]
fn score_ranges_are_bounded_and_only_for_score_polls() {
    let range = |min, max| SettingsDraft {
        score_min: Some(min),
        score_max: Some(max),
        ..SettingsDraft::default()
    };
    assert!(settings(PollKind::Score, range(-10, 0), 3).is_ok());
    assert!(settings(PollKind::Score, range(90, 100), 3).is_ok());
    assert_eq!(
        bad_field(settings(PollKind::Score, range(-11, -5), 3)),
        "scoreMin"
    );
    assert_eq!(
        bad_field(settings(PollKind::Score, range(95, 101), 3)),
        "scoreMax"
    );
    assert_eq!(
        bad_field(settings(PollKind::Score, range(3, 3), 3)),
        "scoreMax"
    );
    assert_eq!(
        bad_field(settings(PollKind::Score, range(0, 11), 3)),
        "scoreMax"
    );
    assert_eq!(
        bad_field(settings(PollKind::Ranked, range(0, 5), 3)),
        "scoreMin"
    );
    let ranked_too_many = SettingsDraft {
        max_choices: Some(4),
        ..SettingsDraft::default()
    };
    assert_eq!(
        bad_field(settings(PollKind::Ranked, ranked_too_many, 3)),
        "maxChoices"
    );
}

#[test]
fn choices_are_sorted_and_checked() {
    let o = ids(3);
    let multiple = rules(PollKind::Multiple, &o, 1, 2);
    assert_eq!(
        multiple.parse(choose(vec![o[1], o[0]])).ok(),
        Some(Ballot::Choice(vec![o[0], o[1]]))
    );
    assert!(message(multiple.parse(choose(vec![o[0], o[0]]))).contains("more than once"));
    assert!(message(multiple.parse(choose(vec![o[0], o[1], o[2]]))).contains("1 to 2"));
    let stranger = OptionId(Uuid::now_v7());
    assert!(message(multiple.parse(choose(vec![stranger]))).contains("not an option"));
    assert!(message(multiple.parse(score(vec![(o[0], 1)]))).contains("SCORE polls"));
}

#[test]
fn a_ranking_keeps_its_order_and_adds_its_first_preference_and_its_group() {
    let o = ids(3);
    let ranked = rules(PollKind::Ranked, &o, 2, 3);
    let ballot = ranked.parse(choose(vec![o[2], o[0], o[1]])).ok();
    assert_eq!(ballot, Some(Ballot::Ranking(vec![o[2], o[0], o[1]])));
    let contribution = ballot.map(|b| ranked.contribution(&b));
    assert_eq!(
        contribution,
        Some(TallyContribution {
            options: vec![o[2]],
            groups: vec!["2>0>1".into()],
        })
    );
    assert!(message(ranked.parse(choose(vec![o[2]]))).contains("rank 2 to 3"));
    assert!(message(ranked.parse(choose(vec![o[2], o[2]]))).contains("more than once"));
}

#[test]
fn scores_are_checked_against_the_range_and_add_one_group_per_option() {
    let o = ids(3);
    let scored = rules(PollKind::Score, &o, 2, 3);
    let ballot = scored.parse(score(vec![(o[2], 5), (o[0], 0)])).ok();
    assert_eq!(ballot, Some(Ballot::Scores(vec![(o[0], 0), (o[2], 5)])));
    assert_eq!(
        ballot.map(|b| scored.contribution(&b)),
        Some(TallyContribution {
            options: vec![o[0], o[2]],
            groups: vec!["0:0".into(), "2:5".into()],
        })
    );
    assert!(message(scored.parse(score(vec![(o[0], 6), (o[1], 1)]))).contains("0 to 5"));
    assert!(message(scored.parse(score(vec![(o[0], -1), (o[1], 1)]))).contains("0 to 5"));
    assert!(message(scored.parse(score(vec![(o[0], 1)]))).contains("score 2 to 3"));
    assert!(message(scored.parse(choose(vec![o[0], o[1]]))).contains("not optionIds"));
    assert!(message(scored.parse(choose(vec![]))).contains("takes scores"));
}

#[test]
fn stored_forms_read_back_for_every_kind() {
    let o = ids(3);
    let ballots = [
        (PollKind::Multiple, Ballot::Choice(vec![o[0], o[2]])),
        (PollKind::Ranked, Ballot::Ranking(vec![o[2], o[0], o[1]])),
        (
            PollKind::Score,
            Ballot::Scores(vec![(o[0], -3), (o[1], 10)]),
        ),
    ];
    for (kind, ballot) in ballots {
        assert_eq!(Ballot::from_stored(kind, &ballot.to_stored()), ballot);
        assert_eq!(ballot.from_stored_like(&ballot.to_stored()), ballot);
        assert_eq!(Ballot::from_tagged(&ballot.to_tagged()), ballot);
        let mut rows = ballot.rows();
        rows.reverse();
        assert_eq!(Ballot::from_rows(kind, rows), ballot);
    }
    assert_eq!(
        Ballot::Scores(vec![(o[0], 4)]).to_stored(),
        format!("{}:4", o[0])
    );
}
