//! RANKED and SCORE polls through the API: settings, ballots cast, changed, retracted
//! and replayed, every misfit ballot refused with `INVALID_OPTION`, and stored kinds a
//! version does not know refused with `UNSUPPORTED_POLL`.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, TestUser, error_code, option_ids};
use crate::ws_support::WsClient;

const POLL: &str = "id kind minChoices maxChoices scoreRange { min max } options { id text }";
const VOTE: &str = "id optionIds options { text } scores { option { text } score }";

async fn create(app: &TestApp, user: &TestUser, input: Value) -> Value {
    let mut input = input;
    let fields = input.as_object_mut().unwrap();
    fields.entry("title").or_insert(json!("Best city?"));
    fields
        .entry("options")
        .or_insert(json!(["Memphis", "Nashville", "Chattanooga", "Knoxville"]));
    app.graphql(
        Some(&user.token),
        &format!("mutation($input: CreatePollInput!) {{ createPoll(input: $input) {{ {POLL} }} }}"),
        json!({ "input": input }),
    )
    .await
}

async fn created(app: &TestApp, user: &TestUser, input: Value) -> Value {
    let body = create(app, user, input).await;
    let poll = body["data"]["createPoll"].clone();
    assert!(poll.is_object(), "createPoll failed: {body}");
    poll
}

async fn cast(app: &TestApp, user: &TestUser, input: Value) -> Value {
    app.graphql(
        Some(&user.token),
        &format!("mutation($input: CastVoteInput!) {{ castVote(input: $input) {{ replayed vote {{ {VOTE} }} }} }}"),
        json!({ "input": input }),
    )
    .await
}

async fn change(app: &TestApp, user: &TestUser, input: Value) -> Value {
    app.graphql(
        Some(&user.token),
        &format!("mutation($input: ChangeVoteInput!) {{ changeVote(input: $input) {{ replayed vote {{ {VOTE} }} }} }}"),
        json!({ "input": input }),
    )
    .await
}

async fn retract(app: &TestApp, user: &TestUser, poll: &str, key: &str) -> Value {
    app.graphql(
        Some(&user.token),
        &format!("mutation($input: RetractVoteInput!) {{ retractVote(input: $input) {{ replayed retractedVote {{ {VOTE} }} }} }}"),
        json!({ "input": { "pollId": poll, "idempotencyKey": key } }),
    )
    .await
}

async fn my_vote(app: &TestApp, user: &TestUser, poll: &str) -> Value {
    let body = app
        .graphql(
            Some(&user.token),
            &format!("query($id: ID!) {{ poll(id: $id) {{ myVote {{ {VOTE} }} }} }}"),
            json!({ "id": poll }),
        )
        .await;
    body["data"]["poll"]["myVote"].clone()
}

/// The option counters (`PollResults.options[].votes`), in the poll's order.
async fn counters(app: &TestApp, user: &TestUser, poll: &str) -> Vec<i64> {
    let body = app.results(Some(user), poll).await;
    body["data"]["poll"]["results"]["options"]
        .as_array()
        .unwrap_or_else(|| panic!("no results: {body}"))
        .iter()
        .map(|o| o["votes"].as_i64().unwrap())
        .collect()
}

fn texts(vote: &Value) -> Vec<&str> {
    vote["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["text"].as_str().unwrap())
        .collect()
}

fn scores(o: &[String], given: &[(usize, i32)]) -> Value {
    given
        .iter()
        .map(|&(i, score)| json!({ "optionId": o[i], "score": score }))
        .collect()
}

/// Sets a column of one poll's row to `value`, as a newer version could have written it.
async fn write_poll_column(app: &TestApp, poll: &str, column: &str, value: &str) {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let db = app.db().await;
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => format!("UPDATE polls SET {column} = $1 WHERE id = $2"),
        _ => format!("UPDATE polls SET {column} = ? WHERE id = ?"),
    };
    let id = uuid::Uuid::parse_str(poll).unwrap();
    let done = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [value.into(), id.into()],
        ))
        .await
        .unwrap();
    assert_eq!(done.rows_affected(), 1);
}

/// The `vote_choices` values of the ballots, in ascending order.
async fn stored_values(app: &TestApp) -> Vec<i32> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = app.db().await;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT value FROM vote_choices ORDER BY value".to_owned(),
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<i32>("", "value").unwrap())
        .collect()
}

