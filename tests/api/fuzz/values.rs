//! The leaves of generated requests: literals for documents and JSON for variables.
//!
//! Drawn from pools of values that have broken parsers and coercions elsewhere (huge,
//! negative and fractional numbers where integers go, odd Unicode, empty and very long
//! strings, dates at and past the edges of years 0000–9999) and from the ids of the
//! data the run seeded, so that some arguments reach real polls, options and users.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

/// Real things of the seeded data, for generated arguments to name.
#[derive(Debug, Default)]
pub struct Pools {
    /// Ids of the user, the polls and their options.
    pub ids: Vec<String>,
    /// Ids of the polls.
    pub poll_ids: Vec<String>,
    /// Ids of the polls' options.
    pub option_ids: Vec<String>,
    /// The seeded user's id.
    pub user_id: String,
    /// Page cursors the API handed out.
    pub cursors: Vec<String>,
    /// Usernames, taken and free.
    pub usernames: Vec<String>,
    /// `Authorization` values: the seeded user's token and refused ones.
    pub authorizations: Vec<Authorization>,
}

/// An `Authorization` value, and whether the server accepts it as a signed-in user.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// The header's value (`Bearer …`).
    pub value: String,
    /// Whether it signs in (else it is refused, `UNAUTHENTICATED` or close 4403).
    pub accepted: bool,
}

/// Strings that are hard on text handling: empty, blank, combining marks, bidi
/// overrides, zero-width and format characters, a byte-order mark, astral planes,
/// control characters, NUL (which PostgreSQL's text refuses), quotes and backslashes.
const ODD_STRINGS: &[&str] = &[
    "",
    " ",
    "  padded  ",
    "Rust",
    "rust",
    "RUST ",
    "e\u{301}",
    "\u{e9}",
    "\u{202e}evil\u{202c}",
    "a\u{200b}b",
    "\u{200d}",
    "\u{feff}bom",
    "\u{1f4a9}",
    "\u{10ffff}",
    "\u{fffd}",
    "nul\u{0}byte",
    "tab\tnew\nline\r",
    "\u{7f}\u{85}\u{2028}",
    "\"quoted\" \\ back",
    "שלום",
    "投票",
    "\u{1d518}\u{1d52b}",
    "İı ß ﬃ",
    "\u{e0041}tag",
    "ㅤ",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s%n{}",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "not-a-uuid",
];

/// Integer literals: the edges of GraphQL's 32-bit `Int`, of 53-bit floats, of 64 bits,
/// and past them.
const INTS: &[&str] = &[
    "0",
    "-1",
    "101",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775809",
    "18446744073709551616",
    "340282366920938463463374607431768211457",
];

/// Integers an argument may well take (`first`, `minChoices`, …).
const SANE_INTS: &[&str] = &["1", "2", "3", "5", "10", "20", "100"];

/// Float literals, including ones no 64-bit float holds.
const FLOATS: &[&str] = &[
    "0.0", "-0.0", "1.5", "1e3", "1e308", "1e309", "-1e999", "5e-324", "1E-400", "3.0",
];

/// Dates: valid ones first (up to the edges of years 0000–9999 once in UTC), then
/// broken ones.
const DATES: &[&str] = &[
    "2030-01-01T00:00:00Z",
    "2000-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2030-01-01T00:00:00.123456+05:30",
    "0000-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "2024-02-30T00:00:00Z",
    "2024-13-01T00:00:00Z",
    "2024-01-01",
    "2024-01-01T25:61:61Z",
    "2030-01-01T00:00:00.999999999999Z",
    "yesterday",
    "",
];

/// How many of [`DATES`] are valid.
const VALID_DATES: usize = 5;

/// Lexemes that are hard on a GraphQL lexer, put where a value goes.
const RAW_LITERALS: &[&str] = &[
    r#""\ud800""#,
    r#""\uD83D\uDE00""#,
    r#""\uDE00\uD83D""#,
    r#""\u{1F600}""#,
    r#""\u{110000}""#,
    r#""\q""#,
    r#""""block "" \""" string""""#,
    r#""""""#,
    "\"unterminated",
    "1e",
    "1.",
    ".5",
    "0x1F",
    "007",
    "-",
    "NaN",
    "Infinity",
    "$",
    "@",
    "[[[[[[[[1]]]]]]]]",
    "{a:{b:{c:{d:{}}}}}",
    "[1, \"two\", THREE, null, {}]",
];

/// A GraphQL string literal holding `text`. JSON's escapes are GraphQL's too.
pub fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}

/// Text for a `String` argument or variable; with `faulty`, now and then one longer
/// than the largest body.
pub fn text(pools: &Pools, faulty: bool) -> BoxedStrategy<String> {
    let names = pools.usernames.clone();
    prop_oneof![
        6 => select(ODD_STRINGS).prop_map(str::to_owned),
        2 => select(names),
        3 => "[a-zA-Z0-9 _-]{0,40}",
        2 => any::<String>(),
        1 => (select(&['x', '\u{e9}', '\u{1f4a9}', '\u{200b}'][..]), 100usize..3000)
            .prop_map(|(c, n)| std::iter::repeat_n(c, n).collect()),
        u32::from(faulty) => Just("y".repeat(70_000)),
    ]
    .boxed()
}

