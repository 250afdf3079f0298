//! Guests: a proof-of-work challenge buys a guest session, which votes where the poll
//! admits guests, exactly once however many calls it sends at once.

use std::time::Duration;

use futures::future::join_all;
use serde_json::{Value, json};
use tally::auth::proof_of_work::{meets, solve};

use crate::helpers::{TestApp, TestUser, error_code, option_ids};
use crate::ws_support::{WIDE_RESULTS, WsClient};
use crate::{both_backends, in_process_and_redis};

const VIEWER: &str = "query { viewer { id username isGuest } }";

async fn guests_poll(app: &TestApp, owner: &TestUser, voters: &str) -> (String, Vec<String>) {
    let poll = app.create_poll(owner, json!({ "voters": voters })).await;
    (poll["id"].as_str().unwrap().to_owned(), option_ids(&poll))
}

/// The smallest nonce that does *not* meet the difficulty.
fn wrong_nonce(salt: &str, difficulty: u32) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|n| !meets(salt, n, difficulty))
        .unwrap()
}

both_backends! {
    async fn a_solved_challenge_starts_a_guest_session_that_votes_on_a_guests_poll(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let (poll, options) = guests_poll(&app, &owner, "GUESTS").await;

        let guest = app.start_guest().await;
        let viewer = app.graphql(Some(&guest.token), VIEWER, json!({})).await;
        assert_eq!(viewer["data"]["viewer"]["isGuest"], true, "{viewer}");
        let name = viewer["data"]["viewer"]["username"].as_str().unwrap();
        assert!(name.starts_with("guest-") && name.len() == 14, "{name}");
        let account = app.graphql(Some(&owner.token), VIEWER, json!({})).await;
        assert_eq!(account["data"]["viewer"]["isGuest"], false);

        let body = app.cast_vote(&guest, &poll, &[&options[0]], "g1").await;
        assert_eq!(body["data"]["castVote"]["replayed"], false, "{body}");
        let results = app.results(None, &poll).await;
        assert_eq!(results["data"]["poll"]["results"]["totalVotes"], 1, "{results}");
        // The guest sees its own ballot, as any voter does.
        let mine = app
            .graphql(Some(&guest.token), "query($id: ID!) { poll(id: $id) { myVote { optionIds } } }", json!({ "id": poll }))
            .await;
        assert_eq!(mine["data"]["poll"]["myVote"]["optionIds"], json!([options[0]]), "{mine}");
    }

    async fn a_guest_is_refused_on_a_poll_for_accounts_and_an_account_is_not(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let (poll, options) = guests_poll(&app, &owner, "ACCOUNTS").await;
        let guest = app.start_guest().await;
        let body = app.cast_vote(&guest, &poll, &[&options[0]], "g1").await;
        assert_eq!(error_code(&body), Some("GUESTS_NOT_ALLOWED"), "{body}");
        assert_eq!(app.count_rows("votes").await, 0);
        let body = app.cast_vote(&owner, &poll, &[&options[0]], "a1").await;
        assert_eq!(body["data"]["castVote"]["replayed"], false, "{body}");
        // An invite-only poll admits guests as far as being a guest goes.
        let (invited, _) = guests_poll(&app, &owner, "INVITED").await;
        let body = app.cast_vote(&guest, &invited, &[&options[0]], "g2").await;
        assert_ne!(error_code(&body), Some("GUESTS_NOT_ALLOWED"), "{body}");
    }

    async fn the_proof_of_work_is_refused_when_missing_malformed_wrong_forged_reused_or_expired(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (challenge, salt, difficulty) = app.guest_challenge().await;
        let nonce = solve(&salt, difficulty);
        let code = |body: Value| error_code(&body).map(str::to_owned);

        // Missing or not in the shape the server issues.
        for (c, n) in [("", nonce.as_str()), (challenge.as_str(), ""), (challenge.as_str(), "12a"), ("v1.x", "1")] {
            let body = app.start_guest_session(c, n).await;
            assert_eq!(code(body.clone()).as_deref(), Some("PROOF_OF_WORK_REQUIRED"), "{c:?} {n:?}: {body}");
        }
        // A nonce without enough zero bits.
        let body = app.start_guest_session(&challenge, &wrong_nonce(&salt, difficulty)).await;
        assert_eq!(code(body).as_deref(), Some("PROOF_OF_WORK_INVALID"));
        // A challenge whose salt was changed (and solved): the signature no longer holds.
        let other_salt: String = salt.chars().rev().collect();
        let forged = challenge.replacen(&salt, &other_salt, 1);
        let body = app.start_guest_session(&forged, &solve(&other_salt, difficulty)).await;
        assert_eq!(code(body).as_deref(), Some("PROOF_OF_WORK_INVALID"));
        // Refusals spend nothing: the challenge still works once, and only once.
        let body = app.start_guest_session(&challenge, &nonce).await;
        assert!(body["data"]["startGuestSession"]["token"].is_string(), "{body}");
        let body = app.start_guest_session(&challenge, &nonce).await;
        assert_eq!(code(body).as_deref(), Some("PROOF_OF_WORK_REUSED"));
        assert_eq!(app.count_rows("users").await, 1);

        // Expiry, by the app's clock.
        let (late, salt, difficulty) = app.guest_challenge().await;
        app.clock.advance(Duration::from_secs(app.config.guests.challenge_ttl_secs + 1));
        let body = app.start_guest_session(&late, &solve(&salt, difficulty)).await;
        assert_eq!(code(body).as_deref(), Some("PROOF_OF_WORK_EXPIRED"));
    }

    async fn a_challenge_spent_at_once_from_many_calls_makes_one_guest(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let (challenge, salt, difficulty) = app.guest_challenge().await;
        let nonce = solve(&salt, difficulty);
        let bodies = join_all((0..20).map(|_| app.start_guest_session(&challenge, &nonce))).await;
        let started = bodies.iter().filter(|b| b["data"]["startGuestSession"].is_object()).count();
        let reused = bodies.iter().filter(|b| error_code(b) == Some("PROOF_OF_WORK_REUSED")).count();
        assert_eq!((started, reused), (1, 19), "{bodies:?}");
        assert_eq!(app.count_rows("users").await, 1);
    }

    async fn a_guest_cannot_create_polls_unless_the_setting_allows_it(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let guest = app.start_guest().await;
        let create = "mutation { createPoll(input: { title: \"t\", options: [\"a\", \"b\"] }) { id owner { isGuest } } }";
        let body = app.graphql(Some(&guest.token), create, json!({})).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
        assert_eq!(app.count_rows("polls").await, 0);

        let open = TestApp::spawn_with(backend, |c| c.guests.can_create_polls = true).await;
        let guest = open.start_guest().await;
        let body = open.graphql(Some(&guest.token), create, json!({})).await;
        assert_eq!(body["data"]["createPoll"]["owner"]["isGuest"], true, "{body}");
    }

    async fn a_guest_watches_live_results_over_the_websocket_with_its_token(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let (poll, options) = guests_poll(&app, &owner, "GUESTS").await;
        let guest = app.start_guest().await;
        let mut ws = WsClient::ready(&app, Some(&guest.token)).await;
        ws.send(json!({
            "id": "r", "type": "subscribe",
            "payload": { "query": WIDE_RESULTS, "variables": { "id": poll } },
        }))
        .await;
        assert_eq!(ws.next_results("r").await["totalVotes"], 0);
        let body = app.cast_vote(&guest, &poll, &[&options[1]], "g1").await;
        assert_eq!(body["data"]["castVote"]["replayed"], false, "{body}");
        assert_eq!(ws.next_results("r").await["totalVotes"], 1);
    }

    async fn a_guest_has_no_password_to_sign_in_with(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let guest = app.start_guest().await;
        for password in ["", "!guest", "correct horse battery"] {
            let body = app
                .graphql(None, "mutation($u: String!, $p: String!) { login(input: { username: $u, password: $p }) { token } }", json!({ "u": guest.username, "p": password }))
                .await;
            assert_eq!(error_code(&body), Some("INVALID_CREDENTIALS"), "{body}");
        }
    }
}

