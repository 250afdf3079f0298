//! The schema's one extension: error codes for failures that happen outside resolvers,
//! the document limits that async-graphql 7 lacks (bracket nesting, before parsing:
//! [`super::nesting`]; aliases, size with fragments expanded:
//! [`super::document_limits`]), the complexity limit with each operation's cost
//! reported in `extensions.cost`, the parsed-document cache, and what persisted
//! documents skip ([`super::persisted`]).
//!
//! One extension rather than three: async-graphql wraps every field resolution in every
//! extension's `resolve` hook, so each extension costs a boxed future per field.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest, NextRequest,
    NextSubscribe, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, Response, ServerError, ServerResult, ValidationResult, Variables};
use futures::StreamExt;
use futures::stream::BoxStream;

use super::counters::DocumentCounters;
use super::document_cache::{Cached, DocumentCache};
use super::document_limits::{Breach, DocumentLimits};
use super::nesting::{MAX_NESTING, Unparsable, parse_document};
use super::operation_latency::{operation_of, type_name};
use super::persisted::Persisted;
use super::variables;
use crate::error_code::ErrorCode;
use crate::latency::Histogram;
use tracing::Instrument as _;

/// The persisted document a request runs, if it is one.
fn persisted(data: &async_graphql::Data) -> Option<&Persisted> {
    data.get(&std::any::TypeId::of::<Persisted>())
        .and_then(|d| d.downcast_ref::<Persisted>())
}

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
///
/// Complexity is checked here rather than by async-graphql's `limit_complexity`, which
/// refuses without saying by how much: every response whose document validated, and a
/// refusal for complexity too, carries `extensions.cost = { requested, limit }` (as
/// Shopify's API does), so a client sees how close it runs to `TALLY_GRAPHQL_MAX_COMPLEXITY`.
///
/// A persisted document ([`Persisted`] in the request's data) is parsed once and then
/// run from its parsed form; once it passed validation, it is sent to the schema whose
/// validation runs only the rules that depend on variables ([`RequestGuard::known`]).
pub struct RequestGuard {
    limits: DocumentLimits,
    max_complexity: usize,
    cache: DocumentCache,
    redis_budget: Duration,
    counters: Arc<DocumentCounters>,
    /// Whether the schema runs every validation rule (else: only complexity, depth and
    /// fragment cycles, for documents that passed them all before).
    full_validation: bool,
    /// This request's complexity once validation computed it; [`NOT_COSTED`] before.
    /// (The factory makes one guard per request, so this is per request; shared with
    /// the stream of an operation run as one, which validates after it starts.)
    cost: Arc<AtomicUsize>,
    /// The name of the operation this request runs, for checking its variables once
    /// the document is parsed (a std mutex: held for an assignment only).
    operation_name: Mutex<Option<String>>,
    /// The cache entry of this request's document (not persisted), to mark validated
    /// once it passes.
    cached: Mutex<Option<Arc<Cached>>>,
    /// The latency histogram of this request's operation, once its document is parsed.
    timing: Mutex<Option<Arc<Histogram>>>,
}

/// The cost of a request whose document has not been validated.
const NOT_COSTED: usize = usize::MAX;

impl RequestGuard {
    /// The extension with its document limits, the complexity limit and each request's
    /// Redis budget.
    pub fn new(
        limits: DocumentLimits,
        max_complexity: usize,
        redis_budget: Duration,
        counters: Arc<DocumentCounters>,
    ) -> Self {
        RequestGuard {
            limits,
            max_complexity,
            cache: DocumentCache::default(),
            redis_budget,
            counters,
            full_validation: true,
            cost: Arc::new(AtomicUsize::new(NOT_COSTED)),
            operation_name: Mutex::default(),
            cached: Mutex::default(),
            timing: Mutex::default(),
        }
    }

    /// The cache of parsed documents, which says which passed validation.
    pub fn documents(&self) -> DocumentCache {
        self.cache.clone()
    }

    /// The same extension (one cache, one set of counters) for the schema of known
    /// documents, which validates in async-graphql's `ValidationMode::Fast`.
    pub fn known(&self) -> Self {
        RequestGuard {
            full_validation: false,
            ..self.for_one_request()
        }
    }

    /// A guard sharing this one's cache and counters, with a request's own state.
    fn for_one_request(&self) -> Self {
        RequestGuard {
            limits: self.limits,
            max_complexity: self.max_complexity,
            cache: self.cache.clone(),
            redis_budget: self.redis_budget,
            counters: self.counters.clone(),
            full_validation: self.full_validation,
            cost: Arc::new(AtomicUsize::new(NOT_COSTED)),
            operation_name: Mutex::default(),
            cached: Mutex::default(),
            timing: Mutex::default(),
        }
    }

    /// The document from the cache, or parsed by async-graphql (and then cached, with
    /// its persisted entry when it is one).
    async fn parse(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let persisted = ctx.data_opt::<Persisted>();
        if persisted.is_none()
            && let Some(cached) = self.cache.get(query)
        {
            let document = cached.document().clone();
            *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(cached);
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
        match persisted {
            Some(known) => known.0.set_document(&document),
            None => {
                *self.cached.lock().unwrap_or_else(|p| p.into_inner()) =
                    self.cache.insert(query, &document);
            }
        }
        Ok(document)
    }

    /// `{ requested, limit }`, once the request's complexity is known.
    fn cost(&self) -> Option<async_graphql::Value> {
        cost_of(&self.cost, self.max_complexity)
    }
}

impl ExtensionFactory for RequestGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(self.for_one_request())
    }
}

