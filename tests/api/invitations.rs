//! Invite-only polls: the owner issues single-use invitations (counted or named), each
//! voter redeems one and votes once; revoked, reused and unknown codes are refused with
//! their codes, and the owner sees counts, never who.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, TestUser, error_code, option_ids};

const CREATE: &str = "mutation($input: CreateInvitationsInput!) { createInvitations(input: $input) { id name code link status createdAt redeemedAt } }";
const REDEEM: &str =
    "mutation($code: String!) { redeemInvitation(code: $code) { id viewerInvited } }";
const REVOKE: &str = "mutation($id: ID!) { revokeInvitation(id: $id) { id status } }";
const COUNTS: &str =
    "query($id: ID!) { poll(id: $id) { invitationCounts { issued redeemed voted revoked } } }";
const LIST: &str = "query($id: ID!, $first: Int, $after: String) { poll(id: $id) { invitations(first: $first, after: $after) { edges { cursor node { id name code status redeemedAt } } pageInfo { hasNextPage hasPreviousPage endCursor } } } }";
const CHANGE: &str =
    "mutation($input: ChangeVoteInput!) { changeVote(input: $input) { replayed vote { id } } }";

/// An `INVITED` poll of `owner`, allowing vote changes.
async fn invited_poll(app: &TestApp, owner: &TestUser) -> Value {
    app.create_poll(
        owner,
        json!({ "voters": "INVITED", "allowVoteChange": true }),
    )
    .await
}

fn id(value: &Value) -> &str {
    value["id"].as_str().unwrap()
}

/// Creates invitations and returns them (panics on an error).
async fn create(app: &TestApp, owner: &TestUser, input: Value) -> Vec<Value> {
    let body = app
        .graphql(Some(&owner.token), CREATE, json!({ "input": input }))
        .await;
    body["data"]["createInvitations"]
        .as_array()
        .unwrap_or_else(|| panic!("createInvitations failed: {body}"))
        .clone()
}

async fn redeem(app: &TestApp, user: &TestUser, code: &str) -> Value {
    app.graphql(Some(&user.token), REDEEM, json!({ "code": code }))
        .await
}

async fn counts(app: &TestApp, owner: &TestUser, poll: &str) -> Value {
    let body = app
        .graphql(Some(&owner.token), COUNTS, json!({ "id": poll }))
        .await;
    body["data"]["poll"]["invitationCounts"].clone()
}

