//! MULTIPLE (and SINGLE): a ballot chooses between `minChoices` and `maxChoices`
//! distinct options, and adds one to each chosen option's counter. No groups.

use super::{
    Ballot, BallotRules, PollKind, Settings, SettingsDraft, TallyContribution, up_to_all_options,
};
use crate::domain::OptionId;
use crate::error::AppResult;

/// `minChoices` defaults to 1, `maxChoices` to the number of options.
pub fn settings(draft: SettingsDraft, options: i32) -> AppResult<Settings> {
    up_to_all_options(PollKind::Multiple, draft, options)
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
