//! Exports: who may download a poll's ballots and results, and the rows they get.
//!
//! Only the poll's owner exports. While the poll runs, an export is allowed only when
//! the poll's results visibility shows the results to the owner — the same
//! [`ResultsService::check_visible`] that guards queries and subscriptions, so the
//! channels cannot disagree (today the owner always sees their results, so no owner is
//! refused; the check keeps exports in step if that rule changes). Ballots are read in
//! keyset pages of `TALLY_EXPORT_CHUNK` ([`Store::ballot_page`]) while the body streams,
//! so memory stays flat whatever the poll's size; at most `TALLY_EXPORT_MAX_CONCURRENT`
//! ballot exports stream at once per instance (`TOO_MANY_EXPORTS` beyond), and each user
//! starts downloads at the pace of the `export` rate bucket (`RATE_LIMITED`).
//!
//! On an anonymous poll nothing about the voter is read: no username, and the stored
//! pseudonym serves only as the page cursor.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::Stream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use crate::config::ExportConfig;
use crate::domain::counting::{blt, irv};
use crate::domain::{Poll, PollOption, PollStatus};
use crate::error::{AppError, AppResult};
use crate::limits::{Bucket, Limiter};
use crate::service::ResultsService;
use crate::store::{ExportedBallot, Store};

/// One ballot as exported.
#[derive(Debug, Clone, PartialEq)]
pub struct BallotRow {
    /// The ballot's id.
    pub ballot_id: Uuid,
    /// When it was first cast.
    pub cast_at: DateTime<Utc>,
    /// The chosen options' labels, in the poll's option order.
    pub choices: Vec<String>,
    /// The voter's username; `None` on anonymous polls (the column is left out).
    pub voter: Option<String>,
    /// Whether the poll was closed when the export started.
    pub is_final: bool,
}

/// One option's line of a results export.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultRow {
    /// The option's label.
    pub option: String,
    /// Ballots choosing it.
    pub count: i64,
    /// Its share of the ballots, in percent to one decimal (as `OptionResult.percentage`).
    pub share: f64,
    /// Whether these are the final results (the poll is closed).
    pub is_final: bool,
}

/// A poll its owner may export, with what rows are made from.
#[derive(Debug, Clone)]
pub struct ExportablePoll {
    /// The poll.
    pub poll: Poll,
    options: Vec<PollOption>,
    is_final: bool,
}

impl ExportablePoll {
    /// Whether ballot rows carry the voter: never on anonymous polls.
    pub fn with_voter(&self) -> bool {
        !self.poll.anonymous
    }

    /// The export row of a stored ballot: option ids become labels in the poll's order.
    fn row(&self, ballot: ExportedBallot, positions: &HashMap<Uuid, usize>) -> BallotRow {
        let mut chosen: Vec<usize> = ballot
            .option_ids
            .iter()
            .filter_map(|id| positions.get(id).copied())
            .collect();
        chosen.sort_unstable();
        BallotRow {
            ballot_id: ballot.id,
            cast_at: ballot.cast_at,
            choices: chosen
                .into_iter()
                .map(|i| self.options[i].text.clone())
                .collect(),
            voter: ballot.voter.filter(|_| self.with_voter()),
            is_final: self.is_final,
        }
    }
}

/// Decides who may export and produces the rows.
#[derive(Clone)]
pub struct ExportService {
    store: Store,
    results: ResultsService,
    limiter: Limiter,
    /// One permit per ballot export streaming; held by its stream until it ends or the
    /// client goes away.
    slots: Arc<Semaphore>,
    chunk: u64,
}

impl ExportService {
    /// The service over the store, the results' visibility rule and the rate limits.
    pub fn new(
        store: Store,
        results: ResultsService,
        limiter: Limiter,
        config: &ExportConfig,
    ) -> Self {
        ExportService {
            store,
            results,
            limiter,
            slots: Arc::new(Semaphore::new(config.max_concurrent)),
            chunk: config.chunk.max(1),
        }
    }

