//! The built web app as a phone fetches it: precompressed files chosen by
//! `Accept-Encoding`, hashed assets cached for a year, everything else revalidated.

use crate::helpers::{Backend, TestApp};

/// A built web app whose compressed copies say which one was sent.
fn built_app() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("tally-web-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    for (name, body) in [
        ("index.html", "<!doctype html><title>Tally</title>"),
        ("index.html.gz", "gzip index"),
        ("index.html.br", "brotli index"),
        ("assets/index-abc123.js", "console.log('plain')"),
        ("assets/index-abc123.js.gz", "gzip js"),
        ("assets/index-abc123.js.br", "brotli js"),
        ("favicon.svg", "<svg/>"),
    ] {
        std::fs::write(dir.join(name), body).unwrap();
    }
    dir
}

async fn get(app: &TestApp, path: &str, encoding: Option<&str>) -> reqwest::Response {
    let mut request = app.http().get(format!("{}{path}", app.address));
    if let Some(encoding) = encoding {
        request = request.header("accept-encoding", encoding);
    }
    request.send().await.unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_assets_are_sent_precompressed_and_cached_for_a_year() {
    let dir = built_app();
    let app = TestApp::spawn_with(Backend::Sqlite, {
        let dir = dir.clone();
        move |c| c.http.static_dir = dir
    })
    .await;

    for (accept, encoding, body) in [
        (Some("gzip, deflate, br"), Some("br"), "brotli js"),
        (Some("gzip"), Some("gzip"), "gzip js"),
        (None, None, "console.log('plain')"),
    ] {
        let response = get(&app, "/assets/index-abc123.js", accept).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "content-encoding"),
            encoding,
            "{accept:?}"
        );
        assert_eq!(
            header(&response, "cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(header(&response, "vary"), Some("accept-encoding"));
        assert!(
            header(&response, "content-type")
                .unwrap()
                .starts_with("text/javascript"),
            "the type is the script's, not the encoding's"
        );
        assert_eq!(response.text().await.unwrap(), body);
    }

    // A missing asset must not be cached for a year.
    let response = get(&app, "/assets/index-gone.js", Some("br")).await;
    assert_eq!(response.status(), 404);
    assert_eq!(header(&response, "cache-control"), Some("no-cache"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_itself_is_revalidated_on_every_load() {
    let dir = built_app();
    let app = TestApp::spawn_with(Backend::Sqlite, {
        let dir = dir.clone();
        move |c| c.http.static_dir = dir
    })
    .await;

    for path in ["/", "/index.html", "/me", "/favicon.svg"] {
        let response = get(&app, path, Some("br, gzip")).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            header(&response, "cache-control"),
            Some("no-cache"),
            "{path}"
        );
    }
    let response = get(&app, "/me", Some("br")).await;
    assert_eq!(header(&response, "content-encoding"), Some("br"));
    assert_eq!(response.text().await.unwrap(), "brotli index");
    let response = get(&app, "/me", None).await;
    assert_eq!(header(&response, "content-encoding"), None);
    assert!(response.text().await.unwrap().contains("<title>Tally"));
    let _ = std::fs::remove_dir_all(dir);
}
