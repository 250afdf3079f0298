//! Polls: the settings of a new poll, parsed and checked as a whole.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::kinds::{self, ScoreRange, SettingsDraft};
use super::text;
use crate::error::AppError;

/// How a ballot votes; each kind's rules live in [`super::kinds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PollKind {
    /// One option per ballot.
    Single,
    /// Several options per ballot.
    Multiple,
    /// Options ranked in order of preference, counted by instant runoff.
    Ranked,
    /// Each option scored in the poll's range; the highest average wins.
    Score,
}

/// A stored setting this version does not know (written by a newer one): an error,
/// never a default — an old instance must not read a ranked poll as single choice, or a
/// new visibility as public.
fn unsupported(column: &str, text: &str) -> AppError {
    AppError::UnsupportedPoll(format!("unknown stored {column} {text:?}"))
}

impl PollKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            PollKind::Single => "SINGLE",
            PollKind::Multiple => "MULTIPLE",
            PollKind::Ranked => "RANKED",
            PollKind::Score => "SCORE",
        }
    }

    /// From the stored form; an unknown one is `UNSUPPORTED_POLL`.
    pub fn from_stored(text: &str) -> Result<Self, AppError> {
        match text {
            "SINGLE" => Ok(PollKind::Single),
            "MULTIPLE" => Ok(PollKind::Multiple),
            "RANKED" => Ok(PollKind::Ranked),
            "SCORE" => Ok(PollKind::Score),
            _ => Err(unsupported("kind", text)),
        }
    }
}

/// Who may see a poll's results, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultsVisibility {
    /// Everyone, always.
    Always,
    /// The owner, and each voter once they have voted; everyone once the poll is closed.
    AfterVote,
    /// The owner; everyone once the poll is closed.
    AfterClose,
    /// The owner only.
    OwnerOnly,
}

impl ResultsVisibility {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ResultsVisibility::Always => "ALWAYS",
            ResultsVisibility::AfterVote => "AFTER_VOTE",
            ResultsVisibility::AfterClose => "AFTER_CLOSE",
            ResultsVisibility::OwnerOnly => "OWNER_ONLY",
        }
    }

    /// From the stored form; an unknown one is `UNSUPPORTED_POLL` (defaulting would
    /// show results a newer setting hides).
    pub fn from_stored(text: &str) -> Result<Self, AppError> {
        match text {
            "ALWAYS" => Ok(ResultsVisibility::Always),
            "AFTER_VOTE" => Ok(ResultsVisibility::AfterVote),
            "AFTER_CLOSE" => Ok(ResultsVisibility::AfterClose),
            "OWNER_ONLY" => Ok(ResultsVisibility::OwnerOnly),
            _ => Err(unsupported("results visibility", text)),
        }
    }
}

/// Whether a poll appears in the public list. Either way anyone with its id (its link)
/// reaches it: unlisted is not private.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollListing {
    /// In the public list.
    Listed,
    /// Reached by its link only; listed to its owner and to those who voted in it.
    Unlisted,
}

impl PollListing {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            PollListing::Listed => "LISTED",
            PollListing::Unlisted => "UNLISTED",
        }
    }

    /// From the stored form; anything unknown is the safer `Unlisted`.
    pub fn from_stored(text: &str) -> Self {
        if text == "LISTED" {
            PollListing::Listed
        } else {
            PollListing::Unlisted
        }
    }
}

/// Who may vote in a poll. Whoever may vote, each voter still has one ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollVoters {
    /// Signed-in accounts only (guests are refused).
    Accounts,
    /// Anyone: accounts, and guests who started a session without a password.
    Guests,
    /// Only holders of a redeemed invitation to this poll, account or guest.
    Invited,
}

impl PollVoters {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            PollVoters::Accounts => "ACCOUNTS",
            PollVoters::Guests => "GUESTS",
            PollVoters::Invited => "INVITED",
        }
    }

    /// From the stored form; anything unknown (a value written by a newer version) is
    /// the most restrictive, `Invited`, so an old instance never lets in more voters
    /// than the poll's owner chose.
    pub fn from_stored(text: &str) -> Self {
        match text {
            "ACCOUNTS" => PollVoters::Accounts,
            "GUESTS" => PollVoters::Guests,
            _ => PollVoters::Invited,
        }
    }
}

/// Where a poll is in its life, derived from the clock and its times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollStatus {
    /// Before `opensAt`.
    Scheduled,
    /// Taking votes.
    Open,
    /// After `closesAt`, or closed by its owner.
    Closed,
}

impl PollStatus {
    /// The status at `now`; right whether or not any background job has run.
    pub fn at(
        now: DateTime<Utc>,
        opens_at: Option<DateTime<Utc>>,
        closes_at: Option<DateTime<Utc>>,
        closed_at: Option<DateTime<Utc>>,
    ) -> Self {
        if closed_at.is_some() || closes_at.is_some_and(|t| t <= now) {
            PollStatus::Closed
        } else if opens_at.is_some_and(|t| t > now) {
            PollStatus::Scheduled
        } else {
            PollStatus::Open
        }
    }
}