/// The rate limit tests' configuration: limits on, two guest sessions per address.
fn two_guest_sessions(config: &mut tally::config::Config) {
    config.rate_limits.enabled = true;
    config.rate_limits.guest_session_per_minute = 1;
    config.rate_limits.guest_session_burst = 2;
    config.rate_limits.vote_burst = 1_000;
    config.rate_limits.vote_per_minute = 60_000;
}

in_process_and_redis! {
    configure = two_guest_sessions;

    async fn guest_sessions_are_rate_limited_per_client_address(app: TestApp, redis: bool) {
        app.start_guest().await;
        app.start_guest().await;
        let (challenge, salt, difficulty) = app.guest_challenge().await;
        let body = app.start_guest_session(&challenge, &solve(&salt, difficulty)).await;
        assert_eq!(error_code(&body), Some("RATE_LIMITED"), "redis: {redis}: {body}");
        assert!(body["errors"][0]["extensions"]["retryAfterSeconds"].as_u64().unwrap() >= 1);
    }

    async fn a_guests_storm_of_200_concurrent_calls_makes_one_ballot(app: TestApp, redis: bool) {
        let owner = app.register("owner").await;
        let (poll, options) = guests_poll(&app, &owner, "GUESTS").await;
        let guest = app.start_guest().await;
        let bodies = join_all((0..200).map(|i| {
            let key = format!("storm-{i}");
            let (app, guest, poll, option) = (&app, &guest, &poll, &options[i % 2]);
            async move { app.cast_vote(guest, poll, &[option], &key).await }
        }))
        .await;
        let recorded = bodies.iter().filter(|b| b["data"]["castVote"]["replayed"] == false).count();
        let refused = bodies.iter().filter(|b| error_code(b) == Some("ALREADY_VOTED")).count();
        assert_eq!((recorded, refused), (1, 199), "redis: {redis}: {:?}", bodies.iter().find(|b| error_code(b) != Some("ALREADY_VOTED")));
        assert_eq!(app.count_rows("votes").await, 1);
        let results = app.results(None, &poll).await;
        assert_eq!(results["data"]["poll"]["results"]["totalVotes"], 1, "{results}");
    }
}

