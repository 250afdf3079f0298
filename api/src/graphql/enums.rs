//! The schema's enums and their domain counterparts.

use async_graphql::Enum;

use crate::domain;

/// How a ballot votes, and how the poll is counted.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollKind {
    /// Exactly one option.
    Single,
    /// Between `minChoices` and `maxChoices` options.
    Multiple,
    /// Between `minChoices` and `maxChoices` options ranked, most preferred first
    /// (`optionIds` in order); counted by instant runoff (`PollResults.instantRunoff`).
    Ranked,
    /// Between `minChoices` and `maxChoices` options each given a score in `scoreRange`
    /// (`scores`); the highest average wins (`PollResults.scores`).
    Score,
}

/// Where a poll is in its life, judged at the moment of the request.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollStatus {
    /// Before `opensAt`: votes are refused.
    Scheduled,
    /// Taking votes.
    Open,
    /// After `closesAt` or `closePoll`: votes are refused and results are final.
    Closed,
}

/// Whether a poll appears in the public list. Anyone with a poll's id (its link) can
/// read it and vote either way: unlisted is not private.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollListing {
    /// In the public list (`polls` without a filter).
    Listed,
    /// Reached by its link only; listed just to its owner (`filter: {ownerId}`) and to
    /// those who voted in it (`filter: {votedByViewer: true}`).
    Unlisted,
}

impl From<PollListing> for domain::PollListing {
    fn from(listing: PollListing) -> Self {
        match listing {
            PollListing::Listed => domain::PollListing::Listed,
            PollListing::Unlisted => domain::PollListing::Unlisted,
        }
    }
}

impl From<domain::PollListing> for PollListing {
    fn from(listing: domain::PollListing) -> Self {
        match listing {
            domain::PollListing::Listed => PollListing::Listed,
            domain::PollListing::Unlisted => PollListing::Unlisted,
        }
    }
}

/// Who may vote in a poll. Whoever may vote, each voter has one ballot per poll.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollVoters {
    /// Signed-in accounts only; a guest's vote is refused with `GUESTS_NOT_ALLOWED`.
    Accounts,
    /// Anyone, including guests (`startGuestSession`: no password).
    Guests,
    /// Only holders of a redeemed invitation to the poll (`redeemInvitation`), whether
    /// account or guest; anyone else is refused with `NOT_INVITED`.
    Invited,
}

impl From<PollVoters> for domain::PollVoters {
    fn from(voters: PollVoters) -> Self {
        match voters {
            PollVoters::Accounts => domain::PollVoters::Accounts,
            PollVoters::Guests => domain::PollVoters::Guests,
            PollVoters::Invited => domain::PollVoters::Invited,
        }
    }
}

impl From<domain::PollVoters> for PollVoters {
    fn from(voters: domain::PollVoters) -> Self {
        match voters {
            domain::PollVoters::Accounts => PollVoters::Accounts,
            domain::PollVoters::Guests => PollVoters::Guests,
            domain::PollVoters::Invited => PollVoters::Invited,
        }
    }
}

/// Who may see a poll's results, and when. The owner always may.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultsVisibility {
    /// Everyone, at any time.
    Always,
    /// Each voter once they have voted; everyone once the poll is closed.
    AfterVote,
    /// Everyone once the poll is closed.
    AfterClose,
    /// Only the owner.
    OwnerOnly,
}

impl From<PollKind> for domain::PollKind {
    fn from(kind: PollKind) -> Self {
        match kind {
            PollKind::Single => domain::PollKind::Single,
            PollKind::Multiple => domain::PollKind::Multiple,
            PollKind::Ranked => domain::PollKind::Ranked,
            PollKind::Score => domain::PollKind::Score,
        }
    }
}

impl From<domain::PollKind> for PollKind {
    fn from(kind: domain::PollKind) -> Self {
        match kind {
            domain::PollKind::Single => PollKind::Single,
            domain::PollKind::Multiple => PollKind::Multiple,
            domain::PollKind::Ranked => PollKind::Ranked,
            domain::PollKind::Score => PollKind::Score,
        }
    }
}

impl From<PollStatus> for domain::PollStatus {
    fn from(status: PollStatus) -> Self {
        match status {
            PollStatus::Scheduled => domain::PollStatus::Scheduled,
            PollStatus::Open => domain::PollStatus::Open,
            PollStatus::Closed => domain::PollStatus::Closed,
        }
    }
}

impl From<domain::PollStatus> for PollStatus {
    fn from(status: domain::PollStatus) -> Self {
        match status {
            domain::PollStatus::Scheduled => PollStatus::Scheduled,
            domain::PollStatus::Open => PollStatus::Open,
            domain::PollStatus::Closed => PollStatus::Closed,
        }
    }
}

impl From<ResultsVisibility> for domain::ResultsVisibility {
    fn from(visibility: ResultsVisibility) -> Self {
        match visibility {
            ResultsVisibility::Always => domain::ResultsVisibility::Always,
            ResultsVisibility::AfterVote => domain::ResultsVisibility::AfterVote,
            ResultsVisibility::AfterClose => domain::ResultsVisibility::AfterClose,
            ResultsVisibility::OwnerOnly => domain::ResultsVisibility::OwnerOnly,
        }
    }
}

impl From<domain::ResultsVisibility> for ResultsVisibility {
    fn from(visibility: domain::ResultsVisibility) -> Self {
        match visibility {
            domain::ResultsVisibility::Always => ResultsVisibility::Always,
            domain::ResultsVisibility::AfterVote => ResultsVisibility::AfterVote,
            domain::ResultsVisibility::AfterClose => ResultsVisibility::AfterClose,
            domain::ResultsVisibility::OwnerOnly => ResultsVisibility::OwnerOnly,
        }
    }
}
