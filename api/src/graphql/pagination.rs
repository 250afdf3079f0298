//! Relay cursor pagination of polls.

use async_graphql::SimpleObject;

use std::sync::Arc;

use super::ids::encode_cursor;
use super::poll_node::{PageData, PollNode};
use crate::service::PollPage;

/// Where a page sits in the whole list.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// Whether more items follow; fetch them with `after: endCursor`.
    pub has_next_page: bool,
    /// Whether items come before this page (true whenever `after` was given).
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
#[derive(SimpleObject)]
pub struct PollConnection {
    /// The polls with their cursors.
    pub edges: Vec<PollEdge>,
    /// Where this page sits.
    pub page_info: PageInfo,
}

impl PollConnection {
    /// The connection for a page with its prefetched relations; `after_given` tells
    /// whether a cursor was used.
    pub fn new(page: PollPage, after_given: bool, data: Arc<PageData>) -> Self {
        let edges: Vec<PollEdge> = page
            .polls
            .into_iter()
            .map(|poll| PollEdge {
                cursor: encode_cursor(poll.id),
                node: PollNode::in_page(poll, data.clone()),
            })
            .collect();
        PollConnection {
            page_info: PageInfo {
                has_next_page: page.has_next,
                has_previous_page: after_given,
                start_cursor: edges.first().map(|e| e.cursor.clone()),
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            edges,
        }
    }
}
