//! Queries on `users`.

use chrono::{DateTime, Utc};
use entity::users;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{Store, is_unique_violation};
use crate::domain::{User, Username};
use crate::error::{AppError, AppResult};

impl From<users::Model> for User {
    fn from(row: users::Model) -> Self {
        User {
            id: row.id,
            username: row.username,
            created_at: row.created_at,
        }
    }
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

    /// The account with this username (any case) and its password hash.
    pub async fn find_credentials(&self, username: &Username) -> AppResult<Option<(User, String)>> {
        let row = users::Entity::find()
            .filter(users::Column::UsernameKey.eq(username.key()))
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
}
