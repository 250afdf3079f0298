//! Sign-up, sign-in and `viewer`.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, error_code, without_cost};

const REGISTER: &str = "mutation($input: RegisterInput!) { register(input: $input) { token expiresAt user { id username createdAt } } }";
const LOGIN: &str = "mutation($input: LoginInput!) { login(input: $input) { token expiresAt user { id username } } }";
const VIEWER: &str = "{ viewer { id username } }";

both_backends! {
    async fn a_new_user_registers_signs_in_and_is_the_viewer(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let registered = app
            .graphql(None, REGISTER, json!({ "input": { "username": "Ada_Lovelace", "password": "analytical engine" } }))
            .await;
        let user = &registered["data"]["register"]["user"];
        assert_eq!(user["username"], "Ada_Lovelace");
        assert!(registered["data"]["register"]["expiresAt"].is_string());

        // Usernames are matched without case at sign-in.
        let login = app
            .graphql(None, LOGIN, json!({ "input": { "username": "ada_lovelace", "password": "analytical engine" } }))
            .await;
        let token = login["data"]["login"]["token"].as_str().unwrap();
        assert_eq!(login["data"]["login"]["user"]["id"], user["id"]);

        let viewer = app.graphql(Some(token), VIEWER, json!({})).await;
        assert_eq!(viewer["data"]["viewer"]["id"], user["id"]);
        assert_eq!(viewer["data"]["viewer"]["username"], "Ada_Lovelace");

        let anonymous = app.graphql(None, VIEWER, json!({})).await;
        assert_eq!(without_cost(anonymous), json!({ "data": { "viewer": null } }));
    }

    async fn usernames_are_unique_regardless_of_case(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        app.register("grace").await;
        let again = app
            .graphql(None, REGISTER, json!({ "input": { "username": "GRACE", "password": "another password" } }))
            .await;
        assert_eq!(error_code(&again), Some("USERNAME_TAKEN"));
        assert_eq!(app.count_rows("users").await, 1);
    }

    async fn concurrent_sign_ups_for_one_name_create_one_account(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let attempts = (0..8).map(|i| {
            let name = if i % 2 == 0 { "linus" } else { "LINUS" };
            app.graphql(None, REGISTER, json!({ "input": { "username": name, "password": "kernel hacker" } }))
        });
        let results = futures::future::join_all(attempts).await;
        let created = results.iter().filter(|r| r["data"]["register"].is_object()).count();
        let taken = results.iter().filter(|r| error_code(r) == Some("USERNAME_TAKEN")).count();
        assert_eq!((created, taken), (1, 7), "{results:?}");
        assert_eq!(app.count_rows("users").await, 1);
    }

    async fn bad_usernames_are_refused_and_nothing_is_stored(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let long = "a".repeat(33);
        // "аdmin" with a Cyrillic "а" looks like "admin".
        for username in ["", "ab", long.as_str(), "\u{0430}dmin", "ada lovelace", "ada@home", "ｆｕｌｌ"] {
            let body = app
                .graphql(None, REGISTER, json!({ "input": { "username": username, "password": "long enough" } }))
                .await;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{username:?}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], "input.username");
            assert_eq!(body["data"], serde_json::Value::Null);
        }
        assert_eq!(app.count_rows("users").await, 0);
    }

    async fn passwords_outside_8_to_128_characters_are_refused(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let long = "p".repeat(129);
        for password in ["", "short", "1234567", long.as_str()] {
            let body = app
                .graphql(None, REGISTER, json!({ "input": { "username": "hopper", "password": password } }))
                .await;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"));
            assert_eq!(body["errors"][0]["extensions"]["field"], "input.password");
        }
        assert_eq!(app.count_rows("users").await, 0);
    }

    async fn wrong_password_and_unknown_user_get_the_same_error(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        app.register("turing").await;
        let wrong_password = app
            .graphql(None, LOGIN, json!({ "input": { "username": "turing", "password": "not the password" } }))
            .await;
        let unknown_user = app
            .graphql(None, LOGIN, json!({ "input": { "username": "nobody", "password": "not the password" } }))
            .await;
        let impossible_user = app
            .graphql(None, LOGIN, json!({ "input": { "username": "x", "password": "y" } }))
            .await;
        for body in [&wrong_password, &unknown_user, &impossible_user] {
            assert_eq!(error_code(body), Some("INVALID_CREDENTIALS"), "{body}");
            assert_eq!(body["errors"][0]["message"], wrong_password["errors"][0]["message"]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_passwords_are_argon2id_hashes() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.register("knuth").await;
    let db = app.db().await;
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT password_hash FROM users",
        ))
        .await
        .unwrap()
        .unwrap();
    let hash: String = row.try_get("", "password_hash").unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains("correct horse"));
}
