//! Anonymous `GET /graphql` reads answered from the instance's read cache: the same
//! answer again with an `ETag` and `Cache-Control`, `304` for a tag the client holds,
//! a new answer as soon as a vote changes the tally (the tally bus moves the cache on),
//! and nothing kept for signed-in readers, answers with errors, or with the cache off.

use serde_json::{Value, json};

use crate::helpers::{TestApp, as_is, option_ids};
use crate::in_process_and_redis;

const PAGE: &str = "query($id: ID!) { poll(id: $id) { id title status results { totalVotes version options { votes } } } }";

/// The raw answer to an anonymous (or signed-in) GET of the page query.
async fn page(
    app: &TestApp,
    poll: &str,
    token: Option<&str>,
    if_none_match: Option<&str>,
) -> reqwest::Response {
    let variables = json!({ "id": poll }).to_string();
    let mut request = app
        .http()
        .get(format!("{}/graphql", app.address))
        .query(&[("query", PAGE), ("variables", variables.as_str())]);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    request.send().await.expect("GET /graphql")
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

async fn total(response: reqwest::Response) -> i64 {
    let body: Value = response.json().await.expect("a JSON body");
    body["data"]["poll"]["results"]["totalVotes"]
        .as_i64()
        .unwrap_or_else(|| panic!("no results: {body}"))
}

in_process_and_redis! {
    configure = as_is;

    async fn an_anonymous_read_is_kept_tagged_and_renewed_by_each_vote(app: TestApp, _redis: bool) {
        let owner = app.register("owner").await;
        let voters = app.register_many("reader-voter", 2).await;
        let poll = app.create_poll(&owner, json!({})).await;
        let poll_id = poll["id"].as_str().unwrap();
        let options = option_ids(&poll);

        let first = page(&app, poll_id, None, None).await;
        assert_eq!(first.status(), 200);
        let tag = header(&first, "etag").expect("an anonymous read carries an ETag");
        assert_eq!(
            header(&first, "cache-control").as_deref(),
            Some("public, max-age=1"),
            "a CDN may keep it as long as the instance does"
        );
        let first_body = first.text().await.unwrap();

        // The same read again: the same answer and tag, or 304 for a client holding it.
        let again = page(&app, poll_id, None, None).await;
        assert_eq!(header(&again, "etag").as_deref(), Some(tag.as_str()));
        assert_eq!(again.text().await.unwrap(), first_body);
        let unchanged = page(&app, poll_id, None, Some(&tag)).await;
        assert_eq!(unchanged.status(), 304);
        assert_eq!(header(&unchanged, "etag").as_deref(), Some(tag.as_str()));

        // A vote moves the tally: the very next read shows it, within the kept time.
        for (i, voter) in voters.iter().enumerate() {
            let voted = app
                .cast_vote(voter, poll_id, &[options[0].as_str()], &format!("k{i}"))
                .await;
            assert!(voted["data"]["castVote"].is_object(), "{voted}");
            let after = page(&app, poll_id, None, Some(&tag)).await;
            assert_eq!(after.status(), 200, "the held tag is stale now");
            assert_ne!(header(&after, "etag").as_deref(), Some(tag.as_str()));
            assert_eq!(total(after).await, i as i64 + 1);
        }
    }

    async fn signed_in_reads_and_answers_with_errors_are_not_kept(app: TestApp, _redis: bool) {
        let owner = app.register("owner").await;
        let poll = app
            .create_poll(&owner, json!({ "resultsVisibility": "OWNER_ONLY" }))
            .await;
        let poll_id = poll["id"].as_str().unwrap();

        let signed_in = page(&app, poll_id, Some(&owner.token), None).await;
        assert_eq!(signed_in.status(), 200);
        assert_eq!(header(&signed_in, "etag"), None, "a signed-in read is the viewer's own");
        assert_eq!(header(&signed_in, "cache-control"), None);
        assert_eq!(total(signed_in).await, 0);

        // Anonymous readers are refused these results: an answer with an error.
        let refused = page(&app, poll_id, None, None).await;
        assert_eq!(header(&refused, "etag"), None, "an answer with errors is not kept");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "RESULTS_HIDDEN",
            "{body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_cache_can_be_turned_off() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |c| {
        c.http.read_cache_ms = 0;
    })
    .await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let read = page(&app, poll["id"].as_str().unwrap(), None, None).await;
    assert_eq!(read.status(), 200);
    assert_eq!(header(&read, "etag"), None);
    assert_eq!(header(&read, "cache-control"), None);
}
