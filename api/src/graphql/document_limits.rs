//! Limits on a parsed document, checked before async-graphql's validation runs.
//!
//! async-graphql's validation visitors (depth, complexity, cache control) expand every
//! fragment spread, and they run synchronously on the request's worker thread: a 1 KB
//! document of 24 fragments, each spreading the one before twice, is 2^24 selections of
//! work (20 s of CPU and gigabytes of memory), which no timeout can interrupt. So the
//! size a document would have with every spread expanded is counted here first, each
//! fragment's size worked out once (memoised), so the count costs time linear in the
//! document's text whatever it would expand to, and a document over the budget is
//! refused before any visitor sees it.
//!
//! The alias limit lives here too (async-graphql 7 has none): aliases are how one
//! operation asks for the same expensive field many times.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// What a document is checked against.
#[derive(Debug, Clone, Copy)]
pub struct DocumentLimits {
    /// Most selections (fields, inline fragments, spreads) in all operations of the
    /// document, counted with every fragment spread expanded.
    pub max_selections: usize,
    /// Most aliased fields written in the document.
    pub max_aliases: usize,
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breach {
    /// Expanded, the document is bigger than `max_selections` (the count stops at the
    /// first selection past the budget).
    TooManySelections {
        /// The budget.
        max: usize,
    },
    /// The document writes more aliases than `max_aliases`.
    TooManyAliases {
        /// Aliases written.
        found: usize,
        /// The budget.
        max: usize,
    },
}

impl DocumentLimits {
    /// Checks a parsed document; cheap (linear in the document's text).
    pub fn check(&self, document: &ExecutableDocument) -> Result<(), Breach> {
        let aliases = aliases_in(document);
        if aliases > self.max_aliases {
            return Err(Breach::TooManyAliases {
                found: aliases,
                max: self.max_aliases,
            });
        }
        if expanded_selections(document, self.max_selections) > self.max_selections {
            return Err(Breach::TooManySelections {
                max: self.max_selections,
            });
        }
        Ok(())
    }
}

/// A selection set's own selections, and the fragments it spreads (once per spread).
#[derive(Default)]
struct Shape<'a> {
    own: usize,
    spreads: Vec<&'a str>,
}

/// Walks a selection set (not into fragments). Nesting is bounded by the parser's
/// recursion limit, so this recursion is too.
fn shape_of<'a>(set: &'a SelectionSet, shape: &mut Shape<'a>) {
    for item in &set.items {
        shape.own = shape.own.saturating_add(1);
        match &item.node {
            Selection::Field(field) => shape_of(&field.node.selection_set.node, shape),
            Selection::InlineFragment(inline) => shape_of(&inline.node.selection_set.node, shape),
            Selection::FragmentSpread(spread) => {
                shape.spreads.push(spread.node.fragment_name.node.as_str());
            }
        }
    }
}

/// Selections in all operations with every spread expanded, saturating; counting may
/// stop early once past `stop_above`. Unknown fragments count nothing and a fragment
/// that spreads itself counts as empty inside itself (validation refuses both later).
pub fn expanded_selections(document: &ExecutableDocument, stop_above: usize) -> usize {
    let shapes: HashMap<&str, Shape> = document
        .fragments
        .iter()
        .map(|(name, fragment)| {
            let mut shape = Shape::default();
            shape_of(&fragment.node.selection_set.node, &mut shape);
            (name.as_str(), shape)
        })
        .collect();
    let sizes = fragment_sizes(&shapes);
    let mut total: usize = 0;
    for (_, operation) in document.operations.iter() {
        let mut shape = Shape::default();
        shape_of(&operation.node.selection_set.node, &mut shape);
        total = total.saturating_add(shape.own);
        for name in shape.spreads {
            total = total.saturating_add(sizes.get(name).copied().unwrap_or(0));
        }
        if total > stop_above {
            break;
        }
    }
    total
}

