//! Queries on `users` (accounts and guests) and on `guest_challenges`.

use chrono::{DateTime, Utc};
use entity::{guest_challenges, users};
use rand::RngCore;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, Statement, TryInsertResult, Value,
};
use uuid::Uuid;

use super::{Store, is_unique_violation};
use crate::domain::{User, Username};
use crate::error::{AppError, AppResult};

/// What a guest's `password_hash` holds: not a PHC string, so no password verifies
/// against it (and guests are left out of sign-in lookups anyway).
const NO_PASSWORD: &str = "!guest";

/// Names tried for a new guest before giving up: `guest-<8 hex>` is 32 random bits,
/// so a clash is rare and several in a row mean something else is wrong.
const GUEST_NAME_ATTEMPTS: usize = 8;

/// Which of the ids `$1` are users that may still sign requests (PostgreSQL).
const ACTIVE_USERS: &str = "SELECT id FROM users WHERE id = ANY($1::uuid[]) AND retired_at IS NULL";

/// What inserting a guest came to.
#[derive(Debug)]
pub enum GuestInsert {
    /// The guest was created and the challenge spent.
    Created(User),
    /// The challenge was spent before: nothing was created.
    ChallengeReused,
}

impl From<users::Model> for User {
    fn from(row: users::Model) -> Self {
        User {
            id: row.id,
            username: row.username,
            created_at: row.created_at,
            guest: row.guest,
        }
    }
}

fn guest_name() -> String {
    let mut bytes = [0u8; 4];
    rand::rng().fill_bytes(&mut bytes);
    format!("guest-{}", hex::encode(bytes))
}

impl Store {
    /// Inserts an account; `USERNAME_TAKEN` when the name is taken in any case.
    pub async fn insert_user(
        &self,
        username: &Username,
        password_hash: String,
        now: DateTime<Utc>,
    ) -> AppResult<User> {
        let row = users::ActiveModel {
            id: Set(Uuid::now_v7()),
            username: Set(username.as_str().to_owned()),
            username_key: Set(username.key()),
            password_hash: Set(password_hash),
            created_at: Set(now),
            guest: Set(false),
            retired_at: Set(None),
        };
        match users::Entity::insert(row)
            .exec_with_returning(self.conn())
            .await
        {
            Ok(row) => Ok(row.into()),
            Err(e) if is_unique_violation(&e) => Err(AppError::UsernameTaken),
            Err(e) => Err(e.into()),
        }
    }

    /// Spends the challenge `challenge` (valid until `expires_at`) and creates a guest,
    /// in one transaction: a challenge creates at most one guest, however many
    /// instances see it at once. Spent challenges that expired are swept on the way.
    pub async fn insert_guest(
        &self,
        challenge: Uuid,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> AppResult<GuestInsert> {
        let txn = self.begin_write().await?;
        guest_challenges::Entity::delete_many()
            .filter(guest_challenges::Column::ExpiresAt.lte(now))
            .exec(&txn)
            .await?;
        let spent = guest_challenges::ActiveModel {
            id: Set(challenge),
            expires_at: Set(expires_at),
        };
        let spent = guest_challenges::Entity::insert(spent)
            .on_conflict_do_nothing()
            .exec_without_returning(&txn)
            .await?;
        if !matches!(spent, TryInsertResult::Inserted(1)) {
            txn.rollback().await?;
            return Ok(GuestInsert::ChallengeReused);
        }
        for _ in 0..GUEST_NAME_ATTEMPTS {
            let name = guest_name();
            let row = users::ActiveModel {
                id: Set(Uuid::now_v7()),
                username_key: Set(name.clone()),
                username: Set(name),
                password_hash: Set(NO_PASSWORD.to_owned()),
                created_at: Set(now),
                guest: Set(true),
                retired_at: Set(None),
            };
            let inserted = users::Entity::insert(row)
                .on_conflict_do_nothing_on([users::Column::UsernameKey])
                .exec_with_returning(&txn)
                .await?;
            if let TryInsertResult::Inserted(row) = inserted {
                txn.commit().await?;
                return Ok(GuestInsert::Created(row.into()));
            }
        }
        txn.rollback().await?;
        Err(AppError::Internal(anyhow::anyhow!(
            "no free guest name after {GUEST_NAME_ATTEMPTS} attempts"
        )))
    }

    /// The account (never a guest) with this username (any case) and its password hash.
    pub async fn find_credentials(&self, username: &Username) -> AppResult<Option<(User, String)>> {
        let row = users::Entity::find()
            .filter(users::Column::UsernameKey.eq(username.key()))
            .filter(users::Column::Guest.eq(false))
            .one(self.conn())
            .await?;
        Ok(row.map(|row| {
            let hash = row.password_hash.clone();
            (row.into(), hash)
        }))
    }

    /// Accounts by id, in no particular order; unknown ids are left out.
    pub async fn find_users(&self, ids: &[Uuid]) -> AppResult<Vec<User>> {
        let rows = users::Entity::find()
            .filter(users::Column::Id.is_in(ids.iter().copied()))
            .all(self.conn())
            .await?;
        Ok(rows.into_iter().map(User::from).collect())
    }

    /// Which of `ids` exist and may still sign requests (not retired guests), in one
    /// query for them all.
    pub async fn users_active(&self, ids: &[Uuid]) -> AppResult<std::collections::HashSet<Uuid>> {
        if self.backend() == DbBackend::Postgres {
            // One parameter, the array, whatever the round's size: one prepared
            // statement serves every round (an `IN` list of N would be a new statement,
            // parsed and planned again, for every N).
            let ids = Value::Array(
                sea_orm::sea_query::ArrayType::Uuid,
                Some(Box::new(ids.iter().copied().map(Value::from).collect())),
            );
            let rows = self
                .conn()
                .query_all_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    ACTIVE_USERS,
                    [ids],
                ))
                .await?;
            return rows
                .iter()
                .map(|row| Ok(row.try_get_by_index::<Uuid>(0)?))
                .collect();
        }
        let found: Vec<Uuid> = users::Entity::find()
            .select_only()
            .column(users::Column::Id)
            .filter(users::Column::Id.is_in(ids.iter().copied()))
            .filter(users::Column::RetiredAt.is_null())
            .into_tuple()
            .all(self.conn())
            .await?;
        Ok(found.into_iter().collect())
    }
}
