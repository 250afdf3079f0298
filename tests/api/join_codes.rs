//! Join codes: every poll has a short code people type to open it; `pollByCode` finds it
//! whatever the case or dashes, and polls from before the migration get one too.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, TestDb, error_code};

const BY_CODE: &str = "query($code: String!) { pollByCode(code: $code) { id title joinCode } }";
const ALPHABET: &str = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

fn well_formed(code: &str) -> bool {
    code.len() == 6 && code.chars().all(|c| ALPHABET.contains(c))
}

both_backends! {
    async fn a_poll_opens_by_its_join_code_typed_any_way(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let mut codes = std::collections::HashSet::new();
        let mut last = None;
        for n in 0..12 {
            let poll = app.create_poll(&owner, json!({ "title": format!("Poll {n}") })).await;
            let body = app.graphql(None, "query($id: ID!) { poll(id: $id) { joinCode } }", json!({ "id": poll["id"] })).await;
            let code = body["data"]["poll"]["joinCode"].as_str().unwrap().to_owned();
            assert!(well_formed(&code), "{code}");
            assert!(codes.insert(code.clone()), "codes are unique");
            last = Some((poll["id"].as_str().unwrap().to_owned(), code));
        }
        let (id, code) = last.unwrap();

        // Anyone, signed in or not, typing it in lower case with a dash.
        let typed = format!("{}-{}", code[..3].to_lowercase(), &code[3..]);
        let body = app.graphql(None, BY_CODE, json!({ "code": typed })).await;
        assert_eq!(body["data"]["pollByCode"]["id"], id.as_str(), "{body}");
        assert_eq!(body["data"]["pollByCode"]["joinCode"], code.as_str());

        // A well-formed code nobody has is null; one that cannot be a code is refused.
        let unused = (0..).map(|n: u32| format!("{:06}", n).chars().map(|c| ALPHABET.as_bytes()[c as usize % 31] as char).collect::<String>())
            .find(|c| !codes.contains(c)).unwrap();
        let body = app.graphql(None, BY_CODE, json!({ "code": unused })).await;
        assert!(body["errors"].is_null(), "{body}");
        assert!(body["data"]["pollByCode"].is_null(), "{body}");
        for bad in ["ABC0EF", "ABC", "ABCDEFGH"] {
            let body = app.graphql(None, BY_CODE, json!({ "code": bad })).await;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{bad}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], "code", "{body}");
        }
    }

    async fn polls_from_before_join_codes_get_one_each(backend: Backend) {
        let test_db = TestDb::create(backend).await;
        let db = test_db.connect().await;
        // Every migration before `m20261207_000011_join_codes`.
        Migrator::up(&db, Some(10)).await.unwrap();
        let id = |n: u32| {
            let id = format!("'00000000-0000-7000-8000-{n:012}'");
            if backend == Backend::Postgres { format!("{id}::uuid") } else { id }
        };
        let now = "'2026-01-01T00:00:00Z'";
        db.execute_unprepared(&format!("INSERT INTO users (id, username, username_key, password_hash, created_at) VALUES ({}, 'u', 'u', 'h', {now})", id(1))).await.unwrap();
        for n in 2..5 {
            db.execute_unprepared(&format!("INSERT INTO polls (id, owner_id, title, kind, min_choices, max_choices, results_visibility, allow_vote_change, created_at, updated_at) VALUES ({}, {}, 'old', 'SINGLE', 1, 1, 'ALWAYS', false, {now}, {now})", id(n), id(1))).await.unwrap();
        }

        Migrator::up(&db, None).await.unwrap();
        let rows = db
            .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT join_code FROM polls"))
            .await
            .unwrap();
        let codes: std::collections::HashSet<String> =
            rows.iter().map(|row| row.try_get::<String>("", "join_code").unwrap()).collect();
        assert_eq!(codes.len(), 3, "{codes:?}");
        assert!(codes.iter().all(|c| well_formed(c)), "{codes:?}");
    }
}
