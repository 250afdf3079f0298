//! Sign-in tokens: what is accepted and what is refused.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{Backend, TEST_JWT_SECRET, TestApp, error_code};

const VIEWER: &str = "{ viewer { id } }";

fn claims(sub: &str, exp_offset: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "sub": sub, "iat": now, "exp": now + exp_offset, "iss": "tally", "aud": "tally-api" })
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn viewer_code(app: &TestApp, token: &str) -> Option<String> {
    let body = app.graphql(Some(token), VIEWER, json!({})).await;
    error_code(&body).map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_minted_with_the_secret_is_accepted() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let user = app.register("alice").await;
    let token = sign(&claims(&user.id, 600), TEST_JWT_SECRET);
    let body = app.graphql(Some(&token), VIEWER, json!({})).await;
    assert_eq!(body["data"]["viewer"]["id"], user.id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_forged_tampered_and_malformed_tokens_are_unauthenticated() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let user = app.register("alice").await;

    let expired = sign(&claims(&user.id, -10), TEST_JWT_SECRET);
    let forged = sign(
        &claims(&user.id, 600),
        "another-secret-another-secret-another-secret",
    );
    let mut wrong_audience = claims(&user.id, 600);
    wrong_audience["aud"] = json!("someone-else");
    let mut wrong_issuer = claims(&user.id, 600);
    wrong_issuer["iss"] = json!("evil");
    let mut no_expiry = claims(&user.id, 600);
    no_expiry.as_object_mut().unwrap().remove("exp");

    // Swap the payload of a valid token for one naming someone else.
    let parts: Vec<&str> = user.token.split('.').collect();
    let other_payload =
        URL_SAFE_NO_PAD.encode(claims(&uuid::Uuid::now_v7().to_string(), 600).to_string());
    let tampered = format!("{}.{}.{}", parts[0], other_payload, parts[2]);
    // The same claims with "alg": "none" and no signature.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    // HS512 with the right secret is still another algorithm.
    let hs512 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims(&user.id, 600),
        &EncodingKey::from_secret(TEST_JWT_SECRET.as_bytes()),
    )
    .unwrap();

    for (what, token) in [
        ("expired", expired),
        ("forged", forged),
        ("wrong audience", sign(&wrong_audience, TEST_JWT_SECRET)),
        ("wrong issuer", sign(&wrong_issuer, TEST_JWT_SECRET)),
        ("no expiry", sign(&no_expiry, TEST_JWT_SECRET)),
        ("tampered", tampered),
        ("alg none", unsigned),
        ("HS512", hs512),
        ("malformed", "not.a.token".to_owned()),
        ("empty", String::new()),
    ] {
        assert_eq!(
            viewer_code(&app, &token).await.as_deref(),
            Some("UNAUTHENTICATED"),
            "{what}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_stops_working_when_its_lifetime_is_over() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let user = app.register("bob").await;
    assert_eq!(viewer_code(&app, &user.token).await, None);
    app.clock
        .advance(Duration::from_secs(app.config.auth.token_ttl_secs + 1));
    assert_eq!(
        viewer_code(&app, &user.token).await.as_deref(),
        Some("UNAUTHENTICATED")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_authorization_scheme_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = app
        .http()
        .post(format!("{}/graphql", app.address))
        .header("authorization", "Basic YWxpY2U6c2VjcmV0")
        .json(&json!({ "query": VIEWER }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_as_nobody_costs_as_much_as_a_wrong_password() {
    // Behaviour, not speed (the machine is shared): an unknown username must run one
    // password verification, as a wrong password does, or its quicker answer would
    // tell an attacker which usernames exist. /metrics counts verifications.
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.register("carol").await;
    let login = "mutation($u: String!) { login(input: { username: $u, password: \"wrong password\" }) { token } }";
    let verifications = async || {
        let text = app.metrics_text().await;
        text.lines()
            .find_map(|line| line.strip_prefix("tally_password_verifications_total "))
            .and_then(|value| value.trim().parse::<u64>().ok())
            .expect("tally_password_verifications_total on /metrics")
    };
    for username in ["carol", "nobody-here"] {
        let before = verifications().await;
        let body = app.graphql(None, login, json!({ "u": username })).await;
        assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
        assert_eq!(
            verifications().await - before,
            1,
            "signing in as {username} with a wrong password verifies one password"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_token_living_longer_than_the_configured_lifetime_is_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let user = app.register("dora").await;
    let ttl = app.config.auth.token_ttl_secs as i64;
    let now = app.clock.now_utc().timestamp();
    let token = |iat: i64, exp: i64| {
        sign(
            &json!({ "sub": user.id, "iat": iat, "exp": exp, "iss": "tally", "aud": "tally-api" }),
            TEST_JWT_SECRET,
        )
    };
    // Exactly the configured lifetime is fine; a second more is not, nor a year.
    assert_eq!(viewer_code(&app, &token(now, now + ttl)).await, None);
    for (what, forged) in [
        ("a second too long", token(now, now + ttl + 1)),
        ("a year long", token(now, now + 365 * 86_400)),
        (
            "issued an hour from now",
            token(now + 3600, now + 3600 + 60),
        ),
        (
            "issued long ago, expiring far ahead",
            token(now - 10 * ttl, now + 60),
        ),
    ] {
        assert_eq!(
            viewer_code(&app, &forged).await.as_deref(),
            Some("UNAUTHENTICATED"),
            "{what}"
        );
    }
    // Clocks differ a little between machines: an `iat` a few seconds ahead is accepted.
    assert_eq!(viewer_code(&app, &token(now + 5, now + 65)).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_of_a_user_that_no_longer_exists_is_refused() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let gone = app.register("gone").await;
    let stays = app.register("stays").await;
    // A token the server signed for an id that never was an account.
    let nobody = sign(
        &claims(&uuid::Uuid::now_v7().to_string(), 600),
        TEST_JWT_SECRET,
    );
    assert_eq!(
        viewer_code(&app, &nobody).await.as_deref(),
        Some("UNAUTHENTICATED")
    );

    assert_eq!(viewer_code(&app, &gone.token).await, None);
    let db = app.db().await;
    db.execute_unprepared(&format!(
        "DELETE FROM users WHERE username = '{}'",
        gone.username
    ))
    .await
    .unwrap();
    // Known users are remembered for a while, so each request need not ask the database.
    app.clock
        .advance(Duration::from_secs(app.config.auth.known_user_ttl_secs + 1));
    assert_eq!(
        viewer_code(&app, &gone.token).await.as_deref(),
        Some("UNAUTHENTICATED")
    );
    let create = "mutation { createPoll(input: {title: \"t\", options: [\"a\", \"b\"]}) { id } }";
    let body = app.graphql(Some(&gone.token), create, json!({})).await;
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{body}");
    assert_eq!(viewer_code(&app, &stays.token).await, None);
}
