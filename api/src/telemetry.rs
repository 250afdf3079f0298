//! Structured logs with `tracing` (human-readable by default, JSON with `LOG_FORMAT=json`)
//! and, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, OpenTelemetry traces over OTLP/HTTP.
//!
//! A trace follows a vote: the HTTP request span (`request`), the GraphQL operation
//! (`graphql`, with its type and name), and — in the vote writer's own task — the batch
//! that committed it (`vote batch`), which *links* every request span it answered (one
//! batch serves many requests, so it is no request's child), with the SQL transaction
//! and the live-state writes (Redis when configured) as its children.
//!
//! The spans this crate adds are at DEBUG level, exported by the OpenTelemetry layer
//! only: without an endpoint no layer wants them, so each costs one disabled-callsite
//! check and nothing is allocated.

use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::config::{LogFormat, TelemetryConfig};

/// The trace exporter, flushed and stopped when dropped (after the server stopped, so
/// the last batches' spans are sent).
pub struct Telemetry {
    traces: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.traces.take()
            && let Err(e) = provider.shutdown()
        {
            tracing::warn!(error = %e, "traces could not all be sent at shutdown");
        }
    }
}

/// Installs the global subscriber: logs filtered by `RUST_LOG` (default `info`), and
/// traces when `config.otlp_endpoint` is set. Calling it twice is harmless (tests start
/// many apps in one process). Call it outside the async runtime: the exporter's HTTP
/// client is a blocking one, run on the SDK's own thread.
pub fn init(format: LogFormat, config: &TelemetryConfig) -> anyhow::Result<Telemetry> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = match format {
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed(),
        LogFormat::Text => tracing_subscriber::fmt::layer().boxed(),
    }
    .with_filter(filter);
    let (provider, traces) = match &config.otlp_endpoint {
        Some(endpoint) => {
            let provider = tracer_provider(endpoint, &config.service_name)?;
            let layer = tracing_opentelemetry::layer()
                .with_tracer(provider.tracer("tally"))
                .with_filter(
                    Targets::new()
                        .with_target("tally", LevelFilter::DEBUG)
                        .with_default(LevelFilter::OFF),
                );
            (Some(provider), Some(layer))
        }
        None => (None, None),
    };
    let installed = tracing_subscriber::registry()
        .with(logs)
        .with(traces)
        .try_init()
        .is_ok();
    if installed && let Some(endpoint) = &config.otlp_endpoint {
        tracing::info!(%endpoint, "exporting traces over OTLP/HTTP");
    }
    Ok(Telemetry { traces: provider })
}

/// A provider that batches spans and sends them to `<endpoint>/v1/traces` as protobuf.
fn tracer_provider(endpoint: &str, service_name: &str) -> anyhow::Result<SdkTracerProvider> {
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(url.clone())
        .build()
        .map_err(|e| anyhow::anyhow!("OTEL_EXPORTER_OTLP_ENDPOINT {endpoint:?}: {e}"))?;
    let resource = opentelemetry_sdk::Resource::builder_empty()
        .with_service_name(service_name.to_owned())
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

/// Links `span` (a vote batch) to `to` (a request it answers), when traces are exported.
pub fn link(span: &tracing::Span, to: &tracing::Span) {
    let context = to.context();
    let target = context.span().span_context().clone();
    if target.is_valid() {
        span.add_link(target);
    }
}
