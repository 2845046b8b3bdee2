//! Durations (`7d`, `1h30m`, `500ms`) and `wait-until` instants
//! (`friday 09:00 Europe/London`, `2026-12-04 17:30 America/New_York`).

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, SpanRelativeTo, Timestamp, Zoned};

/// Parses a friendly duration; days count as 24 hours.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let span: Span = s
        .trim()
        .parse()
        .map_err(|e| format!("`{s}` is not a duration (try `30s`, `10m`, `1h30m`, `7d`): {e}"))?;
    let d = span
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(|e| format!("`{s}`: {e}"))?;
    std::time::Duration::try_from(d).map_err(|_| format!("`{s}` is negative"))
}

/// A duration for people: `3d 4h`, `2h 5m`, `40s`, `250ms`.
pub fn human(d: jiff::SignedDuration) -> String {
    let ms = d.as_millis().unsigned_abs();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = ms / 1000;
    let (days, hours, mins, secs) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    let parts: Vec<String> = [(days, "d"), (hours, "h"), (mins, "m"), (secs, "s")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .take(2)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    parts.join(" ")
}

/// When a `wait-until` is due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Until {
    text: String,
    day: Day,
    time: Time,
    tz_name: String,
    tz: TimeZone,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Day {
    Weekday(Weekday),
    Date(Date),
}

impl Until {
    /// `WEEKDAY|YYYY-MM-DD HH:MM[:SS] ZONE` — the time zone is required.
    pub fn parse(s: &str) -> Result<Until, String> {
        let parts: Vec<&str> = s.split_whitespace().collect();
        let [day, time, zone] = parts.as_slice() else {
            return Err(format!(
                "`{s}` is not `DAY TIME ZONE` (e.g. `friday 09:00 Europe/London` or `2026-12-04 17:30 UTC`)"
            ));
        };
        let day = match weekday(day) {
            Some(w) => Day::Weekday(w),
            None => Day::Date(
                day.parse::<Date>()
                    .map_err(|e| format!("`{day}` is neither a weekday nor a date: {e}"))?,
            ),
        };
        let time: Time = time
            .parse()
            .map_err(|e| format!("`{time}` is not a time of day (HH:MM): {e}"))?;
        let tz =
            TimeZone::get(zone).map_err(|e| format!("`{zone}` is not a known time zone: {e}"))?;
        Ok(Until {
            text: parts.join(" "),
            day,
            time,
            tz_name: (*zone).to_owned(),
            tz,
        })
    }

    /// The first matching instant at or after `now`.
    pub fn next_after(&self, now: Timestamp) -> Result<Timestamp, String> {
        let local: Zoned = now.to_zoned(self.tz.clone());
        match &self.day {
            Day::Date(d) => d
                .to_datetime(self.time)
                .to_zoned(self.tz.clone())
                .map(|z| z.timestamp())
                .map_err(|e| e.to_string()),
            Day::Weekday(w) => {
                for ahead in 0..8 {
                    let date = local
                        .date()
                        .checked_add(Span::new().days(ahead))
                        .map_err(|e| e.to_string())?;
                    if date.weekday() != *w {
                        continue;
                    }
                    let at = date
                        .to_datetime(self.time)
                        .to_zoned(self.tz.clone())
                        .map_err(|e| e.to_string())?;
                    if at.timestamp() >= now {
                        return Ok(at.timestamp());
                    }
                }
                Err("no such weekday in the next 8 days".to_owned())
            }
        }
    }

    /// The zone name as written.
    pub fn zone(&self) -> &str {
        &self.tz_name
    }
}

impl std::fmt::Display for Until {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s.to_ascii_lowercase().as_str() {
        "monday" | "mon" => Weekday::Monday,
        "tuesday" | "tue" => Weekday::Tuesday,
        "wednesday" | "wed" => Weekday::Wednesday,
        "thursday" | "thu" => Weekday::Thursday,
        "friday" | "fri" => Weekday::Friday,
        "saturday" | "sat" => Weekday::Saturday,
        "sunday" | "sun" => Weekday::Sunday,
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d").unwrap().as_secs(), 7 * 86_400);
        assert_eq!(parse_duration("1h30m").unwrap().as_secs(), 5_400);
        assert_eq!(parse_duration("500ms").unwrap().as_millis(), 500);
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn next_friday_in_london() {
        let u = Until::parse("friday 09:00 Europe/London").unwrap();
        // Thursday 2026-11-26 12:00 UTC → Friday 2026-11-27 09:00 GMT.
        let now: Timestamp = "2026-11-26T12:00:00Z".parse().unwrap();
        assert_eq!(
            u.next_after(now).unwrap().to_string(),
            "2026-11-27T09:00:00Z"
        );
        // Already Friday 09:00 → now.
        let now: Timestamp = "2026-11-27T09:00:00Z".parse().unwrap();
        assert_eq!(u.next_after(now).unwrap(), now);
        assert!(Until::parse("friday 09:00").is_err());
    }
}
