//! Results in the schema: `PollResults` and `OptionResult` (the kinds' parts are in
//! [`super::kind_results`]).

use async_graphql::{ID, Object, Result};

use super::ids::{option_result_id, results_id, to_id};
use super::kind_results::{InstantRunoffNode, ScoreResultsNode};
use super::poll_node::PollOptionNode;
use super::scalars::DateTime;
use crate::domain::PollOption;
use crate::domain::kinds::results::KindResults;
use crate::error::AppError;
use crate::service::PollResults;

/// A poll's tally at one moment.
pub struct PollResultsNode {
    results: PollResults,
    options: Vec<PollOption>,
}

impl PollResultsNode {
    /// Results with the options they count (for their texts).
    pub fn new(results: PollResults, options: Vec<PollOption>) -> Self {
        PollResultsNode { results, options }
    }

    fn option_results(&self) -> impl Iterator<Item = OptionResultNode> + '_ {
        self.results.options.iter().filter_map(|share| {
            let option = self.options.iter().find(|o| o.id == share.option_id)?;
            Some(OptionResultNode {
                option: option.clone(),
                votes: share.votes,
                percentage: share.percentage,
            })
        })
    }

    /// The count of one option of these results.
    pub fn option_result(&self, option: uuid::Uuid) -> Option<OptionResultNode> {
        self.option_results()
            .find(|result| result.option.id == option)
    }
}

/// One option's count in a tally.
pub struct OptionResultNode {
    option: PollOption,
    votes: i64,
    percentage: f64,
}

/// A poll's tally at one moment: counts per option, how fresh it is, and whether it is final.
#[Object(name = "PollResults")]
impl PollResultsNode {
    /// The results' own id, derived from the poll's: every tally of a poll (from
    /// `Poll.results`, a `pollResults` message or `node`) has the same id, so a
    /// normalised client cache updates one object.
    pub(super) async fn id(&self) -> ID {
        results_id(self.results.poll_id)
    }

    /// The poll counted.
    async fn poll_id(&self) -> ID {
        to_id(self.results.poll_id)
    }

    /// Number of ballots.
    async fn total_votes(&self) -> i64 {
        self.results.total_votes
    }

    /// Grows with every change to the tally: of two tallies, the higher version is newer.
    async fn version(&self) -> i64 {
        self.results.version
    }

    /// When these counts were read.
    async fn as_of(&self) -> DateTime {
        self.results.as_of.into()
    }

    /// True once the poll is closed: the counts will not change again.
    #[graphql(name = "final")]
    async fn is_final(&self) -> bool {
        self.results.is_final
    }

    /// Every option with its count, in the poll's order: ballots choosing it (SINGLE,
    /// MULTIPLE), ranking it first (RANKED), or scoring it (SCORE).
    async fn options(&self) -> Vec<OptionResultNode> {
        self.option_results().collect()
    }

    /// The instant-runoff rounds and winner; null unless the poll is RANKED.
    async fn instant_runoff(&self) -> Result<Option<InstantRunoffNode>> {
        Ok(match self.kind_results()? {
            KindResults::Runoff(runoff) => Some(InstantRunoffNode {
                runoff: runoff.clone(),
                options: self.options.clone(),
            }),
            KindResults::Counters | KindResults::Scores(_) => None,
        })
    }

    /// Averages, distributions and winners; null unless the poll is SCORE.
    async fn scores(&self) -> Result<Option<ScoreResultsNode>> {
        Ok(match self.kind_results()? {
            KindResults::Scores(outcome) => Some(ScoreResultsNode {
                outcome: outcome.clone(),
                options: self.options.clone(),
            }),
            KindResults::Counters | KindResults::Runoff(_) => None,
        })
    }
}

impl PollResultsNode {
    /// The kind's results; a tally whose groups do not read is an internal error
    /// (logged), never a silently different count.
    fn kind_results(&self) -> Result<&KindResults, AppError> {
        self.results.kind.as_ref().map_err(|e| {
            AppError::Internal(anyhow::Error::new(e.clone()).context("reading tally groups"))
        })
    }
}

/// One option's count in a tally.
#[Object(name = "OptionResult")]
impl OptionResultNode {
    /// This count's own id, derived from the option's and the same in every tally.
    pub(super) async fn id(&self) -> ID {
        option_result_id(self.option.id)
    }

    /// The option.
    async fn option(&self) -> PollOptionNode {
        PollOptionNode(self.option.clone())
    }

    /// Ballots that chose it.
    async fn votes(&self) -> i64 {
        self.votes
    }

    /// Share of ballots that chose it, in percent, to one decimal. In MULTIPLE polls a
    /// ballot counts for each option it chose, so shares can add up to more than 100.
    async fn percentage(&self) -> f64 {
        self.percentage
    }
}
