//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default `info`), as text or JSON.
//! Inside a request, every line carries the request's span: its id, method and path. Colour
//! codes only when stderr is a terminal. A panic is logged with its backtrace.

use std::{io::IsTerminal, sync::Once};

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // A second call (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .try_init(),
    };
    log_panics();
}

/// Logs every panic as an error with its backtrace, in the span it happened in (a request's,
/// with its id). Without a subscriber (a test that logs nothing), the standard hook prints it
/// instead. Installed once; the server installs it too.
pub fn log_panics() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        let standard = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if tracing::dispatcher::has_been_set() {
                let backtrace = std::backtrace::Backtrace::force_capture();
                tracing::error!(panic = %info, %backtrace, "panicked");
            } else {
                standard(info);
            }
        }));
    });
}

/// A duration for a log line: milliseconds to a tenth (`0.3`, not `0.25086999999999998`).
pub fn millis(duration: std::time::Duration) -> f64 {
    (duration.as_secs_f64() * 1e4).round() / 10.0
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn millis_keep_one_decimal() {
        assert_eq!(super::millis(Duration::from_nanos(25_087)), 0.0);
        assert_eq!(super::millis(Duration::from_micros(250_870)), 250.9);
        assert_eq!(super::millis(Duration::from_millis(1_500)), 1500.0);
    }
}
