//! The media type of a GraphQL answer, chosen from the request's `Accept` header as
//! GraphQL-over-HTTP says.
//!
//! - `application/graphql-response+json` when the client accepts it: the status code
//!   then tells a request error (400: the document did not parse or validate, or the
//!   variables did not fit) from a field error (200), so that proxies and tools in
//!   between can see that a request failed;
//! - `application/json` otherwise, and when `Accept` is missing or only `*/*` matches:
//!   what clients written before the spec expect, with every GraphQL answer 200;
//! - neither acceptable: 406 `NOT_ACCEPTABLE`.
//!
//! Quality values (`q=`) rank the two; on a tie, a type named outright beats one matched
//! by a wildcard, and then `application/graphql-response+json` wins.

use axum::http::{HeaderMap, HeaderValue, header};

/// A media type Tally answers GraphQL in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Media {
    /// `application/graphql-response+json`.
    GraphqlResponse,
    /// `application/json`.
    Json,
}

impl Media {
    /// The `Content-Type` of an answer in this media type (always UTF-8).
    pub fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        })
    }

    fn essence(self) -> (&'static str, &'static str) {
        match self {
            Media::GraphqlResponse => ("application", "graphql-response+json"),
            Media::Json => ("application", "json"),
        }
    }
}

/// The media type to answer in, or `None` when the client accepts neither.
pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let ranges: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter(|r| !r.trim().is_empty())
        .collect();
    if ranges.is_empty() {
        return Some(Media::Json);
    }
    [Media::GraphqlResponse, Media::Json]
        .into_iter()
        .filter_map(|media| {
            let (quality, named) = preference(&ranges, media)?;
            let preferred = named && media == Media::GraphqlResponse;
            (quality > 0).then_some((quality, named, preferred, media))
        })
        // Of equals, `max_by_key` keeps the last: `application/json` when only
        // wildcards matched.
        .max_by_key(|&(quality, named, preferred, _)| (quality, named, preferred))
        .map(|(.., media)| media)
}

/// How much the ranges want `media`: the quality (in thousandths) of the most specific
/// range that matches it, and whether that range names it outright.
fn preference(ranges: &[&str], media: Media) -> Option<(u16, bool)> {
    let (kind, subtype) = media.essence();
    ranges
        .iter()
        .filter_map(|range| {
            let mut parts = range.split(';');
            let essence = parts.next()?.trim();
            let (k, s) = essence.split_once('/')?;
            let specificity = match (k.trim(), s.trim()) {
                (k, s) if k.eq_ignore_ascii_case(kind) && s.eq_ignore_ascii_case(subtype) => 2,
                (k, "*") if k.eq_ignore_ascii_case(kind) => 1,
                ("*", "*") => 0,
                _ => return None,
            };
            Some((specificity, quality(parts)))
        })
        .max_by_key(|&(specificity, _)| specificity)
        .map(|(specificity, quality)| (quality, specificity == 2))
}

/// The `q` parameter in thousandths: 1000 when absent, 0 when unreadable.
fn quality<'a>(params: impl Iterator<Item = &'a str>) -> u16 {
    for param in params {
        if let Some((name, value)) = param.split_once('=')
            && name.trim().eq_ignore_ascii_case("q")
        {
            return value
                .trim()
                .parse::<f32>()
                .ok()
                .filter(|q| (0.0..=1.0).contains(q))
                .map_or(0, |q| (q * 1000.0).round() as u16);
        }
    }
    1000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> Option<Media> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(value).expect("a header"),
        );
        negotiate(&headers)
    }

    #[test]
    fn no_accept_header_or_a_wildcard_means_application_json() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(Media::Json));
        assert_eq!(accept("*/*"), Some(Media::Json));
        assert_eq!(accept("application/*"), Some(Media::Json));
        assert_eq!(accept("text/html, */*;q=0.8"), Some(Media::Json));
    }

    #[test]
    fn graphql_response_json_is_chosen_when_named_unless_ranked_lower() {
        assert_eq!(
            accept("application/graphql-response+json"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            accept("application/json, application/graphql-response+json"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(
            accept("application/graphql-response+json;q=0.5, application/json"),
            Some(Media::Json)
        );
        assert_eq!(
            accept("application/graphql-response+json, */*;q=0.1"),
            Some(Media::GraphqlResponse)
        );
        assert_eq!(accept("application/json"), Some(Media::Json));
    }

    #[test]
    fn nothing_acceptable_is_none() {
        assert_eq!(accept("text/html"), None);
        assert_eq!(accept("application/json;q=0"), None);
        assert_eq!(accept("*/*;q=0"), None);
        assert_eq!(accept("application/xml, text/*"), None);
    }
}