/// The expanded size of every fragment, each computed once, depth first with an
/// explicit stack (a chain of thousands of fragments must not overflow the thread's
/// stack).
fn fragment_sizes<'a>(shapes: &HashMap<&'a str, Shape<'a>>) -> HashMap<&'a str, usize> {
    let mut sizes: HashMap<&str, usize> = HashMap::with_capacity(shapes.len());
    for &root in shapes.keys() {
        if sizes.contains_key(root) {
            continue;
        }
        // A fragment is pushed to be expanded (false), then again to be summed once its
        // spreads are known (true). A cycle meets a fragment in progress: it gets size
        // 0 there, so the walk ends.
        let mut stack = vec![(root, false)];
        let mut in_progress: HashSet<&str> = HashSet::new();
        while let Some((name, ready)) = stack.pop() {
            let Some(shape) = shapes.get(name) else {
                sizes.insert(name, 0);
                continue;
            };
            if ready {
                let size = shape.spreads.iter().fold(shape.own, |sum, spread| {
                    sum.saturating_add(sizes.get(spread).copied().unwrap_or(0))
                });
                sizes.insert(name, size);
                in_progress.remove(name);
                continue;
            }
            if sizes.contains_key(name) || in_progress.contains(&name) {
                continue;
            }
            in_progress.insert(name);
            stack.push((name, true));
            for spread in &shape.spreads {
                if !sizes.contains_key(spread) && !in_progress.contains(spread) {
                    stack.push((spread, false));
                }
            }
        }
    }
    sizes
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => count_aliases(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Aliases written anywhere in the document (each fragment counted once).
pub fn aliases_in(document: &ExecutableDocument) -> usize {
    let in_operations: usize = document
        .operations
        .iter()
        .map(|(_, op)| count_aliases(&op.node.selection_set.node))
        .sum();
    let in_fragments: usize = document
        .fragments
        .values()
        .map(|f| count_aliases(&f.node.selection_set.node))
        .sum();
    in_operations + in_fragments
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn bomb(levels: usize) -> String {
        let mut text = format!("query {{ ...F{levels} }}\nfragment F0 on Query {{ __typename }}\n");
        for i in 1..=levels {
            text.push_str(&format!(
                "fragment F{i} on Query {{ ...F{} ...F{} }}\n",
                i - 1,
                i - 1
            ));
        }
        text
    }

    fn expanded(text: &str) -> usize {
        let document = parse_query(text).expect("a valid document");
        expanded_selections(&document, usize::MAX)
    }

    #[test]
    fn plain_selections_are_counted_once_each() {
        assert_eq!(expanded("{ a b { c d } }"), 4);
        assert_eq!(expanded("{ a ... on Query { b } }"), 3);
    }

    #[test]
    fn each_spread_counts_its_fragment_expanded() {
        // The spread itself, then the fragment's two selections, twice.
        assert_eq!(
            expanded("{ ...A ...A } fragment A on Query { x y }"),
            2 + 2 * 2
        );
    }

    #[test]
    fn a_fragment_bomb_is_counted_without_being_expanded() {
        // Level 0 is one selection; level i is its two spreads plus level i-1 twice.
        let document = parse_query(bomb(60)).expect("a valid document");
        let started = std::time::Instant::now();
        let size = expanded_selections(&document, usize::MAX);
        assert!(
            size > 1 << 40,
            "a 60-level bomb expands past 2^40, got {size}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn cycles_and_unknown_fragments_end() {
        // Where the cycle is cut depends on which fragment is met first; either way
        // the count ends, and validation refuses the cycle afterwards.
        let cyclic =
            expanded("{ ...A } fragment A on Query { x ...B } fragment B on Query { ...A }");
        assert!((3..=4).contains(&cyclic), "{cyclic}");
        assert_eq!(expanded("{ ...Missing }"), 1);
    }

    #[test]
    fn a_long_chain_of_fragments_does_not_overflow_the_stack() {
        let mut text = String::from("{ ...F0 }\n");
        for i in 0..20_000 {
            text.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1));
        }
        text.push_str("fragment F20000 on Query { x }\n");
        assert_eq!(expanded(&text), 20_002);
    }

    #[test]
    fn limits_refuse_what_is_over_them() {
        let limits = DocumentLimits {
            max_selections: 100,
            max_aliases: 1,
        };
        let document = parse_query(bomb(24)).expect("a valid document");
        assert_eq!(
            limits.check(&document),
            Err(Breach::TooManySelections { max: 100 })
        );
        let aliased = parse_query("{ a: x b: x }").expect("a valid document");
        assert_eq!(
            limits.check(&aliased),
            Err(Breach::TooManyAliases { found: 2, max: 1 })
        );
        let fine = parse_query("{ a: x y }").expect("a valid document");
        assert_eq!(limits.check(&fine), Ok(()));
    }
}
