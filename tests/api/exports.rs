//! Exports: a poll's owner downloads its ballots and results as CSV and JSON, streamed
//! a page at a time, with the voter left out on anonymous polls.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, TestUser, option_ids};

/// Parses RFC 4180 text (quoted fields, doubled quotes, CRLF line ends) into records.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => assert_eq!(chars.next(), Some('\n'), "CR without LF"),
            (false, '\n') => panic!("a bare LF ends a record: {text:?}"),
            (false, c) => field.push(c),
        }
        if !quoted && c == '\r' {
            record.push(std::mem::take(&mut field));
            records.push(std::mem::take(&mut record));
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "text ends mid-record"
    );
    records
}

/// A file's status, headers and body.
struct Download {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Download {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The CSV's records as maps from its header's names.
    fn records(&self) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
        let mut records = parse_csv(&self.body).into_iter();
        let header = records.next().expect("a header line");
        let rows = records
            .map(|r| {
                assert_eq!(r.len(), header.len(), "record {r:?} under {header:?}");
                header.iter().cloned().zip(r).collect()
            })
            .collect();
        (header, rows)
    }

    /// The code of a refusal.
    fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

async fn download(app: &TestApp, token: Option<&str>, poll_id: &str, file: &str) -> Download {
    let url = format!("{}/exports/polls/{poll_id}/{file}", app.address);
    let mut request = app.http().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the request is sent");
    Download {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.expect("the whole body"),
    }
}

async fn close(app: &TestApp, owner: &TestUser, poll_id: &str) {
    let body = app
        .graphql(
            Some(&owner.token),
            "mutation($id: ID!) { closePoll(id: $id) { closedAt } }",
            json!({ "id": poll_id }),
        )
        .await;
    assert!(body["data"]["closePoll"]["closedAt"].is_string(), "{body}");
}

/// Casts `choices` (indexes into the poll's options) as `voter`; the ballot's id.
async fn vote(app: &TestApp, voter: &TestUser, poll: &Value, choices: &[usize]) -> String {
    let options = option_ids(poll);
    let chosen: Vec<&str> = choices.iter().map(|&i| options[i].as_str()).collect();
    let key = format!("k-{}", voter.username);
    let body = app
        .cast_vote(voter, poll["id"].as_str().unwrap(), &chosen, &key)
        .await;
    body["data"]["castVote"]["vote"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("castVote failed: {body}"))
        .to_owned()
}

/// Labels that CSV must quote, and one a spreadsheet would run as a formula.
const AWKWARD: [&str; 5] = [
    "Rust, the language",
    "say \"hi\"",
    "two\nlines",
    "=1+1",
    "Zig",
];

both_backends! {
    async fn an_owner_downloads_every_ballot_as_csv_and_json(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let poll = app
            .create_poll(&owner, json!({ "kind": "MULTIPLE", "maxChoices": 5, "options": AWKWARD }))
            .await;
        let id = poll["id"].as_str().unwrap();
        let voters = app.register_many("voter", 3).await;
        let picks: [&[usize]; 3] = [&[4, 3], &[1, 2], &[0]];
        let mut expected = BTreeMap::new();
        for (voter, pick) in voters.iter().zip(picks) {
            let ballot = vote(&app, voter, &poll, pick).await;
            // Labels in the poll's order, whatever order they were chosen in.
            let mut sorted = pick.to_vec();
            sorted.sort();
            let labels: Vec<&str> = sorted.iter().map(|&i| AWKWARD[i]).collect();
            expected.insert(ballot, (voter.username.clone(), labels));
        }

        let csv = download(&app, Some(&owner.token), id, "ballots.csv").await;
        assert_eq!(csv.status, 200, "{}", csv.body);
        assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
        assert_eq!(
            csv.header("content-disposition"),
            format!("attachment; filename=\"poll-{id}-ballots.csv\"")
        );
        assert_eq!(csv.header("cache-control"), "no-store");
        let (header, rows) = csv.records();
        assert_eq!(header, ["ballot_id", "cast_at", "choices", "voter", "final"]);
        let mut seen = BTreeMap::new();
        for row in rows {
            chrono::DateTime::parse_from_rfc3339(&row["cast_at"]).expect("an RFC 3339 time");
            assert_eq!(row["final"], "false");
            // The formula is defused with a leading apostrophe; the rest is as typed.
            let choices = row["choices"].replace("'=1+1", "=1+1");
            seen.insert(row["ballot_id"].clone(), (row["voter"].clone(), choices));
        }
        let joined: BTreeMap<_, _> = expected
            .iter()
            .map(|(id, (voter, labels))| (id.clone(), (voter.clone(), labels.join(";"))))
            .collect();
        assert_eq!(seen, joined);
        assert!(csv.body.contains("'=1+1"), "a formula is defused: {}", csv.body);
        assert!(!csv.body.contains(",=1+1"), "{}", csv.body);

        let json = download(&app, Some(&owner.token), id, "ballots.json").await;
        assert_eq!(json.status, 200, "{}", json.body);
        assert_eq!(json.header("content-type"), "application/json");
        assert_eq!(
            json.header("content-disposition"),
            format!("attachment; filename=\"poll-{id}-ballots.json\"")
        );
        let parsed = json.json();
        let mut seen = BTreeMap::new();
        for ballot in parsed.as_array().expect("an array") {
            let keys: HashSet<&str> = ballot.as_object().unwrap().keys().map(|k| k.as_str()).collect();
            assert_eq!(keys, HashSet::from(["ballot_id", "cast_at", "choices", "voter", "final"]));
            assert_eq!(ballot["final"], false);
            let labels: Vec<&str> = ballot["choices"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l.as_str().unwrap())
                .collect();
            let voter = ballot["voter"].as_str().unwrap().to_owned();
            seen.insert(ballot["ballot_id"].as_str().unwrap().to_owned(), (voter, labels));
        }
        let exact: BTreeMap<_, _> = expected
            .iter()
            .map(|(id, (voter, labels))| (id.clone(), (voter.clone(), labels.clone())))
            .collect();
        assert_eq!(seen, exact, "JSON keeps labels exactly as typed");
    }

    async fn only_the_owner_may_export(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let stranger = app.register("stranger").await;
        let guest = app.start_guest().await;
        let poll = app.create_poll(&owner, json!({ "voters": "GUESTS" })).await;
        let id = poll["id"].as_str().unwrap();
        vote(&app, &guest, &poll, &[0]).await;
        for file in ["ballots.csv", "ballots.json", "results.csv", "results.json"] {
            let cases = [
                (None, id.to_owned(), 401, "UNAUTHENTICATED"),
                (Some("not-a-token"), id.to_owned(), 401, "UNAUTHENTICATED"),
                (Some(stranger.token.as_str()), id.to_owned(), 403, "FORBIDDEN"),
                // A voter is not an owner, and a guest never exports.
                (Some(guest.token.as_str()), id.to_owned(), 403, "FORBIDDEN"),
                (Some(owner.token.as_str()), uuid::Uuid::now_v7().to_string(), 404, "NOT_FOUND"),
                (Some(owner.token.as_str()), "not-a-poll".to_owned(), 404, "NOT_FOUND"),
            ];
            for (token, poll_id, status, code) in cases {
                let refused = download(&app, token, &poll_id, file).await;
                assert_eq!((refused.status, refused.code().as_str()), (status, code), "{file}: {}", refused.body);
                assert!(refused.header("content-type").starts_with("application/json"));
                assert!(refused.json()["error"]["message"].is_string());
                if status == 401 {
                    assert_eq!(refused.header("www-authenticate"), "Bearer");
                }
            }
            let allowed = download(&app, Some(&owner.token), id, file).await;
            assert_eq!(allowed.status, 200, "{file}: {}", allowed.body);
        }
    }

    async fn each_user_starts_exports_at_the_pace_of_the_export_bucket(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.rate_limits.enabled = true;
            c.rate_limits.export_burst = 2;
            c.rate_limits.export_per_minute = 1;
        })
        .await;
        let owner = app.register("owner").await;
        let other = app.register("other").await;
        let poll = app.create_poll(&owner, json!({})).await;
        let id = poll["id"].as_str().unwrap();
        for file in ["ballots.csv", "results.json"] {
            assert_eq!(download(&app, Some(&owner.token), id, file).await.status, 200);
        }
        let limited = download(&app, Some(&owner.token), id, "ballots.json").await;
        assert_eq!((limited.status, limited.code().as_str()), (429, "RATE_LIMITED"), "{}", limited.body);
        let wait: u64 = limited.header("retry-after").parse().expect("Retry-After in seconds");
        assert!((1..=60).contains(&wait), "{wait}");
        // The bucket is the user's: another user is not held back by it.
        let other_poll = app.create_poll(&other, json!({})).await;
        let theirs = download(&app, Some(&other.token), other_poll["id"].as_str().unwrap(), "ballots.csv").await;
        assert_eq!(theirs.status, 200, "{}", theirs.body);
    }

    async fn hidden_results_export_to_their_owner_and_turn_final_at_close(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        // AFTER_CLOSE and OWNER_ONLY hide results from voters while the poll runs, not
        // from its owner: the rule of queries (ResultsService::check_visible), so the
        // owner exports them (RESULTS_HIDDEN cannot reach an owner today).
        for visibility in ["AFTER_CLOSE", "OWNER_ONLY"] {
            let poll = app
                .create_poll(&owner, json!({ "resultsVisibility": visibility, "options": ["Yes", "No, never", "-1"] }))
                .await;
            let id = poll["id"].as_str().unwrap();
            let voters = app.register_many(&format!("v{visibility}"), 3).await;
            for (voter, pick) in voters.iter().zip([0, 0, 1]) {
                vote(&app, voter, &poll, &[pick]).await;
            }
            let open = download(&app, Some(&owner.token), id, "results.csv").await;
            assert_eq!(open.status, 200, "{}", open.body);
            assert_eq!(open.header("content-disposition"), format!("attachment; filename=\"poll-{id}-results.csv\""));
            let (header, rows) = open.records();
            assert_eq!(header, ["option", "count", "share", "final"]);
            let lines: Vec<[&str; 4]> = rows
                .iter()
                .map(|r| [r["option"].as_str(), &r["count"], &r["share"], &r["final"]])
                .collect();
            assert_eq!(
                lines,
                [["Yes", "2", "66.7", "false"], ["No, never", "1", "33.3", "false"], ["'-1", "0", "0.0", "false"]]
            );

            close(&app, &owner, id).await;
            let json = download(&app, Some(&owner.token), id, "results.json").await;
            assert_eq!(json.status, 200, "{}", json.body);
            assert_eq!(
                json.json(),
                json!([
                    { "option": "Yes", "count": 2, "share": 66.7, "final": true },
                    { "option": "No, never", "count": 1, "share": 33.3, "final": true },
                    { "option": "-1", "count": 0, "share": 0.0, "final": true },
                ])
            );
            let ballots = download(&app, Some(&owner.token), id, "ballots.csv").await;
            let (_, rows) = ballots.records();
            assert_eq!(rows.len(), 3);
            assert!(rows.iter().all(|r| r["final"] == "true"), "{}", ballots.body);
        }
    }

    async fn anonymous_polls_export_no_voter_at_all(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let poll = app.create_poll(&owner, json!({ "anonymous": true })).await;
        let id = poll["id"].as_str().unwrap();
        let voters = app.register_many("secret", 3).await;
        let mut ballots = HashSet::new();
        for voter in &voters {
            ballots.insert(vote(&app, voter, &poll, &[1]).await);
        }

        let csv = download(&app, Some(&owner.token), id, "ballots.csv").await;
        assert_eq!(csv.status, 200, "{}", csv.body);
        let (header, rows) = csv.records();
        assert_eq!(header, ["ballot_id", "cast_at", "choices", "final"]);
        let exported: HashSet<String> = rows.iter().map(|r| r["ballot_id"].clone()).collect();
        assert_eq!(exported, ballots);
        assert!(rows.iter().all(|r| r["choices"] == "Go"));

        let json = download(&app, Some(&owner.token), id, "ballots.json").await;
        assert_eq!(json.status, 200, "{}", json.body);
        for ballot in json.json().as_array().unwrap() {
            let keys: HashSet<&str> = ballot.as_object().unwrap().keys().map(|k| k.as_str()).collect();
            assert_eq!(keys, HashSet::from(["ballot_id", "cast_at", "choices", "final"]));
        }
        // Neither the voters' names nor their ids (nor anything stored in their place)
        // appear anywhere.
        for voter in &voters {
            for body in [&csv.body, &json.body] {
                assert!(!body.contains(&voter.username), "{body}");
                assert!(!body.contains(&voter.id), "{body}");
            }
        }
        let ids = uuid_like(&csv.body);
        assert_eq!(ids, ballots, "the only ids are the ballots'");
        assert_eq!(uuid_like(&json.body), ballots);
    }

    async fn an_export_of_many_pages_returns_every_ballot_once_in_a_stable_order(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| c.exports.chunk = 3).await;
        let owner = app.register("owner").await;
        let poll = app.create_poll(&owner, json!({})).await;
        let id = poll["id"].as_str().unwrap();
        // 3 pages of 3, one of 2: a page boundary falls inside and at no end.
        let voters = app.register_many("many", 11).await;
        let mut ballots = HashSet::new();
        for (i, voter) in voters.iter().enumerate() {
            ballots.insert(vote(&app, voter, &poll, &[i % 3]).await);
        }
        let order = |d: &Download| -> Vec<String> {
            d.records().1.into_iter().map(|r| r["ballot_id"].clone()).collect()
        };
        let first = order(&download(&app, Some(&owner.token), id, "ballots.csv").await);
        assert_eq!(first.len(), 11, "{first:?}");
        assert_eq!(first.iter().cloned().collect::<HashSet<_>>(), ballots);
        let again = order(&download(&app, Some(&owner.token), id, "ballots.csv").await);
        assert_eq!(again, first, "the order is stable");
        let json = download(&app, Some(&owner.token), id, "ballots.json").await;
        let in_json: Vec<String> = json
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["ballot_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(in_json, first, "JSON has the same rows in the same order");

        // A multiple of the page size ends on a full page, then an empty one.
        let more = app.register("twelfth").await;
        ballots.insert(vote(&app, &more, &poll, &[0]).await);
        let twelve = order(&download(&app, Some(&owner.token), id, "ballots.csv").await);
        assert_eq!(twelve.iter().cloned().collect::<HashSet<_>>(), ballots);
        assert_eq!(twelve.len(), 12);
    }

    async fn exports_past_the_concurrency_bound_wait_for_one_to_end(backend: Backend) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let app = TestApp::spawn_with(backend, |c| c.exports.max_concurrent = 1).await;
        let owner = app.register("owner").await;
        // Twenty options of 200 four-byte characters, all chosen: 16 KB per ballot, so
        // an export of 100 ballots fills every buffer between the server and a client
        // that does not read, and holds its slot.
        let options: Vec<String> = (0..20)
            .map(|i| format!("{}{}", char::from(b'a' + i as u8), "🦀".repeat(199)))
            .collect();
        let poll = app
            .create_poll(&owner, json!({ "kind": "MULTIPLE", "maxChoices": 20, "options": options }))
            .await;
        let id = poll["id"].as_str().unwrap();
        let everything: Vec<usize> = (0..20).collect();
        let voters = app.register_many("bulk", 100).await;
        for voter in &voters {
            vote(&app, voter, &poll, &everything).await;
        }

        // A client that asks for the ballots, reads the headers, then stops reading.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let address = app.address.trim_start_matches("http://").parse().unwrap();
        let mut slow = socket.connect(address).await.unwrap();
        let request = format!(
            "GET /exports/polls/{id}/ballots.csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
            owner.token
        );
        slow.write_all(request.as_bytes()).await.unwrap();
        let mut start = [0u8; 12];
        slow.read_exact(&mut start).await.unwrap();
        assert_eq!(&start, b"HTTP/1.1 200");

        for file in ["ballots.csv", "ballots.json"] {
            let refused = download(&app, Some(&owner.token), id, file).await;
            assert_eq!((refused.status, refused.code().as_str()), (429, "TOO_MANY_EXPORTS"), "{}", refused.body);
            assert_eq!(refused.header("retry-after"), "5");
        }
        // Results are one small read and take no slot.
        assert_eq!(download(&app, Some(&owner.token), id, "results.csv").await.status, 200);

        // The slow client leaves; its slot is freed as soon as the server notices.
        drop(slow);
        let mut answered = None;
        for _ in 0..100 {
            let again = download(&app, Some(&owner.token), id, "ballots.csv").await;
            if again.status == 200 {
                answered = Some(again);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let whole = answered.expect("the slot is freed once the slow client is gone");
        assert_eq!(whole.records().1.len(), 100);
    }
}

