//! How deep a document's text may nest, checked before any parser reads it.
//!
//! async-graphql's parser, and the steps after it (validation, argument coercion,
//! dropping the tree), recurse once per bracket of a value, and nothing bounds how deep
//! a value nests: an argument of a few hundred `[` or `{a:` overflowed a worker
//! thread's stack, and a stack overflow aborts the whole process, for every client
//! (found by the fuzz tests). Selection sets are bounded only after parsing. So the
//! brackets of the text are counted first, in one pass over its bytes that skips
//! strings, block strings and comments, and a document nesting deeper than
//! [`MAX_NESTING`] is refused `QUERY_TOO_DEEP` without being parsed.

use async_graphql::parser::types::ExecutableDocument;

/// Deepest nesting of `{`, `[` and `(` together in a document's text: twice what a
/// query can use (async-graphql refuses selection sets nested deeper than 32), a
/// quarter of what overflowed a 2 MiB stack in a debug build (about 270 levels).
pub const MAX_NESTING: usize = 64;

/// Why a document could not be parsed.
#[derive(Debug)]
pub enum Unparsable {
    /// Its brackets nest deeper than [`MAX_NESTING`]; it was not parsed.
    TooDeep,
    /// It is not GraphQL.
    Syntax(async_graphql::parser::Error),
}

/// Parses `text` as a GraphQL document, unless it nests too deep to parse safely.
pub fn parse_document(text: &str) -> Result<ExecutableDocument, Unparsable> {
    if !nesting_within(text, MAX_NESTING) {
        return Err(Unparsable::TooDeep);
    }
    async_graphql::parser::parse_query(text).map_err(Unparsable::Syntax)
}

/// Whether the brackets of `text` (outside strings and comments) nest at most `max`
/// deep. Linear in the text, no allocation. Unbalanced or unterminated text is left to
/// the parser to refuse.
pub fn nesting_within(text: &str, max: usize) -> bool {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                // A comment, to the end of the line.
                while i < bytes.len() && !matches!(bytes[i], b'\n' | b'\r') {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                // A block string, to the next `"""` not escaped as `\"""`.
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
                continue;
            }
            b'"' => {
                // A string, to the next unescaped `"` (strings hold no line breaks).
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'"' | b'\n' | b'\r') {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_of_every_kind_count_together() {
        assert!(nesting_within("{ a(x: [{b: 1}]) }", 4));
        assert!(!nesting_within("{ a(x: [{b: 1}]) }", 3));
        assert!(nesting_within("{ a } { b } { c }", 1));
    }

    #[test]
    fn brackets_in_strings_block_strings_and_comments_do_not_count() {
        assert!(nesting_within(r#"{ a(x: "[[[[{{{(\"") }"#, 2));
        assert!(nesting_within("{ a(x: \"\"\"[[[ \\\"\"\" [[[\"\"\") }", 2));
        assert!(nesting_within("{ a # [[[[[[\n }", 1));
        assert!(!nesting_within("{ a(x: \"]]\" [[[1]]]) }", 4));
    }

    #[test]
    fn a_deep_document_is_refused_unparsed_and_a_normal_one_parses() {
        let deep = format!(
            "{{ a(x: {}1{}) }}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(matches!(parse_document(&deep), Err(Unparsable::TooDeep)));
        assert!(
            parse_document("query($id: ID!) { poll(id: $id) { results { options { votes } } } }")
                .is_ok()
        );
        assert!(matches!(parse_document("{ a"), Err(Unparsable::Syntax(_))));
    }
}
