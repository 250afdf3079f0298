//! Live tallies and voter marks in process, for a single instance without Redis.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use uuid::Uuid;

use super::{LiveStore, Mark, Unavailable};
use crate::domain::Tally;

/// Most tallies kept; past it the map starts over (tallies are rebuilt on a miss).
const MAX_TALLIES: usize = 100_000;
/// Most marks kept; past it the map starts over (a missing mark proves nothing).
const MAX_MARKS: usize = 1_000_000;

/// Live state in memory.
#[derive(Default)]
pub struct LocalLive {
    // std mutexes: held for a map operation only, never across an await.
    tallies: Mutex<HashMap<Uuid, Tally>>,
    marks: Mutex<HashMap<(Uuid, Uuid), Mark>>,
}

#[async_trait]
impl LiveStore for LocalLive {
    async fn tallies(&self, polls: &[Uuid]) -> Result<Vec<Option<Tally>>, Unavailable> {
        let tallies = self.tallies.lock().unwrap_or_else(|p| p.into_inner());
        Ok(polls.iter().map(|p| tallies.get(p).cloned()).collect())
    }

    async fn put_tallies(&self, new: &[Tally]) -> Result<(), Unavailable> {
        let mut tallies = self.tallies.lock().unwrap_or_else(|p| p.into_inner());
        if tallies.len() >= MAX_TALLIES {
            tallies.clear();
        }
        for tally in new {
            if tallies
                .get(&tally.poll_id)
                .is_none_or(|kept| kept.version < tally.version)
            {
                tallies.insert(tally.poll_id, tally.clone());
            }
        }
        Ok(())
    }

    async fn repair_tally(
        &self,
        tally: &Tally,
        found: Option<&Tally>,
    ) -> Result<bool, Unavailable> {
        let mut tallies = self.tallies.lock().unwrap_or_else(|p| p.into_inner());
        if tallies.get(&tally.poll_id) != found {
            return Ok(false);
        }
        tallies.insert(tally.poll_id, tally.clone());
        Ok(true)
    }

    async fn mark(&self, poll: Uuid, user: Uuid) -> Result<Option<Mark>, Unavailable> {
        let marks = self.marks.lock().unwrap_or_else(|p| p.into_inner());
        Ok(marks.get(&(poll, user)).cloned())
    }

    async fn put_marks(&self, new: &[(Uuid, Uuid, Mark)]) -> Result<(), Unavailable> {
        let mut marks = self.marks.lock().unwrap_or_else(|p| p.into_inner());
        if marks.len() + new.len() > MAX_MARKS {
            marks.clear();
        }
        for (poll, user, mark) in new {
            marks.insert((*poll, *user), mark.clone());
        }
        Ok(())
    }
}
