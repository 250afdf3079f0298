//! Migrations: up and down on both databases, and the constraints they create.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, SqlErr, Statement};

use crate::both_backends;
use crate::helpers::{Backend, TestDb};

async fn tables(db: &DatabaseConnection) -> Vec<String> {
    let sql = match db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => {
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        _ => {
            "SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name"
        }
    };
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get::<String>("", "t").unwrap())
        .collect()
}

async fn exec(db: &DatabaseConnection, sql: &str) -> Result<(), DbErr> {
    db.execute_unprepared(sql).await.map(|_| ())
}

both_backends! {
    async fn migrations_go_up_and_down_and_up_again(backend: Backend) {
        let test_db = TestDb::create(backend).await;
        let db = test_db.connect().await;
        Migrator::up(&db, None).await.unwrap();
        let expected = [
            "guest_challenges", "invitations", "poll_options", "polls", "seaql_migrations",
            "tally_groups", "users", "vote_choices", "vote_events", "votes", "webhook_deliveries",
            "webhook_endpoints", "webhook_events",
        ];
        assert_eq!(tables(&db).await, expected);

        Migrator::down(&db, None).await.unwrap();
        assert_eq!(tables(&db).await, ["seaql_migrations"]);

        Migrator::up(&db, None).await.unwrap();
        assert_eq!(tables(&db).await, expected);
    }

    async fn the_database_itself_refuses_a_second_ballot_and_a_reused_key(backend: Backend) {
        let test_db = TestDb::create(backend).await;
        let db = test_db.connect().await;
        Migrator::up(&db, None).await.unwrap();
        let id = |n: u32| {
            let id = format!("'00000000-0000-7000-8000-{n:012}'");
            if backend == Backend::Postgres { format!("{id}::uuid") } else { id }
        };
        let now = "'2026-01-01T00:00:00Z'";
        let user = id(1);
        let (poll_a, poll_b) = (id(2), id(3));
        exec(&db, &format!("INSERT INTO users (id, username, username_key, password_hash, created_at) VALUES ({user}, 'u', 'u', 'h', {now})")).await.unwrap();
        let poll = |id: &str, min: u32, max: u32| format!("INSERT INTO polls (id, owner_id, title, kind, min_choices, max_choices, results_visibility, allow_vote_change, created_at, updated_at) VALUES ({id}, {user}, 't', 'SINGLE', {min}, {max}, 'ALWAYS', false, {now}, {now})");
        exec(&db, &poll(&poll_a, 1, 1)).await.unwrap();
        exec(&db, &poll(&poll_b, 1, 1)).await.unwrap();
        let ballot = |n: u32, poll: &str, key: &str| {
            format!("INSERT INTO votes (id, poll_id, user_id, idempotency_key, request_hash, cast_at, updated_at) VALUES ({}, {poll}, {user}, '{key}', 'h', {now}, {now})", id(n))
        };
        let event = |n: u32, poll: &str, key: &str| {
            format!("INSERT INTO vote_events (id, poll_id, vote_id, user_id, action, old_choices, new_choices, idempotency_key, request_hash, at) VALUES ({}, {poll}, {}, {user}, 'cast', '', '', '{key}', 'h', {now})", id(n), id(n + 50))
        };

        exec(&db, &ballot(10, &poll_a, "k1")).await.unwrap();
        // Same user, same poll, another key: one ballot per user per poll.
        refused_by_unique(exec(&db, &ballot(11, &poll_a, "k2")).await, "uq_votes_poll_user", "votes.poll_id, votes.user_id");
        // Same user, same key, another poll: a key is used once per user.
        refused_by_unique(exec(&db, &ballot(12, &poll_b, "k1")).await, "uq_votes_user_key", "votes.user_id, votes.idempotency_key");
        // What was refused was the second ballot and the reused key, not the rows.
        exec(&db, &ballot(13, &poll_b, "k2")).await.unwrap();

        // The audit log, which keeps every key for replays, holds each (user, key) once.
        exec(&db, &event(20, &poll_a, "k1")).await.unwrap();
        refused_by_unique(exec(&db, &event(21, &poll_b, "k1")).await, "uq_vote_events_user_key", "vote_events.user_id, vote_events.idempotency_key");
        exec(&db, &event(22, &poll_b, "k2")).await.unwrap();

        // A poll with min_choices above max_choices is refused by a CHECK.
        let bad_poll = exec(&db, &poll(&id(4), 3, 2)).await.expect_err("min 3, max 2 is refused");
        assert!(bad_poll.to_string().to_lowercase().contains("check constraint"), "{bad_poll}");
        exec(&db, &poll(&id(4), 2, 2)).await.unwrap();
    }
}

