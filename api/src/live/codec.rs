//! The text form of a tally, shared by the live store and the tally bus:
//! `version|total|as_of_micros|option:count,…` and, when the tally has groups (RANKED,
//! SCORE polls), a fifth part `|group=count,…`.
//!
//! The fifth part is written only when there are groups, so a SINGLE or MULTIPLE tally
//! is encoded exactly as before groups existed, and an encoding without it decodes with
//! no groups: instances of both versions read each other's tallies of those polls during
//! a rolling deploy. (An older instance cannot read a tally with groups; it treats it as
//! missing and rebuilds it from the database, and the reconciler repairs what it wrote.)
//!
//! Group keys are kind-defined text; the characters the format uses (`%`, `,`, `|`,
//! `=`) are percent-escaped in them, so any key survives the round trip.

use chrono::DateTime;
use uuid::Uuid;

use crate::domain::Tally;

/// `version|total|as_of_micros|option:count,…[|group=count,…]`
pub fn encode_tally(tally: &Tally) -> String {
    let counts: Vec<String> = tally
        .counts
        .iter()
        .map(|(option, n)| format!("{option}:{n}"))
        .collect();
    let mut text = format!(
        "{}|{}|{}|{}",
        tally.version,
        tally.total_votes,
        tally.as_of.timestamp_micros(),
        counts.join(",")
    );
    if !tally.groups.is_empty() {
        let groups: Vec<String> = tally
            .groups
            .iter()
            .map(|(key, n)| format!("{}={n}", escape(key)))
            .collect();
        text.push('|');
        text.push_str(&groups.join(","));
    }
    text
}

/// The tally of `poll` from its encoded form; `None` when it does not parse.
pub fn decode_tally(poll: Uuid, text: &str) -> Option<Tally> {
    let mut parts = text.splitn(5, '|');
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
    let groups = match parts.next() {
        None => Vec::new(),
        Some(groups) => groups
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|pair| {
                let (key, n) = pair.split_once('=')?;
                Some((unescape(key)?, n.parse().ok()?))
            })
            .collect::<Option<Vec<_>>>()?,
    };
    Some(Tally {
        poll_id: poll,
        total_votes,
        version,
        counts,
        groups,
        as_of,
    })
}

/// The characters of the format, percent-escaped in group keys.
const RESERVED: [char; 4] = ['%', ',', '|', '='];

fn escape(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for c in key.chars() {
        if RESERVED.contains(&c) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The key [`escape`] was given; `None` for a malformed escape.
fn unescape(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let hex = rest.get(at + 1..at + 3)?;
        let c = char::from(u8::from_str_radix(hex, 16).ok()?);
        if !RESERVED.contains(&c) {
            return None;
        }
        out.push(c);
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(groups: Vec<(String, i64)>) -> Tally {
        Tally {
            poll_id: Uuid::now_v7(),
            total_votes: 7,
            version: 12,
            counts: vec![(Uuid::now_v7(), 4), (Uuid::now_v7(), 3)],
            groups,
            as_of: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap_or_default(),
        }
    }

    #[test]
    fn a_tally_without_groups_is_encoded_as_before_groups_existed() {
        let t = tally(Vec::new());
        let text = encode_tally(&t);
        assert_eq!(text.matches('|').count(), 3, "{text}");
        assert_eq!(decode_tally(t.poll_id, &text), Some(t));
    }

    #[test]
    fn ranked_and_score_groups_survive_the_round_trip() {
        let t = tally(vec![
            ("0>2>1".into(), 3),
            ("1".into(), 1),
            ("2:-3".into(), 2),
            ("3:5".into(), 4),
        ]);
        assert_eq!(decode_tally(t.poll_id, &encode_tally(&t)), Some(t));
    }

    #[test]
    fn keys_holding_the_formats_own_characters_survive_the_round_trip() {
        let t = tally(vec![("a,b|c=d%e".into(), 1), ("%41".into(), 2)]);
        let text = encode_tally(&t);
        assert_eq!(text.matches('|').count(), 4, "{text}");
        assert_eq!(decode_tally(t.poll_id, &text), Some(t));
    }

    #[test]
    fn an_encoding_written_before_groups_existed_decodes_with_no_groups() {
        let poll = Uuid::now_v7();
        let option = Uuid::now_v7();
        let old = format!("5|2|1700000000000000|{option}:2");
        let decoded = decode_tally(poll, &old).expect("an old tally decodes");
        assert_eq!(decoded.counts, vec![(option, 2)]);
        assert!(decoded.groups.is_empty());
        assert_eq!(decoded.version, 5);
    }

    #[test]
    fn malformed_groups_do_not_decode() {
        let poll = Uuid::now_v7();
        let option = Uuid::now_v7();
        for groups in ["0>1", "0>1=x", "bad%2=1", "bad%41=1", "bad%4=1"] {
            let text = format!("5|2|1700000000000000|{option}:2|{groups}");
            assert_eq!(decode_tally(poll, &text), None, "{text}");
        }
    }
}
