//! No N+1: a page of polls costs the same number of statements whatever its size.

use serde_json::json;

use crate::both_backends;
use crate::helpers::{TestApp, option_ids};

const PAGE: &str = "query($n: Int!) { polls(first: $n) { edges { node {
    id title status owner { id username } options { id text }
    results { totalVotes version options { option { id text } votes percentage } }
    myVote { id optionIds options { text } }
} } pageInfo { hasNextPage endCursor } } }";

both_backends! {
    async fn a_page_of_fifty_polls_costs_as_many_statements_as_a_page_of_five(backend: Backend) {
        // No background pass (poll closer, reconciliation, webhook sender) in the middle
        // of a measurement: they run statements too.
        let app = TestApp::spawn_with(backend, |c| {
            c.realtime.closer_interval_ms = 3_600_000;
            c.webhooks.poll_interval_ms = 3_600_000;
            c.redis.reconcile_interval_secs = 3_600;
        })
        .await;
        let owners = app.register_many("owner", 3).await;
        let viewer = app.register("viewer").await;
        for i in 0..50 {
            let visibility = ["ALWAYS", "AFTER_VOTE", "AFTER_CLOSE"][i % 3];
            let poll = app.create_poll(&owners[i % 3], json!({ "resultsVisibility": visibility, "listing": "LISTED" })).await;
            if i % 2 == 0 {
                let voted = app.cast_vote(&viewer, poll["id"].as_str().unwrap(), &[&option_ids(&poll)[0]], &format!("k{i}")).await;
                assert!(voted["data"]["castVote"].is_object(), "{voted}");
            }
        }
        let mut costs = Vec::new();
        for size in [5, 50] {
            let before = app.statements();
            let body = app.graphql(Some(&viewer.token), PAGE, json!({ "n": size })).await;
            costs.push(app.statements() - before);
            assert_eq!(body["data"]["polls"]["edges"].as_array().unwrap().len(), size, "{body}");
            assert!(body["data"]["polls"]["edges"][0]["node"]["owner"]["username"].is_string());
        }
        assert_eq!(costs[0], costs[1], "statements for 5 and 50 polls: {costs:?}");
        assert!(costs[1] <= 8, "a page costs {} statements", costs[1]);
    }
}