both_backends! {
    async fn polls_from_before_the_listing_migration_stay_in_the_public_list(backend: Backend) {
        let test_db = TestDb::create(backend).await;
        let db = test_db.connect().await;
        // Every migration before `m20261206_000004_poll_listing`.
        Migrator::up(&db, Some(3)).await.unwrap();
        let id = |n: u32| {
            let id = format!("'00000000-0000-7000-8000-{n:012}'");
            if backend == Backend::Postgres { format!("{id}::uuid") } else { id }
        };
        let now = "'2026-01-01T00:00:00Z'";
        exec(&db, &format!("INSERT INTO users (id, username, username_key, password_hash, created_at) VALUES ({}, 'u', 'u', 'h', {now})", id(1))).await.unwrap();
        exec(&db, &format!("INSERT INTO polls (id, owner_id, title, kind, min_choices, max_choices, results_visibility, allow_vote_change, created_at, updated_at) VALUES ({}, {}, 'old', 'SINGLE', 1, 1, 'ALWAYS', false, {now}, {now})", id(2), id(1))).await.unwrap();

        Migrator::up(&db, None).await.unwrap();
        let rows = db
            .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT listing FROM polls"))
            .await
            .unwrap();
        let listings: Vec<String> = rows.iter().map(|row| row.try_get::<String>("", "listing").unwrap()).collect();
        assert_eq!(listings, ["LISTED"]);

        // And `m20261206_000005_poll_voters` keeps them as they were: accounts only,
        // ballots under the voter's id.
        let rows = db
            .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT voters, anonymous FROM polls"))
            .await
            .unwrap();
        let settings: Vec<(String, bool)> = rows
            .iter()
            .map(|row| (row.try_get("", "voters").unwrap(), row.try_get("", "anonymous").unwrap()))
            .collect();
        assert_eq!(settings, [("ACCOUNTS".to_owned(), false)]);
    }
}

both_backends! {
    async fn the_database_itself_lets_a_voter_hold_one_invitation_per_poll(backend: Backend) {
        let test_db = TestDb::create(backend).await;
        let db = test_db.connect().await;
        Migrator::up(&db, None).await.unwrap();
        let id = |n: u32| {
            let id = format!("'00000000-0000-7000-8000-{n:012}'");
            if backend == Backend::Postgres { format!("{id}::uuid") } else { id }
        };
        let now = "'2026-01-01T00:00:00Z'";
        let invitation = |n: u32, poll: u32, holder: Option<u32>| {
            let (status, by) = match holder {
                Some(h) => ("REDEEMED", id(h)),
                None => ("PENDING", "NULL".to_owned()),
            };
            format!("INSERT INTO invitations (id, poll_id, name, status, created_at, redeemed_at, redeemed_by) VALUES ({}, {}, NULL, '{status}', {now}, NULL, {by})", id(n), id(poll))
        };
        // Pending invitations have no holder, and any number of them may wait.
        exec(&db, &invitation(10, 1, None)).await.unwrap();
        exec(&db, &invitation(11, 1, None)).await.unwrap();
        exec(&db, &invitation(12, 1, Some(5))).await.unwrap();
        refused_by_unique(exec(&db, &invitation(13, 1, Some(5))).await, "uq_invitations_poll_holder", "invitations.poll_id, invitations.redeemed_by");
        // The same voter holds one on another poll.
        exec(&db, &invitation(14, 2, Some(5))).await.unwrap();
        // A status outside PENDING, REDEEMED, REVOKED is refused by a CHECK.
        let bad = exec(&db, &format!("INSERT INTO invitations (id, poll_id, status, created_at) VALUES ({}, {}, 'LOST', {now})", id(15), id(1))).await.expect_err("an unknown status is refused");
        assert!(bad.to_string().to_lowercase().contains("check constraint"), "{bad}");
    }
}

/// Checks that `result` was refused by the unique index `index` (PostgreSQL names it; SQLite
/// names its `columns`, e.g. `votes.user_id, votes.idempotency_key`).
fn refused_by_unique(result: Result<(), DbErr>, index: &str, columns: &str) {
    let error = result.expect_err(&format!("{index} refuses the row"));
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(message))
            if message.contains(&format!("\"{index}\"")) || message.ends_with(columns) => {}
        other => panic!("expected {index} to refuse the row, got {other:?} ({error})"),
    }
}

/// Foreign keys on the ballot tables of this database, as `table.constraint`.
async fn ballot_foreign_keys(db: &DatabaseConnection) -> Vec<String> {
    let sql = "SELECT (conrelid::regclass::text || '.' || conname) AS k FROM pg_constraint \
               WHERE contype = 'f' AND conrelid::regclass::text IN ('votes', 'vote_choices') ORDER BY 1";
    db.query_all_raw(Statement::from_string(sea_orm::DbBackend::Postgres, sql))
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get::<String>("", "k").unwrap())
        .collect()
}