both_backends! {
    async fn ranked_and_score_polls_get_their_kinds_defaults(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let ranked = created(&app, &owner, json!({ "kind": "RANKED" })).await;
        assert_eq!(ranked["kind"], "RANKED");
        assert_eq!((ranked["minChoices"].as_i64(), ranked["maxChoices"].as_i64()), (Some(1), Some(4)));
        assert_eq!(ranked["scoreRange"], Value::Null);
        let score = created(&app, &owner, json!({ "kind": "SCORE" })).await;
        assert_eq!(score["kind"], "SCORE");
        assert_eq!((score["minChoices"].as_i64(), score["maxChoices"].as_i64()), (Some(4), Some(4)));
        assert_eq!(score["scoreRange"], json!({ "min": 0, "max": 5 }));
        let custom = created(&app, &owner, json!({ "kind": "SCORE", "scoreMin": -2, "scoreMax": 2, "minChoices": 1 })).await;
        assert_eq!(custom["scoreRange"], json!({ "min": -2, "max": 2 }));
        assert_eq!(custom["minChoices"], 1);
    }

    async fn settings_a_kind_does_not_allow_are_refused_naming_the_field(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        for (input, field) in [
            (json!({ "kind": "SCORE", "scoreMin": -11 }), "input.scoreMin"),
            (json!({ "kind": "SCORE", "scoreMax": 101, "scoreMin": 95 }), "input.scoreMax"),
            (json!({ "kind": "SCORE", "scoreMin": 0, "scoreMax": 11 }), "input.scoreMax"),
            (json!({ "kind": "SCORE", "scoreMin": 3, "scoreMax": 3 }), "input.scoreMax"),
            (json!({ "kind": "RANKED", "scoreMax": 5 }), "input.scoreMax"),
            (json!({ "kind": "SINGLE", "scoreMin": 0 }), "input.scoreMin"),
            (json!({ "kind": "RANKED", "maxChoices": 5 }), "input.maxChoices"),
            (json!({ "kind": "RANKED", "minChoices": 0 }), "input.minChoices"),
        ] {
            let body = create(&app, &owner, input.clone()).await;
            assert_eq!(error_code(&body), Some("BAD_USER_INPUT"), "{input}: {body}");
            assert_eq!(body["errors"][0]["extensions"]["field"], field, "{input}: {body}");
        }
    }

    async fn a_ranking_is_kept_in_order_replayed_changed_and_retracted(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = created(&app, &owner, json!({ "kind": "RANKED", "allowVoteChange": true })).await;
        let (id, o) = (poll["id"].as_str().unwrap(), option_ids(&poll));

        let input = json!({ "pollId": id, "optionIds": [o[2], o[0], o[3]], "idempotencyKey": "r1" });
        let first = cast(&app, &voter, input.clone()).await;
        let vote = &first["data"]["castVote"]["vote"];
        assert_eq!(vote["optionIds"], json!([o[2], o[0], o[3]]), "{first}");
        assert_eq!(texts(vote), ["Chattanooga", "Memphis", "Knoxville"]);
        assert_eq!(vote["scores"], json!([]));
        assert_eq!(stored_values(&app).await, [1, 2, 3]);
        // First preferences only.
        assert_eq!(counters(&app, &owner, id).await, [0, 0, 1, 0]);

        let again = cast(&app, &voter, input).await;
        assert_eq!(again["data"]["castVote"]["replayed"], true, "{again}");
        assert_eq!(again["data"]["castVote"]["vote"]["optionIds"], json!([o[2], o[0], o[3]]));
        // Another order is another input under the same key.
        let reordered = cast(&app, &voter, json!({ "pollId": id, "optionIds": [o[0], o[2], o[3]], "idempotencyKey": "r1" })).await;
        assert_eq!(error_code(&reordered), Some("IDEMPOTENCY_KEY_REUSED"), "{reordered}");
        assert_eq!(my_vote(&app, &voter, id).await["optionIds"], json!([o[2], o[0], o[3]]));

        let changed = change(&app, &voter, json!({ "pollId": id, "optionIds": [o[1], o[2]], "idempotencyKey": "r2" })).await;
        assert_eq!(changed["data"]["changeVote"]["vote"]["optionIds"], json!([o[1], o[2]]), "{changed}");
        assert_eq!(counters(&app, &owner, id).await, [0, 1, 0, 0]);
        assert_eq!(my_vote(&app, &voter, id).await["optionIds"], json!([o[1], o[2]]));
        let replayed = change(&app, &voter, json!({ "pollId": id, "optionIds": [o[1], o[2]], "idempotencyKey": "r2" })).await;
        assert_eq!(replayed["data"]["changeVote"]["replayed"], true, "{replayed}");
        assert_eq!(replayed["data"]["changeVote"]["vote"]["optionIds"], json!([o[1], o[2]]));

        let gone = retract(&app, &voter, id, "r3").await;
        assert_eq!(gone["data"]["retractVote"]["retractedVote"]["optionIds"], json!([o[1], o[2]]), "{gone}");
        let gone_again = retract(&app, &voter, id, "r3").await;
        assert_eq!(gone_again["data"]["retractVote"]["retractedVote"]["optionIds"], json!([o[1], o[2]]));
        assert_eq!(counters(&app, &owner, id).await, [0, 0, 0, 0]);
        assert_eq!(app.count_rows("vote_choices").await, 0);
    }

    async fn scores_are_stored_replayed_changed_and_counted_per_option(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let poll = created(&app, &owner, json!({ "kind": "SCORE", "minChoices": 2, "allowVoteChange": true })).await;
        let (id, o) = (poll["id"].as_str().unwrap(), option_ids(&poll));

        let input = json!({ "pollId": id, "scores": scores(&o, &[(3, 4), (0, 5)]), "idempotencyKey": "s1" });
        let first = cast(&app, &voter, input.clone()).await;
        let vote = &first["data"]["castVote"]["vote"];
        assert_eq!(
            vote["scores"],
            json!([{ "option": { "text": "Memphis" }, "score": 5 }, { "option": { "text": "Knoxville" }, "score": 4 }]),
            "{first}"
        );
        assert_eq!(stored_values(&app).await, [4, 5]);
        assert_eq!(counters(&app, &owner, id).await, [1, 0, 0, 1]);
        let again = cast(&app, &voter, input).await;
        assert_eq!(again["data"]["castVote"]["replayed"], true, "{again}");
        assert_eq!(again["data"]["castVote"]["vote"]["scores"], vote["scores"]);
        let other_scores = cast(&app, &voter, json!({ "pollId": id, "scores": scores(&o, &[(3, 3), (0, 5)]), "idempotencyKey": "s1" })).await;
        assert_eq!(error_code(&other_scores), Some("IDEMPOTENCY_KEY_REUSED"), "{other_scores}");

        let changed = change(&app, &voter, json!({ "pollId": id, "scores": scores(&o, &[(1, 0), (3, 2), (2, 1)]), "idempotencyKey": "s2" })).await;
        assert_eq!(changed["data"]["changeVote"]["vote"]["scores"][0]["score"], 0, "{changed}");
        assert_eq!(counters(&app, &owner, id).await, [0, 1, 1, 1]);
        let mine = my_vote(&app, &voter, id).await;
        let mine: Vec<i64> = mine["scores"].as_array().unwrap().iter().map(|s| s["score"].as_i64().unwrap()).collect();
        assert_eq!(mine, [0, 1, 2]);
        retract(&app, &voter, id, "s3").await;
        assert_eq!(counters(&app, &owner, id).await, [0, 0, 0, 0]);
    }

    async fn every_misfit_ballot_is_invalid_option_with_a_message_saying_why(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let ranked = created(&app, &owner, json!({ "kind": "RANKED", "minChoices": 2, "maxChoices": 3 })).await;
        let score = created(&app, &owner, json!({ "kind": "SCORE", "minChoices": 2, "maxChoices": 3 })).await;
        let single = created(&app, &owner, json!({})).await;
        let (r, ro) = (ranked["id"].as_str().unwrap(), option_ids(&ranked));
        let (s, so) = (score["id"].as_str().unwrap(), option_ids(&score));
        let (g, go) = (single["id"].as_str().unwrap(), option_ids(&single));
        let cases = [
            (json!({ "pollId": r, "optionIds": [ro[0]] }), "rank 2 to 3"),
            (json!({ "pollId": r, "optionIds": [ro[0], ro[1], ro[2], ro[3]] }), "rank 2 to 3"),
            (json!({ "pollId": r, "optionIds": [ro[0], ro[0]] }), "more than once"),
            (json!({ "pollId": r, "optionIds": [ro[0], so[0]] }), "not an option"),
            (json!({ "pollId": r, "optionIds": [ro[0], ro[1]], "scores": scores(&ro, &[(0, 1)]) }), "scores are for SCORE polls"),
            (json!({ "pollId": g, "scores": scores(&go, &[(0, 1)]) }), "scores are for SCORE polls"),
            (json!({ "pollId": s, "optionIds": [so[0], so[1]] }), "not optionIds"),
            (json!({ "pollId": s }), "takes scores"),
            (json!({ "pollId": s, "scores": scores(&so, &[(0, 1)]) }), "score 2 to 3"),
            (json!({ "pollId": s, "scores": scores(&so, &[(0, 1), (0, 2)]) }), "more than once"),
            (json!({ "pollId": s, "scores": scores(&so, &[(0, 6), (1, 2)]) }), "scores in this poll are 0 to 5"),
            (json!({ "pollId": s, "scores": scores(&so, &[(0, -1), (1, 2)]) }), "scores in this poll are 0 to 5"),
            (json!({ "pollId": s, "scores": [{ "optionId": ro[0], "score": 1 }, { "optionId": so[1], "score": 1 }] }), "not an option"),
        ];
        for (i, (mut input, why)) in cases.into_iter().enumerate() {
            input["idempotencyKey"] = json!(format!("k{i}"));
            let body = cast(&app, &voter, input.clone()).await;
            assert_eq!(error_code(&body), Some("INVALID_OPTION"), "{input}: {body}");
            let message = body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains(why), "{input}: {message:?} should say {why:?}");
        }
        assert_eq!(app.count_rows("votes").await, 0);
    }

    async fn a_stored_kind_or_visibility_this_version_does_not_know_is_unsupported_poll(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let voter = app.register("voter").await;
        let kind = app.create_poll(&owner, json!({})).await;
        let visibility = app.create_poll(&owner, json!({})).await;
        let (k, v) = (kind["id"].as_str().unwrap(), visibility["id"].as_str().unwrap());
        write_poll_column(&app, k, "kind", "BOGUS").await;
        write_poll_column(&app, v, "results_visibility", "BOGUS").await;
        for id in [k, v] {
            let read = app.graphql(Some(&owner.token), "query($id: ID!) { poll(id: $id) { id kind } }", json!({ "id": id })).await;
            assert_eq!(error_code(&read), Some("UNSUPPORTED_POLL"), "{read}");
            let message = read["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("does not know"), "{message}");
            let vote = app.cast_vote(&voter, id, &[&option_ids(&kind)[0]], &format!("key-{id}")).await;
            assert_eq!(error_code(&vote), Some("UNSUPPORTED_POLL"), "{vote}");
        }
        assert_eq!(app.count_rows("votes").await, 0);
    }
}

