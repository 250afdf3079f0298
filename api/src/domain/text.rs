//! Text people type into polls (titles, descriptions, options): which characters it may
//! hold, and the form two options are compared in.
//!
//! Invisible characters let two texts look the same and differ, and bidirectional
//! controls make text display in another order than it is stored ("Trojan Source",
//! CVE-2021-42574). Tally **refuses** them with `BAD_USER_INPUT` naming the field,
//! rather than stripping them: stripping would store something other than what was
//! typed without saying so, while a refusal tells the client exactly what to fix.
//!
//! Refused anywhere:
//! - control characters (Unicode category Cc), except line feed and tab;
//! - format characters (category Cf): bidi embeddings, overrides and isolates
//!   (U+202A–U+202E, U+2066–U+2069), direction marks (U+200E, U+200F, U+061C), the zero
//!   width space (U+200B), word joiner (U+2060), byte-order mark (U+FEFF), soft hyphen,
//!   tag characters and the rest of Cf;
//! - letters that render as nothing: the Hangul fillers (U+115F, U+1160, U+3164,
//!   U+FFA0) and the combining grapheme joiner (U+034F).
//!
//! Two format characters are allowed where writing needs them: the zero-width
//! non-joiner and joiner (U+200C, U+200D) shape Persian, Arabic and Indic words and join
//! emoji into one ("👨‍👩‍👧"). They are accepted between two visible characters only,
//! and [`comparison_form`] ignores them (and variation selectors, and the kind of space),
//! so "Rust" and "Ru\u{200D}st" are the same option.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::error::AppError;

/// Zero-width non-joiner and joiner: invisible, but needed by some scripts and emoji.
const JOINERS: [char; 2] = ['\u{200C}', '\u{200D}'];

/// Letters and marks that render as nothing, though outside categories Cc and Cf.
const BLANK_LOOKING: [char; 5] = ['\u{115F}', '\u{1160}', '\u{3164}', '\u{FFA0}', '\u{034F}'];

/// Variation selectors pick a glyph for the character before them (e.g. emoji or text
/// style): allowed, but not a difference between two options.
fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Whether `c` may never appear in poll text.
fn is_hidden(c: char) -> bool {
    match c.general_category() {
        GeneralCategory::Control => c != '\n' && c != '\t',
        GeneralCategory::Format => !JOINERS.contains(&c),
        _ => BLANK_LOOKING.contains(&c),
    }
}

/// Whether `c` shows as something on its own (so a joiner next to it joins something).
fn is_visible(c: char) -> bool {
    !c.is_whitespace() && !is_hidden(c) && !JOINERS.contains(&c)
}

/// `raw`, trimmed, when it has 1 to `max` characters and nothing invisible; otherwise
/// `BAD_USER_INPUT` naming `field`.
pub fn visible_text(field: &str, raw: &str, max: usize) -> Result<String, AppError> {
    let text = raw.trim();
    let len = text.chars().count();
    if len == 0 || len > max {
        return Err(AppError::bad_input(
            field,
            format!("{field} has 1 to {max} characters"),
        ));
    }
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if is_hidden(c) {
            return Err(AppError::bad_input(
                field,
                format!(
                    "{field} holds an invisible or control character (U+{:04X})",
                    u32::from(c)
                ),
            ));
        }
        let joins_two = i > 0
            && chars.get(i + 1).is_some_and(|&next| is_visible(next))
            && is_visible(chars[i - 1]);
        if JOINERS.contains(&c) && !joins_two {
            return Err(AppError::bad_input(
                field,
                format!(
                    "{field} has a zero-width joiner (U+{:04X}) that joins nothing",
                    u32::from(c)
                ),
            ));
        }
    }
    Ok(text.to_owned())
}

/// The text two options are compared by: trimmed, NFC-normalized and case-folded, with
/// joiners and variation selectors left out and every run of spaces of any kind made one
/// space; so "Café", "café", "Cafe\u{301}" are one option, and so are "New York" and
/// "New\u{A0}York".
pub fn comparison_form(text: &str) -> String {
    let normalized: String = text.trim().nfc().collect();
    let folded: String = caseless::default_case_fold_str(&normalized).nfc().collect();
    let mut form = String::with_capacity(folded.len());
    let mut in_space = false;
    for c in folded.chars() {
        if JOINERS.contains(&c) || is_variation_selector(c) {
            continue;
        }
        if c.is_whitespace() {
            in_space = true;
            continue;
        }
        if in_space && !form.is_empty() {
            form.push(' ');
        }
        in_space = false;
        form.push(c);
    }
    form
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> bool {
        visible_text("title", text, 200).is_err()
    }

    #[test]
    fn bidi_controls_zero_width_and_control_characters_are_refused() {
        for text in [
            "a\u{202E}b",
            "a\u{2066}b",
            "a\u{200B}b",
            "a\u{2060}b",
            "\u{FEFF}a",
            "a\u{AD}b",
            "a\u{7}",
            "a\u{85}b",
            "a\u{3164}",
            "a\u{E0041}b",
            "a\u{200E}b",
        ] {
            assert!(refused(text), "{text:?}");
        }
        assert!(!refused("line one\nline two\tand a tab"));
    }

    #[test]
    fn joiners_are_allowed_only_between_visible_characters() {
        assert!(!refused(
            "\u{645}\u{6CC}\u{200C}\u{62E}\u{648}\u{627}\u{647}\u{645}"
        ));
        assert!(!refused("\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}"));
        for text in [
            "\u{200D}",
            "a\u{200D}",
            "\u{200C}a",
            "a \u{200D}b",
            "a\u{200D}\u{200D}b",
        ] {
            assert!(refused(text), "{text:?}");
        }
    }

    #[test]
    fn look_alike_options_compare_equal() {
        assert_eq!(comparison_form("Café"), comparison_form("CAFE\u{301}"));
        assert_eq!(comparison_form(" Straße "), comparison_form("STRASSE"));
        assert_eq!(comparison_form("Rust"), comparison_form("Ru\u{200D}st"));
        assert_eq!(
            comparison_form("New York"),
            comparison_form("New\u{A0} York")
        );
        assert_eq!(
            comparison_form("\u{2764}"),
            comparison_form("\u{2764}\u{FE0F}")
        );
        assert_ne!(comparison_form("NewYork"), comparison_form("New York"));
    }
}
