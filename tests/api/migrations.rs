//! Migrations: up and down on both databases, and the constraints they create.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

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

async fn exec(db: &DatabaseConnection, sql: &str) -> Result<(), sea_orm::DbErr> {
    db.execute_unprepared(sql).await.map(|_| ())
}

both_backends! {
    async fn migrations_go_up_and_down_and_up_again(backend: Backend) {
        let test_db = TestDb::create(backend).await;
        let db = test_db.connect().await;
        Migrator::up(&db, None).await.unwrap();
        let expected = ["poll_options", "polls", "seaql_migrations", "users", "vote_choices", "vote_events", "votes"];
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
        let now = "'2026-01-01T00:00:00Z'";
        let (user, poll) = ("'00000000-0000-7000-8000-000000000001'", "'00000000-0000-7000-8000-000000000002'");
        let (user, poll) = if backend == Backend::Postgres {
            (format!("{user}::uuid"), format!("{poll}::uuid"))
        } else {
            (user.to_owned(), poll.to_owned())
        };
        exec(&db, &format!("INSERT INTO users (id, username, username_key, password_hash, created_at) VALUES ({user}, 'u', 'u', 'h', {now})")).await.unwrap();
        exec(&db, &format!("INSERT INTO polls (id, owner_id, title, kind, min_choices, max_choices, results_visibility, allow_vote_change, created_at, updated_at) VALUES ({poll}, {user}, 't', 'SINGLE', 1, 1, 'ALWAYS', false, {now}, {now})")).await.unwrap();
        let ballot = |id: &str, key: &str| {
            let id = if backend == Backend::Postgres { format!("'{id}'::uuid") } else { format!("'{id}'") };
            format!("INSERT INTO votes (id, poll_id, user_id, idempotency_key, request_hash, cast_at, updated_at) VALUES ({id}, {poll}, {user}, '{key}', 'h', {now}, {now})")
        };
        exec(&db, &ballot("00000000-0000-7000-8000-000000000003", "k1")).await.unwrap();
        // Same user, same poll, another key: one ballot per user per poll.
        assert!(exec(&db, &ballot("00000000-0000-7000-8000-000000000004", "k2")).await.is_err());
        // A poll with min_choices above max_choices is refused by a CHECK.
        let bad_poll = exec(&db, &format!("INSERT INTO polls (id, owner_id, title, kind, min_choices, max_choices, results_visibility, allow_vote_change, created_at, updated_at) VALUES ({}, {user}, 't', 'SINGLE', 3, 2, 'ALWAYS', false, {now}, {now})", poll.replace("0002", "0009"))).await;
        assert!(bad_poll.is_err());
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

    Migrator::down(&db, Some(1)).await.unwrap();
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
