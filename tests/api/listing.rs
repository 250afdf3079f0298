//! Listed and unlisted polls: the public list shows `LISTED` polls only; an `UNLISTED`
//! poll is reached by its link (its id), and listed to its owner and its voters.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, TestUser, error_code, option_ids};

const NODE: &str = "query($id: ID!) { node(id: $id) { ... on Poll { id listing } } }";
const POLL: &str = "query($id: ID!) { poll(id: $id) { id title listing } }";

/// Every poll of a listing, paged `size` at a time forward (`first`/`after`) or backward
/// (`last`/`before`), with the `totalCount` each page reported.
async fn walk(
    app: &TestApp,
    user: Option<&TestUser>,
    filter: Value,
    size: i32,
    backward: bool,
) -> (Vec<String>, Vec<i64>) {
    let (take, cursor, next, more) = match backward {
        false => ("first", "after", "endCursor", "hasNextPage"),
        true => ("last", "before", "startCursor", "hasPreviousPage"),
    };
    let query = format!(
        "query($n: Int!, $c: String, $f: PollFilter) {{ polls({take}: $n, {cursor}: $c, filter: $f) {{ \
         totalCount edges {{ node {{ id listing }} }} pageInfo {{ {next} {more} }} }} }}"
    );
    let (mut pages, mut seen, mut totals, mut at) =
        (Vec::new(), Vec::new(), Vec::new(), Value::Null);
    loop {
        let body = app
            .graphql(
                user.map(|u| u.token.as_str()),
                &query,
                json!({ "n": size, "c": at, "f": filter }),
            )
            .await;
        let connection = &body["data"]["polls"];
        let edges = connection["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("no page: {body}"));
        let mut page: Vec<String> = edges
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect();
        totals.push(connection["totalCount"].as_i64().unwrap());
        if connection["pageInfo"][more] == false {
            pages.push(page);
            break;
        }
        assert_eq!(
            page.len(),
            size as usize,
            "a page before the last is full: {body}"
        );
        pages.push(std::mem::take(&mut page));
        at = connection["pageInfo"][next].clone();
    }
    if backward {
        pages.reverse();
    }
    seen.extend(pages.into_iter().flatten());
    (seen, totals)
}

fn id_of(poll: &Value) -> String {
    poll["id"].as_str().unwrap().to_owned()
}

both_backends! {
    async fn unlisted_polls_never_appear_in_the_public_list(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let stranger = app.register("stranger").await;
        // Newest first: p6 (listed), p5, p4 (listed), … p0 (listed); p1 and p5 are
        // unlisted by default (no `listing` given).
        let mut listed = Vec::new();
        let mut unlisted = Vec::new();
        for i in 0..7 {
            let input = match i {
                1 | 5 => json!({ "title": format!("p{i}") }),
                2 => json!({ "title": format!("p{i}"), "listing": "UNLISTED" }),
                _ => json!({ "title": format!("p{i}"), "listing": "LISTED" }),
            };
            let poll = app.create_poll(&owner, input).await;
            if matches!(i, 1 | 2 | 5) { unlisted.push(id_of(&poll)) } else { listed.push(id_of(&poll)) }
        }
        listed.reverse();

        for viewer in [None, Some(&stranger), Some(&owner)] {
            for backward in [false, true] {
                let (seen, totals) = walk(&app, viewer, Value::Null, 2, backward).await;
                assert_eq!(seen, listed, "{viewer:?} backward={backward}");
                assert!(totals.iter().all(|&t| t == 4), "totalCount counts listed polls only: {totals:?}");
            }
            let (open, totals) = walk(&app, viewer, json!({ "status": "OPEN" }), 3, false).await;
            assert_eq!((open, totals[0]), (listed.clone(), 4), "{viewer:?}");
        }
        // Another owner's polls, and polls the viewer did not vote in, are public lists too.
        let (theirs, totals) = walk(&app, Some(&stranger), json!({ "ownerId": owner.id }), 2, false).await;
        assert_eq!((theirs, totals[0]), (listed.clone(), 4));
        let (theirs, _) = walk(&app, None, json!({ "ownerId": owner.id }), 2, false).await;
        assert_eq!(theirs, listed);
        let (not_voted, _) = walk(&app, Some(&stranger), json!({ "votedByViewer": false }), 2, false).await;
        assert_eq!(not_voted, listed);

        // The link still works: by `poll(id:)` and `node(id:)`, for anyone.
        for id in &unlisted {
            let poll = app.graphql(None, POLL, json!({ "id": id })).await;
            assert_eq!(poll["data"]["poll"]["listing"], "UNLISTED", "{poll}");
            let node = app.graphql(Some(&stranger.token), NODE, json!({ "id": id })).await;
            assert_eq!(node["data"]["node"]["id"], id.as_str(), "{node}");
        }
        let listed_one = app.graphql(None, POLL, json!({ "id": listed[0] })).await;
        assert_eq!(listed_one["data"]["poll"]["listing"], "LISTED");
    }

    async fn owners_list_their_unlisted_polls_and_voters_the_ones_they_voted_in(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let hidden = app.create_poll(&owner, json!({ "title": "hidden" })).await;
        let shown = app.create_poll(&owner, json!({ "title": "shown", "listing": "LISTED" })).await;
        let other = app.create_poll(&owner, json!({ "title": "other" })).await;
        let (hidden_id, shown_id, other_id) = (id_of(&hidden), id_of(&shown), id_of(&other));

        // The owner's own list has all three; their public list has the listed one.
        let (own, totals) = walk(&app, Some(&owner), json!({ "ownerId": owner.id }), 2, false).await;
        assert_eq!((own, totals[0]), (vec![other_id.clone(), shown_id.clone(), hidden_id.clone()], 3));
        let (own_open, _) = walk(&app, Some(&owner), json!({ "ownerId": owner.id, "status": "OPEN" }), 2, true).await;
        assert_eq!(own_open.len(), 3);
        let (public, _) = walk(&app, Some(&owner), Value::Null, 2, false).await;
        assert_eq!(public, [shown_id.as_str()]);

        // A voter who followed the link lists it among the polls they voted in.
        let options = option_ids(&hidden);
        let voted = app.cast_vote(&voter, &hidden_id, &[&options[0]], "k1").await;
        assert!(voted["data"]["castVote"].is_object(), "{voted}");
        let (mine, totals) = walk(&app, Some(&voter), json!({ "votedByViewer": true }), 2, false).await;
        assert_eq!((mine, totals[0]), (vec![hidden_id.clone()], 1));
        let (mine, _) = walk(&app, Some(&voter), json!({ "votedByViewer": true, "ownerId": owner.id }), 2, false).await;
        assert_eq!(mine, [hidden_id.as_str()]);
        // Voting in it does not put it, or the owner's other unlisted poll, in public lists.
        let (public, _) = walk(&app, Some(&voter), Value::Null, 2, false).await;
        assert_eq!(public, [shown_id.as_str()]);
        let (not_voted, _) = walk(&app, Some(&voter), json!({ "votedByViewer": false }), 2, false).await;
        assert_eq!(not_voted, [shown_id]);
    }

    async fn the_public_list_shows_no_counts_of_owner_only_or_after_close_polls(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let mut polls = Vec::new();
        for visibility in ["ALWAYS", "AFTER_VOTE", "AFTER_CLOSE", "OWNER_ONLY"] {
            let poll = app.create_poll(&owner, json!({ "title": visibility, "resultsVisibility": visibility, "listing": "LISTED" })).await;
            let options = option_ids(&poll);
            let voted = app.cast_vote(&voter, &id_of(&poll), &[&options[0]], visibility).await;
            assert!(voted["data"]["castVote"].is_object(), "{voted}");
            polls.push(poll);
        }
        let list = "{ polls(first: 10) { edges { node { title results { totalVotes options { votes } } } } } }";
        let counts = async |user: Option<&TestUser>| -> (Vec<(String, Option<i64>)>, Value) {
            let body = app.graphql(user.map(|u| u.token.as_str()), list, json!({})).await;
            let rows = body["data"]["polls"]["edges"]
                .as_array()
                .unwrap_or_else(|| panic!("{body}"))
                .iter()
                .map(|e| (e["node"]["title"].as_str().unwrap().to_owned(), e["node"]["results"]["totalVotes"].as_i64()))
                .collect();
            (rows, body)
        };
        let row = |title: &str, votes: Option<i64>| (title.to_owned(), votes);

        // To others (anonymous, or a voter): no counts for OWNER_ONLY and AFTER_CLOSE,
        // each withheld with RESULTS_HIDDEN; the ALWAYS poll shows its vote, so the list
        // does carry counts where they are allowed.
        let (anonymous, body) = counts(None).await;
        assert_eq!(anonymous, [row("OWNER_ONLY", None), row("AFTER_CLOSE", None), row("AFTER_VOTE", None), row("ALWAYS", Some(1))]);
        let hidden: Vec<&Value> = body["errors"].as_array().unwrap().iter().collect();
        assert_eq!(hidden.len(), 3, "{body}");
        assert!(hidden.iter().all(|e| e["extensions"]["code"] == "RESULTS_HIDDEN"), "{body}");
        let (voters, body) = counts(Some(&voter)).await;
        assert_eq!(voters, [row("OWNER_ONLY", None), row("AFTER_CLOSE", None), row("AFTER_VOTE", Some(1)), row("ALWAYS", Some(1))]);
        assert_eq!(error_code(&body), Some("RESULTS_HIDDEN"));
        // The owner sees every count.
        let (owners, _) = counts(Some(&owner)).await;
        assert!(owners.iter().all(|(_, votes)| *votes == Some(1)), "{owners:?}");

        // Once the AFTER_CLOSE poll closes its count is shown to all; OWNER_ONLY never.
        let close = "mutation($id: ID!) { closePoll(id: $id) { id } }";
        app.graphql(Some(&owner.token), close, json!({ "id": polls[2]["id"] })).await;
        app.graphql(Some(&owner.token), close, json!({ "id": polls[3]["id"] })).await;
        let (anonymous, _) = counts(None).await;
        assert_eq!(anonymous[..2], [row("OWNER_ONLY", None), row("AFTER_CLOSE", Some(1))]);
    }
}
