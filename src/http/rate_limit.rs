//! Optional per-client rate limiting: a token bucket per client, the client being its API
//! token when it sends a valid one, else its IP address. Over the rate: 429 and `Retry-After`.

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use actix_web::HttpRequest;
use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};

/// How often (in checks) buckets that have refilled are dropped, so memory stays bounded by
/// the clients of the last moments.
const PRUNE_EVERY: u64 = 4096;

pub struct RateLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    checks: AtomicU64,
}

impl RateLimiter {
    /// `None` when `per_second` is 0 (rate limiting off).
    pub fn new(per_second: u32, burst: Option<u32>) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = burst.and_then(NonZeroU32::new).unwrap_or(rate);
        Some(Self {
            limiter: DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            checks: AtomicU64::new(0),
        })
    }

    /// `Err(wait)` when `client` is over its rate.
    pub fn check(&self, client: &str) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter
            .check_key(&client.to_owned())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The client's IP address: the last one in `ip_header` when configured (the one the
/// proxy in front of us added), else the connection's peer.
pub fn client_ip(req: &HttpRequest, ip_header: Option<&str>) -> Option<IpAddr> {
    if let Some(name) = ip_header {
        let forwarded = req
            .headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|ip| ip.trim().parse::<IpAddr>().ok())
            .last();
        if forwarded.is_some() {
            return forwarded;
        }
    }
    req.peer_addr().map(|addr| addr.ip())
}

/// Seconds to wait, rounded up, for a `Retry-After` header.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}
