//! Who may vote (`voters`) and whether ballots are anonymous: poll settings chosen at
//! creation, shown to everyone, fixed for the poll's life.

use serde_json::json;

use crate::both_backends;
use crate::helpers::TestApp;

const SETTINGS: &str = "query($id: ID!) { poll(id: $id) { voters anonymous } }";

both_backends! {
    async fn voters_and_anonymity_are_kept_as_chosen_and_default_to_accounts_by_name(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let owner = app.register("owner").await;
        let reader = app.register("reader").await;
        let cases = [
            (json!({}), json!({ "voters": "ACCOUNTS", "anonymous": false })),
            (json!({ "voters": "GUESTS", "anonymous": true }), json!({ "voters": "GUESTS", "anonymous": true })),
            (json!({ "voters": "INVITED" }), json!({ "voters": "INVITED", "anonymous": false })),
        ];
        for (input, expected) in cases {
            let poll = app.create_poll(&owner, input.clone()).await;
            let id = poll["id"].as_str().unwrap();
            for viewer in [None, Some(reader.token.as_str())] {
                let body = app.graphql(viewer, SETTINGS, json!({ "id": id })).await;
                assert_eq!(body["data"]["poll"], expected, "{input}: {body}");
            }
        }
    }
}