/// `{ requested, limit }` when `requested` holds a computed complexity.
fn cost_of(requested: &AtomicUsize, limit: usize) -> Option<async_graphql::Value> {
    let requested = requested.load(Ordering::Relaxed);
    (requested != NOT_COSTED).then(|| {
        let mut cost = async_graphql::indexmap::IndexMap::new();
        cost.insert(async_graphql::Name::new("requested"), requested.into());
        cost.insert(async_graphql::Name::new("limit"), limit.into());
        async_graphql::Value::Object(cost)
    })
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
        let started = Instant::now();
        // A span of the request's trace; its type and name are recorded once parsed.
        let span = tracing::debug_span!(
            "graphql",
            graphql.operation.type = tracing::field::Empty,
            graphql.operation.name = tracing::field::Empty
        );
        let response = crate::redis::budget::within(self.redis_budget, next.run(ctx))
            .instrument(span)
            .await;
        if let Some(histogram) = self.timing.lock().unwrap_or_else(|p| p.into_inner()).take() {
            histogram.observe(started.elapsed());
        }
        let mut response = finish(&ctx.schema_env.registry, response);
        if let Some(cost) = self.cost() {
            response.extensions.insert("cost".to_owned(), cost);
        }
        response
    }

    /// Every response of an operation run as a stream (all of them over the
    /// WebSocket, queries and mutations too) is finished as [`Extension::request`]
    /// finishes one: without this, errors the engine raised while executing reached
    /// WebSocket clients without a code. Each carries the operation's cost too.
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let env = ctx.schema_env.clone();
        let (requested, limit) = (self.cost.clone(), self.max_complexity);
        next.run(ctx, stream)
            .map(move |response| {
                let mut response = finish(&env.registry, response);
                if let Some(cost) = cost_of(&requested, limit) {
                    response.extensions.insert("cost".to_owned(), cost);
                }
                response
            })
            .boxed()
    }

    /// Parses the document (unless its brackets nest too deep to parse safely:
    /// [`super::nesting`]) and checks it against the [`DocumentLimits`] before
    /// async-graphql's own parse step, which walks every fragment spread expanded
    /// (its recursion-depth check) and so must only ever see a document of bounded
    /// size. Cached documents passed already, and so did persisted documents parsed
    /// before.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        request.operation_name.clone_into(
            &mut self
                .operation_name
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        let known = persisted(&request.data);
        if let Some(document) = known.and_then(|known| known.0.document().cloned()) {
            request.set_parsed_query(document);
        } else if known.is_some() || !self.cache.contains(&request.query) {
            // A persisted document is parsed here the first time even when its text is
            // in the cache: `parse_query` keeps it with the persisted entry instead.
            self.counters.parsed.fetch_add(1, Ordering::Relaxed);
            let document = parse_document(&request.query).map_err(unparsable)?;
            self.limits.check(&document).map_err(refusal)?;
            request.set_parsed_query(document);
        }
        next.run(ctx, request).await
    }

    /// The parsed document, once the variables the operation requires are known to be
    /// there ([`super::variables`]): a missing one is a request error.
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = self.parse(ctx, query, variables, next).await?;
        let operation_name = self
            .operation_name
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some((kind, name)) = operation_of(&document, operation_name.as_deref()) {
            let span = tracing::Span::current();
            span.record("graphql.operation.type", type_name(kind));
            if let Some(name) = name {
                span.record("graphql.operation.name", name);
            }
            let persisted = ctx.data_opt::<Persisted>().is_some();
            *self.timing.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(self.counters.latencies.series(kind, name, persisted));
        }
        match variables::missing_required(&document, operation_name.as_deref(), variables) {
            Some(missing) => Err(with_code(missing, ErrorCode::BadUserInput)),
            None => Ok(document),
        }
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        if self.full_validation {
            self.counters.validated.fetch_add(1, Ordering::Relaxed);
        }
        let result = next.run(ctx).await;
        if self.full_validation && result.is_ok() {
            match ctx.data_opt::<Persisted>() {
                Some(known) => known.0.mark_validated(),
                None => {
                    if let Some(cached) =
                        self.cached.lock().unwrap_or_else(|p| p.into_inner()).take()
                    {
                        cached.mark_validated();
                    }
                }
            }
        }
        let result = result.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| {
                    let code = match e.message.as_str() {
                        "Query is nested too deep." => ErrorCode::QueryTooDeep,
                        _ => ErrorCode::GraphqlValidationFailed,
                    };
                    with_code(e, code)
                })
                .collect::<Vec<_>>()
        })?;
        self.cost.store(result.complexity, Ordering::Relaxed);
        if result.complexity > self.max_complexity {
            let message = format!(
                "the query's complexity is {}; at most {} is allowed",
                result.complexity, self.max_complexity
            );
            return Err(vec![with_code(
                ServerError::new(message, None),
                ErrorCode::QueryTooComplex,
            )]);
        }
        Ok(result)
    }
}
