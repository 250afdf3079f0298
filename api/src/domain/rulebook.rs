//! The vote rulebook: what becomes of a `castVote`, `changeVote` or `retractVote`,
//! decided once, as a pure function over facts the store gathered under its locks.
//!
//! Both databases' cast batches and the change/retract transaction gather [`Facts`]
//! and call [`decide`]; none of them re-codes the order. The rules, first match wins:
//!
//! 1. **Key used before** (the audit log keeps every key for ever): with the same input
//!    the call is a [`Decision::Replay`] of the first answer, with another input it is
//!    [`Decision::KeyReused`]. Keys come first so that a retry gets the answer its
//!    first attempt got, even if the poll has closed or the ballot has gone since —
//!    the whole point of an idempotency key.
//! 2. **Poll missing**: [`Decision::PollMissing`].
//! 3. **Changes not allowed** (change and retract only): [`Decision::NotAllowed`]. A
//!    setting of the poll for its whole life, so it is reported before the status,
//!    which changes over time: the voter learns the lasting reason.
//! 4. **Poll not open** (scheduled or closed): [`Decision::PollNotOpen`].
//! 5. **The ballot**: a cast needs none to exist ([`Decision::AlreadyVoted`]); a change
//!    or retraction needs one ([`Decision::NoBallot`]).
//! 6. Otherwise [`Decision::Write`]. The store still writes under unique indexes; a
//!    write they refuse lost a race and is decided again with fresh facts.

use super::poll::PollStatus;
use super::vote::{RequestHash, VoteAction};

/// What the store knows of the poll a call names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollFacts {
    /// No poll has this id.
    Missing,
    /// The poll, judged at the clock read under the store's lock.
    Found {
        /// Its status at that time.
        status: PollStatus,
        /// Whether it lets voters change or retract a ballot.
        allow_vote_change: bool,
    },
}

/// Everything [`decide`] needs about one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts<'a> {
    /// Which mutation the call is.
    pub action: VoteAction,
    /// The fingerprint of the call's input.
    pub request: &'a RequestHash,
    /// The fingerprint stored with the call's key when the voter used it before.
    pub key_used_with: Option<&'a RequestHash>,
    /// The poll.
    pub poll: PollFacts,
    /// Whether the voter has a ballot on the poll now.
    pub has_ballot: bool,
}

/// The rulebook's answer for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The key was used before with the same input: answer as the first call did.
    Replay,
    /// The key was used before with another input: `IDEMPOTENCY_KEY_REUSED`.
    KeyReused,
    /// The poll does not exist.
    PollMissing,
    /// A change or retraction on a poll that does not allow them.
    NotAllowed,
    /// The poll is scheduled or closed.
    PollNotOpen(PollStatus),
    /// A cast by a voter who already has a ballot.
    AlreadyVoted,
    /// A change or retraction by a voter who has no ballot.
    NoBallot,
    /// Write it: record, change or remove the ballot.
    Write,
}

