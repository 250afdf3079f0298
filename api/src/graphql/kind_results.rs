//! The kind-specific parts of `PollResults`: `InstantRunoff` (RANKED) and
//! `ScoreResults` (SCORE). Options are named by position in the counting module; here
//! they become `PollOption`s again.

use async_graphql::{Object, SimpleObject};

use super::poll_node::PollOptionNode;
use crate::domain::PollOption;
use crate::domain::counting::{irv, score};
use crate::service::results::percentage;

/// The options at these positions (positions past the options are skipped).
fn at(options: &[PollOption], positions: &[usize]) -> Vec<PollOptionNode> {
    positions
        .iter()
        .filter_map(|&p| options.get(p).cloned().map(PollOptionNode))
        .collect()
}

fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A RANKED poll's instant-runoff count, round by round.
pub struct InstantRunoffNode {
    /// The count.
    pub runoff: irv::Runoff,
    /// The poll's options, in position order.
    pub options: Vec<PollOption>,
}

/// The instant-runoff count of a RANKED poll: each round counts every ballot for its
/// highest-ranked continuing option; an option with more than half of the continuing
/// ballots wins; otherwise the lowest options are eliminated (in bulk when their
/// combined votes are fewer than the next option's; a tie at the bottom is broken by
/// the latest earlier round where they differ, else all are eliminated together).
#[Object(name = "InstantRunoff")]
impl InstantRunoffNode {
    /// Every round, first to last; empty when no ballot was cast.
    async fn rounds(&self) -> Vec<RunoffRound> {
        self.runoff
            .rounds
            .iter()
            .zip(1..)
            .map(|(round, number)| RunoffRound {
                number,
                tallies: round
                    .tallies
                    .iter()
                    .filter_map(|&(position, votes)| {
                        Some(RunoffTally {
                            option: PollOptionNode(self.options.get(position)?.clone()),
                            votes: count(votes),
                            percentage: percentage(count(votes), count(round.continuing_ballots)),
                        })
                    })
                    .collect(),
                eliminated: at(&self.options, &round.eliminated),
                exhausted_ballots: count(round.exhausted),
                continuing_ballots: count(round.continuing_ballots),
            })
            .collect()
    }

    /// The option with more than half of the continuing ballots in the last round; null
    /// on a tie or with no ballots.
    async fn winner(&self) -> Option<PollOptionNode> {
        match &self.runoff.outcome {
            irv::RunoffOutcome::Winner(position) => {
                self.options.get(*position).cloned().map(PollOptionNode)
            }
            irv::RunoffOutcome::Tie(_) | irv::RunoffOutcome::NoBallots => None,
        }
    }

    /// The options tied in the last round (all continuing options had equal votes);
    /// empty unless the count ended in a tie.
    async fn tied_options(&self) -> Vec<PollOptionNode> {
        match &self.runoff.outcome {
            irv::RunoffOutcome::Tie(positions) => at(&self.options, positions),
            irv::RunoffOutcome::Winner(_) | irv::RunoffOutcome::NoBallots => Vec::new(),
        }
    }
}

/// One round of an instant-runoff count.
#[derive(SimpleObject)]
pub struct RunoffRound {
    /// 1 for the first round.
    pub number: i32,
    /// Each option still continuing in this round, in the poll's order.
    pub tallies: Vec<RunoffTally>,
    /// The options eliminated at the end of this round; empty in the last round.
    pub eliminated: Vec<PollOptionNode>,
    /// Ballots that rank no continuing option any more (so far, all rounds included).
    pub exhausted_ballots: i64,
    /// Ballots counting for a continuing option in this round.
    pub continuing_ballots: i64,
}

/// One continuing option's votes in a round.
#[derive(SimpleObject)]
pub struct RunoffTally {
    /// The option.
    pub option: PollOptionNode,
    /// Ballots counting for it in this round.
    pub votes: i64,
    /// Its share of the round's continuing ballots, in percent, to one decimal.
    pub percentage: f64,
}

/// A SCORE poll's results.
pub struct ScoreResultsNode {
    /// The outcome.
    pub outcome: score::ScoreOutcome,
    /// The poll's options, in position order.
    pub options: Vec<PollOption>,
}

/// The results of a SCORE poll: per option, and the winners — highest average; equal
/// averages are separated by more ballots at the highest score, then the next score
/// down; options still equal are all winners.
#[Object(name = "ScoreResults")]
impl ScoreResultsNode {
    /// Every option's scores, in the poll's order.
    async fn options(&self) -> Vec<OptionScoreResult> {
        self.outcome
            .options
            .iter()
            .zip(&self.options)
            .map(|(scores, option)| OptionScoreResult {
                option: PollOptionNode(option.clone()),
                ballots: count(scores.ballots),
                total: scores.total,
                average: scores.average,
                distribution: scores
                    .distribution
                    .iter()
                    .map(|&(score, ballots)| ScoreCount {
                        score,
                        ballots: count(ballots),
                    })
                    .collect(),
            })
            .collect()
    }

    /// The winner, or the tied winners; empty when nothing was scored.
    async fn winners(&self) -> Vec<PollOptionNode> {
        at(&self.options, &self.outcome.winners)
    }
}

/// One option's scores.
#[derive(SimpleObject)]
pub struct OptionScoreResult {
    /// The option.
    pub option: PollOptionNode,
    /// Ballots that scored it.
    pub ballots: i64,
    /// The sum of its scores.
    pub total: i64,
    /// `total / ballots`; null when nobody scored it.
    pub average: Option<f64>,
    /// Ballots per score, for every score of the poll's range, lowest first.
    pub distribution: Vec<ScoreCount>,
}

/// How many ballots gave one score.
#[derive(SimpleObject)]
pub struct ScoreCount {
    /// The score.
    pub score: i32,
    /// Ballots that gave it.
    pub ballots: i64,
}
