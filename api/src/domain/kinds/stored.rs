//! A ballot's stored forms, per shape: its audit text (`vote_events.new_choices` /
//! `old_choices`), its `vote_choices` rows, and the bytes of its request fingerprint.
//!
//! SINGLE and MULTIPLE keep the forms they had before kinds existed, byte for byte:
//! audit text of comma-separated sorted ids, and fingerprints over the sorted ids'
//! bytes — keys stored by an earlier version still replay.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Ballot, PollKind};
use crate::domain::OptionId;

impl Ballot {
    /// The options in the ballot's order: chosen (sorted), ranked (by preference) or
    /// scored (sorted).
    pub fn option_ids(&self) -> Vec<OptionId> {
        match self {
            Ballot::Choice(ids) | Ballot::Ranking(ids) => ids.clone(),
            Ballot::Scores(scores) => scores.iter().map(|&(id, _)| id).collect(),
        }
    }

    /// SCORE: each scored option and its score; empty for other kinds.
    pub fn scores(&self) -> &[(OptionId, i32)] {
        match self {
            Ballot::Scores(scores) => scores,
            Ballot::Choice(_) | Ballot::Ranking(_) => &[],
        }
    }

    /// The `vote_choices` rows: (option, value) where value is the rank (1 = first
    /// preference) for RANKED, the score for SCORE and 0 otherwise.
    pub fn rows(&self) -> Vec<(OptionId, i32)> {
        match self {
            Ballot::Choice(ids) => ids.iter().map(|&id| (id, 0)).collect(),
            Ballot::Ranking(ids) => ids.iter().copied().zip(1..).collect(),
            Ballot::Scores(scores) => scores.clone(),
        }
    }

    /// A ballot of a `kind` poll from its `vote_choices` rows (any order).
    pub fn from_rows(kind: PollKind, mut rows: Vec<(OptionId, i32)>) -> Ballot {
        match kind {
            PollKind::Single | PollKind::Multiple => {
                let mut ids: Vec<OptionId> = rows.into_iter().map(|(id, _)| id).collect();
                ids.sort_unstable();
                Ballot::Choice(ids)
            }
            PollKind::Ranked => {
                rows.sort_unstable_by_key(|&(id, rank)| (rank, id));
                Ballot::Ranking(rows.into_iter().map(|(id, _)| id).collect())
            }
            PollKind::Score => {
                rows.sort_unstable();
                Ballot::Scores(rows)
            }
        }
    }

    /// The audit text: comma-separated ids (sorted for SINGLE/MULTIPLE, in preference
    /// order for RANKED), "id:score" pairs for SCORE.
    pub fn to_stored(&self) -> String {
        match self {
            Ballot::Choice(ids) | Ballot::Ranking(ids) => ids
                .iter()
                .map(OptionId::to_string)
                .collect::<Vec<_>>()
                .join(","),
            Ballot::Scores(scores) => scores
                .iter()
                .map(|(id, score)| format!("{id}:{score}"))
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    /// A ballot of a `kind` poll from its audit text (parts that do not read are
    /// skipped: the text was written by [`Ballot::to_stored`]).
    pub fn from_stored(kind: PollKind, text: &str) -> Ballot {
        let parts = text.split(',').filter(|part| !part.is_empty());
        let id = |part: &str| Uuid::parse_str(part).ok().map(OptionId);
        match kind {
            PollKind::Single | PollKind::Multiple => Ballot::Choice(parts.filter_map(id).collect()),
            PollKind::Ranked => Ballot::Ranking(parts.filter_map(id).collect()),
            PollKind::Score => Ballot::Scores(
                parts
                    .filter_map(|part| {
                        let (option, score) = part.split_once(':')?;
                        Some((id(option)?, score.parse().ok()?))
                    })
                    .collect(),
            ),
        }
    }

    /// Feeds the ballot into a request fingerprint. A choice is its sorted ids' bytes,
    /// exactly as before kinds existed; a ranking and scores start with a tag byte, so
    /// no two shapes can feed the same bytes.
    pub fn hash_into(&self, hasher: &mut Sha256) {
        match self {
            Ballot::Choice(ids) => {
                for id in ids {
                    hasher.update(id.0.as_bytes());
                }
            }
            Ballot::Ranking(ids) => {
                hasher.update(b"R");
                for id in ids {
                    hasher.update(id.0.as_bytes());
                }
            }
            Ballot::Scores(scores) => {
                hasher.update(b"S");
                for (id, score) in scores {
                    hasher.update(id.0.as_bytes());
                    hasher.update(score.to_be_bytes());
                }
            }
        }
    }

    /// The kind whose stored forms this ballot's shape uses (SINGLE and MULTIPLE share
    /// theirs).
    fn shape_kind(&self) -> PollKind {
        match self {
            Ballot::Choice(_) => PollKind::Multiple,
            Ballot::Ranking(_) => PollKind::Ranked,
            Ballot::Scores(_) => PollKind::Score,
        }
    }

    /// A ballot of the same shape as this one from its audit text: the replay of an
    /// earlier call with the same fingerprint, hence of the same poll and kind.
    pub fn from_stored_like(&self, text: &str) -> Ballot {
        Ballot::from_stored(self.shape_kind(), text)
    }

    /// A self-describing form for stores that do not know the poll's kind (voter
    /// marks): the audit text, prefixed `r` for a ranking and `s` for scores. A choice
    /// has no prefix, so marks written before kinds existed read as choices. (A UUID
    /// never starts with `r` or `s`.)
    pub fn to_tagged(&self) -> String {
        match self {
            Ballot::Choice(_) => self.to_stored(),
            Ballot::Ranking(_) => format!("r{}", self.to_stored()),
            Ballot::Scores(_) => format!("s{}", self.to_stored()),
        }
    }

    /// The ballot from [`Ballot::to_tagged`]'s form.
    pub fn from_tagged(text: &str) -> Ballot {
        if let Some(ranking) = text.strip_prefix('r') {
            Ballot::from_stored(PollKind::Ranked, ranking)
        } else if let Some(scores) = text.strip_prefix('s') {
            Ballot::from_stored(PollKind::Score, scores)
        } else {
            Ballot::from_stored(PollKind::Multiple, text)
        }
    }
}
