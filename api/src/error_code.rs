//! The one catalogue of error codes: every `extensions.code` a client can receive.
//!
//! Each code is written once, here, with its description. The code that raises errors
//! names a variant (never a string literal), the schema publishes the enum (through
//! `Query.errorCodes`, so `schema.graphql` and introspection show every code with its
//! description), the web app gets the type from codegen, and a docs test compares the
//! README's table with [`ErrorCode::all`].

use async_graphql::Enum;

/// The stable `extensions.code` of an error. Clients match on these; they never change
/// meaning. Codes whose description starts `HTTP <status>:` refuse the HTTP request
/// itself and come with that status; every other code comes with HTTP 200, except that
/// a request error (the document does not parse or validate, or a variable does not
/// fit) comes with 400 to a client that accepts `application/graphql-response+json`
/// (see `http/answer.rs`).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// No token where one is needed, or an expired, forged, tampered or malformed one.
    Unauthenticated,
    /// Signed in, but not allowed to do this.
    Forbidden,
    /// The thing asked for does not exist.
    NotFound,
    /// An argument is malformed or out of range; `extensions.field` names it (e.g.
    /// `input.username`).
    BadUserInput,
    /// Someone already has that username (compared without case).
    UsernameTaken,
    /// Wrong username or password (the same error for both).
    InvalidCredentials,
    /// The poll is scheduled (before `opensAt`) or closed.
    PollNotOpen,
    /// The ballot does not fit its poll's kind: an option is not the poll's or appears
    /// twice, the count is outside `minChoices`..`maxChoices`, scores on a poll that is not
    /// SCORE (or optionIds on one that is), a score outside the range; the message says
    /// which.
    InvalidOption,
    /// The user has a ballot on the poll, cast under another idempotency key.
    AlreadyVoted,
    /// The idempotency key was used before by this user with another input.
    IdempotencyKeyReused,
    /// The poll is anonymous and its ballots were written with another ballot key than
    /// the server's (`TALLY_BALLOT_KEY` changed): its voters can no longer be matched to
    /// their ballots, so it takes no votes until the key it was written with is back.
    BallotKeyChanged,
    /// `resultsVisibility` keeps the results from this viewer for now.
    ResultsHidden,
    /// The user already has as many as allowed of something (webhook endpoints:
    /// `TALLY_WEBHOOK_MAX_PER_USER`).
    LimitReached,
    /// The poll admits invited voters only (`voters: INVITED`) and the voter holds no
    /// redeemed invitation to it: redeem one with `redeemInvitation` first.
    NotInvited,
    /// No invitation has this code (mistyped, cut short, or made under a token secret
    /// the server no longer accepts).
    InvitationNotFound,
    /// The poll's owner revoked this invitation before anyone redeemed it.
    InvitationRevoked,
    /// The invitation was redeemed already: by another voter (`redeemInvitation`), or at
    /// all (`revokeInvitation`, which only withdraws unredeemed ones).
    InvitationAlreadyRedeemed,
    /// Too many calls, or sign-ins throttled after wrong passwords; retry after
    /// `extensions.retryAfterSeconds`.
    RateLimited,
    /// The vote queue is full; retry after `extensions.retryAfterSeconds`.
    Overloaded,
    /// A WebSocket connection already runs `TALLY_WS_MAX_SUBSCRIPTIONS` operations.
    TooManySubscriptions,
    /// Anything unexpected; no detail leaks, the cause is logged once with the request id.
    Internal,
    /// The query text is not valid GraphQL syntax.
    GraphqlParseFailed,
    /// The query does not fit the schema (unknown field, wrong argument type, …), or
    /// names no operation that it holds.
    GraphqlValidationFailed,
    /// Selections (or brackets) nest deeper than allowed.
    QueryTooDeep,
    /// The query's complexity, or its size with fragments expanded, is over the limit.
    QueryTooComplex,
    /// The document uses more aliases than allowed.
    TooManyAliases,
    /// The request ran past `TALLY_REQUEST_TIMEOUT_MS`.
    Timeout,
    /// HTTP 400: not a GraphQL request: the body is not a JSON object (or array) of
    /// operations, or the query string or its JSON parameters do not read.
    BadRequest,
    /// HTTP 415: a POST whose `Content-Type` is not `application/json`.
    UnsupportedMediaType,
    /// HTTP 406: the `Accept` header allows neither `application/graphql-response+json`
    /// nor `application/json`.
    NotAcceptable,
    /// HTTP 413: the body is over `TALLY_MAX_BODY_BYTES`.
    PayloadTooLarge,
    /// HTTP 408: the body did not arrive within `TALLY_BODY_READ_TIMEOUT_MS`.
    RequestTimeout,
    /// HTTP 405: a mutation sent with GET (mutations need POST).
    MethodNotAllowed,
    /// HTTP 400: a batch is empty or holds more than `TALLY_GRAPHQL_MAX_BATCH` operations.
    BatchTooLarge,
    /// HTTP 400: a batch holds a mutation (mutations are never batched).
    BatchedMutation,
    /// The `extensions.persistedQuery` hash names no stored document: send the hash with
    /// the query text (Apollo clients match this code and the message
    /// `PersistedQueryNotFound`).
    PersistedQueryNotFound,
    /// HTTP 400: the query text sent does not hash to `extensions.persistedQuery.sha256Hash`.
    PersistedQueryHashMismatch,
    /// HTTP 400: the server runs only its trusted documents (`TALLY_TRUSTED_DOCUMENTS`),
    /// and the request is not one of them sent by its hash.
    PersistedQueryNotAllowed,
    /// HTTP 400: `extensions.persistedQuery` is not `{"version": 1, "sha256Hash": "<64
    /// hex digits>"}`.
    PersistedQueryInvalid,
    /// The poll admits accounts only (`voters: ACCOUNTS`) and the voter is a guest:
    /// sign up or sign in.
    GuestsNotAllowed,
    /// `startGuestSession` without a challenge or nonce, or with one not in the shape
    /// the server issues: ask `guestChallenge` for one.
    ProofOfWorkRequired,
    /// The challenge expired (`GuestChallenge.expiresAt`): ask for a new one.
    ProofOfWorkExpired,
    /// The challenge was already used to start a session: ask for a new one.
    ProofOfWorkReused,
    /// The challenge was not signed by this server, or the nonce does not give the
    /// digest enough leading zero bits.
    ProofOfWorkInvalid,
    /// `claimGuestVotes`: the account already has a ballot on a poll the guest voted
    /// on; `extensions.pollIds` lists them. Nothing was moved.
    ClaimConflict,
    /// `claimGuestVotes`: the guest's ballots were already claimed.
    GuestAlreadyClaimed,
    /// HTTP 429: an export (`/exports/…`) finds the instance already streaming
    /// `TALLY_EXPORT_MAX_CONCURRENT` exports; retry after the `Retry-After` header.
    TooManyExports,
    /// The poll uses a kind or setting this server version does not know (it was created
    /// by a newer version): it is refused rather than read as something it is not.
    UnsupportedPoll,
}