    /// The poll, when `viewer` may export it now: `RATE_LIMITED` (the user's `export`
    /// bucket, taken before the database is asked), `NOT_FOUND`, `FORBIDDEN` (not the
    /// owner) or `RESULTS_HIDDEN` (the results are not shown to the owner yet).
    pub async fn authorize(&self, viewer: Uuid, poll_id: Uuid) -> AppResult<ExportablePoll> {
        self.limiter
            .check(Bucket::Export, &viewer.to_string())
            .await?;
        let poll = self
            .store
            .find_polls(&[poll_id])
            .await?
            .pop()
            .ok_or(AppError::NotFound("poll"))?;
        if poll.owner_id != viewer {
            return Err(AppError::Forbidden(
                "only the poll's owner may export it".into(),
            ));
        }
        self.results.check_visible(&poll, Some(viewer), false)?;
        let options = self.store.options_of(&[poll.id]).await?;
        let is_final = poll.status(self.results.now()) == PollStatus::Closed;
        Ok(ExportablePoll {
            poll,
            options,
            is_final,
        })
    }

    /// The poll's ballots, a page at a time, in a stable order; `TOO_MANY_EXPORTS` when
    /// the instance already streams as many as allowed. The stream holds its slot until
    /// it is dropped; a failure mid-way ends it with the error (the client sees a broken
    /// download, never a short file that looks whole).
    pub fn ballots(
        &self,
        export: ExportablePoll,
    ) -> AppResult<impl Stream<Item = AppResult<Vec<BallotRow>>> + Send + 'static> {
        let slot: OwnedSemaphorePermit = self
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| AppError::TooManyExports)?;
        let store = self.store.clone();
        let chunk = self.chunk;
        let positions: HashMap<Uuid, usize> = export
            .options
            .iter()
            .enumerate()
            .map(|(i, option)| (option.id, i))
            .collect();
        Ok(async_stream::try_stream! {
            let _slot = slot;
            let mut after = None;
            loop {
                let page = store
                    .ballot_page(export.poll.id, after, chunk, export.with_voter())
                    .await?;
                let rows: Vec<BallotRow> = page
                    .ballots
                    .into_iter()
                    .map(|ballot| export.row(ballot, &positions))
                    .collect();
                yield rows;
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        })
    }

    /// A RANKED poll's ballots as a BLT file ([`blt::write_blt`]): one line per distinct
    /// ranking, weighted by its ballots, read from the tally's groups — one tally read,
    /// no ballot scan, so it takes no export slot. `BAD_USER_INPUT` for other kinds
    /// (BLT carries only rankings).
    pub async fn ballots_blt(&self, export: &ExportablePoll) -> AppResult<String> {
        // By the stored name: the RANKED kind arrives with the kinds' own modules.
        if export.poll.kind.as_str() != "RANKED" {
            return Err(AppError::bad_input(
                "pollId",
                "only a RANKED poll's ballots export as BLT",
            ));
        }
        let tally = self
            .results
            .tallies(&[export.poll.id])
            .await?
            .pop()
            .ok_or(AppError::NotFound("poll"))?;
        let rankings = irv::rankings_from_groups(&tally.groups, export.options.len())
            .map_err(|e| anyhow::Error::new(e).context("a ranked poll's tally groups"))?;
        let names: Vec<&str> = export.options.iter().map(|o| o.text.as_str()).collect();
        Ok(blt::write_blt(&export.poll.title, &names, rankings))
    }

    /// The poll's results, one row per option in the poll's order.
    pub async fn results(&self, export: &ExportablePoll) -> AppResult<Vec<ResultRow>> {
        let tally = self
            .results
            .tallies(&[export.poll.id])
            .await?
            .pop()
            .ok_or(AppError::NotFound("poll"))?;
        let results = self.results.results(&export.poll, &tally);
        let labels: HashMap<Uuid, &str> = export
            .options
            .iter()
            .map(|option| (option.id, option.text.as_str()))
            .collect();
        Ok(results
            .options
            .iter()
            .map(|share| ResultRow {
                option: labels
                    .get(&share.option_id)
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
                count: share.votes,
                share: share.percentage,
                is_final: results.is_final,
            })
            .collect())
    }
}
