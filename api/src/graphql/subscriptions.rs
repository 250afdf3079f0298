//! Live results in the schema: the `pollResults` subscription.

use async_graphql::{Context, ID, Result, Subscription};
use futures::Stream;

use super::context::ContextExt;
use super::ids::parse_id;
use super::loaders::{Loaders, from_load_error};
use super::results::PollResultsNode;
use crate::domain::{Poll, PollOption, PollStatus};
use crate::error::AppError;
use crate::realtime::{Realtime, TallyEvent};
use crate::service::{ResultsService, SubscriptionGate};

/// Subscription roots about results.
#[derive(Default)]
pub struct ResultsSubscription;

/// Request data marking an execution shared by many subscribers (the WebSocket layer's
/// shared feeds). Each of them is checked again where it receives the tallies, so the
/// execution itself must not end for the one viewer it runs as.
pub struct SharedExecution;

fn node(
    results: &ResultsService,
    poll: &Poll,
    options: &[PollOption],
    event: &TallyEvent,
) -> PollResultsNode {
    let mut shown = results.results(poll, &event.tally);
    shown.is_final |= event.is_final;
    PollResultsNode::new(shown, options.to_vec())
}

#[Subscription]
impl ResultsSubscription {
    /// A poll's live results: the current tally first, then the latest tally whenever it
    /// changes (at most a few messages a second; each has a higher `version` than the
    /// one before), and when the poll closes a last tally with `final: true`, after
    /// which the subscription completes. It completes at once, after one final tally,
    /// for a poll already closed.
    ///
    /// Visibility is the same as for `Poll.results`: `RESULTS_HIDDEN` when the viewer
    /// may not see them now. For AFTER_VOTE polls, subscribe after voting; retracting
    /// the ballot ends the subscription with `RESULTS_HIDDEN`. For AFTER_CLOSE polls, a
    /// subscriber other than the owner receives only the final tally, when the poll
    /// closes. Errors: `NOT_FOUND`, `BAD_USER_INPUT`, `RESULTS_HIDDEN`,
    /// `UNAUTHENTICATED` (a token that was sent but is invalid).
    async fn poll_results(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The poll to watch.")] poll_id: ID,
    ) -> Result<impl Stream<Item = Result<PollResultsNode>> + use<>> {
        let poll_id = parse_id("pollId", &poll_id)?;
        let viewer = ctx.viewer().optional()?;
        let gate = ctx.service::<SubscriptionGate>();
        let (poll, access) = gate.admit(poll_id, viewer).await?;
        // Shared executions leave the recheck to each of their subscribers.
        let recheck = match ctx.data_opt::<SharedExecution>() {
            Some(SharedExecution) => None,
            None => gate.recheck_for(poll_id, viewer, access),
        };
        let results = ctx.service::<ResultsService>().clone();
        let loaders = ctx.service::<Loaders>();
        let options = loaders
            .options
            .load_one(poll_id)
            .await
            .map_err(from_load_error)?
            .unwrap_or_default();
        // Join the feed before reading the current tally, so no change falls between.
        let mut feed = ctx
            .service::<Realtime>()
            .subscribe(poll_id)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the tally hub is gone")))?;
        let current = results
            .tallies(&[poll_id])
            .await?
            .pop()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("poll without tally")))?;
        let closed = poll.status(results.now()) == PollStatus::Closed;
        let first = TallyEvent {
            tally: current,
            is_final: closed,
        };

        Ok(async_stream::stream! {
            if closed || access.sends_every_tally() {
                yield Ok(node(&results, &poll, &options, &first));
            }
            if closed {
                return;
            }
            let mut last = first.order_key();
            while let Some(event) = feed.next().await {
                if event.order_key() <= last {
                    continue;
                }
                last = event.order_key();
                // A final tally is for everyone who watched; others only while the
                // viewer may still see them.
                if !event.is_final
                    && let Some(recheck) = &recheck
                    && let Err(refused) = recheck.still_admitted().await
                {
                    yield Err(refused.into());
                    break;
                }
                if access.sends_every_tally() || event.is_final {
                    yield Ok(node(&results, &poll, &options, &event));
                }
                if event.is_final {
                    break;
                }
            }
        })
    }
}
