//! Invitations to an `INVITED` poll: what the owner asks for ([`InvitationBatch`]), and
//! what an invitation is ([`Invitation`], [`InvitationStatus`], [`InvitationCounts`]).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::text::{comparison_form, visible_text};
use crate::error::{AppError, AppResult};

/// Longest name of a named invitation, in characters: a person's or a household's name.
pub const NAME_MAX: usize = 100;

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvitationStatus {
    /// Issued, not yet redeemed: its code admits the first voter who redeems it.
    Pending,
    /// Bound to the voter who redeemed it.
    Redeemed,
    /// Withdrawn by the owner before anyone redeemed it.
    Revoked,
}

impl InvitationStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "PENDING",
            InvitationStatus::Redeemed => "REDEEMED",
            InvitationStatus::Revoked => "REVOKED",
        }
    }

    /// From the stored form; anything unknown reads as `Revoked`, which admits nobody.
    pub fn from_stored(text: &str) -> Self {
        match text {
            "PENDING" => InvitationStatus::Pending,
            "REDEEMED" => InvitationStatus::Redeemed,
            _ => InvitationStatus::Revoked,
        }
    }
}

/// An invitation as its poll's owner sees it: never who redeemed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// UUID v7; the code is derived from it.
    pub id: Uuid,
    /// The poll it admits to.
    pub poll_id: Uuid,
    /// The owner's label, for named invitations.
    pub name: Option<String>,
    /// Where it stands.
    pub status: InvitationStatus,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was redeemed.
    pub redeemed_at: Option<DateTime<Utc>>,
}

/// How a poll's invitations stand, for its owner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InvitationCounts {
    /// Every invitation created, whatever became of it.
    pub issued: u64,
    /// Redeemed ones.
    pub redeemed: u64,
    /// Redeemed ones whose holder has a ballot on the poll now.
    pub voted: u64,
    /// Revoked ones.
    pub revoked: u64,
}

/// What one `createInvitations` call asks for: a number of anonymous codes, or one
/// named code per name. Parsed against the per-call limit; the per-poll limit is the
/// store's to check, under a lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvitationBatch {
    /// This many codes without names.
    Count(usize),
    /// One code per name, in order.
    Names(Vec<String>),
}

impl InvitationBatch {
    /// Exactly one of `count` (1 to `max`) and `names` (1 to `max` distinct names of 1
    /// to [`NAME_MAX`] visible characters); `BAD_USER_INPUT` naming the field otherwise.
    pub fn parse(count: Option<i32>, names: Option<&[String]>, max: usize) -> AppResult<Self> {
        match (count, names) {
            (Some(_), Some(_)) => Err(AppError::bad_input(
                "names",
                "give count or names, not both",
            )),
            (None, None) => Err(AppError::bad_input("count", "give count or names")),
            (Some(count), None) => usize::try_from(count)
                .ok()
                .filter(|n| (1..=max).contains(n))
                .map(InvitationBatch::Count)
                .ok_or_else(|| AppError::bad_input("count", format!("count is 1 to {max}"))),
            (None, Some(names)) => {
                if names.is_empty() || names.len() > max {
                    return Err(AppError::bad_input(
                        "names",
                        format!("names holds 1 to {max} names"),
                    ));
                }
                let mut seen = std::collections::HashSet::new();
                let mut parsed = Vec::with_capacity(names.len());
                for (i, raw) in names.iter().enumerate() {
                    let field = format!("names.{i}");
                    let name = visible_text(&field, raw, NAME_MAX)?;
                    if !seen.insert(comparison_form(&name)) {
                        return Err(AppError::bad_input(
                            field,
                            format!("\"{name}\" is named twice"),
                        ));
                    }
                    parsed.push(name);
                }
                Ok(InvitationBatch::Names(parsed))
            }
        }
    }

    /// The names of the invitations it makes, in order (`None` for unnamed ones).
    pub fn into_names(self) -> Vec<Option<String>> {
        match self {
            InvitationBatch::Count(count) => vec![None; count],
            InvitationBatch::Names(names) => names.into_iter().map(Some).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: AppResult<InvitationBatch>) -> String {
        match result {
            Err(AppError::BadInput { field, .. }) => field,
            other => panic!("expected BAD_USER_INPUT, got {other:?}"),
        }
    }

    #[test]
    fn a_batch_is_a_count_or_names_never_both_nor_neither() {
        assert_eq!(
            InvitationBatch::parse(Some(3), None, 10).ok(),
            Some(InvitationBatch::Count(3))
        );
        let names = ["Ann".to_owned(), " Bob ".to_owned()];
        assert_eq!(
            InvitationBatch::parse(None, Some(&names), 10).ok(),
            Some(InvitationBatch::Names(vec!["Ann".into(), "Bob".into()]))
        );
        assert_eq!(
            field_of(InvitationBatch::parse(Some(1), Some(&names), 10)),
            "names"
        );
        assert_eq!(field_of(InvitationBatch::parse(None, None, 10)), "count");
    }

    #[test]
    fn a_batch_stays_within_its_limits() {
        assert_eq!(field_of(InvitationBatch::parse(Some(0), None, 10)), "count");
        assert_eq!(
            field_of(InvitationBatch::parse(Some(11), None, 10)),
            "count"
        );
        assert_eq!(
            field_of(InvitationBatch::parse(Some(-1), None, 10)),
            "count"
        );
        let many: Vec<String> = (0..11).map(|i| format!("n{i}")).collect();
        assert_eq!(
            field_of(InvitationBatch::parse(None, Some(&many), 10)),
            "names"
        );
        assert_eq!(
            field_of(InvitationBatch::parse(None, Some(&[]), 10)),
            "names"
        );
        let long = ["x".repeat(NAME_MAX + 1)];
        assert_eq!(
            field_of(InvitationBatch::parse(None, Some(&long), 10)),
            "names.0"
        );
        let twice = ["Ann".to_owned(), "ann".to_owned()];
        assert_eq!(
            field_of(InvitationBatch::parse(None, Some(&twice), 10)),
            "names.1"
        );
    }
}
