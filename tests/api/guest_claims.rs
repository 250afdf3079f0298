//! Claiming a guest's ballots into an account: all or nothing, one ballot per voter per
//! poll kept, tallies unchanged, and the guest's token retired.

use futures::future::join_all;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, error_code, option_ids};
use crate::{both_backends, in_process_and_redis};

const CLAIM: &str = "mutation($t: String!) { claimGuestVotes(guestToken: $t) { claimed } }";
const MY_VOTE: &str = "query($id: ID!) { poll(id: $id) { myVote { optionIds } results { totalVotes options { votes } } } }";

async fn poll(app: &TestApp, owner: &TestUser, change: bool) -> (String, Vec<String>) {
    let poll = app
        .create_poll(
            owner,
            json!({ "voters": "GUESTS", "allowVoteChange": change }),
        )
        .await;
    (poll["id"].as_str().unwrap().to_owned(), option_ids(&poll))
}

async fn claim(app: &TestApp, account: Option<&TestUser>, guest_token: &str) -> Value {
    app.graphql(
        account.map(|a| a.token.as_str()),
        CLAIM,
        json!({ "t": guest_token }),
    )
    .await
}

async fn my_vote(app: &TestApp, user: &TestUser, poll: &str) -> Value {
    let body = app
        .graphql(Some(&user.token), MY_VOTE, json!({ "id": poll }))
        .await;
    body["data"]["poll"]["myVote"]["optionIds"].clone()
}

