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
use crate::service::{ResultsService, SubscriptionAccess, SubscriptionGate};

/// Subscription roots about results.
#[derive(Default)]
pub struct ResultsSubscription;

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
    /// may not see them now. For AFTER_VOTE polls, subscribe after voting. For
    /// AFTER_CLOSE polls, a subscriber other than the owner receives only the final
    /// tally, when the poll closes. Errors: `NOT_FOUND`, `BAD_USER_INPUT`,
    /// `RESULTS_HIDDEN`, `UNAUTHENTICATED` (a token that was sent but is invalid).
    async fn poll_results(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The poll to watch.")] poll_id: ID,
    ) -> Result<impl Stream<Item = PollResultsNode> + use<>> {
        let poll_id = parse_id("pollId", &poll_id)?;
        let viewer = ctx.viewer().optional()?;
        let (poll, access) = ctx
            .service::<SubscriptionGate>()
            .admit(poll_id, viewer)
            .await?;
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
            if closed || access == SubscriptionAccess::Live {
                yield node(&results, &poll, &options, &first);
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
                if access == SubscriptionAccess::Live || event.is_final {
                    yield node(&results, &poll, &options, &event);
                }
                if event.is_final {
                    break;
                }
            }
        })
    }
}
