//! Typed ids: a poll's id cannot be passed where a user's is expected.
//!
//! Each is a UUID underneath (v7 for rows Tally creates; a pseudonym on an anonymous
//! poll is a v8 UUID in a `UserId`). The vote path carries these instead of bare
//! `Uuid`s, whose argument order the compiler cannot check.

use std::fmt;

use uuid::Uuid;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The UUID underneath.
            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                $name(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// A poll's id.
    PollId
);
typed_id!(
    /// Who a ballot is stored under: a user's id, or their per-poll pseudonym on an
    /// anonymous poll.
    UserId
);
typed_id!(
    /// One option of a poll.
    OptionId
);
typed_id!(
    /// A ballot's id.
    VoteId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_print_as_their_uuid() {
        let raw = Uuid::now_v7();
        let poll = PollId::from(raw);
        assert_eq!(Uuid::from(poll), raw);
        assert_eq!(poll.to_string(), raw.to_string());
    }
}
