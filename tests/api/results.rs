//! Results: counts, percentages, versions, finality and who may see them.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, error_code, option_ids};

const CLOSE: &str = "mutation($id: ID!) { closePoll(id: $id) { id } }";

fn counts(body: &Value) -> Vec<(i64, f64)> {
    body["data"]["poll"]["results"]["options"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {body}"))
        .iter()
        .map(|o| {
            (
                o["votes"].as_i64().unwrap(),
                o["percentage"].as_f64().unwrap(),
            )
        })
        .collect()
}

both_backends! {
    async fn results_count_ballots_with_percentages_and_a_growing_version(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let poll = app.create_poll(&owner, json!({})).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        let empty = app.results(None, id).await;
        assert_eq!(counts(&empty), [(0, 0.0), (0, 0.0), (0, 0.0)]);
        assert_eq!(empty["data"]["poll"]["results"]["final"], false);
        let mut version = empty["data"]["poll"]["results"]["version"].as_i64().unwrap();

        for (i, choice) in [0, 0, 1].into_iter().enumerate() {
            let voter = app.register(&format!("voter{i}")).await;
            app.cast_vote(&voter, id, &[&options[choice]], "k").await;
            let now = app.results(None, id).await["data"]["poll"]["results"]["version"].as_i64().unwrap();
            assert!(now > version, "version {now} after {version}");
            version = now;
        }
        let results = app.results(None, id).await;
        assert_eq!(counts(&results), [(2, 66.7), (1, 33.3), (0, 0.0)]);
        assert_eq!(results["data"]["poll"]["results"]["totalVotes"], 3);
        assert_eq!(results["data"]["poll"]["results"]["options"][0]["option"]["text"], "Rust");

        app.graphql(Some(&owner.token), CLOSE, json!({ "id": id })).await;
        let closed = app.results(None, id).await;
        assert_eq!(closed["data"]["poll"]["results"]["final"], true);
        assert_eq!(counts(&closed), counts(&results));
    }

    async fn after_vote_results_show_to_voters_the_owner_and_everyone_after_close(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = app.create_poll(&owner, json!({ "resultsVisibility": "AFTER_VOTE" })).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        let before = app.results(Some(&voter), id).await;
        assert_eq!(error_code(&before), Some("RESULTS_HIDDEN"));
        // The hidden field is there, as null (the GraphQL spec's shape for a failed field).
        let poll = before["data"]["poll"].as_object().unwrap();
        assert_eq!(poll.get("results"), Some(&Value::Null), "{before}");
        assert_eq!(error_code(&app.results(None, id).await), Some("RESULTS_HIDDEN"));
        assert!(error_code(&app.results(Some(&owner), id).await).is_none());

        app.cast_vote(&voter, id, &[&options[0]], "k").await;
        assert_eq!(counts(&app.results(Some(&voter), id).await)[0].0, 1);
        assert_eq!(error_code(&app.results(None, id).await), Some("RESULTS_HIDDEN"));

        app.graphql(Some(&owner.token), CLOSE, json!({ "id": id })).await;
        assert!(error_code(&app.results(None, id).await).is_none());
    }

    async fn after_close_results_stay_hidden_until_the_poll_closes(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = app.create_poll(&owner, json!({ "resultsVisibility": "AFTER_CLOSE" })).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        app.cast_vote(&voter, id, &[&options[0]], "k").await;
        assert_eq!(error_code(&app.results(Some(&voter), id).await), Some("RESULTS_HIDDEN"));
        assert!(error_code(&app.results(Some(&owner), id).await).is_none());
        app.graphql(Some(&owner.token), CLOSE, json!({ "id": id })).await;
        assert_eq!(counts(&app.results(Some(&voter), id).await)[0].0, 1);
        assert_eq!(counts(&app.results(None, id).await)[0].0, 1);
    }

    async fn owner_only_results_are_for_the_owner_alone(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = app.create_poll(&owner, json!({ "resultsVisibility": "OWNER_ONLY" })).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        app.cast_vote(&voter, id, &[&options[0]], "k").await;
        app.graphql(Some(&owner.token), CLOSE, json!({ "id": id })).await;
        assert_eq!(error_code(&app.results(Some(&voter), id).await), Some("RESULTS_HIDDEN"));
        assert_eq!(error_code(&app.results(None, id).await), Some("RESULTS_HIDDEN"));
        assert_eq!(counts(&app.results(Some(&owner), id).await)[0].0, 1);
    }

    async fn multiple_choice_shares_count_each_chosen_option(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let poll = app.create_poll(&owner, json!({ "kind": "MULTIPLE", "maxChoices": 3 })).await;
        let (id, options) = (poll["id"].as_str().unwrap(), option_ids(&poll));
        let a = app.register("voter_a").await;
        let b = app.register("voter_b").await;
        app.cast_vote(&a, id, &[&options[0], &options[1]], "k").await;
        app.cast_vote(&b, id, &[&options[0]], "k").await;
        let results = app.results(None, id).await;
        assert_eq!(results["data"]["poll"]["results"]["totalVotes"], 2);
        assert_eq!(counts(&results), [(2, 100.0), (1, 50.0), (0, 0.0)]);
    }
}
