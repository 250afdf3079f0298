//! Voting methods: one module per poll kind (the seam issue 14 builds).
//!
//! A kind owns, in its own file, four things — like one command of mini-redis's `cmd/`:
//!
//! - **settings**: which `minChoices` / `maxChoices` / score range a new poll may have;
//! - **parse**: how a ballot from the API is checked against its poll into a [`Ballot`];
//! - **contribution**: what a ballot adds to the tally ([`TallyContribution`]);
//! - **results**: what the kind shows besides the option counters, computed from the
//!   [`Tally`] (see [`results`]).
//!
//! The store applies contributions without knowing kinds. The stored forms of a ballot
//! (audit text, `vote_choices` rows, request fingerprint) are per ballot shape and live
//! in [`stored`]. Adding a kind is one file here, one arm in each `match` below, its
//! results, the migration (if it needs columns) and the web app.
//!
//! [`Tally`]: crate::domain::Tally

pub mod multiple;
pub mod ranked;
pub mod results;
pub mod score;
pub mod single;
mod stored;

use std::collections::HashSet;

use super::ids::OptionId;
pub use super::poll::PollKind;
use crate::error::{AppError, AppResult};

/// What a ballot says, in the shape its poll's kind gives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ballot {
    /// SINGLE, MULTIPLE: the chosen options, sorted by id.
    Choice(Vec<OptionId>),
    /// RANKED: options in order of preference, most preferred first.
    Ranking(Vec<OptionId>),
    /// SCORE: each scored option with its score, sorted by option id.
    Scores(Vec<(OptionId, i32)>),
}

/// What one ballot adds to its poll's tally (and takes away when it is changed or
/// retracted): +1 to each listed option's counter and +1 to each listed group.
///
/// Option counters are what `PollResults.options` shows (chosen; first preference;
/// scored). Groups are kind-specific counts kept per poll in `tally_groups` — one per
/// distinct ranking for RANKED, one per (option, score) for SCORE — so results cost
/// O(distinct groups), never O(ballots).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TallyContribution {
    /// Option counters to move.
    pub options: Vec<OptionId>,
    /// Group keys to move (kind-defined text, see each kind's module).
    pub groups: Vec<String>,
}

/// Limits of a SCORE poll's range, and its default.
pub mod limits {
    /// The lowest score a poll's range may start at.
    pub const SCORE_LOWEST: i32 = -10;
    /// The highest score a poll's range may end at.
    pub const SCORE_HIGHEST: i32 = 100;
    /// The widest range (`max - min`): a distribution of more than 11 bars is no
    /// longer read at a glance, and each score is one tally group per option.
    pub const SCORE_SPAN_MAX: i32 = 10;
    /// `scoreMin` when omitted.
    pub const SCORE_MIN_DEFAULT: i32 = 0;
    /// `scoreMax` when omitted.
    pub const SCORE_MAX_DEFAULT: i32 = 5;
}

/// The scores a SCORE poll's ballots may give, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreRange {
    /// Lowest score.
    pub min: i32,
    /// Highest score.
    pub max: i32,
}

impl ScoreRange {
    /// Whether `score` is in the range.
    pub fn contains(self, score: i32) -> bool {
        (self.min..=self.max).contains(&score)
    }
}

/// A new poll's ballot settings as the API gives them, unchecked.
#[derive(Debug, Clone, Copy, Default)]
pub struct SettingsDraft {
    /// `minChoices`.
    pub min_choices: Option<i32>,
    /// `maxChoices`.
    pub max_choices: Option<i32>,
    /// `scoreMin`.
    pub score_min: Option<i32>,
    /// `scoreMax`.
    pub score_max: Option<i32>,
}

/// A poll's ballot settings after its kind checked them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Fewest options a ballot chooses, ranks or scores.
    pub min_choices: i32,
    /// Most options a ballot chooses, ranks or scores.
    pub max_choices: i32,
    /// SCORE: the scores allowed; `None` on other kinds.
    pub score_range: Option<ScoreRange>,
}

/// Checks a new poll's ballot settings for its kind, with `options` options.
pub fn settings(kind: PollKind, draft: SettingsDraft, options: usize) -> AppResult<Settings> {
    let options = i32::try_from(options).unwrap_or(i32::MAX);
    match kind {
        PollKind::Single => single::settings(draft),
        PollKind::Multiple => multiple::settings(draft, options),
        PollKind::Ranked => ranked::settings(draft, options),
        PollKind::Score => score::settings(draft, options),
    }
}