#[tokio::test]
async fn postgres_ballots_carry_no_foreign_keys_and_down_restores_them() {
    let test_db = TestDb::create(Backend::Postgres).await;
    let db = test_db.connect().await;
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(ballot_foreign_keys(&db).await, Vec::<String>::new());

    // Down to the first migration: past every later one and migration 2 (the one that
    // drops the keys).
    let after_the_first = u32::try_from(Migrator::migrations().len() - 1).unwrap();
    Migrator::down(&db, Some(after_the_first)).await.unwrap();
    assert_eq!(
        ballot_foreign_keys(&db).await,
        [
            "vote_choices.vote_choices_option_id_fkey",
            "vote_choices.vote_choices_vote_id_fkey",
            "votes.votes_poll_id_fkey",
            "votes.votes_user_id_fkey",
        ]
    );
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(ballot_foreign_keys(&db).await, Vec::<String>::new());
}

both_backends! {
    async fn the_anonymous_ballots_migration_keeps_every_ballot_and_lets_a_pseudonym_own_one(backend: Backend) {
        let test_db = TestDb::create(backend).await;
        let db = test_db.connect().await;
        // Every migration before `m20261206_000008_anonymous_ballots`.
        let before = u32::try_from(Migrator::migrations().len() - 1).unwrap();
        Migrator::up(&db, Some(before)).await.unwrap();
        let id = |n: u32| {
            let id = format!("'00000000-0000-7000-8000-{n:012}'");
            if backend == Backend::Postgres { format!("{id}::uuid") } else { id }
        };
        let now = "'2026-01-01T00:00:00Z'";
        let user = id(1);
        exec(&db, &format!("INSERT INTO users (id, username, username_key, password_hash, created_at) VALUES ({user}, 'u', 'u', 'h', {now})")).await.unwrap();
        exec(&db, &format!("INSERT INTO polls (id, owner_id, title, kind, min_choices, max_choices, results_visibility, allow_vote_change, created_at, updated_at) VALUES ({}, {user}, 't', 'SINGLE', 1, 1, 'ALWAYS', true, {now}, {now})", id(2))).await.unwrap();
        exec(&db, &format!("INSERT INTO poll_options (id, poll_id, text, position, vote_count) VALUES ({}, {}, 'a', 0, 1)", id(3), id(2))).await.unwrap();
        exec(&db, &format!("INSERT INTO votes (id, poll_id, user_id, idempotency_key, request_hash, cast_at, updated_at) VALUES ({}, {}, {user}, 'k', 'h', {now}, {now})", id(4), id(2))).await.unwrap();
        exec(&db, &format!("INSERT INTO vote_choices (vote_id, option_id, poll_id) VALUES ({}, {}, {})", id(4), id(3), id(2))).await.unwrap();

        Migrator::up(&db, None).await.unwrap();
        // The earlier ballot and its choice are still there (SQLite rebuilt both tables).
        let count = |table: &'static str| {
            let db = &db;
            async move {
                let row = db
                    .query_one_raw(Statement::from_string(db.get_database_backend(), format!("SELECT COUNT(*) AS n FROM {table}")))
                    .await
                    .unwrap()
                    .unwrap();
                row.try_get::<i64>("", "n").unwrap()
            }
        };
        assert_eq!((count("votes").await, count("vote_choices").await), (1, 1));
        // A ballot may now be owned by an id that is no user (a pseudonym) …
        exec(&db, &format!("INSERT INTO votes (id, poll_id, user_id, idempotency_key, request_hash, cast_at, updated_at) VALUES ({}, {}, {}, 'k', 'h', {now}, {now})", id(5), id(2), id(99))).await.unwrap();
        // … while one ballot per owner and poll still holds, and a choice still needs its ballot.
        refused_by_unique(
            exec(&db, &format!("INSERT INTO votes (id, poll_id, user_id, idempotency_key, request_hash, cast_at, updated_at) VALUES ({}, {}, {}, 'k2', 'h', {now}, {now})", id(6), id(2), id(99))).await,
            "uq_votes_poll_user",
            "votes.poll_id, votes.user_id",
        );
        if backend == Backend::Sqlite {
            let orphan = exec(&db, &format!("INSERT INTO vote_choices (vote_id, option_id, poll_id) VALUES ({}, {}, {})", id(77), id(3), id(2))).await;
            assert!(orphan.unwrap_err().to_string().to_lowercase().contains("foreign key"));
        }
        // Deleting a ballot still takes its choices with it.
        exec(&db, &format!("DELETE FROM votes WHERE id = {}", id(4))).await.unwrap();
        if backend == Backend::Sqlite {
            assert_eq!(count("vote_choices").await, 0);
        }
        let rows = db
            .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT ballot_key_id FROM polls"))
            .await
            .unwrap();
        assert_eq!(rows[0].try_get::<Option<String>>("", "ballot_key_id").unwrap(), None);
    }
}