both_backends! {
    async fn an_invitation_admits_one_voter_who_votes_once(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let other = app.register("other").await;
        let poll = invited_poll(&app, &owner).await;
        let options = option_ids(&poll);

        // Counted ones, then named ones: each with a code and a link to it.
        let counted = create(&app, &owner, json!({ "pollId": id(&poll), "count": 3 })).await;
        assert_eq!(counted.len(), 3);
        let named = create(&app, &owner, json!({ "pollId": id(&poll), "names": ["Ann", "Bob"] })).await;
        let names: Vec<&Value> = named.iter().map(|i| &i["name"]).collect();
        assert_eq!(names, [&json!("Ann"), &json!("Bob")]);
        for invitation in counted.iter().chain(&named) {
            let code = invitation["code"].as_str().unwrap();
            assert_eq!(invitation["status"], "PENDING");
            assert_eq!(invitation["link"], format!("http://localhost:5173/i/{code}"));
            assert!(invitation["redeemedAt"].is_null());
        }
        let codes: std::collections::HashSet<&str> =
            counted.iter().chain(&named).map(|i| i["code"].as_str().unwrap()).collect();
        assert_eq!(codes.len(), 5, "every code differs");

        // Without an invitation: NOT_INVITED.
        let refused = app.cast_vote(&voter, id(&poll), &[&options[0]], "k0").await;
        assert_eq!(error_code(&refused), Some("NOT_INVITED"), "{refused}");

        // Redeemed: the voter is invited, and votes once.
        let code = counted[0]["code"].as_str().unwrap();
        let redeemed = redeem(&app, &voter, code).await;
        assert_eq!(redeemed["data"]["redeemInvitation"]["id"], id(&poll), "{redeemed}");
        assert_eq!(redeemed["data"]["redeemInvitation"]["viewerInvited"], true);
        // Redeeming again is a no-op success.
        let again = redeem(&app, &voter, code).await;
        assert_eq!(again["data"]["redeemInvitation"]["id"], id(&poll), "{again}");
        let cast = app.cast_vote(&voter, id(&poll), &[&options[0]], "k1").await;
        assert!(cast["data"]["castVote"]["vote"]["id"].is_string(), "{cast}");
        let second = app.cast_vote(&voter, id(&poll), &[&options[1]], "k2").await;
        assert_eq!(error_code(&second), Some("ALREADY_VOTED"), "{second}");
        // The holder may change their ballot; someone else may not even try.
        let changed = app
            .graphql(Some(&voter.token), CHANGE, json!({ "input": { "pollId": id(&poll), "optionIds": [&options[1]], "idempotencyKey": "k3" } }))
            .await;
        assert!(changed["data"]["changeVote"]["vote"]["id"].is_string(), "{changed}");
        let stranger_change = app
            .graphql(Some(&other.token), CHANGE, json!({ "input": { "pollId": id(&poll), "optionIds": [&options[1]], "idempotencyKey": "k4" } }))
            .await;
        assert_eq!(error_code(&stranger_change), Some("NOT_INVITED"), "{stranger_change}");

        // The same code for another voter: taken.
        let reused = redeem(&app, &other, code).await;
        assert_eq!(error_code(&reused), Some("INVITATION_ALREADY_REDEEMED"), "{reused}");
        let viewer_invited = app
            .graphql(Some(&other.token), "query($id: ID!) { poll(id: $id) { viewerInvited } }", json!({ "id": id(&poll) }))
            .await;
        assert_eq!(viewer_invited["data"]["poll"]["viewerInvited"], false);

        // A voter holding one keeps it when redeeming a second code, which stays unused.
        let second_code = counted[1]["code"].as_str().unwrap();
        let extra = redeem(&app, &voter, second_code).await;
        assert_eq!(extra["data"]["redeemInvitation"]["id"], id(&poll), "{extra}");
        let listed = app.graphql(Some(&owner.token), LIST, json!({ "id": id(&poll) })).await;
        let statuses: Vec<&Value> = listed["data"]["poll"]["invitations"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"]["status"])
            .collect();
        assert_eq!(statuses, ["REDEEMED", "PENDING", "PENDING", "PENDING", "PENDING"], "{listed}");
        let other_redeems = redeem(&app, &other, second_code).await;
        assert_eq!(other_redeems["data"]["redeemInvitation"]["id"], id(&poll), "{other_redeems}");
    }

    async fn revoked_unknown_and_redeemed_invitations_are_refused_with_their_codes(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = invited_poll(&app, &owner).await;
        let made = create(&app, &owner, json!({ "pollId": id(&poll), "count": 2 })).await;

        let revoked = app.graphql(Some(&owner.token), REVOKE, json!({ "id": id(&made[0]) })).await;
        assert_eq!(revoked["data"]["revokeInvitation"]["status"], "REVOKED", "{revoked}");
        // Revoking twice changes nothing.
        let twice = app.graphql(Some(&owner.token), REVOKE, json!({ "id": id(&made[0]) })).await;
        assert_eq!(twice["data"]["revokeInvitation"]["status"], "REVOKED", "{twice}");
        let refused = redeem(&app, &voter, made[0]["code"].as_str().unwrap()).await;
        assert_eq!(error_code(&refused), Some("INVITATION_REVOKED"), "{refused}");

        // Unknown codes, whatever their shape: a forged MAC, garbage, nothing.
        let code = made[1]["code"].as_str().unwrap();
        let mut forged: Vec<char> = code.chars().collect();
        let last = forged.len() - 1;
        forged[last] = if forged[last] == 'A' { 'B' } else { 'A' };
        let forged: String = forged.into_iter().collect();
        for unknown in [forged.as_str(), "nonsense", "", &"x".repeat(5000)] {
            let body = redeem(&app, &voter, unknown).await;
            assert_eq!(error_code(&body), Some("INVITATION_NOT_FOUND"), "{unknown}: {body}");
        }

        // Redeemed, it cannot be revoked.
        let redeemed = redeem(&app, &voter, code).await;
        assert!(redeemed["data"]["redeemInvitation"].is_object(), "{redeemed}");
        let late = app.graphql(Some(&owner.token), REVOKE, json!({ "id": id(&made[1]) })).await;
        assert_eq!(error_code(&late), Some("INVITATION_ALREADY_REDEEMED"), "{late}");
        // And only the owner revokes.
        let stranger = app.graphql(Some(&voter.token), REVOKE, json!({ "id": id(&made[1]) })).await;
        assert_eq!(error_code(&stranger), Some("FORBIDDEN"), "{stranger}");
        let missing = app.graphql(Some(&owner.token), REVOKE, json!({ "id": "00000000-0000-7000-8000-000000000000" })).await;
        assert_eq!(error_code(&missing), Some("NOT_FOUND"), "{missing}");
        // Signed out, nothing is redeemed.
        let anonymous = app.graphql(None, REDEEM, json!({ "code": code })).await;
        assert_eq!(error_code(&anonymous), Some("UNAUTHENTICATED"), "{anonymous}");
    }

    async fn the_owner_sees_counts_and_nobody_else_sees_invitations(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voters = app.register_many("voter", 3).await;
        let poll = invited_poll(&app, &owner).await;
        let options = option_ids(&poll);
        let made = create(&app, &owner, json!({ "pollId": id(&poll), "count": 5 })).await;
        assert_eq!(counts(&app, &owner, id(&poll)).await, json!({ "issued": 5, "redeemed": 0, "voted": 0, "revoked": 0 }));

        for (voter, invitation) in voters.iter().zip(&made) {
            let body = redeem(&app, voter, invitation["code"].as_str().unwrap()).await;
            assert!(body["data"]["redeemInvitation"].is_object(), "{body}");
        }
        app.graphql(Some(&owner.token), REVOKE, json!({ "id": id(&made[4]) })).await;
        for (i, voter) in voters.iter().take(2).enumerate() {
            let cast = app.cast_vote(voter, id(&poll), &[&options[i]], "k").await;
            assert!(cast["data"]["castVote"]["vote"].is_object(), "{cast}");
        }
        assert_eq!(counts(&app, &owner, id(&poll)).await, json!({ "issued": 5, "redeemed": 3, "voted": 2, "revoked": 1 }));

        // Anyone else: counts are null, the list is FORBIDDEN, `node` shows nothing.
        let stranger = &voters[0];
        assert_eq!(counts(&app, stranger, id(&poll)).await, Value::Null);
        let listed = app.graphql(Some(&stranger.token), LIST, json!({ "id": id(&poll) })).await;
        assert_eq!(error_code(&listed), Some("FORBIDDEN"), "{listed}");
        let signed_out = app.graphql(None, LIST, json!({ "id": id(&poll) })).await;
        assert_eq!(error_code(&signed_out), Some("FORBIDDEN"), "{signed_out}");
        let node = "query($id: ID!) { node(id: $id) { ... on Invitation { id status } } }";
        let hidden = app.graphql(Some(&stranger.token), node, json!({ "id": id(&made[0]) })).await;
        assert_eq!(hidden["data"]["node"], Value::Null, "{hidden}");
        let shown = app.graphql(Some(&owner.token), node, json!({ "id": id(&made[0]) })).await;
        assert_eq!(shown["data"]["node"]["status"], "REDEEMED", "{shown}");
        let create_as_stranger = app.graphql(Some(&stranger.token), CREATE, json!({ "input": { "pollId": id(&poll), "count": 1 } })).await;
        assert_eq!(error_code(&create_as_stranger), Some("FORBIDDEN"), "{create_as_stranger}");

        // The owner pages through them, oldest first, with the codes again.
        let first = app.graphql(Some(&owner.token), LIST, json!({ "id": id(&poll), "first": 3 })).await;
        let connection = &first["data"]["poll"]["invitations"];
        assert_eq!(connection["pageInfo"]["hasNextPage"], true, "{first}");
        let rest = app
            .graphql(Some(&owner.token), LIST, json!({ "id": id(&poll), "first": 3, "after": connection["pageInfo"]["endCursor"] }))
            .await;
        let rest_connection = &rest["data"]["poll"]["invitations"];
        assert_eq!(rest_connection["pageInfo"]["hasNextPage"], false, "{rest}");
        assert_eq!(rest_connection["pageInfo"]["hasPreviousPage"], true, "{rest}");
        let codes: Vec<&Value> = connection["edges"].as_array().unwrap().iter()
            .chain(rest_connection["edges"].as_array().unwrap())
            .map(|e| &e["node"]["code"])
            .collect();
        let made_codes: Vec<&Value> = made.iter().map(|i| &i["code"]).collect();
        assert_eq!(codes, made_codes);
        // The owner never sees who redeemed: no such field exists.
        let who = app.graphql(Some(&owner.token), "query($id: ID!) { poll(id: $id) { invitations { edges { node { redeemedBy { id } } } } } }", json!({ "id": id(&poll) })).await;
        assert_eq!(error_code(&who), Some("GRAPHQL_VALIDATION_FAILED"), "{who}");
    }

    async fn invitation_input_is_checked_against_its_limits(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.invitations.max_per_call = 4;
            c.invitations.max_per_poll = 6;
        })
        .await;
        let owner = app.register("owner").await;
        let poll = invited_poll(&app, &owner).await;
        let open = app.create_poll(&owner, json!({})).await;
        let refused = |input: Value, code: &'static str, field: Option<&'static str>| {
            let app = &app;
            let owner = &owner;
            async move {
                let body = app.graphql(Some(&owner.token), CREATE, json!({ "input": input })).await;
                assert_eq!(error_code(&body), Some(code), "{input}: {body}");
                if let Some(field) = field {
                    assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
                }
            }
        };
        refused(json!({ "pollId": id(&poll) }), "BAD_USER_INPUT", Some("input.count")).await;
        refused(json!({ "pollId": id(&poll), "count": 1, "names": ["a"] }), "BAD_USER_INPUT", Some("input.names")).await;
        refused(json!({ "pollId": id(&poll), "count": 5 }), "BAD_USER_INPUT", Some("input.count")).await;
        refused(json!({ "pollId": id(&poll), "count": 0 }), "BAD_USER_INPUT", Some("input.count")).await;
        refused(json!({ "pollId": id(&poll), "names": ["a", "b", "c", "d", "e"] }), "BAD_USER_INPUT", Some("input.names")).await;
        refused(json!({ "pollId": id(&poll), "names": ["a", "x".repeat(101)] }), "BAD_USER_INPUT", Some("input.names.1")).await;
        refused(json!({ "pollId": id(&poll), "names": ["a\u{202E}b"] }), "BAD_USER_INPUT", Some("input.names.0")).await;
        refused(json!({ "pollId": id(&open), "count": 1 }), "BAD_USER_INPUT", Some("input.pollId")).await;
        refused(json!({ "pollId": "nope", "count": 1 }), "BAD_USER_INPUT", Some("input.pollId")).await;
        refused(json!({ "pollId": "00000000-0000-7000-8000-000000000000", "count": 1 }), "NOT_FOUND", None).await;

        // Six per poll in all: four, then two more, then none.
        assert_eq!(create(&app, &owner, json!({ "pollId": id(&poll), "count": 4 })).await.len(), 4);
        refused(json!({ "pollId": id(&poll), "count": 3 }), "LIMIT_REACHED", None).await;
        assert_eq!(create(&app, &owner, json!({ "pollId": id(&poll), "count": 2 })).await.len(), 2);
        refused(json!({ "pollId": id(&poll), "count": 1 }), "LIMIT_REACHED", None).await;
        let page = app.graphql(Some(&owner.token), LIST, json!({ "id": id(&poll), "first": 101 })).await;
        assert_eq!(error_code(&page), Some("BAD_USER_INPUT"), "{page}");
        let bad_cursor = app.graphql(Some(&owner.token), LIST, json!({ "id": id(&poll), "after": "nonsense" })).await;
        assert_eq!(error_code(&bad_cursor), Some("BAD_USER_INPUT"), "{bad_cursor}");
    }

    async fn twenty_voters_racing_for_one_code_leave_exactly_one_holder(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voters = app.register_many("racer", 20).await;
        let poll = invited_poll(&app, &owner).await;
        let made = create(&app, &owner, json!({ "pollId": id(&poll), "count": 1 })).await;
        let code = made[0]["code"].as_str().unwrap().to_owned();

        let start = std::sync::Arc::new(tokio::sync::Barrier::new(voters.len()));
        let calls = voters.iter().cloned().map(|voter| {
            let (app, code, start) = (&app, code.clone(), start.clone());
            async move {
                start.wait().await;
                redeem(app, &voter, &code).await
            }
        });
        let answers = futures::future::join_all(calls).await;
        let won = answers.iter().filter(|a| a["data"]["redeemInvitation"].is_object()).count();
        let lost = answers
            .iter()
            .filter(|a| error_code(a) == Some("INVITATION_ALREADY_REDEEMED"))
            .count();
        assert_eq!((won, lost), (1, 19), "{answers:#?}");
        assert_eq!(counts(&app, &owner, id(&poll)).await["redeemed"], 1);
    }
}