/// Settings that only one kind has are refused on the others, so a client that sends
/// them to the wrong kind learns it instead of having them ignored.
fn no_score_range(kind: PollKind, draft: SettingsDraft) -> AppResult<()> {
    for (field, value) in [("scoreMin", draft.score_min), ("scoreMax", draft.score_max)] {
        if value.is_some() {
            return Err(AppError::bad_input(
                field,
                format!("{field} is for SCORE polls, not {}", kind.as_str()),
            ));
        }
    }
    Ok(())
}

/// The common rule of a count range: 1 ≤ min ≤ max ≤ options.
fn count_range(min: i32, max: i32, options: i32) -> AppResult<(i32, i32)> {
    if min < 1 {
        return Err(AppError::bad_input(
            "minChoices",
            "minChoices is at least 1",
        ));
    }
    if max < min {
        return Err(AppError::bad_input(
            "maxChoices",
            "maxChoices is at least minChoices",
        ));
    }
    if max > options {
        return Err(AppError::bad_input(
            "maxChoices",
            "maxChoices is at most the number of options",
        ));
    }
    Ok((min, max))
}

/// The settings of a kind that counts options from 1 up to all of them (MULTIPLE,
/// RANKED): `minChoices` defaults to 1, `maxChoices` to the number of options, and
/// there is no score range.
fn up_to_all_options(kind: PollKind, draft: SettingsDraft, options: i32) -> AppResult<Settings> {
    no_score_range(kind, draft)?;
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

/// A ballot as the API gives it, not yet checked against its poll.
#[derive(Debug, Clone, Default)]
pub struct BallotInput {
    /// `optionIds`: chosen options (SINGLE, MULTIPLE) or the ranking (RANKED).
    pub option_ids: Vec<OptionId>,
    /// `scores`: SCORE polls only.
    pub scores: Option<Vec<(OptionId, i32)>>,
}

/// What a poll's ballots must fit: fixed when the poll is created, so it can be cached
/// without expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotRules {
    /// The poll's kind.
    pub kind: PollKind,
    /// Its options in position order (a group key names an option by its position).
    pub options: Vec<OptionId>,
    /// Fewest options a ballot chooses, ranks or scores.
    pub min_choices: usize,
    /// Most options a ballot chooses, ranks or scores.
    pub max_choices: usize,
    /// SCORE: the scores allowed.
    pub score_range: Option<ScoreRange>,
}

impl BallotRules {
    /// Checks a ballot from the API against the poll; a misfit is `INVALID_OPTION`
    /// with a message that says which rule it breaks.
    pub fn parse(&self, input: BallotInput) -> AppResult<Ballot> {
        if self.kind != PollKind::Score && input.scores.is_some() {
            return Err(AppError::InvalidOption(format!(
                "scores are for SCORE polls; this poll is {}: send optionIds",
                self.kind.as_str()
            )));
        }
        match self.kind {
            PollKind::Single | PollKind::Multiple => multiple::parse(self, input.option_ids),
            PollKind::Ranked => ranked::parse(self, input.option_ids),
            PollKind::Score => score::parse(self, input),
        }
    }

    /// What `ballot` adds to the poll's tally.
    pub fn contribution(&self, ballot: &Ballot) -> TallyContribution {
        match ballot {
            Ballot::Choice(ids) => multiple::contribution(ids),
            Ballot::Ranking(ids) => ranked::contribution(self, ids),
            Ballot::Scores(scores) => score::contribution(self, scores),
        }
    }

    /// An option's 0-based position in the poll.
    pub fn position(&self, option: OptionId) -> Option<usize> {
        self.options.iter().position(|&o| o == option)
    }

    /// `INVALID_OPTION` for the first id that is not one of the poll's options or
    /// that appears twice.
    fn known_and_distinct(&self, ids: impl Iterator<Item = OptionId>) -> AppResult<()> {
        let mut seen = HashSet::new();
        for id in ids {
            if !self.options.contains(&id) {
                return Err(AppError::InvalidOption(format!(
                    "option {id} is not an option of this poll"
                )));
            }
            if !seen.insert(id) {
                return Err(AppError::InvalidOption(format!(
                    "option {id} appears more than once"
                )));
            }
        }
        Ok(())
    }

    /// `INVALID_OPTION` when `count` is outside `min_choices..=max_choices`; `verb`
    /// says what a ballot does to an option ("choose", "rank", "score").
    fn count_fits(&self, verb: &str, count: usize) -> AppResult<()> {
        if count < self.min_choices || count > self.max_choices {
            let wanted = if self.min_choices == self.max_choices {
                format!("exactly {}", self.min_choices)
            } else {
                format!("{} to {}", self.min_choices, self.max_choices)
            };
            return Err(AppError::InvalidOption(format!(
                "{verb} {wanted} options in this poll, not {count}"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
