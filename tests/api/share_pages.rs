//! A shared poll link before the app runs: link-preview tags with the poll's question
//! (escaped), a real 404 for unknown polls, the embeddable widget's page (the only one
//! other sites may frame) and oEmbed.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

const ORIGIN: &str = "https://tally.example";

fn built_app() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tally-web-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><html><head><title>Tally</title></head><body><div id=\"root\"></div></body></html>",
    )
    .unwrap();
    dir
}

async fn spawn() -> (TestApp, std::path::PathBuf) {
    let dir = built_app();
    let app = TestApp::spawn_with(Backend::Sqlite, {
        let dir = dir.clone();
        move |c| {
            c.http.static_dir = dir;
            c.invitations.public_origin = ORIGIN.to_owned();
        }
    })
    .await;
    (app, dir)
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.http()
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_link_unfurls_with_its_question_escaped_and_an_unknown_one_is_a_404() {
    let (app, dir) = spawn().await;
    let owner = app.register("owner").await;
    let poll = app
        .create_poll(
            &owner,
            json!({ "title": "Tabs <script>alert(1)</script> & \"spaces\"?" }),
        )
        .await;
    let id = poll["id"].as_str().unwrap();

    let response = get(&app, &format!("/polls/{id}")).await;
    assert_eq!(response.status(), 200);
    assert!(header(&response, "content-security-policy").contains("frame-ancestors 'none'"));
    let page = response.text().await.unwrap();
    let escaped = "Tabs &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;spaces&quot;?";
    assert!(!page.contains("<script>alert(1)"), "{page}");
    assert!(
        page.contains(&format!("<title>{escaped} · Tally</title>")),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<meta property=\"og:title\" content=\"{escaped}\" />"
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<meta name=\"twitter:title\" content=\"{escaped}\" />"
        )),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<meta property=\"og:url\" content=\"{ORIGIN}/polls/{id}\" />"
        )),
        "{page}"
    );
    assert!(page.contains("application/json+oembed"), "{page}");
    assert!(page.contains("<div id=\"root\">"), "still the app");

    for unknown in [
        format!("/polls/{}", uuid::Uuid::new_v4()),
        "/polls/not-a-poll".to_owned(),
    ] {
        let response = get(&app, &unknown).await;
        assert_eq!(response.status(), 404, "{unknown}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains("<div id=\"root\">"),
            "the app still loads and says so"
        );
        assert!(!page.contains("og:title"));
    }
    assert_eq!(
        get(&app, "/polls/new").await.status(),
        200,
        "the new-poll page is no poll id"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_embed_route_may_be_framed_by_other_sites() {
    let (app, dir) = spawn().await;
    let owner = app.register("owner").await;
    let poll = app.create_poll(&owner, json!({})).await;
    let id = poll["id"].as_str().unwrap();

    let response = get(&app, &format!("/embed/polls/{id}")).await;
    assert_eq!(response.status(), 200);
    let policy = header(&response, "content-security-policy");
    assert!(policy.contains("frame-ancestors *"), "{policy}");
    assert!(!policy.contains("'none'; frame"), "{policy}");
    assert!(
        policy.contains("script-src 'self'"),
        "the rest of the policy stays: {policy}"
    );

    let response = get(&app, &format!("/embed/polls/{}", uuid::Uuid::new_v4())).await;
    assert_eq!(response.status(), 404);

    for path in [
        format!("/polls/{id}"),
        "/".to_owned(),
        "/me".to_owned(),
        "/healthz".to_owned(),
    ] {
        let response = get(&app, &path).await;
        let policy = header(&response, "content-security-policy");
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oembed_answers_a_rich_iframe_for_a_poll_url() {
    let (app, dir) = spawn().await;
    let owner = app.register("owner").await;
    let poll = app
        .create_poll(&owner, json!({ "title": "Lunch: \"pizza\" or <salad>?" }))
        .await;
    let id = poll["id"].as_str().unwrap();
    let url = format!("{ORIGIN}/polls/{id}");

    let response = app
        .http()
        .get(format!("{}/oembed", app.address))
        .query(&[
            ("url", url.as_str()),
            ("format", "json"),
            ("maxwidth", "300"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(header(&response, "content-type").starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["version"], "1.0");
    assert_eq!(body["type"], "rich");
    assert_eq!(body["provider_name"], "Tally");
    assert_eq!(body["title"], "Lunch: \"pizza\" or <salad>?");
    assert_eq!(body["width"], 300);
    assert!(body["height"].as_u64().unwrap() > 0);
    let html = body["html"].as_str().unwrap();
    assert!(
        html.starts_with(&format!(
            "<iframe src=\"{ORIGIN}/embed/polls/{id}\" width=\"300\""
        )),
        "{html}"
    );
    assert!(
        html.contains("title=\"Poll: Lunch: &quot;pizza&quot; or &lt;salad&gt;?\""),
        "{html}"
    );

    let status = |query: Vec<(&'static str, String)>| {
        let request = app
            .http()
            .get(format!("{}/oembed", app.address))
            .query(&query);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(
        status(vec![("url", url.clone()), ("format", "xml".into())]).await,
        501
    );
    assert_eq!(
        status(vec![(
            "url",
            format!("{ORIGIN}/polls/{}", uuid::Uuid::new_v4())
        )])
        .await,
        404
    );
    assert_eq!(
        status(vec![(
            "url",
            format!("https://elsewhere.example/polls/{id}")
        )])
        .await,
        404
    );
    assert_eq!(status(vec![("format", "json".into())]).await, 400);
    let _ = std::fs::remove_dir_all(dir);
}
