//! The run's clock: real, or virtual (waits pass at once, Temporal-style
//! time skipping; between waits it runs at real speed).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

/// A run clock.
#[derive(Clone, Debug)]
pub enum Clock {
    /// Wall-clock time; waits sleep.
    Real,
    /// Wall-clock time plus a skip offset; waits add to the offset.
    Virtual {
        /// Added to the wall clock.
        offset: SignedDuration,
    },
}

/// The wait was cut short by Ctrl-C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

impl Clock {
    /// `real`, `virtual`, or `virtual:2026-11-27T09:00:00Z`.
    pub fn parse(s: &str) -> Result<Clock, String> {
        match s.split_once(':') {
            _ if s == "real" => Ok(Clock::Real),
            _ if s == "virtual" => Ok(Clock::Virtual {
                offset: SignedDuration::ZERO,
            }),
            Some(("virtual", start)) => {
                let start: Timestamp = start
                    .parse()
                    .or_else(|_| {
                        start
                            .parse::<jiff::civil::DateTime>()
                            .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC))
                            .map(|z| z.timestamp())
                    })
                    .map_err(|e| {
                        format!(
                            "`{start}` is not an RFC 3339 instant (e.g. 2026-11-27T09:00:00Z): {e}"
                        )
                    })?;
                Ok(Clock::Virtual {
                    offset: start.duration_since(Timestamp::now()),
                })
            }
            _ => Err(format!(
                "`{s}` is not a clock: use `real`, `virtual` or `virtual:START`"
            )),
        }
    }

    /// `real` or `virtual`.
    pub fn name(&self) -> &'static str {
        match self {
            Clock::Real => "real",
            Clock::Virtual { .. } => "virtual",
        }
    }

    /// The run's current time.
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::Real => Timestamp::now(),
            Clock::Virtual { offset } => Timestamp::now()
                .checked_add(*offset)
                .unwrap_or(Timestamp::MAX),
        }
    }

    /// Waits until `until` (at once on the virtual clock).
    pub fn wait_until(
        &mut self,
        until: Timestamp,
        interrupted: &AtomicBool,
    ) -> Result<(), Interrupted> {
        match self {
            Clock::Virtual { offset } => {
                let ahead = until.duration_since(
                    Timestamp::now()
                        .checked_add(*offset)
                        .unwrap_or(Timestamp::MAX),
                );
                if ahead.is_positive() {
                    *offset = offset.checked_add(ahead).unwrap_or(*offset);
                }
                Ok(())
            }
            Clock::Real => loop {
                if interrupted.load(Ordering::SeqCst) {
                    return Err(Interrupted);
                }
                let left = until.duration_since(Timestamp::now());
                if !left.is_positive() {
                    return Ok(());
                }
                let step = Duration::try_from(left)
                    .unwrap_or(Duration::ZERO)
                    .min(Duration::from_millis(100));
                std::thread::sleep(step);
            },
        }
    }
}

/// RFC 3339 with seconds, in UTC.
pub fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