/// The web app's solver (`frontend/src/lib/proofOfWork.ts`) is tested against vectors
/// computed with Python's hashlib; the server's check must accept exactly those nonces
/// as the smallest. Read from the frontend's test file, so the two cannot drift apart.
#[test]
fn the_servers_check_agrees_with_the_web_apps_vectors() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../frontend/src/lib/proofOfWork.test.ts"
    );
    let source = std::fs::read_to_string(path).unwrap();
    let table = source.split("const VECTORS").nth(1).unwrap();
    let table = &table[..table.find("];").unwrap()];
    let vectors: Vec<(String, u32, String)> = table
        .lines()
        .filter_map(|line| {
            let row = line.trim().strip_prefix('[')?;
            let row = &row[..row.rfind(']')?];
            let mut fields = row.split(", ");
            let salt = fields.next()?.trim_matches('\'').to_owned();
            let difficulty = fields.next()?.parse().ok()?;
            let nonce = fields.next()?.trim_matches('\'').to_owned();
            Some((salt, difficulty, nonce))
        })
        .collect();
    assert!(vectors.len() >= 5, "vectors read: {vectors:?}");
    for (salt, difficulty, nonce) in vectors {
        assert_eq!(
            solve(&salt, difficulty),
            nonce,
            "{salt:?} at {difficulty} bits"
        );
        assert!(meets(&salt, &nonce, difficulty));
    }
}
