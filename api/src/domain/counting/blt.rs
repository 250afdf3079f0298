//! The BLT ballot file: the format existing counting tools (OpenSTV, Droop, the
//! ERS/Electoral Reform Society counting programs) read, so a RANKED poll's ballots can
//! be recounted outside Tally.
//!
//! ```text
//! 3 1              <- candidates, seats
//! 12 2 1 3 0       <- weight (ballots), then candidates by preference (1-based), 0
//! 5 3 0
//! 0                <- end of ballots
//! "Memphis"        <- candidate names, in candidate order
//! "Nashville"
//! "Knoxville"
//! "Capital"        <- title
//! ```
//!
//! BLT has no escape inside quotes, so a `"` in a name or title is written as `'`, and
//! line breaks and other control characters as spaces; everything else is written as is
//! (UTF-8).

use std::fmt::Write as _;

/// Writes a one-seat BLT file: one ballot line per ranking, with its number of ballots
/// as the weight.
///
/// Rankings are option positions (0-based, most preferred first). Positions not below
/// `option_texts.len()` are left out of their line; a ranking with no option left, or
/// with no ballots, writes no line.
pub fn write_blt<S: AsRef<str>>(
    title: &str,
    option_texts: &[S],
    rankings: impl IntoIterator<Item = (Vec<usize>, u64)>,
) -> String {
    let candidates = option_texts.len();
    let mut out = format!("{candidates} 1\n");
    for (ranking, ballots) in rankings {
        let mut preferences = ranking.iter().filter(|&&p| p < candidates).peekable();
        if ballots == 0 || preferences.peek().is_none() {
            continue;
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{ballots}");
        for position in preferences {
            let _ = write!(out, " {}", position + 1);
        }
        out.push_str(" 0\n");
    }
    out.push_str("0\n");
    for text in option_texts {
        out.push_str(&quoted(text.as_ref()));
        out.push('\n');
    }
    out.push_str(&quoted(title));
    out.push('\n');
    out
}

/// A name or title as a BLT string: in double quotes, with the characters BLT cannot
/// carry replaced (see the module documentation).
fn quoted(text: &str) -> String {
    let inner: String = text
        .chars()
        .map(|c| match c {
            '"' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("\"{inner}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blt_file_lists_weighted_rankings_then_names_then_the_title() {
        let names = ["Memphis", "Nashville", "Chattanooga", "Knoxville"];
        let rankings = vec![
            (vec![0, 1, 2, 3], 42),
            (vec![1, 2, 3, 0], 26),
            (vec![3], 17),
        ];
        let blt = write_blt("Capital of Tennessee", &names, rankings);
        assert_eq!(
            blt,
            "4 1\n42 1 2 3 4 0\n26 2 3 4 1 0\n17 4 0\n0\n\"Memphis\"\n\"Nashville\"\n\
             \"Chattanooga\"\n\"Knoxville\"\n\"Capital of Tennessee\"\n"
        );
    }

    #[test]
    fn empty_rankings_unknown_positions_and_zero_weights_write_no_ballot_line() {
        let rankings = vec![(vec![], 3), (vec![7], 2), (vec![1, 9, 0], 4), (vec![0], 0)];
        let blt = write_blt("t", &["a", "b"], rankings);
        assert_eq!(blt, "2 1\n4 2 1 0\n0\n\"a\"\n\"b\"\n\"t\"\n");
    }

    #[test]
    fn quotes_and_line_breaks_cannot_break_the_file_apart() {
        let blt = write_blt("say \"yes\"\n", &["a\"b", "c\nd"], Vec::new());
        assert_eq!(blt, "2 1\n0\n\"a'b\"\n\"c d\"\n\"say 'yes' \"\n");
    }
}
