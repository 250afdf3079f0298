//! DataLoaders: every relation the schema exposes is loaded in batches, so a page of
//! polls with their options, owners, results and the viewer's ballots costs a constant
//! number of queries, whatever the page size.
//!
//! The loaders are schema-wide and do not cache (each load reads fresh data); they only
//! group the loads made at the same moment, across fields and requests.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use uuid::Uuid;

use crate::domain::{Poll, PollOption, Tally, User, Vote};
use crate::error::AppError;
use crate::service::{AccountService, PollService, ResultsService, VoteService};

/// Why a batch load failed; cloneable, as DataLoader requires.
pub type LoadError = Arc<anyhow::Error>;

/// An `UNSUPPORTED_POLL` carried through a load, so that it reaches the client with
/// its code (a poll of a kind this version does not know is the client's to see, not
/// an internal error).
#[derive(Debug)]
struct Unsupported(String);

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unsupported {}

fn load_error(error: AppError) -> LoadError {
    Arc::new(match error {
        AppError::Internal(cause) => cause,
        AppError::UnsupportedPoll(detail) => anyhow::Error::new(Unsupported(detail)),
        other => anyhow::anyhow!(other.message()),
    })
}

/// Turns a failed load back into a request error.
pub fn from_load_error(error: LoadError) -> AppError {
    match error.downcast_ref::<Unsupported>() {
        Some(Unsupported(detail)) => AppError::UnsupportedPoll(detail.clone()),
        None => AppError::Internal(anyhow::anyhow!("{error:#}")),
    }
}

/// Users by id.
pub struct UserLoader(AccountService);

impl Loader<Uuid> for UserLoader {
    type Value = User;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, User>, LoadError> {
        let users = self.0.find_many(keys).await.map_err(load_error)?;
        Ok(users.into_iter().map(|u| (u.id, u)).collect())
    }
}

/// Polls by id.
pub struct PollLoader(PollService);

impl Loader<Uuid> for PollLoader {
    type Value = Poll;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Poll>, LoadError> {
        let polls = self.0.get_many(keys).await.map_err(load_error)?;
        Ok(polls.into_iter().map(|p| (p.id, p)).collect())
    }
}

/// A poll's options, in order, by poll id.
pub struct OptionsLoader(PollService);

impl Loader<Uuid> for OptionsLoader {
    type Value = Vec<PollOption>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<PollOption>>, LoadError> {
        let mut by_poll: HashMap<Uuid, Vec<PollOption>> = HashMap::new();
        for option in self.0.options_of(keys).await.map_err(load_error)? {
            by_poll.entry(option.poll_id).or_default().push(option);
        }
        Ok(by_poll)
    }
}

/// A poll's current tally, by poll id.
pub struct TallyLoader(ResultsService);

impl Loader<Uuid> for TallyLoader {
    type Value = Tally;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Tally>, LoadError> {
        let tallies = self.0.tallies(keys).await.map_err(load_error)?;
        Ok(tallies.into_iter().map(|t| (t.poll_id, t)).collect())
    }
}

/// A user's ballot on a poll, by (user id, poll id).
pub struct BallotLoader(VoteService);

impl Loader<(Uuid, Uuid)> for BallotLoader {
    type Value = Vote;
    type Error = LoadError;

    async fn load(&self, keys: &[(Uuid, Uuid)]) -> Result<HashMap<(Uuid, Uuid), Vote>, LoadError> {
        let mut polls_by_user: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for &(user, poll) in keys {
            polls_by_user.entry(user).or_default().push(poll);
        }
        let mut found = HashMap::new();
        // Nearly always one user (the viewer); one query per distinct user otherwise.
        for (user, polls) in polls_by_user {
            for vote in self.0.ballots_of(user, &polls).await.map_err(load_error)? {
                found.insert((user, vote.poll_id), vote);
            }
        }
        Ok(found)
    }
}

/// Every loader, held in the schema's data.
pub struct Loaders {
    /// Users by id.
    pub users: DataLoader<UserLoader>,
    /// Polls by id.
    pub polls: DataLoader<PollLoader>,
    /// Options by poll id.
    pub options: DataLoader<OptionsLoader>,
    /// Tallies by poll id.
    pub tallies: DataLoader<TallyLoader>,
    /// Ballots by (user, poll).
    pub ballots: DataLoader<BallotLoader>,
}

impl Loaders {
    /// Loaders over the services.
    pub fn new(
        accounts: AccountService,
        polls: PollService,
        results: ResultsService,
        votes: VoteService,
    ) -> Self {
        Loaders {
            users: DataLoader::new(UserLoader(accounts), tokio::spawn),
            polls: DataLoader::new(PollLoader(polls.clone()), tokio::spawn),
            options: DataLoader::new(OptionsLoader(polls), tokio::spawn),
            tallies: DataLoader::new(TallyLoader(results), tokio::spawn),
            ballots: DataLoader::new(BallotLoader(votes), tokio::spawn),
        }
    }
}
