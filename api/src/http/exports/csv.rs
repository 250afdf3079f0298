//! Exports as CSV (RFC 4180): a header line, one record per line, CRLF line ends.
//!
//! A field is quoted when it holds a comma, a double quote, CR or LF, with its double
//! quotes doubled. Text that people typed (option labels, usernames) is also guarded
//! against formula injection: a spreadsheet runs a cell that starts with `=`, `+`, `-`
//! or `@` (and, per OWASP, a tab or CR) as a formula, so such a cell gets a leading `'`
//! — spreadsheets show the text, and the apostrophe is the usual sign of it.

use chrono::SecondsFormat;
use futures::{Stream, StreamExt};

use crate::error::AppResult;
use crate::service::exports::{BallotRow, ResultRow};

/// First characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Appends `value` as one field: quoted when it must be.
fn field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// Appends text people typed as one field, guarded against formula injection.
fn text_field(out: &mut String, value: &str) {
    if value.starts_with(FORMULA_STARTS) {
        field(out, &format!("'{value}"));
    } else {
        field(out, value);
    }
}

/// The header line of a ballots export.
fn ballots_header(with_voter: bool) -> String {
    match with_voter {
        true => "ballot_id,cast_at,choices,voter,final\r\n".to_owned(),
        false => "ballot_id,cast_at,choices,final\r\n".to_owned(),
    }
}

/// Appends one ballot's record. Choices are joined by `;` (the JSON export keeps them
/// apart, for labels that hold one).
fn ballot_line(out: &mut String, row: &BallotRow, with_voter: bool) {
    out.push_str(&row.ballot_id.to_string());
    out.push(',');
    out.push_str(&row.cast_at.to_rfc3339_opts(SecondsFormat::AutoSi, true));
    out.push(',');
    text_field(out, &row.choices.join(";"));
    if with_voter {
        out.push(',');
        text_field(out, row.voter.as_deref().unwrap_or_default());
    }
    out.push(',');
    out.push_str(if row.is_final { "true" } else { "false" });
    out.push_str("\r\n");
}

/// A ballots export, a page of records at a time.
pub fn ballots(
    with_voter: bool,
    pages: impl Stream<Item = AppResult<Vec<BallotRow>>>,
) -> impl Stream<Item = AppResult<String>> {
    let head = futures::stream::once(async move { Ok(ballots_header(with_voter)) });
    head.chain(pages.map(move |page| {
        page.map(|rows| {
            let mut out = String::new();
            for row in &rows {
                ballot_line(&mut out, row, with_voter);
            }
            out
        })
    }))
}

/// A results export: one record per option.
pub fn results(rows: &[ResultRow]) -> String {
    let mut out = String::from("option,count,share,final\r\n");
    for row in rows {
        text_field(&mut out, &row.option);
        out.push_str(&format!(
            ",{},{:.1},{}\r\n",
            row.count, row.share, row.is_final
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value: &str) -> String {
        let mut out = String::new();
        text_field(&mut out, value);
        out
    }

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(one("Rust"), "Rust");
        assert_eq!(one("a, b"), "\"a, b\"");
        assert_eq!(one("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(one("two\nlines"), "\"two\nlines\"");
        assert_eq!(one("cr\rhere"), "\"cr\rhere\"");
    }

    #[test]
    fn cells_that_would_run_as_formulas_are_defused() {
        assert_eq!(one("=1+1"), "'=1+1");
        assert_eq!(one("+1"), "'+1");
        assert_eq!(one("-1"), "'-1");
        assert_eq!(one("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(one("\tx"), "'\tx");
        assert_eq!(
            one("=HYPERLINK(\"x\",\"y\")"),
            "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\""
        );
        assert_eq!(one("a=b"), "a=b");
    }
}