const RUNOFF: &str = "query($id: ID!) { poll(id: $id) { results { instantRunoff { rounds { number tallies { option { text } votes percentage } eliminated { text } exhaustedBallots continuingBallots } winner { text } tiedOptions { text } } scores { options { option { text } ballots total average distribution { score ballots } } winners { text } } } } }";

both_backends! {
    async fn ranked_results_show_every_round_and_score_results_show_averages(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let ranked = created(&app, &owner, json!({ "kind": "RANKED", "options": ["A", "B", "C"] })).await;
        let (id, o) = (ranked["id"].as_str().unwrap(), option_ids(&ranked));
        let ballots = [vec![0, 1], vec![0, 1], vec![1, 0], vec![2, 1], vec![2, 1]];
        for (i, ranking) in ballots.iter().enumerate() {
            let voter = app.register(&format!("ranker{i}")).await;
            let ids: Vec<&String> = ranking.iter().map(|&p| &o[p]).collect();
            let body = cast(&app, &voter, json!({ "pollId": id, "optionIds": ids, "idempotencyKey": "k" })).await;
            assert!(error_code(&body).is_none(), "{body}");
        }
        let body = app.graphql(Some(&owner.token), RUNOFF, json!({ "id": id })).await;
        let runoff = &body["data"]["poll"]["results"]["instantRunoff"];
        assert_eq!(body["data"]["poll"]["results"]["scores"], Value::Null, "{body}");
        let rounds = runoff["rounds"].as_array().unwrap_or_else(|| panic!("{body}"));
        assert_eq!(rounds.len(), 2, "{body}");
        let votes = |round: &Value| -> Vec<(String, i64)> {
            round["tallies"].as_array().unwrap().iter()
                .map(|t| (t["option"]["text"].as_str().unwrap().to_owned(), t["votes"].as_i64().unwrap()))
                .collect()
        };
        assert_eq!(votes(&rounds[0]), [("A".into(), 2), ("B".into(), 1), ("C".into(), 2)]);
        assert_eq!(rounds[0]["eliminated"], json!([{ "text": "B" }]));
        assert_eq!(rounds[0]["continuingBallots"], 5);
        assert_eq!(rounds[0]["tallies"][0]["percentage"], 40.0);
        assert_eq!(votes(&rounds[1]), [("A".into(), 3), ("C".into(), 2)]);
        assert_eq!(rounds[1]["exhaustedBallots"], 0);
        assert_eq!(runoff["winner"], json!({ "text": "A" }));
        assert_eq!(runoff["tiedOptions"], json!([]));

        let score = created(&app, &owner, json!({ "kind": "SCORE", "options": ["A", "B"], "scoreMin": 1, "scoreMax": 5 })).await;
        let (sid, so) = (score["id"].as_str().unwrap(), option_ids(&score));
        for (i, given) in [[(0, 5), (1, 3)], [(0, 4), (1, 3)]].iter().enumerate() {
            let voter = app.register(&format!("scorer{i}")).await;
            let body = cast(&app, &voter, json!({ "pollId": sid, "scores": scores(&so, given), "idempotencyKey": "k" })).await;
            assert!(error_code(&body).is_none(), "{body}");
        }
        let body = app.graphql(Some(&owner.token), RUNOFF, json!({ "id": sid })).await;
        let results = &body["data"]["poll"]["results"];
        assert_eq!(results["instantRunoff"], Value::Null, "{body}");
        let options = results["scores"]["options"].as_array().unwrap_or_else(|| panic!("{body}"));
        assert_eq!(options[0]["average"], 4.5);
        assert_eq!(options[0]["total"], 9);
        assert_eq!(options[1]["average"], 3.0);
        assert_eq!(
            options[0]["distribution"],
            json!([{ "score": 1, "ballots": 0 }, { "score": 2, "ballots": 0 }, { "score": 3, "ballots": 0 }, { "score": 4, "ballots": 1 }, { "score": 5, "ballots": 1 }])
        );
        assert_eq!(results["scores"]["winners"], json!([{ "text": "A" }]));
    }
}