/// Limits on a poll's text and size.
pub mod limits {
    /// Longest title, in characters.
    pub const TITLE_MAX: usize = 200;
    /// Longest description, in characters.
    pub const DESCRIPTION_MAX: usize = 2_000;
    /// Fewest options.
    pub const OPTIONS_MIN: usize = 2;
    /// Most options.
    pub const OPTIONS_MAX: usize = 20;
    /// Longest option text, in characters.
    pub const OPTION_TEXT_MAX: usize = 200;
}

/// Raw settings of a new poll, as they arrive from the API.
#[derive(Debug, Clone)]
pub struct PollDraft {
    /// Title.
    pub title: String,
    /// Description, if any.
    pub description: Option<String>,
    /// Option texts, in order.
    pub options: Vec<String>,
    /// Kind.
    pub kind: PollKind,
    /// Fewest choices; defaults to 1.
    pub min_choices: Option<i32>,
    /// Most choices; the default is the kind's ([`kinds::settings`]).
    pub max_choices: Option<i32>,
    /// SCORE: lowest score; defaults to 0.
    pub score_min: Option<i32>,
    /// SCORE: highest score; defaults to 5.
    pub score_max: Option<i32>,
    /// When voting opens; now when absent.
    pub opens_at: Option<DateTime<Utc>>,
    /// When voting closes; never when absent.
    pub closes_at: Option<DateTime<Utc>>,
    /// Who sees results.
    pub results_visibility: ResultsVisibility,
    /// Whether voters may change or retract their ballot.
    pub allow_vote_change: bool,
    /// Whether the poll appears in the public list.
    pub listing: PollListing,
    /// Who may vote.
    pub voters: PollVoters,
    /// Whether ballots are stored under a per-poll pseudonym of the voter, never
    /// the voter's id.
    pub anonymous: bool,
}

/// A poll's settings after every rule was checked.
#[derive(Debug, Clone)]
pub struct NewPoll {
    /// Trimmed title, 1–200 characters, nothing invisible ([`text`]).
    pub title: String,
    /// Trimmed description, at most 2,000 characters; `None` when empty.
    pub description: Option<String>,
    /// Trimmed option texts, 2–20, nothing invisible, unique in [`option_key`] form.
    pub options: Vec<String>,
    /// Kind.
    pub kind: PollKind,
    /// Fewest choices.
    pub min_choices: i32,
    /// Most choices.
    pub max_choices: i32,
    /// SCORE: the scores a ballot may give.
    pub score_range: Option<ScoreRange>,
    /// When voting opens.
    pub opens_at: Option<DateTime<Utc>>,
    /// When voting closes.
    pub closes_at: Option<DateTime<Utc>>,
    /// Who sees results.
    pub results_visibility: ResultsVisibility,
    /// Whether ballots may change.
    pub allow_vote_change: bool,
    /// Whether the poll appears in the public list.
    pub listing: PollListing,
    /// Who may vote.
    pub voters: PollVoters,
    /// Whether ballots are stored under a per-poll pseudonym of the voter, never
    /// the voter's id.
    pub anonymous: bool,
}

fn bad(field: &str, message: impl Into<String>) -> AppError {
    AppError::bad_input(field, message)
}

/// The text two options are compared by (see [`text::comparison_form`]): "Café",
/// "café" and "Cafe\u{301}" are the same option.
pub fn option_key(text: &str) -> String {
    text::comparison_form(text)
}

