//! What the README promises clients, read from the README itself so that the fuzz
//! tests check the documentation people read: the error codes (with the HTTP status
//! of those that refuse a request) and the WebSocket close codes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use proptest::prop_assert;
use proptest::test_runner::TestCaseError;
use serde_json::Value;

/// The README's promises.
pub struct Contract {
    /// Every documented `extensions.code`, with the HTTP status it comes with when it
    /// refuses the HTTP request itself (`None`: answered 200, as GraphQL errors are).
    pub codes: BTreeMap<String, Option<u16>>,
    /// Every documented close code of `/graphql/ws`.
    pub close_codes: BTreeSet<u16>,
}

/// The README, read once.
pub static CONTRACT: LazyLock<Contract> = LazyLock::new(|| {
    let readme = include_str!("../../../README.md");
    Contract {
        codes: error_codes(readme),
        close_codes: close_codes(readme),
    }
});

/// The rows of the table that follows the line starting with `heading`.
fn table_after<'a>(readme: &'a str, heading: &str) -> Vec<&'a str> {
    readme
        .lines()
        .skip_while(|line| !line.starts_with(heading))
        .skip(1)
        .skip_while(|line| line.trim().is_empty())
        .take_while(|line| line.starts_with('|'))
        .skip(2) // the header and its separator
        .collect()
}

/// The rows of the first table in the section under `heading` (up to the next heading).
fn section_table<'a>(readme: &'a str, heading: &str) -> Vec<&'a str> {
    readme
        .lines()
        .skip_while(|line| line.trim_end() != heading)
        .skip(1)
        .take_while(|line| !line.starts_with('#'))
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2) // the header and its separator
        .collect()
}

/// The first cell of a table row.
fn first_cell(row: &str) -> &str {
    row.trim_start_matches('|')
        .split('|')
        .next()
        .unwrap_or_default()
}

/// The error table of "For integrators": one code per row, in backquotes in the first
/// cell; the second cell of a code that refuses the HTTP request starts with its status
/// (`HTTP 413: …`).
pub fn error_codes(readme: &str) -> BTreeMap<String, Option<u16>> {
    let mut codes = BTreeMap::new();
    for row in section_table(readme, "### Error codes") {
        let mut cells = row.trim_start_matches('|').split('|');
        let code = cells.next().unwrap_or_default().trim().trim_matches('`');
        let status = cells
            .next()
            .and_then(|when| when.trim().strip_prefix("HTTP "))
            .and_then(|rest| rest.get(..3))
            .and_then(|digits| digits.parse().ok());
        codes.insert(code.to_owned(), status);
    }
    assert!(
        codes.contains_key("INTERNAL") && codes.get("BAD_REQUEST") == Some(&Some(400)),
        "the README's error table did not read as expected: {codes:?}"
    );
    codes
}

/// The close-code table of "Live results".
fn close_codes(readme: &str) -> BTreeSet<u16> {
    let codes: BTreeSet<u16> = table_after(readme, "freed. Close codes:")
        .into_iter()
        .filter_map(|row| first_cell(row).trim().parse().ok())
        .collect();
    assert!(
        codes.contains(&4400) && codes.contains(&1009),
        "the README's close-code table did not read as expected: {codes:?}"
    );
    codes
}

/// Checks the errors of a GraphQL response answered with HTTP `status`: each has a
/// documented code that comes with that status, and none is `INTERNAL`.
pub fn check_errors(errors: &Value, status: u16) -> Result<(), TestCaseError> {
    let Some(errors) = errors.as_array() else {
        prop_assert!(errors.is_null(), "`errors` is not a list: {errors}");
        return Ok(());
    };
    prop_assert!(!errors.is_empty(), "`errors` is an empty list");
    for error in errors {
        let code = error["extensions"]["code"].as_str();
        let Some(code) = code else {
            return Err(TestCaseError::fail(format!(
                "an error without a code: {error}"
            )));
        };
        let documented = CONTRACT.codes.get(code);
        prop_assert!(documented.is_some(), "undocumented code {code}: {error}");
        prop_assert!(code != "INTERNAL", "an internal error: {error}");
        let expected = documented.copied().flatten().unwrap_or(200);
        prop_assert!(
            expected == status,
            "{code} came with HTTP {status}, the README says {expected}: {error}"
        );
        prop_assert!(
            error["message"].is_string(),
            "an error without a message: {error}"
        );
    }
    Ok(())
}

/// Checks one GraphQL response object (`data` and/or `errors`) answered with `status`.
pub fn check_response(response: &Value, status: u16) -> Result<(), TestCaseError> {
    let Some(fields) = response.as_object() else {
        return Err(TestCaseError::fail(format!(
            "a response that is not an object: {response}"
        )));
    };
    prop_assert!(
        fields.contains_key("data") || fields.contains_key("errors"),
        "a response with neither data nor errors: {response}"
    );
    check_errors(&response["errors"], status)
}

#[test]
fn the_readme_tables_read_as_the_fuzz_tests_expect() {
    let contract = &*CONTRACT;
    assert_eq!(
        contract.codes.get("UNSUPPORTED_MEDIA_TYPE"),
        Some(&Some(415))
    );
    assert_eq!(contract.codes.get("BATCH_TOO_LARGE"), Some(&Some(400)));
    assert_eq!(contract.codes.get("QUERY_TOO_DEEP"), Some(&None));
    assert!(contract.close_codes.contains(&4409));
    assert!(!contract.close_codes.contains(&1011));
    assert!(!contract.codes.contains_key("TALLY_BODY_READ_TIMEOUT_MS"));
}
