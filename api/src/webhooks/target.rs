//! Where a webhook may point. An endpoint URL is chosen by a user and fetched by the
//! server, so in production it must be `https://` to a public address: otherwise any
//! user could make Tally call into its own network (SSRF) — a metadata service, an admin
//! port on loopback. The check is made twice: on the URL when it is registered, and on
//! every address its host resolves to when a delivery is sent (see [`PublicResolver`]),
//! so a name that later resolves inward (DNS rebinding) is refused too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

use crate::error::AppError;

/// What endpoint URLs may be.
#[derive(Debug, Clone, Copy)]
pub struct TargetPolicy {
    /// Allow `http://` and non-public addresses (development, tests).
    pub allow_private: bool,
    /// Longest URL, in bytes.
    pub max_url_bytes: usize,
}

/// A URL that passed [`TargetPolicy::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// The URL as registered.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TargetPolicy {
    /// Checks an endpoint URL; `BAD_USER_INPUT` on `field` saying what is wrong.
    pub fn parse(&self, field: &str, raw: &str) -> Result<WebhookUrl, AppError> {
        let bad = |why: &str| AppError::bad_input(field, why.to_owned());
        if raw.len() > self.max_url_bytes {
            return Err(bad(&format!(
                "the URL is longer than {} bytes",
                self.max_url_bytes
            )));
        }
        let url = Url::parse(raw.trim()).map_err(|_| bad("not an absolute URL"))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_private => {}
            "http" => return Err(bad("the URL must be https://")),
            _ => return Err(bad("the URL must be https:// (or http:// in development)")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("the URL may not carry a user name or password"));
        }
        if url.fragment().is_some() {
            return Err(bad("the URL may not have a #fragment"));
        }
        let allowed = match url.host() {
            None => return Err(bad("the URL has no host")),
            Some(url::Host::Ipv4(ip)) => self.allows(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.allows(IpAddr::V6(ip)),
            Some(url::Host::Domain(name)) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                self.allow_private || !(name == "localhost" || name.ends_with(".localhost"))
            }
        };
        if !allowed {
            return Err(bad("the URL points at a private or local address"));
        }
        Ok(WebhookUrl(url.to_string()))
    }

    /// Whether a delivery may be sent to this address.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.allow_private || is_public(ip)
    }
}

/// Whether an address is on the public internet (not loopback, private, link-local,
/// shared, documentation, multicast or reserved).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 192 && b == 0 && ip.octets()[2] == 0)) // IETF protocol assignments
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64 (could reach inward)
        || ip.to_ipv4().is_some_and(|v4| !is_public_v4(v4)))
}

/// The sender's DNS resolver: the system's, keeping only addresses the policy allows.
#[derive(Debug, Clone, Copy)]
pub struct PublicResolver(pub TargetPolicy);

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let kept: Vec<SocketAddr> = found.filter(|a| policy.allows(a.ip())).collect();
            if kept.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRODUCTION: TargetPolicy = TargetPolicy {
        allow_private: false,
        max_url_bytes: 100,
    };

    #[test]
    fn production_takes_public_https_only() {
        assert!(
            PRODUCTION
                .parse("url", "https://hooks.example.com/tally")
                .is_ok()
        );
        for refused in [
            "http://hooks.example.com/",
            "https://127.0.0.1/",
            "https://localhost:8080/",
            "https://10.1.2.3/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:192.168.0.1]/",
            "https://user:pw@hooks.example.com/",
            "ftp://hooks.example.com/",
            "not a url",
        ] {
            assert!(PRODUCTION.parse("url", refused).is_err(), "{refused}");
        }
        let long = format!("https://example.com/{}", "a".repeat(100));
        assert!(PRODUCTION.parse("url", &long).is_err());
    }

    #[test]
    fn development_may_point_anywhere() {
        let dev = TargetPolicy {
            allow_private: true,
            max_url_bytes: 100,
        };
        assert!(dev.parse("url", "http://127.0.0.1:9000/hook").is_ok());
        assert!(dev.parse("url", "ftp://127.0.0.1/").is_err());
    }

    #[test]
    fn public_addresses_are_told_from_inner_ones() {
        assert!(is_public(
            "93.184.216.34"
                .parse()
                .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
        ));
        assert!(is_public(
            "2606:4700::1111"
                .parse()
                .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
        ));
        for inner in [
            "100.64.0.1",
            "192.168.1.1",
            "0.0.0.0",
            "::",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            let ip: IpAddr = inner.parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
            assert!(!is_public(ip), "{inner}");
        }
    }
}
