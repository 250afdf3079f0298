//! `polls.join_code`: a short code people type to open a poll (`/j/CODE`, the box on the
//! home page), shown big on the presenter screen.
//!
//! Six characters from an alphabet without look-alikes (no 0/O, 1/I/L), unique across
//! polls (`uq_polls_join_code`). New polls get one from the api at creation; this
//! migration gives one to every poll created before it. The backfill derives each code
//! from the poll's id (and a counter on a collision), the same way the api does
//! (`api/src/domain/join_code.rs`), so it needs no random source and gives the same codes
//! if it is run twice. The column stays nullable for SQLite's sake (it cannot add a
//! NOT NULL column without a default); the api always writes it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::prelude::Uuid;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement, Value};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Polls {
    Table,
    JoinCode,
}

const INDEX: &str = "uq_polls_join_code";
/// The code's characters: digits and capitals without 0, 1, I, L and O.
pub const ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// The code's length.
pub const LENGTH: usize = 6;

/// The `attempt`-th code of the poll with id `id` (its 16 bytes).
pub fn derive(id: &[u8; 16], attempt: u64) -> String {
    // SplitMix64 over the id's two halves and the attempt: cheap, well mixed.
    let mut state = u64::from_be_bytes(id[..8].try_into().unwrap_or_default())
        ^ u64::from_be_bytes(id[8..].try_into().unwrap_or_default()).rotate_left(29)
        ^ attempt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    (0..LENGTH)
        .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize] as char)
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Polls::Table)
                    .add_column(ColumnDef::new(Polls::JoinCode).string_len(16).null())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id FROM polls WHERE join_code IS NULL",
            ))
            .await?;
        let mut taken = std::collections::HashSet::new();
        for row in rows {
            // Read back as stored (a UUID, or text where a row was written by hand on
            // SQLite), and matched in the same form.
            let (id, key): (Uuid, Value) = match row.try_get::<Uuid>("", "id") {
                Ok(id) => (id, id.into()),
                Err(_) => {
                    let text: String = row.try_get("", "id")?;
                    let id = Uuid::parse_str(&text)
                        .map_err(|e| DbErr::Custom(format!("poll id {text:?}: {e}")))?;
                    (id, text.into())
                }
            };
            let code = (0..)
                .map(|attempt| derive(id.as_bytes(), attempt))
                .find(|code| !taken.contains(code))
                .unwrap_or_default();
            taken.insert(code.clone());
            let update = Query::update()
                .table(Polls::Table)
                .value(Polls::JoinCode, code)
                .and_where(Expr::col(Alias::new("id")).eq(key))
                .to_owned();
            db.execute(&update).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Polls::Table)
                    .col(Polls::JoinCode)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Polls::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Polls::Table)
                    .drop_column(Polls::JoinCode)
                    .to_owned(),
            )
            .await
    }
}
