//! What the store hands back: polls, options, ballots and tallies as the application
//! sees them (never entity rows).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::kinds::{Ballot, ScoreRange};
use super::poll::{PollKind, PollListing, PollStatus, PollVoters, ResultsVisibility};

/// A poll's settings and lifecycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poll {
    /// UUID v7.
    pub id: Uuid,
    /// Who created it.
    pub owner_id: Uuid,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// SINGLE, MULTIPLE, RANKED or SCORE.
    pub kind: PollKind,
    /// Fewest options a ballot chooses, ranks or scores.
    pub min_choices: i32,
    /// Most options a ballot chooses, ranks or scores.
    pub max_choices: i32,
    /// SCORE: the scores a ballot may give; `None` on other kinds.
    pub score_range: Option<ScoreRange>,
    /// Who sees results, and when.
    pub results_visibility: ResultsVisibility,
    /// Whether ballots may change.
    pub allow_vote_change: bool,
    /// Whether it appears in the public list.
    pub listing: PollListing,
    /// Who may vote.
    pub voters: PollVoters,
    /// Whether its ballots are stored under pseudonyms of their voters.
    pub anonymous: bool,
    /// Fingerprint of the ballot key its ballots are written with (anonymous polls).
    pub ballot_key_id: Option<String>,
    /// The code people type to open it (see [`crate::domain::JoinCode`]).
    pub join_code: Option<String>,
    /// When voting opens.
    pub opens_at: Option<DateTime<Utc>>,
    /// When voting closes.
    pub closes_at: Option<DateTime<Utc>>,
    /// When the owner closed it.
    pub closed_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl Poll {
    /// Its status at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> PollStatus {
        PollStatus::at(now, self.opens_at, self.closes_at, self.closed_at)
    }

    /// When it closed or will close, whichever is known and first.
    pub fn ends_at(&self) -> Option<DateTime<Utc>> {
        match (self.closed_at, self.closes_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// One option of a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollOption {
    /// UUID v7.
    pub id: Uuid,
    /// The poll.
    pub poll_id: Uuid,
    /// The text.
    pub text: String,
    /// Zero-based position.
    pub position: i32,
}

/// A ballot and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    /// The ballot's id.
    pub id: Uuid,
    /// The poll.
    pub poll_id: Uuid,
    /// The voter.
    pub user_id: Uuid,
    /// What it says, in its poll kind's shape.
    pub ballot: Ballot,
    /// When it was first cast.
    pub cast_at: DateTime<Utc>,
    /// When its choices last changed.
    pub updated_at: DateTime<Utc>,
}

/// A consistent snapshot of a poll's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The poll.
    pub poll_id: Uuid,
    /// Number of ballots.
    pub total_votes: i64,
    /// Grows with every committed change; a larger version is a newer tally.
    pub version: i64,
    /// Ballots per option, in the options' order.
    pub counts: Vec<(Uuid, i64)>,
    /// Ballots per kind-defined group ([`crate::domain::kinds::TallyContribution`]),
    /// sorted by key; empty for SINGLE and MULTIPLE polls.
    pub groups: Vec<(String, i64)>,
    /// When the snapshot was taken (at commit, or at read).
    pub as_of: DateTime<Utc>,
}