both_backends! {
    async fn a_guest_redeems_an_invitation_and_votes_once(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let guest = app.start_guest().await;
        let poll = invited_poll(&app, &owner).await;
        let options = option_ids(&poll);
        let made = create(&app, &owner, json!({ "pollId": id(&poll), "names": ["Visitor"] })).await;

        let refused = app.cast_vote(&guest, id(&poll), &[&options[0]], "g1").await;
        assert_eq!(error_code(&refused), Some("NOT_INVITED"), "{refused}");
        let redeemed = redeem(&app, &guest, made[0]["code"].as_str().unwrap()).await;
        assert_eq!(redeemed["data"]["redeemInvitation"]["viewerInvited"], true, "{redeemed}");
        let cast = app.cast_vote(&guest, id(&poll), &[&options[0]], "g1").await;
        assert!(cast["data"]["castVote"]["vote"]["id"].is_string(), "{cast}");
        let again = app.cast_vote(&guest, id(&poll), &[&options[1]], "g2").await;
        assert_eq!(error_code(&again), Some("ALREADY_VOTED"), "{again}");
        assert_eq!(counts(&app, &owner, id(&poll)).await, json!({ "issued": 1, "redeemed": 1, "voted": 1, "revoked": 0 }));
        // A guest cannot issue invitations: that is an account's (the owner's) business.
        let guest_poll_invites = app.graphql(Some(&guest.token), CREATE, json!({ "input": { "pollId": id(&poll), "count": 1 } })).await;
        assert_eq!(error_code(&guest_poll_invites), Some("FORBIDDEN"), "{guest_poll_invites}");
    }

    async fn on_an_anonymous_poll_the_owner_counts_invited_voters_who_voted_and_nothing_links_them_to_ballots(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voters = app.register_many("secret", 3).await;
        let poll = app
            .create_poll(&owner, json!({ "voters": "INVITED", "anonymous": true, "allowVoteChange": true }))
            .await;
        let options = option_ids(&poll);
        let made = create(&app, &owner, json!({ "pollId": id(&poll), "count": 3 })).await;
        for (voter, invitation) in voters.iter().zip(&made) {
            let body = redeem(&app, voter, invitation["code"].as_str().unwrap()).await;
            assert!(body["data"]["redeemInvitation"].is_object(), "{body}");
        }
        for voter in &voters[..2] {
            let cast = app.cast_vote(voter, id(&poll), &[&options[0]], "a1").await;
            assert!(cast["data"]["castVote"]["vote"].is_object(), "{cast}");
        }
        let stranger = app.register("stranger").await;
        let refused = app.cast_vote(&stranger, id(&poll), &[&options[0]], "a1").await;
        assert_eq!(error_code(&refused), Some("NOT_INVITED"), "{refused}");
        assert_eq!(counts(&app, &owner, id(&poll)).await, json!({ "issued": 3, "redeemed": 3, "voted": 2, "revoked": 0 }));

        // The invitation says the voter was invited to the poll, as the owner meant; no
        // table holds the voter's id beside their ballot.
        let columns = crate::anonymous::columns_holding(&app, &voters[0].id).await;
        assert_eq!(columns, ["invitations.redeemed_by", "users.id"], "{columns:?}");
    }

    async fn a_claim_moves_the_guests_invitations_with_its_ballots(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let guest = app.start_guest().await;
        let account = app.register("member").await;
        let (voted_poll, unvoted_poll, held_poll) = (
            invited_poll(&app, &owner).await,
            invited_poll(&app, &owner).await,
            invited_poll(&app, &owner).await,
        );
        let mut codes = Vec::new();
        for poll in [&voted_poll, &unvoted_poll, &held_poll] {
            let made = create(&app, &owner, json!({ "pollId": id(poll), "count": 2 })).await;
            codes.push((made[0]["code"].as_str().unwrap().to_owned(), made[1]["code"].as_str().unwrap().to_owned()));
        }
        for (code, _) in &codes {
            assert!(redeem(&app, &guest, code).await["data"]["redeemInvitation"].is_object());
        }
        // The account already holds an invitation to the third poll: it keeps its own.
        assert!(redeem(&app, &account, &codes[2].1).await["data"]["redeemInvitation"].is_object());
        let options = option_ids(&voted_poll);
        let cast = app.cast_vote(&guest, id(&voted_poll), &[&options[0]], "g").await;
        assert!(cast["data"]["castVote"]["vote"].is_object(), "{cast}");

        let claim = app
            .graphql(Some(&account.token), "mutation($t: String!) { claimGuestVotes(guestToken: $t) { claimed } }", json!({ "t": guest.token }))
            .await;
        assert_eq!(claim["data"]["claimGuestVotes"]["claimed"], 1, "{claim}");
        let invited = "query($id: ID!) { poll(id: $id) { viewerInvited } }";
        for poll in [&voted_poll, &unvoted_poll, &held_poll] {
            let body = app.graphql(Some(&account.token), invited, json!({ "id": id(poll) })).await;
            assert_eq!(body["data"]["poll"]["viewerInvited"], true, "{body}");
        }
        // The account changes the moved ballot and votes where the guest had not.
        let changed = app
            .graphql(Some(&account.token), CHANGE, json!({ "input": { "pollId": id(&voted_poll), "optionIds": [&options[1]], "idempotencyKey": "c" } }))
            .await;
        assert!(changed["data"]["changeVote"]["vote"].is_object(), "{changed}");
        let unvoted_options = option_ids(&unvoted_poll);
        let cast = app.cast_vote(&account, id(&unvoted_poll), &[&unvoted_options[0]], "a").await;
        assert!(cast["data"]["castVote"]["vote"].is_object(), "{cast}");
        assert_eq!(counts(&app, &owner, id(&voted_poll)).await, json!({ "issued": 2, "redeemed": 1, "voted": 1, "revoked": 0 }));
    }

    async fn redeeming_is_rate_limited_per_voter(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.rate_limits.enabled = true;
            c.rate_limits.redeem_invitation_per_minute = 1;
            c.rate_limits.redeem_invitation_burst = 3;
        })
        .await;
        let guesser = app.register("guesser").await;
        let patient = app.register("patient").await;
        for _ in 0..3 {
            let body = redeem(&app, &guesser, "guess").await;
            assert_eq!(error_code(&body), Some("INVITATION_NOT_FOUND"), "{body}");
        }
        let limited = redeem(&app, &guesser, "guess").await;
        assert_eq!(error_code(&limited), Some("RATE_LIMITED"), "{limited}");
        // Per voter: someone else still gets an answer.
        let other = redeem(&app, &patient, "guess").await;
        assert_eq!(error_code(&other), Some("INVITATION_NOT_FOUND"), "{other}");
    }
}
