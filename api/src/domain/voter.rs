//! Who casts a ballot: an account or a guest. Both are user rows, so a voter is a user
//! id; whether it is a guest decides which polls admit it (`PollRules::admits`).

use super::ids::UserId;

/// A voter: the user id ballots are stored under, and whether it is a guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Voter {
    /// The user row's id.
    pub id: UserId,
    /// True for a guest (created by `startGuestSession`, no password).
    pub guest: bool,
}

impl Voter {
    /// A signed-in account.
    pub fn account(id: UserId) -> Self {
        Voter { id, guest: false }
    }

    /// A guest.
    pub fn guest(id: UserId) -> Self {
        Voter { id, guest: true }
    }
}
