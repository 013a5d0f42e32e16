//! Times as people read them: in the viewer's own zone, relative while recent ("5 minutes
//! ago"), with the full local date and time on hover. The server formats them (it knows
//! the account's zone), so the page reads the same before and after hydration.

use serde::{Deserialize, Serialize};

/// A point in time, ready to show: `text` on the page, `full` in its title, `iso` for
/// the `<time datetime>` attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Moment {
    pub iso: String,
    pub text: String,
    pub full: String,
}

/// The longest zone name an account keeps (the IANA names are far shorter).
pub const MAX_ZONE_CHARS: usize = 64;

#[cfg(feature = "ssr")]
pub use server::{Zone, end_of_day, moment, today};

#[cfg(feature = "ssr")]
mod server {
    use chrono::{DateTime, Datelike, Utc};
    use chrono_tz::Tz;

    use super::Moment;

    /// An IANA time zone, as the browser reported it. Unknown names read as UTC.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Zone(Tz);

    impl Zone {
        pub const UTC: Zone = Zone(Tz::UTC);

        /// A zone name from the browser or the database; None when it is not one.
        pub fn parse(name: &str) -> Option<Zone> {
            name.parse::<Tz>().ok().map(Zone)
        }

        /// What the database keeps: unknown names fall back to UTC rather than failing a page.
        pub fn from_stored(name: &str) -> Zone {
            Zone::parse(name).unwrap_or(Zone::UTC)
        }

        pub fn name(self) -> &'static str {
            self.0.name()
        }
    }

    /// The instant `date` ends in `zone` (the next day's start): a link that "expires on" a
    /// day works until then.
    pub fn end_of_day(date: chrono::NaiveDate, zone: Zone) -> DateTime<Utc> {
        use chrono::TimeZone;
        let next_midnight = date.succ_opt().unwrap_or(date).and_hms_opt(0, 0, 0).unwrap_or_default();
        // Where a clock change skips midnight (as in Santiago or Beirut), the next day
        // starts at the first local time that exists.
        (0..=8)
            .map(|half_hours| next_midnight + chrono::Duration::minutes(30 * half_hours))
            .find_map(|local| zone.0.from_local_datetime(&local).earliest())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| next_midnight.and_utc())
    }

    /// The date it is in `zone` at `now`.
    pub fn today(zone: Zone, now: DateTime<Utc>) -> chrono::NaiveDate {
        now.with_timezone(&zone.0).date_naive()
    }

    /// `at` as `zone`'s people read it at `now`.
    pub fn moment(at: DateTime<Utc>, zone: Zone, now: DateTime<Utc>) -> Moment {
        let local = at.with_timezone(&zone.0);
        let today = now.with_timezone(&zone.0).date_naive();
        let clock = local.format("%H:%M").to_string();
        let seconds = (now - at).num_seconds();
        let text = match seconds {
            0..60 => "just now".to_string(),
            60..3600 => plural(seconds / 60, "minute", "ago"),
            3600..21600 => plural(seconds / 3600, "hour", "ago"),
            -3600..0 => "in a few minutes".to_string(),
            _ if local.date_naive() == today => format!("today at {clock}"),
            _ if today.pred_opt() == Some(local.date_naive()) => format!("yesterday at {clock}"),
            _ if today.succ_opt() == Some(local.date_naive()) => format!("tomorrow at {clock}"),
            _ if local.year() == today.year() => format!("{} at {clock}", local.format("%-d %b")),
            _ => local.format("%-d %b %Y").to_string(),
        };
        Moment {
            iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            text,
            full: format!("{} ({})", local.format("%A, %-d %B %Y, %H:%M"), zone.name()),
        }
    }

    fn plural(count: i64, unit: &str, tail: &str) -> String {
        if count == 1 { format!("1 {unit} {tail}") } else { format!("{count} {unit}s {tail}") }
    }

    #[cfg(test)]
    mod tests {
        use chrono::{Duration, TimeZone, Utc};

        use super::*;

        #[test]
        fn recent_times_are_relative_and_older_ones_local() {
            let now = Utc.with_ymd_and_hms(2026, 12, 1, 13, 48, 0).single().unwrap_or_default();
            let berlin = Zone::from_stored("Europe/Berlin");
            assert_eq!(moment(now - Duration::seconds(20), berlin, now).text, "just now");
            assert_eq!(moment(now - Duration::minutes(5), berlin, now).text, "5 minutes ago");
            assert_eq!(moment(now - Duration::minutes(61), berlin, now).text, "1 hour ago");
            // 07:00 UTC is 08:00 in Berlin, earlier the same local day.
            assert_eq!(moment(now - Duration::minutes(408), berlin, now).text, "today at 08:00");
            assert_eq!(moment(now - Duration::days(1), berlin, now).text, "yesterday at 14:48");
            assert_eq!(moment(now + Duration::days(7), berlin, now).text, "8 Dec at 14:48");
            assert_eq!(moment(now - Duration::days(400), berlin, now).text, "27 Oct 2025");
            let shown = moment(now, berlin, now);
            assert_eq!(shown.full, "Tuesday, 1 December 2026, 14:48 (Europe/Berlin)");
            assert_eq!(shown.iso, "2026-12-01T13:48:00Z");
        }

        #[test]
        fn the_zone_decides_the_day() {
            let now = Utc.with_ymd_and_hms(2026, 12, 1, 23, 30, 0).single().unwrap_or_default();
            let at = now - Duration::hours(7);
            assert_eq!(moment(at, Zone::UTC, now).text, "today at 16:30");
            // In Tokyo it is already 2 December: 16:30 UTC was 01:30 there, on the 2nd.
            assert_eq!(moment(at, Zone::from_stored("Asia/Tokyo"), now).text, "today at 01:30");
            assert_eq!(moment(at - Duration::hours(2), Zone::from_stored("Asia/Tokyo"), now).text, "yesterday at 23:30");
        }

        #[test]
        fn a_day_ends_at_its_local_midnight() {
            let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
            let berlin = Zone::from_stored("Europe/Berlin");
            assert_eq!(end_of_day(date, berlin).to_rfc3339(), "2026-12-31T23:00:00+00:00");
            assert_eq!(end_of_day(date, Zone::UTC).to_rfc3339(), "2027-01-01T00:00:00+00:00");
            // Santiago skipped its midnight of 7 September 2025 (00:00 became 01:00, UTC-3).
            let before_the_gap = chrono::NaiveDate::from_ymd_opt(2025, 9, 6).unwrap();
            assert_eq!(end_of_day(before_the_gap, Zone::from_stored("America/Santiago")).to_rfc3339(), "2025-09-07T04:00:00+00:00");
            let late = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).single().unwrap_or_default();
            assert_eq!(today(berlin, late).to_string(), "2027-01-01");
        }

        #[test]
        fn unknown_zone_names_read_as_utc() {
            assert_eq!(Zone::from_stored("Mars/Olympus"), Zone::UTC);
            assert!(Zone::parse("America/New_York").is_some());
        }
    }
}
