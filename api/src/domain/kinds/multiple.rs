//! MULTIPLE (and SINGLE): a ballot chooses between `minChoices` and `maxChoices`
//! distinct options, and adds one to each chosen option's counter. No groups.

use super::{
    Ballot, BallotRules, PollKind, Settings, SettingsDraft, TallyContribution, count_range,
    no_score_range,
};
use crate::domain::OptionId;
use crate::error::AppResult;

/// `minChoices` defaults to 1, `maxChoices` to the number of options.
pub fn settings(draft: SettingsDraft, options: i32) -> AppResult<Settings> {
    no_score_range(PollKind::Multiple, draft)?;
    let (min, max) = count_range(
        draft.min_choices.unwrap_or(1),
        draft.max_choices.unwrap_or(options),
        options,
    )?;
    Ok(Settings {
        min_choices: min,
        max_choices: max,
        score_range: None,
    })
}

/// Known, distinct options, as many as the poll allows; sorted, since the order in
/// which options are chosen means nothing.
pub fn parse(rules: &BallotRules, mut ids: Vec<OptionId>) -> AppResult<Ballot> {
    rules.known_and_distinct(ids.iter().copied())?;
    rules.count_fits("choose", ids.len())?;
    ids.sort_unstable();
    Ok(Ballot::Choice(ids))
}

/// One for each chosen option.
pub fn contribution(ids: &[OptionId]) -> TallyContribution {
    TallyContribution {
        options: ids.to_vec(),
        groups: Vec::new(),
    }
}
