//! RANKED (instant-runoff): a ballot ranks between `minChoices` and `maxChoices`
//! distinct options, most preferred first.
//!
//! It adds one to its first preference's counter (what `PollResults.options` shows) and
//! one to the group of its whole ranking, keyed by the options' positions joined by `>`
//! ("2>0>1": option #2 first, then #0, then #1). The tally therefore keeps one count
//! per distinct ranking, and the runoff rounds are computed from those counts
//! ([`crate::domain::counting::irv`]) at a cost that does not grow with the ballots.

use super::{
    Ballot, BallotRules, PollKind, Settings, SettingsDraft, TallyContribution, up_to_all_options,
};
use crate::domain::OptionId;
use crate::domain::counting::irv;
use crate::error::AppResult;

/// `minChoices` (fewest options ranked) defaults to 1, `maxChoices` (most ranked) to
/// the number of options.
pub fn settings(draft: SettingsDraft, options: i32) -> AppResult<Settings> {
    up_to_all_options(PollKind::Ranked, draft, options)
}

/// Known, distinct options, as many as the poll allows, kept in the voter's order.
pub fn parse(rules: &BallotRules, ids: Vec<OptionId>) -> AppResult<Ballot> {
    rules.known_and_distinct(ids.iter().copied())?;
    rules.count_fits("rank", ids.len())?;
    Ok(Ballot::Ranking(ids))
}

/// The first preference's counter, and the ranking's group.
pub fn contribution(rules: &BallotRules, ids: &[OptionId]) -> TallyContribution {
    let positions: Vec<usize> = ids.iter().filter_map(|&id| rules.position(id)).collect();
    TallyContribution {
        options: ids.first().copied().into_iter().collect(),
        groups: vec![irv::ranking_group(&positions)],
    }
}
