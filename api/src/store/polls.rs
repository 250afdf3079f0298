//! Queries on `polls` and `poll_options`: creating, reading, listing and closing polls
//! (closing also writes the polls' webhook events, in the same transaction).

use chrono::{DateTime, Utc};
use entity::{poll_options, polls, votes};
use sea_orm::sea_query::LockType;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::Store;
use crate::domain::join_code::JOIN_CODE_ATTEMPTS;
use crate::domain::kinds::ScoreRange;
use crate::domain::{
    JoinCode, NewPoll, Poll, PollKind, PollListing, PollOption, PollStatus, PollVoters,
    ResultsVisibility,
};
use crate::error::{AppError, AppResult};

impl TryFrom<polls::Model> for Poll {
    type Error = AppError;

    /// A kind or visibility this version does not know is `UNSUPPORTED_POLL`.
    fn try_from(row: polls::Model) -> AppResult<Self> {
        let score_range = match (row.score_min, row.score_max) {
            (Some(min), Some(max)) => Some(ScoreRange { min, max }),
            _ => None,
        };
        Ok(Poll {
            id: row.id,
            owner_id: row.owner_id,
            title: row.title,
            description: row.description,
            kind: PollKind::from_stored(&row.kind)?,
            min_choices: row.min_choices,
            max_choices: row.max_choices,
            score_range,
            results_visibility: ResultsVisibility::from_stored(&row.results_visibility)?,
            allow_vote_change: row.allow_vote_change,
            listing: PollListing::from_stored(&row.listing),
            voters: PollVoters::from_stored(&row.voters),
            anonymous: row.anonymous,
            ballot_key_id: row.ballot_key_id,
            join_code: row.join_code,
            opens_at: row.opens_at,
            closes_at: row.closes_at,
            closed_at: row.closed_at,
            created_at: row.created_at,
        })
    }
}

impl From<poll_options::Model> for PollOption {
    fn from(row: poll_options::Model) -> Self {
        PollOption {
            id: row.id,
            poll_id: row.poll_id,
            text: row.text,
            position: row.position,
        }
    }
}

/// A page request for [`Store::list_polls`].
#[derive(Debug, Clone)]
pub struct PollPageQuery {
    /// How many polls to return (one more is fetched to tell whether more exist beyond
    /// the page, in the direction it is taken).
    pub count: u64,
    /// Take the page from the end of the list (its oldest polls: `last`) rather than
    /// from its start (`first`).
    pub from_end: bool,
    /// Only polls older than this one (keyset pagination on the time-ordered id).
    pub after: Option<Uuid>,
    /// Only polls newer than this one.
    pub before: Option<Uuid>,
    /// Only this owner's polls.
    pub owner_id: Option<Uuid>,
    /// Only polls in this status at `now`.
    pub status: Option<PollStatus>,
    /// Only polls this user voted in (`true`) or did not (`false`).
    pub voted_by: Option<(Uuid, bool)>,
    /// Only `LISTED` polls: the public list (see `PollService`'s listing rule).
    pub listed_only: bool,
    /// The instant statuses are judged at.
    pub now: DateTime<Utc>,
}

/// The SQL form of [`PollStatus::at`].
fn status_condition(status: PollStatus, now: DateTime<Utc>) -> Condition {
    let closed = Condition::any()
        .add(polls::Column::ClosedAt.is_not_null())
        .add(polls::Column::ClosesAt.lte(now));
    let not_closed = Condition::all().add(polls::Column::ClosedAt.is_null()).add(
        Condition::any()
            .add(polls::Column::ClosesAt.is_null())
            .add(polls::Column::ClosesAt.gt(now)),
    );
    match status {
        PollStatus::Closed => closed,
        PollStatus::Scheduled => not_closed.add(polls::Column::OpensAt.gt(now)),
        PollStatus::Open => not_closed.add(
            Condition::any()
                .add(polls::Column::OpensAt.is_null())
                .add(polls::Column::OpensAt.lte(now)),
        ),
    }
}

/// The polls a listing's filter matches (listing, owner, status, the viewer's ballots).
/// Every condition is in the SQL, before paging, so pages stay full and counts agree.
fn matching(page: &PollPageQuery) -> sea_orm::Select<polls::Entity> {
    let mut query = polls::Entity::find();
    if page.listed_only {
        query = query.filter(polls::Column::Listing.eq(PollListing::Listed.as_str()));
    }
    if let Some(owner) = page.owner_id {
        query = query.filter(polls::Column::OwnerId.eq(owner));
    }
    if let Some(status) = page.status {
        query = query.filter(status_condition(status, page.now));
    }
    if let Some((user, voted)) = page.voted_by {
        let voted_polls = Query::select()
            .column(votes::Column::PollId)
            .from(votes::Entity)
            .and_where(Expr::col(votes::Column::UserId).eq(user))
            .to_owned();
        query = query.filter(if voted {
            polls::Column::Id.in_subquery(voted_polls)
        } else {
            polls::Column::Id.not_in_subquery(voted_polls)
        });
    }
    query
}

