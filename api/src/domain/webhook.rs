//! Webhook events: their types and the JSON body each delivery carries.
//!
//! The body is built once, when the event is written to the outbox, and stored as the
//! exact bytes that are signed and sent, so every attempt (and every endpoint) gets the
//! same body.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::error::AppError;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// A poll closed (by its owner or at `closesAt`); carries the final tally.
    PollClosed,
    /// The results of an `AFTER_CLOSE` poll became visible to everyone (at its close).
    PollResultsRevealed,
}

impl EventType {
    /// Every type, in the order they are documented.
    pub const ALL: [EventType; 2] = [EventType::PollClosed, EventType::PollResultsRevealed];

    /// The wire and stored name (`Tally-Event` header, `type` in the body).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PollClosed => "poll.closed",
            EventType::PollResultsRevealed => "poll.results_revealed",
        }
    }

    /// From the stored name.
    pub fn from_stored(text: &str) -> Option<Self> {
        EventType::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// The event types an endpoint wants: at least one, each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSelection(Vec<EventType>);

impl EventSelection {
    /// Parses a selection; an empty one is `BAD_USER_INPUT` on `field`.
    pub fn parse(field: &str, mut events: Vec<EventType>) -> Result<Self, AppError> {
        events.sort_by_key(|e| EventType::ALL.iter().position(|a| a == e));
        events.dedup();
        if events.is_empty() {
            return Err(AppError::bad_input(field, "choose at least one event"));
        }
        Ok(EventSelection(events))
    }

    /// The stored form: names joined by commas.
    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// From the stored form (unknown names are skipped).
    pub fn from_stored(text: &str) -> Vec<EventType> {
        text.split(',').filter_map(EventType::from_stored).collect()
    }
}

/// One option's final count, for a payload.
#[derive(Debug, Clone)]
pub struct OptionCount {
    /// The option's id.
    pub id: Uuid,
    /// Its text.
    pub text: String,
    /// Ballots that chose it.
    pub votes: i64,
}

/// What a poll event says about the poll.
#[derive(Debug, Clone)]
pub struct ClosedPollFacts {
    /// The poll.
    pub poll_id: Uuid,
    /// Its title.
    pub title: String,
    /// `ALWAYS`, `AFTER_VOTE`, `AFTER_CLOSE` or `OWNER_ONLY`.
    pub results_visibility: String,
    /// When it closed.
    pub closed_at: DateTime<Utc>,
    /// Ballots in all.
    pub total_votes: i64,
    /// Options in their order, with their counts.
    pub options: Vec<OptionCount>,
}

/// A registered endpoint, as the owner sees it (never with its secret).
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// UUID v7.
    pub id: Uuid,
    /// Its owner.
    pub owner_id: Uuid,
    /// Where deliveries go.
    pub url: String,
    /// The events it wants.
    pub events: Vec<EventType>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Not delivered yet; another attempt will be made.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up after the last attempt.
    Failed,
}

impl DeliveryStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// From the stored form.
    pub fn from_stored(text: &str) -> Self {
        match text {
            "delivered" => DeliveryStatus::Delivered,
            "failed" => DeliveryStatus::Failed,
            _ => DeliveryStatus::Pending,
        }
    }
}

/// One line of an endpoint's delivery log.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The delivery id (`Tally-Delivery`).
    pub id: Uuid,
    /// The event's id (`id` in the body).
    pub event_id: Uuid,
    /// The event's type.
    pub event: EventType,
    /// The poll the event is about.
    pub poll_id: Uuid,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts started so far.
    pub attempts: i32,
    /// HTTP status of the last attempt, if it got one.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When the next attempt is due (while pending).
    pub next_attempt_at: DateTime<Utc>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
}

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The body of a poll event: `{id, type, createdAt, data: {poll, results}}`.
pub fn poll_event_body(
    event_id: Uuid,
    event: EventType,
    at: DateTime<Utc>,
    facts: &ClosedPollFacts,
) -> String {
    let options: Vec<_> = facts
        .options
        .iter()
        .map(|o| json!({ "id": o.id, "text": o.text, "votes": o.votes }))
        .collect();
    json!({
        "id": event_id,
        "type": event.as_str(),
        "createdAt": instant(at),
        "data": {
            "poll": {
                "id": facts.poll_id,
                "title": facts.title,
                "resultsVisibility": facts.results_visibility,
                "closedAt": instant(facts.closed_at),
            },
            "results": { "totalVotes": facts.total_votes, "final": true, "options": options },
        },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections_are_deduplicated_ordered_and_never_empty() {
        let both = EventSelection::parse(
            "events",
            vec![
                EventType::PollResultsRevealed,
                EventType::PollClosed,
                EventType::PollClosed,
            ],
        )
        .ok();
        assert_eq!(
            both.map(|s| s.to_stored()).as_deref(),
            Some("poll.closed,poll.results_revealed")
        );
        assert!(EventSelection::parse("events", vec![]).is_err());
        assert_eq!(
            EventSelection::from_stored("poll.closed,nonsense"),
            vec![EventType::PollClosed]
        );
    }
}
