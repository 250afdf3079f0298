//! The documents people read match the code: `schema.graphql` and the README.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

#[test]
fn schema_graphql_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    let from_code = tally::graphql::sdl();
    assert!(
        on_disk == from_code,
        "schema.graphql is out of date; regenerate it with\n    cargo run -p tally -- schema > schema.graphql"
    );
}

const INTROSPECTION: &str = r#"{
  __schema {
    types {
      name kind description
      fields(includeDeprecated: true) { name description args { name description } }
      inputFields { name description }
      enumValues(includeDeprecated: true) { name description }
    }
  }
}"#;

fn missing(kind: &str, name: &str, item: &Value, out: &mut Vec<String>) {
    if item["description"].as_str().is_none_or(str::is_empty) {
        out.push(format!("{kind} {name}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_and_field_has_a_description() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let body = app.graphql(None, INTROSPECTION, json!({})).await;
    let mut undocumented = Vec::new();
    let builtin = ["String", "Int", "Float", "Boolean", "ID"];
    for ty in body["data"]["__schema"]["types"].as_array().unwrap() {
        let name = ty["name"].as_str().unwrap();
        if name.starts_with("__") || builtin.contains(&name) {
            continue;
        }
        missing("type", name, ty, &mut undocumented);
        for field in ty["fields"].as_array().into_iter().flatten() {
            let field_name = format!("{name}.{}", field["name"].as_str().unwrap());
            missing("field", &field_name, field, &mut undocumented);
            for arg in field["args"].as_array().into_iter().flatten() {
                missing(
                    "argument",
                    &format!("{field_name}({})", arg["name"]),
                    arg,
                    &mut undocumented,
                );
            }
        }
        for field in ty["inputFields"].as_array().into_iter().flatten() {
            missing(
                "input field",
                &format!("{name}.{}", field["name"]),
                field,
                &mut undocumented,
            );
        }
        for value in ty["enumValues"].as_array().into_iter().flatten() {
            missing(
                "enum value",
                &format!("{name}.{}", value["name"]),
                value,
                &mut undocumented,
            );
        }
    }
    assert!(undocumented.is_empty(), "undocumented: {undocumented:#?}");
}

#[test]
fn the_readme_documents_every_setting() {
    use clap::CommandFactory;
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .unwrap_or_default();
    let undocumented: Vec<String> = tally::cli::Cli::command()
        .get_arguments()
        .filter_map(|arg| arg.get_env())
        .map(|env| env.to_string_lossy().into_owned())
        .filter(|env| !readme.contains(&format!("`{env}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "README.md does not document {undocumented:?}"
    );
}

#[test]
fn the_files_the_readme_says_run_on_both_databases_have_no_test_that_runs_on_one() {
    // Both macros run each test on SQLite and on PostgreSQL; a plain test runs once.
    const ON_BOTH: [&str; 4] = ["polls.rs", "votes.rs", "results.rs", "concurrency.rs"];
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .unwrap_or_default();
    let names: Vec<String> = ON_BOTH.iter().map(|f| format!("`{f}`")).collect();
    let claim = format!(
        "every test in {} and {}",
        names[..names.len() - 1].join(", "),
        names[names.len() - 1]
    );
    assert!(readme.contains(&claim), "README.md should say: {claim}");
    for file in ON_BOTH {
        let path = format!("{}/api/{file}", env!("CARGO_MANIFEST_DIR"));
        let source = std::fs::read_to_string(&path).expect("the test file");
        assert!(
            !source.contains("#[test]") && !source.contains("#[tokio::test"),
            "{file} has a test that runs once; write it in both_backends! (or \
             in_process_and_redis!), or change what README.md's Tests section says"
        );
    }
}