/// A `pollResults` subscription asking for the rounds.
const LIVE_RUNOFF: &str = "subscription($id: ID!) { pollResults(pollId: $id) { totalVotes version instantRunoff { rounds { number tallies { option { text } votes } eliminated { text } } winner { text } } } }";

/// Messages until one counts `total` ballots (live tallies may coalesce several commits).
async fn results_with(ws: &mut WsClient, total: i64) -> Value {
    for _ in 0..20 {
        let results = ws.next_results("r").await;
        if results["totalVotes"] == total {
            return results;
        }
    }
    panic!("no pollResults message counted {total} ballots");
}

both_backends! {
    async fn a_subscriber_sees_the_runoff_rounds_change_as_ballots_arrive(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let ranked = created(&app, &owner, json!({ "kind": "RANKED", "options": ["A", "B", "C"] })).await;
        let (id, o) = (ranked["id"].as_str().unwrap().to_owned(), option_ids(&ranked));
        let mut ws = WsClient::ready(&app, Some(&owner.token)).await;
        ws.send(json!({
            "id": "r", "type": "subscribe",
            "payload": { "query": LIVE_RUNOFF, "variables": { "id": id } },
        }))
        .await;
        let first = ws.next_results("r").await;
        assert_eq!(first["instantRunoff"]["rounds"], json!([]), "{first}");

        let rank = |voter: usize, ranking: &[usize]| {
            let ids: Vec<String> = ranking.iter().map(|&p| o[p].clone()).collect();
            let (app, id, owner) = (&app, id.clone(), &owner);
            async move {
                let user = app.register(&format!("ranker{voter}")).await;
                let body = cast(app, &user, json!({ "pollId": id, "optionIds": ids, "idempotencyKey": "k" })).await;
                assert!(error_code(&body).is_none(), "{body} ({})", owner.username);
            }
        };
        rank(0, &[0, 1]).await;
        let one = results_with(&mut ws, 1).await;
        assert_eq!(one["instantRunoff"]["rounds"].as_array().map(Vec::len), Some(1), "{one}");
        assert_eq!(one["instantRunoff"]["winner"], json!({ "text": "A" }));

        // A 2, B 1, C 2: B is eliminated and its ballot goes to C, who wins round 2.
        for (voter, ranking) in [(1, vec![2]), (2, vec![1, 2]), (3, vec![0, 2]), (4, vec![2, 0])] {
            rank(voter, &ranking).await;
        }
        let five = results_with(&mut ws, 5).await;
        let rounds = five["instantRunoff"]["rounds"].as_array().unwrap_or_else(|| panic!("{five}"));
        assert_eq!(rounds.len(), 2, "{five}");
        assert_eq!(rounds[0]["eliminated"], json!([{ "text": "B" }]));
        assert_eq!(
            rounds[1]["tallies"],
            json!([{ "option": { "text": "A" }, "votes": 2 }, { "option": { "text": "C" }, "votes": 3 }])
        );
        assert_eq!(five["instantRunoff"]["winner"], json!({ "text": "C" }));
        assert!(five["version"].as_i64() > one["version"].as_i64(), "{five}");
    }
}
