//! What each kind shows besides the option counters, computed from a tally's groups.
//!
//! SINGLE and MULTIPLE show only the counters. RANKED adds the instant-runoff rounds
//! ([`counting::irv`]), SCORE the averages, distributions and winners
//! ([`counting::score`]). Both are computed from the tally's counts per group, so their
//! cost follows the number of distinct rankings (or options × scores), never the
//! number of ballots.

use super::{PollKind, ScoreRange};
use crate::domain::Tally;
use crate::domain::counting::{irv, score};

/// The kind-specific part of a poll's results.
#[derive(Debug, Clone, PartialEq)]
pub enum KindResults {
    /// SINGLE, MULTIPLE: the counters say it all.
    Counters,
    /// RANKED: every round and the outcome.
    Runoff(irv::Runoff),
    /// SCORE: per-option scores and the winners.
    Scores(score::ScoreOutcome),
}

/// A tally group that is not one of its poll's kind (corrupt or foreign data): the
/// results are refused rather than silently different.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnreadableGroups(String);

/// The kind-specific results of a poll of `kind` with `option_count` options (and, for
/// SCORE, its `range`) from its tally.
pub fn results(
    kind: PollKind,
    option_count: usize,
    range: Option<ScoreRange>,
    tally: &Tally,
) -> Result<KindResults, UnreadableGroups> {
    let unreadable = |e: &dyn std::fmt::Display| UnreadableGroups(e.to_string());
    match kind {
        PollKind::Single | PollKind::Multiple => Ok(KindResults::Counters),
        PollKind::Ranked => {
            let rankings = irv::rankings_from_groups(&tally.groups, option_count)
                .map_err(|e| unreadable(&e))?;
            Ok(KindResults::Runoff(irv::instant_runoff(
                option_count,
                &rankings,
            )))
        }
        PollKind::Score => {
            let range = range
                .ok_or_else(|| UnreadableGroups("a SCORE poll without a score range".to_owned()))?;
            let groups = score::scores_from_groups(&tally.groups, option_count)
                .map_err(|e| unreadable(&e))?;
            Ok(KindResults::Scores(score::score_results(
                option_count,
                range.min,
                range.max,
                &groups,
            )))
        }
    }
}
