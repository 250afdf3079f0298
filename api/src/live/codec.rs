//! The text form of a tally, shared by the live store and the tally bus:
//! `version|total|as_of_micros|option:count,…`.

use chrono::DateTime;
use uuid::Uuid;

use crate::domain::Tally;

/// `version|total|as_of_micros|option:count,…`
pub fn encode_tally(tally: &Tally) -> String {
    let counts: Vec<String> = tally
        .counts
        .iter()
        .map(|(option, n)| format!("{option}:{n}"))
        .collect();
    format!(
        "{}|{}|{}|{}",
        tally.version,
        tally.total_votes,
        tally.as_of.timestamp_micros(),
        counts.join(",")
    )
}

/// The tally of `poll` from its encoded form; `None` when it does not parse.
pub fn decode_tally(poll: Uuid, text: &str) -> Option<Tally> {
    let mut parts = text.splitn(4, '|');
    let version = parts.next()?.parse().ok()?;
    let total_votes = parts.next()?.parse().ok()?;
    let as_of = DateTime::from_timestamp_micros(parts.next()?.parse().ok()?)?;
    let counts = parts
        .next()?
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (option, n) = pair.split_once(':')?;
            Some((Uuid::parse_str(option).ok()?, n.parse().ok()?))
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Tally {
        poll_id: poll,
        total_votes,
        version,
        counts,
        groups: Vec::new(),
        as_of,
    })
}
