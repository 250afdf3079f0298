//! Preparing a run: users written straight into the database with tokens minted from
//! the server's secret (signing up 300,000 users through argon2 would take hours), and
//! polls created through the API.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use bytes::Bytes;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::json;
use uuid::Uuid;

use crate::http::Connection;
use crate::votes::Kind;

/// A user the generator votes as.
#[derive(Clone)]
pub struct BenchUser {
    /// A bearer token for it.
    pub token: String,
}

/// What a token needs to be accepted by the server under test.
pub struct TokenSettings {
    /// The server's `TALLY_JWT_SECRET`.
    pub secret: String,
    /// The server's `TALLY_JWT_ISSUER`.
    pub issuer: String,
    /// The server's `TALLY_JWT_AUDIENCE`.
    pub audience: String,
}

impl TokenSettings {
    fn mint(&self, user: Uuid) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = json!({
            "sub": user.to_string(), "iat": now, "exp": now + 6 * 3600,
            "iss": self.issuer, "aud": self.audience,
        });
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(self.secret.as_bytes()),
        )?)
    }
}

/// Rows inserted per statement.
const CHUNK: usize = 20_000;

/// Inserts `count` users named after `run` and mints a token for each.
pub async fn create_users(
    db: &DatabaseConnection,
    run: &str,
    count: usize,
    tokens: &TokenSettings,
) -> anyhow::Result<Vec<BenchUser>> {
    if db.get_database_backend() != DbBackend::Postgres {
        bail!("the benchmark prepares its users in PostgreSQL");
    }
    let mut users = Vec::with_capacity(count);
    let mut start = 0;
    while start < count {
        let end = (start + CHUNK).min(count);
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO users (id, username, username_key, password_hash, created_at) \
                 SELECT gen_random_uuid(), $1 || g, $1 || g, 'bench: no password', now() \
                 FROM generate_series($2::int, $3::int) AS g RETURNING id",
                [
                    format!("b{run}_").into(),
                    i32::try_from(start)?.into(),
                    i32::try_from(end - 1)?.into(),
                ],
            ))
            .await
            .context("inserting bench users")?;
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            users.push(BenchUser {
                token: tokens.mint(id)?,
            });
        }
        start = end;
    }
    Ok(users)
}

/// Creates `count` polls of `kind` with `options` options each, poll `i` owned by
/// `owners[i]` (so no owner meets the poll-creation rate limit); returns each poll's id
/// and option ids.
pub async fn create_polls(
    address: SocketAddr,
    owners: &[BenchUser],
    count: usize,
    options: usize,
    kind: Kind,
) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    create_polls_opening(address, owners, count, options, kind, None).await
}

/// As [`create_polls`], the polls opening at `opens_at` (RFC 3339) when given.
pub async fn create_polls_opening(
    address: SocketAddr,
    owners: &[BenchUser],
    count: usize,
    options: usize,
    kind: Kind,
    opens_at: Option<String>,
) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    let mut connection = Connection::open(address).await?;
    let mut polls = Vec::with_capacity(count);
    for (i, owner) in owners.iter().cycle().take(count).enumerate() {
        let body = json!({
            "query": "mutation($input: CreatePollInput!) { createPoll(input: $input) { id options { id } } }",
            "variables": { "input": {
                "title": format!("Bench poll {i}"),
                "kind": kind.graphql(),
                "options": (0..options).map(|o| format!("Option {o}")).collect::<Vec<_>>(),
                "opensAt": opens_at,
            } },
        });
        let (status, bytes) = connection
            .graphql(Some(&owner.token), Bytes::from(body.to_string()))
            .await?;
        let reply: serde_json::Value = serde_json::from_slice(&bytes)?;
        let poll = &reply["data"]["createPoll"];
        let Some(id) = poll["id"].as_str() else {
            bail!("createPoll failed (HTTP {status}): {reply}");
        };
        let option_ids = poll["options"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["id"].as_str().map(str::to_owned))
            .collect();
        polls.push((id.to_owned(), option_ids));
    }
    Ok(polls)
}
