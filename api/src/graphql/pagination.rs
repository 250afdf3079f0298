//! Relay cursor pagination of polls: forward (`first`/`after`), backward
//! (`last`/`before`), and the total the filter matches.

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};
use uuid::Uuid;

use super::context::ContextExt;
use super::ids::{decode_cursor, encode_cursor};
use super::poll_node::{PageData, PollNode};
use crate::error::{AppError, AppResult};
use crate::service::{PageWindow, PollFilter, PollPage, PollService};

/// Most polls one page may hold (`first` or `last`).
pub const PAGE_MAX: i32 = 100;

/// The paging arguments of a connection, as the client sent them.
pub struct PageArgs {
    /// `first`: polls from the start of the list.
    pub first: Option<i32>,
    /// `after`: a cursor; only polls after it.
    pub after: Option<String>,
    /// `last`: polls from the end of the list.
    pub last: Option<i32>,
    /// `before`: a cursor; only polls before it.
    pub before: Option<String>,
}

impl PageArgs {
    /// The window they ask for: exactly one of `first` and `last`, 1 to [`PAGE_MAX`],
    /// and cursors from this API; `BAD_USER_INPUT` naming the argument otherwise.
    pub fn window(&self) -> AppResult<PageWindow> {
        let (count, from_end, name) = match (self.first, self.last) {
            (Some(first), None) => (first, false, "first"),
            (None, Some(last)) => (last, true, "last"),
            (Some(_), Some(_)) => {
                return Err(AppError::bad_input("last", "give first or last, not both"));
            }
            (None, None) => {
                return Err(AppError::bad_input("first", "give first (or last)"));
            }
        };
        if !(1..=PAGE_MAX).contains(&count) {
            return Err(AppError::bad_input(
                name,
                format!("{name} is 1 to {PAGE_MAX}"),
            ));
        }
        let cursor = |name: &str, cursor: &Option<String>| -> AppResult<Option<Uuid>> {
            cursor
                .as_deref()
                .map(|c| decode_cursor(name, c))
                .transpose()
        };
        Ok(PageWindow {
            count: u64::try_from(count).unwrap_or(1),
            from_end,
            after: cursor("after", &self.after)?,
            before: cursor("before", &self.before)?,
        })
    }
}

/// Where a page sits in the whole list.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// Whether more items follow. Paging forward (`first`): more items exist after
    /// this page; fetch them with `after: endCursor`. Paging backward: true whenever
    /// `before` was given.
    pub has_next_page: bool,
    /// Whether items come before this page. Paging backward (`last`): more items exist
    /// before it; fetch them with `before: startCursor`. Paging forward: true whenever
    /// `after` was given.
    pub has_previous_page: bool,
    /// Cursor of the first item of the page.
    pub start_cursor: Option<String>,
    /// Cursor of the last item of the page.
    pub end_cursor: Option<String>,
}

/// A poll in a page, with its cursor.
#[derive(SimpleObject)]
pub struct PollEdge {
    /// Opaque position of this poll in the list.
    pub cursor: String,
    /// The poll.
    pub node: PollNode,
}

/// A page of polls, newest first.
pub struct PollConnection {
    edges: Vec<PollEdge>,
    page_info: PageInfo,
    /// What `totalCount` counts: the listing's viewer and filter.
    viewer: Option<Uuid>,
    filter: PollFilter,
}

impl PollConnection {
    /// The connection for a page taken through `window`, with its prefetched
    /// relations; `viewer` and `filter` are kept for `totalCount`.
    pub fn new(
        page: PollPage,
        window: PageWindow,
        data: Arc<PageData>,
        viewer: Option<Uuid>,
        filter: PollFilter,
    ) -> Self {
        let edges: Vec<PollEdge> = page
            .polls
            .into_iter()
            .map(|poll| PollEdge {
                cursor: encode_cursor(poll.id),
                node: PollNode::in_page(poll, data.clone()),
            })
            .collect();
        let (has_next_page, has_previous_page) = match window.from_end {
            false => (page.has_more, window.after.is_some()),
            true => (window.before.is_some(), page.has_more),
        };
        PollConnection {
            page_info: PageInfo {
                has_next_page,
                has_previous_page,
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            edges,
            viewer,
            filter,
        }
    }
}

/// A page of polls, newest first.
#[Object]
impl PollConnection {
    /// The polls with their cursors.
    async fn edges(&self) -> &[PollEdge] {
        &self.edges
    }

    /// Where this page sits.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    /// How many polls the filter matches in all, whatever the cursors (one more query,
    /// made only when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        let count = ctx
            .service::<PollService>()
            .count(self.viewer, &self.filter)
            .await?;
        Ok(count)
    }
}