impl PollDraft {
    /// Checks every rule at `now`; the error names the first field that breaks one.
    pub fn parse(self, now: DateTime<Utc>) -> Result<NewPoll, AppError> {
        let title = text::visible_text("title", &self.title, limits::TITLE_MAX)?;
        let description = match self.description.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(given) => Some(text::visible_text(
                "description",
                given,
                limits::DESCRIPTION_MAX,
            )?),
        };
        let options = self.parse_options()?;
        let settings = kinds::settings(
            self.kind,
            SettingsDraft {
                min_choices: self.min_choices,
                max_choices: self.max_choices,
                score_min: self.score_min,
                score_max: self.score_max,
            },
            options.len(),
        )?;
        if let (Some(opens), Some(closes)) = (self.opens_at, self.closes_at)
            && closes <= opens
        {
            return Err(bad("closesAt", "closesAt must be after opensAt"));
        }
        if self.closes_at.is_some_and(|closes| closes <= now) {
            return Err(bad("closesAt", "closesAt must be in the future"));
        }
        Ok(NewPoll {
            title,
            description,
            options,
            kind: self.kind,
            min_choices: settings.min_choices,
            max_choices: settings.max_choices,
            score_range: settings.score_range,
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            results_visibility: self.results_visibility,
            allow_vote_change: self.allow_vote_change,
            listing: self.listing,
            voters: self.voters,
            anonymous: self.anonymous,
        })
    }

    fn parse_options(&self) -> Result<Vec<String>, AppError> {
        let count = self.options.len();
        if !(limits::OPTIONS_MIN..=limits::OPTIONS_MAX).contains(&count) {
            return Err(bad(
                "options",
                format!(
                    "a poll has {} to {} options",
                    limits::OPTIONS_MIN,
                    limits::OPTIONS_MAX
                ),
            ));
        }
        let mut seen = HashSet::new();
        self.options
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                let field = format!("options.{i}");
                let option = text::visible_text(&field, raw, limits::OPTION_TEXT_MAX)?;
                if !seen.insert(option_key(&option)) {
                    return Err(bad(&field, format!("option \"{option}\" appears twice")));
                }
                Ok(option)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> PollDraft {
        PollDraft {
            title: "  Lunch?  ".into(),
            description: Some("   ".into()),
            options: vec!["Pizza".into(), "Sushi".into()],
            kind: PollKind::Single,
            min_choices: None,
            max_choices: None,
            score_min: None,
            score_max: None,
            opens_at: None,
            closes_at: None,
            results_visibility: ResultsVisibility::Always,
            allow_vote_change: false,
            listing: PollListing::Unlisted,
            voters: PollVoters::Accounts,
            anonymous: false,
        }
    }

    fn field_of(result: Result<NewPoll, AppError>) -> Option<String> {
        match result {
            Err(AppError::BadInput { field, .. }) => Some(field),
            _ => None,
        }
    }

    #[test]
    fn a_simple_poll_is_trimmed_and_defaulted() {
        let poll = draft().parse(Utc::now()).ok();
        let poll = poll.as_ref();
        assert_eq!(poll.map(|p| p.title.as_str()), Some("Lunch?"));
        assert_eq!(poll.and_then(|p| p.description.clone()), None);
        assert_eq!(poll.map(|p| (p.min_choices, p.max_choices)), Some((1, 1)));
    }

    #[test]
    fn options_that_differ_only_by_case_or_normalization_are_duplicates() {
        assert_eq!(option_key("Café"), option_key("CAFE\u{301}"));
        assert_eq!(option_key(" Straße "), option_key("STRASSE"));
        let mut d = draft();
        d.options = vec!["Café".into(), "cafe\u{301}".into()];
        assert_eq!(field_of(d.parse(Utc::now())).as_deref(), Some("options.1"));
    }

    #[test]
    fn option_counts_and_choice_ranges_are_checked() {
        let mut d = draft();
        d.options = vec!["only".into()];
        assert_eq!(field_of(d.parse(Utc::now())).as_deref(), Some("options"));

        let mut d = draft();
        d.kind = PollKind::Multiple;
        d.min_choices = Some(2);
        d.max_choices = Some(3);
        assert_eq!(field_of(d.parse(Utc::now())).as_deref(), Some("maxChoices"));

        let mut d = draft();
        d.kind = PollKind::Multiple;
        let poll = d.parse(Utc::now()).ok();
        assert_eq!(poll.map(|p| (p.min_choices, p.max_choices)), Some((1, 2)));
    }

    #[test]
    fn closing_must_be_in_the_future_and_after_opening() {
        let now = Utc::now();
        let mut d = draft();
        d.closes_at = Some(now);
        assert_eq!(field_of(d.parse(now)).as_deref(), Some("closesAt"));
        let mut d = draft();
        d.opens_at = Some(now + chrono::Duration::hours(2));
        d.closes_at = Some(now + chrono::Duration::hours(1));
        assert_eq!(field_of(d.parse(now)).as_deref(), Some("closesAt"));
    }

    #[test]
    fn stored_kinds_and_visibilities_read_back_and_unknown_ones_are_errors() {
        for kind in [
            PollKind::Single,
            PollKind::Multiple,
            PollKind::Ranked,
            PollKind::Score,
        ] {
            assert_eq!(PollKind::from_stored(kind.as_str()).ok(), Some(kind));
        }
        assert!(matches!(
            PollKind::from_stored("BOGUS"),
            Err(AppError::UnsupportedPoll(_))
        ));
        assert!(matches!(
            ResultsVisibility::from_stored("BOGUS"),
            Err(AppError::UnsupportedPoll(_))
        ));
        assert_eq!(
            ResultsVisibility::from_stored("AFTER_CLOSE").ok(),
            Some(ResultsVisibility::AfterClose)
        );
    }

    #[test]
    fn status_follows_the_clock() {
        let now = Utc::now();
        let hour = chrono::Duration::hours(1);
        assert_eq!(PollStatus::at(now, None, None, None), PollStatus::Open);
        assert_eq!(
            PollStatus::at(now, Some(now + hour), None, None),
            PollStatus::Scheduled
        );
        assert_eq!(
            PollStatus::at(now, None, Some(now), None),
            PollStatus::Closed
        );
        assert_eq!(
            PollStatus::at(now, None, None, Some(now - hour)),
            PollStatus::Closed
        );
    }
}
