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

#[test]
fn the_readme_error_table_is_the_catalogue_of_error_codes() {
    use std::collections::BTreeMap;
    use tally::error_code::ErrorCode;
    let in_code: BTreeMap<String, Option<u16>> = ErrorCode::all()
        .iter()
        .map(|code| (code.as_str().to_owned(), code.http_status()))
        .collect();
    assert_eq!(
        crate::fuzz::contract::CONTRACT.codes,
        in_code,
        "README.md's table under `### Error codes` (one code per row, `HTTP <status>:` \
         starting the rows of codes that refuse the HTTP request) differs from ErrorCode"
    );
}

/// The Configuration table's rows: each backquoted variable with its default cell.
/// A row may name several variables (`A` / `B`) with one default each (`1` / `2`).
fn readme_defaults(readme: &str) -> std::collections::BTreeMap<String, String> {
    let mut defaults = std::collections::BTreeMap::new();
    let rows = readme
        .lines()
        .skip_while(|line| line.trim_end() != "## Configuration")
        .skip(1)
        .take_while(|line| !line.starts_with('#'))
        .filter(|line| line.starts_with("| `"));
    for row in rows {
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        let names: Vec<&str> = cells[0].split(" / ").collect();
        let values: Vec<&str> = cells[1].split(" / ").collect();
        for (i, name) in names.iter().enumerate() {
            let value = if names.len() == values.len() {
                values[i]
            } else {
                cells[1]
            };
            defaults.insert(name.trim_matches('`').to_owned(), value.to_owned());
        }
    }
    defaults
}

#[test]
fn every_default_in_the_readme_is_the_code_default() {
    use clap::CommandFactory;
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .unwrap_or_default();
    let documented = readme_defaults(&readme);
    assert!(
        documented
            .get("TALLY_GRAPHQL_MAX_DEPTH")
            .map(String::as_str)
            == Some("`16`"),
        "the Configuration table did not read as expected: {documented:?}"
    );
    let mut wrong = Vec::new();
    for arg in tally::cli::Cli::command().get_arguments() {
        let Some(env) = arg.get_env() else { continue };
        let env = env.to_string_lossy().into_owned();
        let in_code: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|v| format!("`{}`", v.to_string_lossy()))
            .collect();
        let in_readme = documented.get(&env).cloned().unwrap_or_default();
        // A setting without a default in clap is described in words ("unset",
        // "generated in development"); one with a default shows it, in backquotes.
        let agrees = match in_code.as_slice() {
            [] => !in_readme.starts_with('`'),
            [value] => &in_readme == value,
            values => in_readme == values.join(","),
        };
        if !agrees {
            wrong.push(format!("{env}: README {in_readme:?}, code {in_code:?}"));
        }
    }
    assert!(wrong.is_empty(), "README.md's defaults differ: {wrong:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_shows_every_error_code_with_its_description_and_how_to_read_dates() {
    use tally::error_code::ErrorCode;
    let app = TestApp::spawn(Backend::Sqlite).await;
    let body = app
        .graphql(
            None,
            r#"{ errorCodes
                 codes: __type(name: "ErrorCode") { kind enumValues { name description } }
                 date: __type(name: "DateTime") { specifiedByURL }
                 node: __type(name: "Node") { kind possibleTypes { name } } }"#,
            json!({}),
        )
        .await;
    let data = &body["data"];
    let catalogue: Vec<&str> = ErrorCode::all().iter().map(|c| c.as_str()).collect();
    assert_eq!(data["errorCodes"], json!(catalogue), "{body}");
    assert_eq!(data["codes"]["kind"], "ENUM");
    let values = data["codes"]["enumValues"].as_array().expect("enum values");
    let names: Vec<&str> = values.iter().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(names, catalogue);
    // Each description says when the code is raised, starting with the HTTP status for
    // exactly the codes the HTTP layer answers with one.
    for (value, code) in values.iter().zip(ErrorCode::all()) {
        let description = value["description"].as_str().unwrap_or_default();
        assert!(description.len() > 10, "{value}");
        let status = description
            .strip_prefix("HTTP ")
            .and_then(|rest| rest.get(..3))
            .and_then(|digits| digits.parse::<u16>().ok());
        assert_eq!(status, code.http_status(), "{value}");
    }
    assert_eq!(
        data["date"]["specifiedByURL"],
        "https://datatracker.ietf.org/doc/html/rfc3339"
    );
    assert_eq!(data["node"]["kind"], "INTERFACE");
    let mut kinds: Vec<&str> = data["node"]["possibleTypes"]
        .as_array()
        .expect("possible types")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "Invitation",
            "OptionResult",
            "Poll",
            "PollOption",
            "PollResults",
            "User",
            "Vote"
        ]
    );
}
