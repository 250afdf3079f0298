//! The schema's one extension: error codes for failures that happen outside resolvers,
//! the document limits that async-graphql 7 lacks (bracket nesting, before parsing:
//! [`super::nesting`]; aliases, size with fragments expanded:
//! [`super::document_limits`]), and the parsed-document cache.
//!
//! One extension rather than three: async-graphql wraps every field resolution in every
//! extension's `resolve` hook, so each extension costs a boxed future per field.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest, NextRequest,
    NextSubscribe, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, Response, ServerError, ServerResult, ValidationResult, Variables};
use futures::StreamExt;
use futures::stream::BoxStream;

use super::document_cache::DocumentCache;
use super::document_limits::{Breach, DocumentLimits};
use super::nesting::{MAX_NESTING, Unparsable, parse_document};
use crate::error_code::ErrorCode;

fn with_code(mut error: ServerError, code: ErrorCode) -> ServerError {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", code.as_str());
    }
    error
}

/// Gives every error a code of the [`ErrorCode`] catalogue (engine errors get theirs here; errors raised
/// while coercing a field's arguments become `BAD_USER_INPUT`), refuses documents over
/// the [`DocumentLimits`] before validation runs (OWASP: aliases multiply work inside
/// one operation; fragments multiply the validators' work), and serves parsed
/// documents from the cache. Only documents within the limits are cached, so a cached
/// document is not checked again.
///
/// It also gives each request its Redis budget ([`crate::redis::budget`]): the Redis
/// calls its resolvers make share one deadline.
pub struct RequestGuard {
    limits: DocumentLimits,
    cache: DocumentCache,
    redis_budget: Duration,
}

impl RequestGuard {
    /// The extension with its document limits and each request's Redis budget.
    pub fn new(limits: DocumentLimits, redis_budget: Duration) -> Self {
        RequestGuard {
            limits,
            cache: DocumentCache::default(),
            redis_budget,
        }
    }
}

impl ExtensionFactory for RequestGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestGuard {
            limits: self.limits,
            cache: self.cache.clone(),
            redis_budget: self.redis_budget,
        })
    }
}

fn refusal(breach: Breach) -> ServerError {
    let (message, code) = match breach {
        Breach::TooManyAliases { found, max } => (
            format!("the query uses {found} aliases; at most {max} are allowed"),
            ErrorCode::TooManyAliases,
        ),
        Breach::TooManySelections { max } => (
            format!(
                "the query is too large: with its fragments expanded it has more than {max} selections"
            ),
            ErrorCode::QueryTooComplex,
        ),
    };
    with_code(ServerError::new(message, None), code)
}

fn unparsable(why: Unparsable) -> ServerError {
    match why {
        Unparsable::TooDeep => with_code(
            ServerError::new(
                format!("the document nests brackets more than {MAX_NESTING} deep"),
                None,
            ),
            ErrorCode::QueryTooDeep,
        ),
        Unparsable::Syntax(e) => with_code(ServerError::from(e), ErrorCode::GraphqlParseFailed),
    }
}

/// Puts `null` where async-graphql left a failed field out (the GraphQL spec wants the
/// key, as `null`, and typed clients rely on it). async-graphql drops a failed field
/// from its object, and turns an object whose every field failed into `null`.
///
/// Walking the error's path from the root: a key missing from an object is set to
/// `null`, and a `null` the path goes through can only be such an emptied object (a
/// real `null` has no fields to fail), so it becomes `{}` again. At the root, the
/// response's `data` is rebuilt only when the failed root field is nullable; a failed
/// non-null root field (every mutation here) leaves `data` null, as the spec says.
fn null_where_failed(
    registry: &async_graphql::registry::Registry,
    data: &mut async_graphql::Value,
    path: &[async_graphql::PathSegment],
) {
    use async_graphql::{Name, PathSegment, Value};
    if let (Value::Null, Some(PathSegment::Field(root))) = (&*data, path.first()) {
        let nullable = registry
            .types
            .get(&registry.query_type)
            .and_then(|query| query.field_by_name(root))
            .is_some_and(|field| !field.ty.ends_with('!'));
        if !nullable {
            return;
        }
        *data = Value::Object(Default::default());
    }
    let mut node = data;
    for (depth, segment) in path.iter().enumerate() {
        if *node == Value::Null && depth > 0 {
            *node = Value::Object(Default::default());
        }
        node = match (node, segment) {
            (Value::Object(fields), PathSegment::Field(name)) => {
                let key = Name::new(name);
                if !fields.contains_key(&key) {
                    fields.insert(key, Value::Null);
                    return;
                }
                match fields.get_mut(name.as_str()) {
                    Some(next) => next,
                    None => return,
                }
            }
            (Value::List(items), PathSegment::Index(i)) => match items.get_mut(*i) {
                Some(next) => next,
                None => return,
            },
            _ => return,
        };
    }
}

/// A response as clients get it: `null` where a field failed, and a code on every
/// error. Resolver errors always carry a code; what comes without one is the engine
/// failing to coerce an argument or read a variable (it has a path) or to find the
/// operation (it has none).
fn finish(registry: &async_graphql::registry::Registry, mut response: Response) -> Response {
    for error in &response.errors {
        null_where_failed(registry, &mut response.data, &error.path);
    }
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if !has_code {
            let code = if error.path.is_empty() {
                ErrorCode::GraphqlValidationFailed
            } else {
                ErrorCode::BadUserInput
            };
            *error = with_code(std::mem::replace(error, ServerError::new("", None)), code);
        }
    }
    response
}

#[async_graphql::async_trait::async_trait]
impl Extension for RequestGuard {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = crate::redis::budget::within(self.redis_budget, next.run(ctx)).await;
        finish(&ctx.schema_env.registry, response)
    }

    /// Every response of an operation run as a stream (all of them over the
    /// WebSocket, queries and mutations too) is finished as [`Extension::request`]
    /// finishes one: without this, errors the engine raised while executing reached
    /// WebSocket clients without a code.
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let env = ctx.schema_env.clone();
        next.run(ctx, stream)
            .map(move |response| finish(&env.registry, response))
            .boxed()
    }

    /// Parses the document (unless its brackets nest too deep to parse safely:
    /// [`super::nesting`]) and checks it against the [`DocumentLimits`] before
    /// async-graphql's own parse step, which walks every fragment spread expanded
    /// (its recursion-depth check) and so must only ever see a document of bounded
    /// size. Cached documents passed already.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if !self.cache.contains(&request.query) {
            let document = parse_document(&request.query).map_err(unparsable)?;
            self.limits.check(&document).map_err(refusal)?;
            request.set_parsed_query(document);
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Some(document) = self.cache.get(query) {
            return Ok(document);
        }
        // The document parsed in `prepare_request`, through async-graphql's checks of
        // nesting and directives.
        let document = next.run(ctx, query, variables).await.map_err(|e| {
            let code = if e.message.starts_with("The recursion depth") {
                ErrorCode::QueryTooDeep
            } else {
                ErrorCode::GraphqlParseFailed
            };
            with_code(e, code)
        })?;
        self.cache.insert(query, &document);
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| {
                    let code = match e.message.as_str() {
                        "Query is nested too deep." => ErrorCode::QueryTooDeep,
                        "Query is too complex." => ErrorCode::QueryTooComplex,
                        _ => ErrorCode::GraphqlValidationFailed,
                    };
                    with_code(e, code)
                })
                .collect()
        })
    }
}