/// Every UUID-shaped token in `text`.
fn uuid_like(text: &str) -> HashSet<String> {
    text.split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .filter(|t| t.len() == 36 && uuid::Uuid::parse_str(t).is_ok())
        .map(str::to_owned)
        .collect()
}

both_backends! {
    async fn an_owner_downloads_a_ranked_polls_ballots_as_blt_one_line_per_distinct_ranking(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let poll = app
            .create_poll(
                &owner,
                json!({
                    "title": "Capital \"city\"",
                    "options": ["Memphis", "Nashville", "Knoxville"],
                    "kind": "RANKED",
                }),
            )
            .await;
        let voters = app.register_many("voter", 4).await;
        vote(&app, &voters[0], &poll, &[1, 2, 0]).await;
        vote(&app, &voters[1], &poll, &[2]).await;
        vote(&app, &voters[2], &poll, &[1, 2, 0]).await;
        vote(&app, &voters[3], &poll, &[0, 1]).await;

        let file = download(&app, Some(&owner.token), poll["id"].as_str().unwrap(), "ballots.blt").await;
        assert_eq!(file.status, 200, "{}", file.body);
        assert_eq!(file.header("content-type"), "text/plain; charset=utf-8");
        assert_eq!(file.header("cache-control"), "no-store");
        assert!(file.header("content-disposition").ends_with("-ballots.blt\""));
        // Lines in the tally's group order ("0>1" < "1>2>0" < "2"), candidates 1-based;
        // the quote in the title cannot end the BLT string early.
        assert_eq!(
            file.body,
            "3 1\n1 1 2 0\n2 2 3 1 0\n1 3 0\n0\n\"Memphis\"\n\"Nashville\"\n\"Knoxville\"\n\"Capital 'city'\"\n"
        );
    }

    async fn a_poll_that_is_not_ranked_has_no_blt_file(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let stranger = app.register("stranger").await;
        for kind in ["SINGLE", "MULTIPLE"] {
            let poll = app.create_poll(&owner, json!({ "kind": kind })).await;
            let id = poll["id"].as_str().unwrap();
            let refused = download(&app, Some(&owner.token), id, "ballots.blt").await;
            assert_eq!((refused.status, refused.code().as_str()), (400, "BAD_USER_INPUT"), "{}", refused.body);
            // Who may export is checked first, as for every file.
            let refused = download(&app, Some(&stranger.token), id, "ballots.blt").await;
            assert_eq!((refused.status, refused.code().as_str()), (403, "FORBIDDEN"));
            assert_eq!(download(&app, None, id, "ballots.blt").await.status, 401);
        }
    }
}
