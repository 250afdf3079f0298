//! SCORE: a ballot gives each of between `minChoices` and `maxChoices` distinct options
//! a score in the poll's range (`scoreMin`..=`scoreMax`).
//!
//! It adds one to the counter of every option it scores, and one to the group
//! "<position>:<score>" of each (option #3 scored 5 → "3:5"), so the tally holds each
//! option's distribution of scores, from which averages, totals and the winner follow
//! ([`crate::domain::counting::score`]).

use super::limits::{
    SCORE_HIGHEST, SCORE_LOWEST, SCORE_MAX_DEFAULT, SCORE_MIN_DEFAULT, SCORE_SPAN_MAX,
};
use super::{
    Ballot, BallotInput, BallotRules, ScoreRange, Settings, SettingsDraft, TallyContribution,
    count_range,
};
use crate::domain::OptionId;
use crate::domain::counting;
use crate::error::{AppError, AppResult};

/// `minChoices` (fewest options scored) and `maxChoices` (most) default to the number
/// of options: every option gets a score. The range defaults to 0–5; its ends lie in
/// `SCORE_LOWEST..=SCORE_HIGHEST`, `min < max`, at most `SCORE_SPAN_MAX` apart.
pub fn settings(draft: SettingsDraft, options: i32) -> AppResult<Settings> {
    let (min, max) = count_range(
        draft.min_choices.unwrap_or(options),
        draft.max_choices.unwrap_or(options),
        options,
    )?;
    let range = ScoreRange {
        min: draft.score_min.unwrap_or(SCORE_MIN_DEFAULT),
        max: draft.score_max.unwrap_or(SCORE_MAX_DEFAULT),
    };
    if range.min < SCORE_LOWEST {
        return Err(AppError::bad_input(
            "scoreMin",
            format!("scoreMin is at least {SCORE_LOWEST}"),
        ));
    }
    if range.max > SCORE_HIGHEST {
        return Err(AppError::bad_input(
            "scoreMax",
            format!("scoreMax is at most {SCORE_HIGHEST}"),
        ));
    }
    if range.max <= range.min {
        return Err(AppError::bad_input(
            "scoreMax",
            "scoreMax is greater than scoreMin",
        ));
    }
    if range.max - range.min > SCORE_SPAN_MAX {
        return Err(AppError::bad_input(
            "scoreMax",
            format!("scoreMax is at most {SCORE_SPAN_MAX} above scoreMin"),
        ));
    }
    Ok(Settings {
        min_choices: min,
        max_choices: max,
        score_range: Some(range),
    })
}

/// Scores only (`optionIds` empty): known, distinct options, as many as the poll
/// allows, each score in the range; sorted by option.
pub fn parse(rules: &BallotRules, input: BallotInput) -> AppResult<Ballot> {
    if !input.option_ids.is_empty() {
        return Err(AppError::InvalidOption(
            "a SCORE poll takes scores, not optionIds: send scores and leave optionIds empty"
                .into(),
        ));
    }
    let Some(mut scores) = input.scores else {
        return Err(AppError::InvalidOption(
            "a SCORE poll takes scores: give each option you score a score".into(),
        ));
    };
    rules.known_and_distinct(scores.iter().map(|&(id, _)| id))?;
    rules.count_fits("score", scores.len())?;
    let range = rules.score_range.unwrap_or(ScoreRange {
        min: SCORE_MIN_DEFAULT,
        max: SCORE_MAX_DEFAULT,
    });
    if let Some(&(id, score)) = scores.iter().find(|(_, s)| !range.contains(*s)) {
        return Err(AppError::InvalidOption(format!(
            "option {id} has score {score}; scores in this poll are {} to {}",
            range.min, range.max
        )));
    }
    scores.sort_unstable();
    Ok(Ballot::Scores(scores))
}

/// One for every scored option's counter, and one for each (option, score) group.
pub fn contribution(rules: &BallotRules, scores: &[(OptionId, i32)]) -> TallyContribution {
    let mut contribution = TallyContribution::default();
    for &(id, score) in scores {
        if let Some(position) = rules.position(id) {
            contribution.options.push(id);
            contribution
                .groups
                .push(counting::score::score_group(position, score));
        }
    }
    contribution
}