impl ErrorCode {
    /// Every code, in the catalogue's order.
    pub fn all() -> &'static [ErrorCode] {
        use async_graphql::resolver_utils::EnumType;
        static ALL: std::sync::LazyLock<Vec<ErrorCode>> =
            std::sync::LazyLock::new(|| ErrorCode::items().iter().map(|item| item.value).collect());
        &ALL
    }

    /// The code as clients see it in `extensions.code`, e.g. `BAD_USER_INPUT`.
    pub fn as_str(self) -> &'static str {
        use async_graphql::resolver_utils::EnumType;
        ErrorCode::items()
            .iter()
            .find(|item| item.value == self)
            .map_or("INTERNAL", |item| item.name)
    }

    /// The HTTP status a code comes with when it refuses the HTTP request itself;
    /// `None` for the codes of GraphQL errors, answered with 200. The HTTP layer answers
    /// its refusals with this status, so the two cannot disagree.
    pub fn http_status(self) -> Option<u16> {
        match self {
            ErrorCode::BadRequest
            | ErrorCode::BatchTooLarge
            | ErrorCode::BatchedMutation
            | ErrorCode::PersistedQueryHashMismatch
            | ErrorCode::PersistedQueryNotAllowed
            | ErrorCode::PersistedQueryInvalid => Some(400),
            ErrorCode::MethodNotAllowed => Some(405),
            ErrorCode::NotAcceptable => Some(406),
            ErrorCode::RequestTimeout => Some(408),
            ErrorCode::PayloadTooLarge => Some(413),
            ErrorCode::UnsupportedMediaType => Some(415),
            ErrorCode::TooManyExports => Some(429),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_own_name() {
        assert_eq!(ErrorCode::BadUserInput.as_str(), "BAD_USER_INPUT");
        assert_eq!(
            ErrorCode::GraphqlParseFailed.as_str(),
            "GRAPHQL_PARSE_FAILED"
        );
        assert_eq!(ErrorCode::PayloadTooLarge.http_status(), Some(413));
        let names: std::collections::HashSet<_> =
            ErrorCode::all().iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::all().len());
    }
}