/// Ballots on `poll` held by `user`, counted in the database.
async fn ballots_of(app: &TestApp, user: &TestUser, poll: &str) -> i64 {
    let db = app.db().await;
    let backend = db.get_database_backend();
    let placeholders = match backend {
        sea_orm::DbBackend::Postgres => "user_id = $1 AND poll_id = $2",
        _ => "user_id = ? AND poll_id = ?",
    };
    let (user, poll) = (
        uuid::Uuid::parse_str(&user.id).unwrap(),
        uuid::Uuid::parse_str(poll).unwrap(),
    );
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT COUNT(*) AS n FROM votes WHERE {placeholders}"),
            [user.into(), poll.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    let _ = db.close().await;
    row.try_get::<i64>("", "n").unwrap()
}

both_backends! {
    async fn a_guest_who_signs_up_claims_its_ballots_and_the_tallies_do_not_change(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let (a, a_options) = poll(&app, &owner, false).await;
        let (b, b_options) = poll(&app, &owner, true).await;
        let guest = app.start_guest().await;
        app.cast_vote(&guest, &a, &[&a_options[0]], "k1").await;
        app.cast_vote(&guest, &b, &[&b_options[1]], "k2").await;
        let before = (app.results(None, &a).await, app.results(None, &b).await);

        let account = app.register("ada").await;
        let body = claim(&app, Some(&account), &guest.token).await;
        assert_eq!(body["data"]["claimGuestVotes"]["claimed"], 2, "{body}");
        assert_eq!(my_vote(&app, &account, &a).await, json!([a_options[0]]));
        assert_eq!(my_vote(&app, &account, &b).await, json!([b_options[1]]));
        assert_eq!((app.results(None, &a).await, app.results(None, &b).await), before);
        assert_eq!(app.count_rows("votes").await, 2);

        // The guest is over: its token is refused, and so is a second claim.
        let viewer = app.graphql(Some(&guest.token), "query { viewer { id } }", json!({})).await;
        assert_eq!(error_code(&viewer), Some("UNAUTHENTICATED"), "{viewer}");
        let again = claim(&app, Some(&account), &guest.token).await;
        assert_eq!(error_code(&again), Some("GUEST_ALREADY_CLAIMED"), "{again}");

        // The account holds one ballot per poll: a new key is ALREADY_VOTED, the
        // guest's key replays nothing for it, and a change works on its moved ballot.
        let body = app.cast_vote(&account, &a, &[&a_options[1]], "new").await;
        assert_eq!(error_code(&body), Some("ALREADY_VOTED"), "{body}");
        let body = app.cast_vote(&account, &a, &[&a_options[0]], "k1").await;
        assert_eq!(error_code(&body), Some("ALREADY_VOTED"), "{body}");
        let change = app
            .graphql(Some(&account.token), "mutation($i: ChangeVoteInput!) { changeVote(input: $i) { vote { optionIds } } }",
                json!({ "i": { "pollId": b, "optionIds": [b_options[0]], "idempotencyKey": "c1" } }))
            .await;
        assert_eq!(change["data"]["changeVote"]["vote"]["optionIds"], json!([b_options[0]]), "{change}");
        assert_eq!(ballots_of(&app, &account, &a).await, 1);
    }

    async fn a_claim_that_would_give_the_account_two_ballots_is_refused_and_moves_nothing(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let (a, a_options) = poll(&app, &owner, false).await;
        let (b, b_options) = poll(&app, &owner, false).await;
        let guest = app.start_guest().await;
        let account = app.register("ada").await;
        app.cast_vote(&guest, &a, &[&a_options[0]], "g1").await;
        app.cast_vote(&guest, &b, &[&b_options[0]], "g2").await;
        app.cast_vote(&account, &a, &[&a_options[1]], "a1").await;

        let body = claim(&app, Some(&account), &guest.token).await;
        assert_eq!(error_code(&body), Some("CLAIM_CONFLICT"), "{body}");
        assert_eq!(body["errors"][0]["extensions"]["pollIds"], json!([a]), "{body}");
        // Nothing moved and the guest goes on.
        assert_eq!(my_vote(&app, &account, &b).await, Value::Null);
        assert_eq!(my_vote(&app, &guest, &b).await, json!([b_options[0]]));
        assert_eq!(my_vote(&app, &account, &a).await, json!([a_options[1]]));
        assert_eq!(app.count_rows("votes").await, 3);
    }

    async fn a_claim_needs_an_account_and_a_valid_guest_token(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let account = app.register("ada").await;
        let guest = app.start_guest().await;
        let other = app.start_guest().await;
        for (who, token, code) in [
            (Some(&account), "not a token", "UNAUTHENTICATED"),
            (Some(&account), account.token.as_str(), "UNAUTHENTICATED"),
            (None, guest.token.as_str(), "UNAUTHENTICATED"),
            (Some(&other), guest.token.as_str(), "FORBIDDEN"),
        ] {
            let body = claim(&app, who, token).await;
            assert_eq!(error_code(&body), Some(code), "{body}");
        }
        // None of that spent the guest.
        let body = claim(&app, Some(&account), &guest.token).await;
        assert_eq!(body["data"]["claimGuestVotes"]["claimed"], 0, "{body}");
    }

    async fn concurrent_claims_of_one_guest_move_its_ballots_once(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let (a, options) = poll(&app, &owner, false).await;
        let guest = app.start_guest().await;
        app.cast_vote(&guest, &a, &[&options[0]], "g1").await;
        let accounts = app.register_many("claimer", 4).await;
        let bodies = join_all(accounts.iter().map(|acc| claim(&app, Some(acc), &guest.token))).await;
        let claimed = bodies.iter().filter(|b| b["data"]["claimGuestVotes"]["claimed"] == 1).count();
        let refused = bodies.iter().filter(|b| error_code(b) == Some("GUEST_ALREADY_CLAIMED")).count();
        assert_eq!((claimed, refused), (1, 3), "{bodies:?}");
        assert_eq!(app.count_rows("votes").await, 1);
    }
}

in_process_and_redis! {
    configure = crate::helpers::as_is;

    async fn after_a_claim_the_fast_path_neither_refuses_the_account_nor_lets_it_vote_twice(app: TestApp, redis: bool) {
        let owner = app.register("owner").await;
        let (fixed, fixed_options) = poll(&app, &owner, false).await;
        let (open, open_options) = poll(&app, &owner, true).await;
        let guest = app.start_guest().await;
        let account = app.register("ada").await;
        // Marks under the guest (repeats meet the fast path) and under the account (a
        // ballot it then took back, so it has none on `open`).
        for _ in 0..3 {
            app.cast_vote(&guest, &fixed, &[&fixed_options[0]], "g1").await;
        }
        app.cast_vote(&guest, &open, &[&open_options[0]], "g2").await;
        app.cast_vote(&account, &open, &[&open_options[1]], "a1").await;
        let retract = app
            .graphql(Some(&account.token), "mutation($i: RetractVoteInput!) { retractVote(input: $i) { replayed } }",
                json!({ "i": { "pollId": open, "idempotencyKey": "a2" } }))
            .await;
        assert_eq!(retract["data"]["retractVote"]["replayed"], false, "{retract}");

        let body = claim(&app, Some(&account), &guest.token).await;
        assert_eq!(body["data"]["claimGuestVotes"]["claimed"], 2, "redis: {redis}: {body}");
        // A storm of new keys on both polls: no second ballot anywhere.
        let storm = join_all((0..40).map(|i| {
            let (poll, option) = if i % 2 == 0 { (&fixed, &fixed_options[1]) } else { (&open, &open_options[2]) };
            let (app, account) = (&app, &account);
            async move { app.cast_vote(account, poll, &[option], &format!("s{i}")).await }
        }))
        .await;
        assert!(storm.iter().all(|b| error_code(b) == Some("ALREADY_VOTED")), "redis: {redis}: {storm:?}");
        assert_eq!((ballots_of(&app, &account, &fixed).await, ballots_of(&app, &account, &open).await), (1, 1));
        assert_eq!(my_vote(&app, &account, &open).await, json!([open_options[0]]));
        // And on a poll the guest never voted on, the account is not refused.
        let (fresh, fresh_options) = poll(&app, &owner, false).await;
        let body = app.cast_vote(&account, &fresh, &[&fresh_options[0]], "f1").await;
        assert_eq!(body["data"]["castVote"]["replayed"], false, "{body}");
    }

    async fn a_ballot_the_account_casts_while_a_claim_runs_leaves_it_one_ballot(app: TestApp, redis: bool) {
        let owner = app.register("owner").await;
        for round in 0..5 {
            let (poll_id, options) = poll(&app, &owner, false).await;
            let guest = app.start_guest().await;
            let account = app.register(&format!("racer{round}")).await;
            app.cast_vote(&guest, &poll_id, &[&options[0]], "g").await;
            let casts = join_all((0..10).map(|i| {
                let (app, account, poll_id, option) = (&app, &account, &poll_id, &options[1]);
                async move { app.cast_vote(account, poll_id, &[option], &format!("k{i}")).await }
            }));
            let (claimed, casts) = tokio::join!(claim(&app, Some(&account), &guest.token), casts);
            let recorded = casts.iter().filter(|b| b["data"]["castVote"]["replayed"] == false).count();
            assert!(recorded <= 1, "redis: {redis}: {casts:?}");
            let total = app.results(None, &poll_id).await["data"]["poll"]["results"]["totalVotes"].as_i64().unwrap();
            match error_code(&claimed) {
                // The account's own ballot came first: the guest keeps its own.
                Some("CLAIM_CONFLICT") => assert_eq!((recorded, total), (1, 2)),
                None => assert_eq!((recorded, total, claimed["data"]["claimGuestVotes"]["claimed"].as_i64()), (0, 1, Some(1))),
                other => panic!("redis: {redis}: {other:?} {claimed}"),
            }
            assert_eq!(ballots_of(&app, &account, &poll_id).await, 1);
        }
    }
}

/// Another instance remembers a guest it saw for `TALLY_KNOWN_USER_TTL_SECS`: the claimed
/// guest's token stops working there when that runs out, as the README says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claimed_guests_token_stops_working_on_other_instances_within_the_known_user_ttl() {
    let first = TestApp::spawn(crate::helpers::Backend::Postgres).await;
    let second = TestApp::spawn_beside(&first).await;
    let guest = first.start_guest().await;
    let account = first.register("ada").await;
    let viewer = "query { viewer { id } }";
    let seen = second.graphql(Some(&guest.token), viewer, json!({})).await;
    assert_eq!(seen["data"]["viewer"]["id"], guest.id.as_str(), "{seen}");

    let body = claim(&first, Some(&account), &guest.token).await;
    assert_eq!(body["data"]["claimGuestVotes"]["claimed"], 0, "{body}");
    let here = first.graphql(Some(&guest.token), viewer, json!({})).await;
    assert_eq!(error_code(&here), Some("UNAUTHENTICATED"), "{here}");
    let ttl = std::time::Duration::from_secs(first.config.auth.known_user_ttl_secs + 1);
    second.clock.advance(ttl);
    let there = second.graphql(Some(&guest.token), viewer, json!({})).await;
    assert_eq!(error_code(&there), Some("UNAUTHENTICATED"), "{there}");
}