impl Store {
    /// Inserts a poll and its options in one transaction; `ballot_key_id` is the
    /// fingerprint of the ballot key its ballots will be written with (anonymous polls).
    pub async fn insert_poll(
        &self,
        owner_id: Uuid,
        poll: &NewPoll,
        ballot_key_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> AppResult<(Poll, Vec<PollOption>)> {
        let id = Uuid::now_v7();
        for attempt in 0..JOIN_CODE_ATTEMPTS {
            let code = JoinCode::for_poll(id, attempt);
            match self
                .insert_poll_with_code(id, owner_id, poll, ballot_key_id, &code, now)
                .await
            {
                Ok(Some(created)) => return Ok(created),
                Ok(None) => continue,
                Err(error) => return Err(error),
            }
        }
        Err(AppError::Internal(anyhow::anyhow!(
            "no free join code in {JOIN_CODE_ATTEMPTS} attempts"
        )))
    }

    /// The poll whose join code is `code`, if any.
    pub async fn find_poll_by_code(&self, code: &JoinCode) -> AppResult<Option<Poll>> {
        polls::Entity::find()
            .filter(polls::Column::JoinCode.eq(code.as_str()))
            .one(self.conn())
            .await?
            .map(Poll::try_from)
            .transpose()
    }

    async fn insert_poll_with_code(
        &self,
        id: Uuid,
        owner_id: Uuid,
        poll: &NewPoll,
        ballot_key_id: Option<&str>,
        code: &JoinCode,
        now: DateTime<Utc>,
    ) -> AppResult<Option<(Poll, Vec<PollOption>)>> {
        let row = polls::ActiveModel {
            id: Set(id),
            owner_id: Set(owner_id),
            title: Set(poll.title.clone()),
            description: Set(poll.description.clone()),
            kind: Set(poll.kind.as_str().to_owned()),
            min_choices: Set(poll.min_choices),
            max_choices: Set(poll.max_choices),
            score_min: Set(poll.score_range.map(|r| r.min)),
            score_max: Set(poll.score_range.map(|r| r.max)),
            results_visibility: Set(poll.results_visibility.as_str().to_owned()),
            allow_vote_change: Set(poll.allow_vote_change),
            listing: Set(poll.listing.as_str().to_owned()),
            voters: Set(poll.voters.as_str().to_owned()),
            anonymous: Set(poll.anonymous),
            ballot_key_id: Set(ballot_key_id.map(str::to_owned)),
            join_code: Set(Some(code.as_str().to_owned())),
            opens_at: Set(poll.opens_at),
            closes_at: Set(poll.closes_at),
            closed_at: Set(None),
            total_votes: Set(0),
            results_version: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let options: Vec<poll_options::ActiveModel> = poll
            .options
            .iter()
            .zip(0..)
            .map(|(text, position)| poll_options::ActiveModel {
                id: Set(Uuid::now_v7()),
                poll_id: Set(id),
                text: Set(text.clone()),
                position: Set(position),
                vote_count: Set(0),
            })
            .collect();
        let txn = self.begin_write().await?;
        let poll = match polls::Entity::insert(row).exec_with_returning(&txn).await {
            Ok(poll) => poll,
            // The only unique key of a new poll besides its fresh id.
            Err(error) if super::is_unique_violation(&error) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        poll_options::Entity::insert_many(options)
            .exec_without_returning(&txn)
            .await?;
        let options = poll_options::Entity::find()
            .filter(poll_options::Column::PollId.eq(id))
            .order_by_asc(poll_options::Column::Position)
            .all(&txn)
            .await?;
        txn.commit().await?;
        Ok(Some((
            poll.try_into()?,
            options.into_iter().map(Into::into).collect(),
        )))
    }

    /// Polls by id, in no particular order; unknown ids are left out.
    pub async fn find_polls(&self, ids: &[Uuid]) -> AppResult<Vec<Poll>> {
        let rows = polls::Entity::find()
            .filter(polls::Column::Id.is_in(ids.iter().copied()))
            .all(self.conn())
            .await?;
        rows.into_iter().map(Poll::try_from).collect()
    }

    /// The anonymous polls a guest may have voted on (open to guests or invitees) whose
    /// ballots are written with the key `ballot_key_id`: where a claim looks for a
    /// guest's pseudonymous ballots.
    pub async fn anonymous_guest_polls(&self, ballot_key_id: &str) -> AppResult<Vec<Uuid>> {
        Ok(polls::Entity::find()
            .select_only()
            .column(polls::Column::Id)
            .filter(polls::Column::Anonymous.eq(true))
            .filter(polls::Column::BallotKeyId.eq(ballot_key_id))
            .filter(polls::Column::Voters.ne(PollVoters::Accounts.as_str()))
            .into_tuple()
            .all(self.conn())
            .await?)
    }

    /// The options of these polls, ordered by poll then position.
    pub async fn options_of(&self, poll_ids: &[Uuid]) -> AppResult<Vec<PollOption>> {
        let rows = poll_options::Entity::find()
            .filter(poll_options::Column::PollId.is_in(poll_ids.iter().copied()))
            .order_by_asc(poll_options::Column::PollId)
            .order_by_asc(poll_options::Column::Position)
            .all(self.conn())
            .await?;
        Ok(rows.into_iter().map(PollOption::from).collect())
    }

    /// Options by their own ids; unknown ids are left out.
    pub async fn find_options(&self, ids: &[Uuid]) -> AppResult<Vec<PollOption>> {
        let rows = poll_options::Entity::find()
            .filter(poll_options::Column::Id.is_in(ids.iter().copied()))
            .all(self.conn())
            .await?;
        Ok(rows.into_iter().map(PollOption::from).collect())
    }

    /// A page of polls, newest first, and whether more lie beyond it in the direction
    /// it was taken (older ones for `first`, newer ones for `last`).
    pub async fn list_polls(&self, page: &PollPageQuery) -> AppResult<(Vec<Poll>, bool)> {
        let mut query = matching(page);
        if let Some(after) = page.after {
            query = query.filter(polls::Column::Id.lt(after));
        }
        if let Some(before) = page.before {
            query = query.filter(polls::Column::Id.gt(before));
        }
        query = match page.from_end {
            false => query.order_by_desc(polls::Column::Id),
            true => query.order_by_asc(polls::Column::Id),
        };
        let mut rows = query.limit(page.count + 1).all(self.conn()).await?;
        let has_more = rows.len() as u64 > page.count;
        rows.truncate(usize::try_from(page.count).unwrap_or(usize::MAX));
        if page.from_end {
            rows.reverse();
        }
        let polls = rows
            .into_iter()
            .map(Poll::try_from)
            .collect::<AppResult<_>>()?;
        Ok((polls, has_more))
    }

    /// How many polls the page's filter matches, whatever its cursors and size.
    pub async fn count_polls(&self, page: &PollPageQuery) -> AppResult<u64> {
        Ok(matching(page).count(self.conn()).await?)
    }

    /// Marks closed (at their `closesAt`) up to `limit` polls whose `closesAt` has passed
    /// and returns them; a poll is returned by one call only, whatever the callers.
    pub async fn close_due_polls(&self, now: DateTime<Utc>, limit: u64) -> AppResult<Vec<Uuid>> {
        let due = Query::select()
            .column(polls::Column::Id)
            .from(polls::Entity)
            .and_where(Expr::col(polls::Column::ClosedAt).is_null())
            .and_where(Expr::col(polls::Column::ClosesAt).lte(now))
            .limit(limit)
            .to_owned();
        let update = Query::update()
            .table(polls::Entity)
            .value(polls::Column::ClosedAt, Expr::col(polls::Column::ClosesAt))
            .value(polls::Column::UpdatedAt, now)
            .and_where(Expr::col(polls::Column::Id).in_subquery(due))
            .and_where(Expr::col(polls::Column::ClosedAt).is_null())
            .returning_col(polls::Column::Id)
            .to_owned();
        let txn = self.begin_write().await?;
        let rows = txn.query_all(&update).await?;
        let closed = rows
            .iter()
            .map(|row| row.try_get::<Uuid>("", "id"))
            .collect::<Result<Vec<_>, _>>()?;
        // In the closing transaction: the events exist exactly when the close commits.
        super::outbox::enqueue_poll_closed(&txn, &closed, now).await?;
        txn.commit().await?;
        Ok(closed)
    }

    /// Closes a poll for its owner, now. Idempotent: a poll already closed (by its owner
    /// or its `closesAt`) is returned as it is. The row lock makes the close wait for a
    /// vote batch in flight, so no vote commits after `closed_at`.
    pub async fn close_poll(
        &self,
        poll_id: Uuid,
        owner_id: Uuid,
        clock: &dyn crate::clock::Clock,
    ) -> AppResult<Poll> {
        let txn = self.begin_write().await?;
        let Some(row) = polls::Entity::find_by_id(poll_id)
            .lock(LockType::NoKeyUpdate)
            .one(&txn)
            .await?
        else {
            return Err(AppError::NotFound("poll"));
        };
        if row.owner_id != owner_id {
            return Err(AppError::Forbidden(
                "only the poll's owner can close it".into(),
            ));
        }
        // Read the clock only once the lock is held: a vote batch that held it before
        // us took its own time earlier.
        let now = clock.now();
        let poll = Poll::try_from(row)?;
        if poll.status(now) == PollStatus::Closed {
            txn.commit().await?;
            return Ok(poll);
        }
        let closed = polls::Entity::update(polls::ActiveModel {
            id: Set(poll_id),
            closed_at: Set(Some(now)),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        super::outbox::enqueue_poll_closed(&txn, &[poll_id], now).await?;
        txn.commit().await?;
        closed.try_into()
    }
}