/// Text for a `String` argument named `hint`: half the time one that has the shape
/// the argument asks for (an idempotency key of printable ASCII, a username, a
/// password, a cursor), so that calls get past input checks to what lies behind them.
fn text_for(pools: &Pools, hint: &str, faulty: bool) -> BoxedStrategy<String> {
    let fitting = match hint {
        "idempotencyKey" => "[ -~]{1,40}".boxed(),
        "username" => prop_oneof![
            select(pools.usernames.clone()),
            "[a-zA-Z0-9_-]{3,12}".prop_map(|s| s),
        ]
        .boxed(),
        "password" => "[a-z ]{8,24}".boxed(),
        "after" => select(pools.cursors.clone()).boxed(),
        _ => return text(pools, faulty),
    };
    prop_oneof![fitting, text(pools, faulty)].boxed()
}

/// Text for an `ID` argument or variable named `hint`: mostly the id of a real thing of
/// the kind the name says (`pollId`, `optionIds`, `ownerId`; `id` is a poll's).
pub fn id(pools: &Pools, hint: &str, faulty: bool) -> BoxedStrategy<String> {
    let hint = hint.to_ascii_lowercase();
    let fitting = if hint.contains("option") {
        pools.option_ids.clone()
    } else if hint.contains("owner") || hint.contains("user") {
        vec![pools.user_id.clone()]
    } else if hint.contains("poll") || hint == "id" {
        pools.poll_ids.clone()
    } else {
        pools.ids.clone()
    };
    prop_oneof![
        8 => select(fitting),
        2 => select(pools.ids.clone()),
        1 => select(pools.cursors.clone()),
        2 * u32::from(faulty) => select(ODD_STRINGS).prop_map(str::to_owned),
        1 => any::<u128>().prop_map(|n| uuid::Uuid::from_u128(n).to_string()),
    ]
    .boxed()
}

/// A GraphQL literal for a value of the scalar `name` for an argument named `hint`, or
/// `None` for a type this module does not know. Without `faulty`, values of the type
/// and in its range; with it, past its edges too.
pub fn scalar_literal(
    pools: &Pools,
    name: &str,
    hint: &str,
    faulty: bool,
) -> Option<BoxedStrategy<String>> {
    let hostile = u32::from(faulty);
    Some(match name {
        "String" => text_for(pools, hint, faulty)
            .prop_map(|t| quote(&t))
            .boxed(),
        "ID" => id(pools, hint, faulty).prop_map(|t| quote(&t)).boxed(),
        "Int" => prop_oneof![
            3 => select(SANE_INTS).prop_map(str::to_owned),
            3 * hostile => select(INTS).prop_map(str::to_owned),
            hostile => any::<i64>().prop_map(|n| n.to_string()),
        ]
        .boxed(),
        "Float" => select(FLOATS).prop_map(str::to_owned).boxed(),
        "Boolean" => any::<bool>().prop_map(|b| b.to_string()).boxed(),
        "DateTime" => {
            let dates = if faulty { DATES } else { &DATES[..VALID_DATES] };
            select(dates).prop_map(quote).boxed()
        }
        _ => return None,
    })
}

/// Any literal at all: scalars of every type, raw lexemes, enum-like names.
pub fn any_literal(pools: &Pools) -> BoxedStrategy<String> {
    prop_oneof![
        2 => text(pools, true).prop_map(|t| quote(&t)),
        2 => select(INTS).prop_map(str::to_owned),
        1 => select(FLOATS).prop_map(str::to_owned),
        1 => select(&["true", "false", "null", "OPEN", "NOPE", "single"][..]).prop_map(str::to_owned),
        1 => select(RAW_LITERALS).prop_map(str::to_owned),
    ]
    .boxed()
}

/// JSON for a variable of the scalar `name` used for an argument named `hint`, or
/// `None` for a type this module does not know; `faulty` as for [`scalar_literal`].
pub fn scalar_json(
    pools: &Pools,
    name: &str,
    hint: &str,
    faulty: bool,
) -> Option<BoxedStrategy<Value>> {
    let hostile = u32::from(faulty);
    let number = |n: &str| serde_json::from_str(n).unwrap_or(Value::Null);
    Some(match name {
        "String" => text_for(pools, hint, faulty).prop_map(Value::from).boxed(),
        "ID" => id(pools, hint, faulty).prop_map(Value::from).boxed(),
        "Int" => prop_oneof![
            3 => select(SANE_INTS).prop_map(number),
            3 * hostile => select(INTS).prop_map(number),
            hostile => any::<i64>().prop_map(Value::from),
            hostile => Just(json!(1.5)),
            hostile => Just(json!("7")),
        ]
        .boxed(),
        "Float" => prop_oneof![
            1 => Just(json!(1.5)),
            hostile => any::<f64>().prop_map(Value::from),
            hostile => Just(json!(1e308)),
        ]
        .boxed(),
        "Boolean" => prop_oneof![
            1 => any::<bool>().prop_map(Value::from),
            hostile => Just(json!("true")),
        ]
        .boxed(),
        "DateTime" => {
            let dates = if faulty { DATES } else { &DATES[..VALID_DATES] };
            select(dates).prop_map(Value::from).boxed()
        }
        _ => return None,
    })
}

/// JSON of the wrong shape for anything: nulls, deep arrays and objects, huge strings
/// and numbers.
pub fn wrong_json(pools: &Pools) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(json!(u64::MAX)),
        Just(json!(-0.0)),
        Just(json!(1.7e308)),
        text(pools, true).prop_map(Value::from),
        Just(json!({})),
        Just(json!([])),
    ];
    let nested = leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec(("[a-z$_]{0,6}", inner), 0..4)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    });
    prop_oneof![
        8 => nested,
        // Nesting past what a JSON parser allows by default (128 levels).
        1 => (1usize..200).prop_map(|depth| {
            (0..depth).fold(json!(1), |inner, _| json!([inner]))
        }),
    ]
    .boxed()
}
