//! SINGLE: a ballot chooses exactly one option, which it adds one to. No groups.
//!
//! A SINGLE ballot is a MULTIPLE ballot with `minChoices = maxChoices = 1`; only its
//! settings differ, so parsing and contribution are [`super::multiple`]'s.

use super::{PollKind, Settings, SettingsDraft, no_score_range};
use crate::error::{AppError, AppResult};

/// A SINGLE poll has `minChoices = maxChoices = 1` (giving them is allowed when they
/// say so) and no score range.
pub fn settings(draft: SettingsDraft) -> AppResult<Settings> {
    no_score_range(PollKind::Single, draft)?;
    let (min, max) = (
        draft.min_choices.unwrap_or(1),
        draft.max_choices.unwrap_or(1),
    );
    if min != 1 || max != 1 {
        return Err(AppError::bad_input(
            "maxChoices",
            "a SINGLE poll has minChoices = maxChoices = 1",
        ));
    }
    Ok(Settings {
        min_choices: 1,
        max_choices: 1,
        score_range: None,
    })
}
