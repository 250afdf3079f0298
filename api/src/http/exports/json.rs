//! Exports as JSON: one array, one object per ballot (or option), written a page at a
//! time so that it never exists whole in memory.
//!
//! Ballot objects carry the CSV's columns under the same names: `ballot_id`, `cast_at`,
//! `choices` (an array of labels), `voter` (absent on anonymous polls) and `final`.

use chrono::SecondsFormat;
use futures::{Stream, StreamExt};
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::service::exports::{BallotRow, ResultRow};

#[derive(Serialize)]
struct Ballot<'a> {
    ballot_id: String,
    cast_at: String,
    choices: &'a [String],
    /// Outer `None`: no voter column (anonymous poll); inner `None`: no username known.
    #[serde(skip_serializing_if = "Option::is_none")]
    voter: Option<Option<&'a str>>,
    #[serde(rename = "final")]
    is_final: bool,
}

#[derive(Serialize)]
struct OptionLine<'a> {
    option: &'a str,
    count: i64,
    share: f64,
    #[serde(rename = "final")]
    is_final: bool,
}

fn ballot_json(row: &BallotRow, with_voter: bool) -> Result<String, serde_json::Error> {
    serde_json::to_string(&Ballot {
        ballot_id: row.ballot_id.to_string(),
        cast_at: row.cast_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        choices: &row.choices,
        voter: with_voter.then_some(row.voter.as_deref()),
        is_final: row.is_final,
    })
}

fn serialising(error: serde_json::Error) -> AppError {
    AppError::Internal(anyhow::Error::new(error).context("serialising an export"))
}

/// A ballots export: `[`, the pages' objects separated by commas, `]`.
pub fn ballots(
    with_voter: bool,
    pages: impl Stream<Item = AppResult<Vec<BallotRow>>>,
) -> impl Stream<Item = AppResult<String>> {
    let mut first = true;
    let body = pages.map(move |page| {
        let mut out = String::new();
        for row in &page? {
            out.push_str(if first { "\n" } else { ",\n" });
            first = false;
            out.push_str(&ballot_json(row, with_voter).map_err(serialising)?);
        }
        Ok(out)
    });
    futures::stream::once(async { Ok("[".to_owned()) })
        .chain(body)
        .chain(futures::stream::once(async { Ok("\n]\n".to_owned()) }))
}

/// A results export: an array with one object per option.
pub fn results(rows: &[ResultRow]) -> AppResult<String> {
    let lines: Vec<OptionLine<'_>> = rows
        .iter()
        .map(|row| OptionLine {
            option: &row.option,
            count: row.count,
            share: row.share,
            is_final: row.is_final,
        })
        .collect();
    serde_json::to_string_pretty(&lines).map_err(serialising)
}
