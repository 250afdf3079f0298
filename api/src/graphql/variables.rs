//! Required variables that a request leaves out.
//!
//! async-graphql's validation checks the variables a request sends against their
//! declared types, but not the ones it leaves out: a missing `$id: ID!` surfaced only
//! when a field read it, as a field error after execution had begun. GraphQL-over-HTTP
//! counts it as a variable coercion failure, a request error (400 under
//! `application/graphql-response+json`), so it is caught here, before execution.

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerError, Variables};

/// The first variable of the operation to run that is declared non-null, has no default
/// and is missing or `null` in `variables`, as an error; `None` when all are there (or
/// the operation is not in the document: validation says so).
pub fn missing_required(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> Option<ServerError> {
    let (_, operation) = document
        .operations
        .iter()
        .find(|(name, _)| operation_name.is_none() || name.map(|n| n.as_str()) == operation_name)?;
    operation
        .node
        .variable_definitions
        .iter()
        .find(|definition| {
            let definition = &definition.node;
            !definition.var_type.node.nullable
                && definition.default_value.is_none()
                && variables
                    .get(definition.name.node.as_str())
                    .is_none_or(|value| *value == async_graphql::Value::Null)
        })
        .map(|definition| {
            ServerError::new(
                format!(
                    "variable `${}` of type `{}` is required but was not provided",
                    definition.node.name.node, definition.node.var_type.node
                ),
                Some(definition.pos),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str, operation: Option<&str>, variables: serde_json::Value) -> Option<String> {
        let document = async_graphql::parser::parse_query(query).expect("a document");
        missing_required(&document, operation, &Variables::from_json(variables)).map(|e| e.message)
    }

    #[test]
    fn a_missing_or_null_required_variable_is_named() {
        let query = "query($id: ID!, $n: Int, $m: Int! = 3) { __typename }";
        assert_eq!(check(query, None, serde_json::json!({ "id": "1" })), None);
        for variables in [serde_json::json!({}), serde_json::json!({ "id": null })] {
            assert_eq!(
                check(query, None, variables).as_deref(),
                Some("variable `$id` of type `ID!` is required but was not provided")
            );
        }
    }

    #[test]
    fn only_the_operation_to_run_is_checked() {
        let query = "query A($id: ID!) { __typename } query B { __typename }";
        assert_eq!(check(query, Some("B"), serde_json::json!({})), None);
        assert!(check(query, Some("A"), serde_json::json!({})).is_some());
    }
}
