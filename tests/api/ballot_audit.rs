//! After a fault test: the acknowledged votes against the ballots in PostgreSQL, and the
//! option counters against the ballots they count.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::helpers::TestDb;

/// What the database holds, compared with what callers were told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audit {
    /// Votes answered with a ballot (`castVote { vote { id } }`), each counted once.
    pub acknowledged: usize,
    /// Of those, the ballots found in the database.
    pub present: usize,
    /// Acknowledged, not in the database.
    pub lost: usize,
    /// Ballots beyond one per (poll, voter), and acknowledged ids found more than once.
    pub duplicated: usize,
    /// Ballots in the database that no caller was answered for.
    pub unacknowledged: usize,
    /// Polls whose option counters do not add up to their ballots.
    pub miscounted_polls: usize,
}

impl Audit {
    /// Counts, over `polls`, the ballots and the acknowledged vote ids `acknowledged`.
    pub async fn of(db: &TestDb, polls: &[String], acknowledged: &[String]) -> Audit {
        let conn = db.connect().await;
        let mut unique = acknowledged.to_vec();
        unique.sort();
        unique.dedup();
        let polls_list = quoted(polls);
        let ballots: Vec<String> = strings(
            &conn,
            &format!("SELECT id::text AS s FROM votes WHERE poll_id::text IN ({polls_list})"),
        )
        .await;
        let present = unique
            .iter()
            .filter(|id| ballots.iter().filter(|b| b == id).count() >= 1)
            .count();
        let repeated_ids = unique
            .iter()
            .filter(|id| ballots.iter().filter(|b| b == id).count() > 1)
            .count();
        let extra_per_voter = number(
            &conn,
            &format!(
                "SELECT COUNT(*) - COUNT(DISTINCT (poll_id, user_id)) AS n FROM votes \
                 WHERE poll_id::text IN ({polls_list})"
            ),
        )
        .await;
        let miscounted_polls = number(
            &conn,
            &format!(
                "SELECT COUNT(*) AS n FROM polls p WHERE p.id::text IN ({polls_list}) AND \
                 (SELECT COALESCE(SUM(vote_count), 0) FROM poll_options o WHERE o.poll_id = p.id) \
                 <> (SELECT COUNT(*) FROM votes v WHERE v.poll_id = p.id)"
            ),
        )
        .await;
        let _ = conn.close().await;
        Audit {
            acknowledged: unique.len(),
            present,
            lost: unique.len() - present,
            duplicated: extra_per_voter + repeated_ids,
            unacknowledged: ballots.iter().filter(|b| !unique.contains(b)).count(),
            miscounted_polls,
        }
    }
}

/// Ballots per poll in the database.
pub async fn ballots_per_poll(db: &TestDb, poll: &str) -> i64 {
    let conn = db.connect().await;
    let n = number(
        &conn,
        &format!("SELECT COUNT(*) AS n FROM votes WHERE poll_id::text = '{poll}'"),
    )
    .await;
    let _ = conn.close().await;
    i64::try_from(n).unwrap()
}

fn quoted(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(",")
}

async fn strings(conn: &DatabaseConnection, sql: &str) -> Vec<String> {
    conn.query_all_raw(Statement::from_string(
        conn.get_database_backend(),
        sql.to_owned(),
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get::<String>("", "s").unwrap())
    .collect()
}

async fn number(conn: &DatabaseConnection, sql: &str) -> usize {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    usize::try_from(row.try_get::<i64>("", "n").unwrap()).unwrap()
}
