//! The data a fuzz run starts with: a signed-in user, polls in each state that
//! matters, a ballot, and the pools of real ids, cursors and tokens the generators
//! draw from, so that generated arguments sometimes name real things.

use std::sync::Arc;

use serde_json::{Value, json};

use super::values::{Authorization, Pools};
use crate::helpers::{TEST_JWT_SECRET, TestApp, TestUser};

/// The data a run starts with, so that generated ids sometimes name real things.
pub struct World {
    /// The owner of the polls, signed in.
    pub user: TestUser,
    /// What the generators draw ids, tokens and cursors from.
    pub pools: Arc<Pools>,
}

impl World {
    /// A user with three polls (one that lets voters change their ballot, one that hides
    /// results until a vote, one closed) and a ballot on the first.
    pub async fn seed(app: &TestApp) -> World {
        let user = app.register("fuzzer").await;
        let mut polls = Vec::new();
        for input in [
            json!({ "allowVoteChange": true, "listing": "LISTED" }),
            json!({ "resultsVisibility": "AFTER_VOTE", "kind": "MULTIPLE", "listing": "LISTED" }),
            json!({ "title": "Closed already", "listing": "LISTED" }),
        ] {
            polls.push(app.create_poll(&user, input).await);
        }
        let ids_of = |poll: &Value| crate::helpers::option_ids(poll);
        let first = polls[0]["id"].as_str().unwrap_or_default().to_owned();
        let voted = app
            .cast_vote(&user, &first, &[ids_of(&polls[0])[0].as_str()], "seed")
            .await;
        assert!(voted["errors"].is_null(), "seeding a vote: {voted}");
        let closed = polls[2]["id"].as_str().unwrap_or_default();
        let body = app
            .graphql(
                Some(&user.token),
                "mutation($id: ID!) { closePoll(id: $id) { status } }",
                json!({ "id": closed }),
            )
            .await;
        assert!(body["errors"].is_null(), "closing a poll: {body}");
        let page = app
            .graphql(
                None,
                "{ polls(first: 1) { pageInfo { endCursor } } }",
                json!({}),
            )
            .await;
        let poll_ids: Vec<String> = polls
            .iter()
            .map(|p| p["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        let option_ids: Vec<String> = polls.iter().flat_map(ids_of).collect();
        let mut ids = vec![user.id.clone()];
        ids.extend(poll_ids.iter().cloned());
        ids.extend(option_ids.iter().cloned());
        let pools = Pools {
            ids,
            poll_ids,
            option_ids,
            user_id: user.id.clone(),
            cursors: vec![
                page["data"]["polls"]["pageInfo"]["endCursor"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ],
            usernames: vec![user.username.clone(), "FUZZER".into(), "nobody".into()],
            authorizations: authorizations(&user),
        };
        World {
            user,
            pools: Arc::new(pools),
        }
    }
}

/// `Authorization` values: the user's token (as clients write it), and tokens that are
/// refused: expired, for an account that does not exist, signed with another secret or
/// algorithm, malformed, or under another scheme.
fn authorizations(user: &TestUser) -> Vec<Authorization> {
    let now = chrono::Utc::now().timestamp();
    let sign = |sub: &str, iat: i64, exp: i64, secret: &str, algorithm| {
        let claims =
            json!({ "sub": sub, "iat": iat, "exp": exp, "iss": "tally", "aud": "tally-api" });
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(algorithm),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .expect("a token")
    };
    let hs256 = jsonwebtoken::Algorithm::HS256;
    let stranger = uuid::Uuid::new_v4().to_string();
    let accepted = |value: String| Authorization {
        value,
        accepted: true,
    };
    let refused = |value: String| Authorization {
        value,
        accepted: false,
    };
    vec![
        accepted(format!("Bearer {}", user.token)),
        accepted(format!("bearer {}", user.token)),
        refused(format!(
            "Bearer {}",
            sign(&user.id, now - 7200, now - 3600, TEST_JWT_SECRET, hs256)
        )),
        refused(format!(
            "Bearer {}",
            sign(&stranger, now, now + 600, TEST_JWT_SECRET, hs256)
        )),
        refused(format!(
            "Bearer {}",
            sign(
                &user.id,
                now,
                now + 600,
                "another-secret-another-secret-0123",
                hs256
            )
        )),
        refused(format!(
            "Bearer {}",
            sign(
                &user.id,
                now,
                now + 600,
                TEST_JWT_SECRET,
                jsonwebtoken::Algorithm::HS512
            )
        )),
        refused(format!("Bearer {}x", user.token)),
        refused("Bearer ".into()),
        refused("Bearer not.a.token".into()),
        refused(format!("Basic {}", user.token)),
        refused(user.token.clone()),
        refused("Bearer \u{e9}\u{1f4a9}".into()),
    ]
}
