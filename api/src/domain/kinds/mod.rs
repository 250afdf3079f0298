//! Voting methods: one module per poll kind (the seam issue 14 builds).
//!
//! A kind owns how a ballot is parsed and checked against its poll's rules, and what a
//! ballot adds to the tally ([`TallyContribution`]). The store applies contributions
//! without knowing kinds; results are computed by the kind from the [`Tally`].
//!
//! [`Tally`]: crate::domain::Tally

use super::ids::OptionId;

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