/// Decides one call (the order and its reasons are in the module doc).
pub fn decide(facts: &Facts<'_>) -> Decision {
    if let Some(first) = facts.key_used_with {
        return if first == facts.request {
            Decision::Replay
        } else {
            Decision::KeyReused
        };
    }
    let PollFacts::Found {
        status,
        allow_vote_change,
    } = facts.poll
    else {
        return Decision::PollMissing;
    };
    let changes = facts.action != VoteAction::Cast;
    if changes && !allow_vote_change {
        return Decision::NotAllowed;
    }
    if status != PollStatus::Open {
        return Decision::PollNotOpen(status);
    }
    match (changes, facts.has_ballot) {
        (false, true) => Decision::AlreadyVoted,
        (true, false) => Decision::NoBallot,
        (false, false) | (true, true) => Decision::Write,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTIONS: [VoteAction; 3] = [VoteAction::Cast, VoteAction::Change, VoteAction::Retract];

    fn hash(text: &str) -> RequestHash {
        RequestHash::from_stored(text.to_owned())
    }

    /// One fact that, alone, turns a call that would be written into a refusal.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Condition {
        SameKeySameInput,
        SameKeyOtherInput,
        PollMissing,
        ChangesNotAllowed,
        Scheduled,
        Closed,
        BallotConflict,
    }

    /// The conditions in rulebook order.
    const ORDER: [Condition; 7] = [
        Condition::SameKeySameInput,
        Condition::SameKeyOtherInput,
        Condition::PollMissing,
        Condition::ChangesNotAllowed,
        Condition::Scheduled,
        Condition::Closed,
        Condition::BallotConflict,
    ];

    /// Which fact a condition sets: two conditions on one fact cannot hold together.
    fn fact_of(condition: Condition) -> u8 {
        match condition {
            Condition::SameKeySameInput | Condition::SameKeyOtherInput => 0,
            Condition::PollMissing => 1,
            Condition::ChangesNotAllowed => 2,
            Condition::Scheduled | Condition::Closed => 3,
            Condition::BallotConflict => 4,
        }
    }

    /// Whether a condition can hold together with the others (a missing poll has no
    /// settings or status).
    fn compatible(a: Condition, b: Condition) -> bool {
        let poll_fact = |c| matches!(fact_of(c), 2 | 3);
        fact_of(a) != fact_of(b)
            && !(a == Condition::PollMissing && poll_fact(b))
            && !(b == Condition::PollMissing && poll_fact(a))
    }

    /// What a call of `action` under exactly these conditions is decided, starting
    /// from a call that would be written.
    fn decide_under(action: VoteAction, conditions: &[Condition]) -> Decision {
        let request = hash("this input");
        let same = hash("this input");
        let other = hash("another input");
        let mut key_used_with = None;
        let mut missing = false;
        let mut allow_vote_change = true;
        let mut status = PollStatus::Open;
        // A cast is written when there is no ballot; a change when there is one.
        let mut has_ballot = action != VoteAction::Cast;
        for condition in conditions {
            match condition {
                Condition::SameKeySameInput => key_used_with = Some(&same),
                Condition::SameKeyOtherInput => key_used_with = Some(&other),
                Condition::PollMissing => missing = true,
                Condition::ChangesNotAllowed => allow_vote_change = false,
                Condition::Scheduled => status = PollStatus::Scheduled,
                Condition::Closed => status = PollStatus::Closed,
                Condition::BallotConflict => has_ballot = !has_ballot,
            }
        }
        decide(&Facts {
            action,
            request: &request,
            key_used_with,
            poll: if missing {
                PollFacts::Missing
            } else {
                PollFacts::Found {
                    status,
                    allow_vote_change,
                }
            },
            has_ballot,
        })
    }

    /// The decision a condition alone leads to, for `action`.
    fn alone(action: VoteAction, condition: Condition) -> Decision {
        match condition {
            Condition::SameKeySameInput => Decision::Replay,
            Condition::SameKeyOtherInput => Decision::KeyReused,
            Condition::PollMissing => Decision::PollMissing,
            Condition::ChangesNotAllowed if action == VoteAction::Cast => Decision::Write,
            Condition::ChangesNotAllowed => Decision::NotAllowed,
            Condition::Scheduled => Decision::PollNotOpen(PollStatus::Scheduled),
            Condition::Closed => Decision::PollNotOpen(PollStatus::Closed),
            Condition::BallotConflict if action == VoteAction::Cast => Decision::AlreadyVoted,
            Condition::BallotConflict => Decision::NoBallot,
        }
    }

    #[test]
    fn a_call_with_nothing_against_it_is_written() {
        for action in ACTIONS {
            assert_eq!(decide_under(action, &[]), Decision::Write, "{action:?}");
        }
    }

    #[test]
    fn each_condition_alone_gives_its_own_answer() {
        let table = [
            (
                VoteAction::Cast,
                Condition::SameKeySameInput,
                Decision::Replay,
            ),
            (
                VoteAction::Cast,
                Condition::SameKeyOtherInput,
                Decision::KeyReused,
            ),
            (
                VoteAction::Cast,
                Condition::PollMissing,
                Decision::PollMissing,
            ),
            (
                VoteAction::Cast,
                Condition::ChangesNotAllowed,
                Decision::Write,
            ),
            (
                VoteAction::Cast,
                Condition::Scheduled,
                Decision::PollNotOpen(PollStatus::Scheduled),
            ),
            (
                VoteAction::Cast,
                Condition::Closed,
                Decision::PollNotOpen(PollStatus::Closed),
            ),
            (
                VoteAction::Cast,
                Condition::BallotConflict,
                Decision::AlreadyVoted,
            ),
            (
                VoteAction::Change,
                Condition::SameKeySameInput,
                Decision::Replay,
            ),
            (
                VoteAction::Change,
                Condition::SameKeyOtherInput,
                Decision::KeyReused,
            ),
            (
                VoteAction::Change,
                Condition::PollMissing,
                Decision::PollMissing,
            ),
            (
                VoteAction::Change,
                Condition::ChangesNotAllowed,
                Decision::NotAllowed,
            ),
            (
                VoteAction::Change,
                Condition::Closed,
                Decision::PollNotOpen(PollStatus::Closed),
            ),
            (
                VoteAction::Change,
                Condition::BallotConflict,
                Decision::NoBallot,
            ),
            (
                VoteAction::Retract,
                Condition::SameKeySameInput,
                Decision::Replay,
            ),
            (
                VoteAction::Retract,
                Condition::SameKeyOtherInput,
                Decision::KeyReused,
            ),
            (
                VoteAction::Retract,
                Condition::PollMissing,
                Decision::PollMissing,
            ),
            (
                VoteAction::Retract,
                Condition::ChangesNotAllowed,
                Decision::NotAllowed,
            ),
            (
                VoteAction::Retract,
                Condition::Scheduled,
                Decision::PollNotOpen(PollStatus::Scheduled),
            ),
            (
                VoteAction::Retract,
                Condition::BallotConflict,
                Decision::NoBallot,
            ),
        ];
        for (action, condition, expected) in table {
            assert_eq!(
                decide_under(action, &[condition]),
                expected,
                "{action:?} with {condition:?}"
            );
            assert_eq!(alone(action, condition), expected);
        }
    }

    #[test]
    fn of_any_two_conditions_the_earlier_in_the_rulebook_decides() {
        let mut pairs = 0;
        for action in ACTIONS {
            for (i, &earlier) in ORDER.iter().enumerate() {
                for &later in &ORDER[i + 1..] {
                    if !compatible(earlier, later) {
                        continue;
                    }
                    // A cast ignores the change setting: the later condition decides.
                    let expected = match alone(action, earlier) {
                        Decision::Write => alone(action, later),
                        decided => decided,
                    };
                    assert_eq!(
                        decide_under(action, &[earlier, later]),
                        expected,
                        "{action:?}: {earlier:?} before {later:?}"
                    );
                    pairs += 1;
                }
            }
        }
        // 7 conditions, minus same-fact and missing-poll pairs, for three actions.
        assert_eq!(pairs, 3 * 16);
    }

    #[test]
    fn replays_win_over_every_other_condition_at_once() {
        for action in ACTIONS {
            let all_but_missing = [
                Condition::SameKeySameInput,
                Condition::ChangesNotAllowed,
                Condition::Closed,
                Condition::BallotConflict,
            ];
            assert_eq!(decide_under(action, &all_but_missing), Decision::Replay);
            let missing = [Condition::SameKeyOtherInput, Condition::PollMissing];
            assert_eq!(decide_under(action, &missing), Decision::KeyReused);
        }
    }

    #[test]
    fn a_cast_is_never_refused_for_a_change_only_reason() {
        let statuses = [PollStatus::Scheduled, PollStatus::Open, PollStatus::Closed];
        let request = hash("h");
        let used = [None, Some(hash("h")), Some(hash("other"))];
        for key_used_with in &used {
            for poll in statuses
                .iter()
                .flat_map(|&status| {
                    [true, false].map(|allow_vote_change| PollFacts::Found {
                        status,
                        allow_vote_change,
                    })
                })
                .chain([PollFacts::Missing])
            {
                for has_ballot in [true, false] {
                    let decision = decide(&Facts {
                        action: VoteAction::Cast,
                        request: &request,
                        key_used_with: key_used_with.as_ref(),
                        poll,
                        has_ballot,
                    });
                    assert!(
                        !matches!(decision, Decision::NotAllowed | Decision::NoBallot),
                        "{poll:?} {has_ballot} gave {decision:?}"
                    );
                }
            }
        }
    }
}
