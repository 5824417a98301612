//! Calendar dates of observations and decisions: no time zone, no time of day.

use std::fmt;

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// The year.
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
    /// 1 to 31.
    pub day: u8,
}

impl Date {
    /// A date, checked.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let ok =
            (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month) && (1800..=2300).contains(&year);
        ok.then_some(Date { year, month, day })
    }

    /// Parses `2026-03-31`, `31/03/2026` or a year alone (`2024`, the 1st of January).
    pub fn parse(s: &str) -> Option<Date> {
        let t = s.trim();
        let t = t.split([' ', 'T']).next().unwrap_or(t);
        if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
            return Date::new(t.parse().ok()?, 1, 1);
        }
        let dashed = t.contains('-');
        let parts: Vec<&str> = if dashed { t.split('-').collect() } else { t.split('/').collect() };
        if parts.len() != 3 {
            return None;
        }
        let n = |p: &str| p.parse::<i32>().ok();
        let (y, m, d) = if dashed {
            (n(parts[0])?, n(parts[1])?, n(parts[2])?)
        } else {
            (n(parts[2])?, n(parts[1])?, n(parts[0])?)
        };
        Date::new(y, u8::try_from(m).ok()?, u8::try_from(d).ok()?)
    }

    /// Today (UTC).
    pub fn today() -> Date {
        let d = echelle_report::Date::today();
        Date { year: d.year, month: d.month, day: d.day }
    }

    /// The date of a spreadsheet's serial number (days since 1899-12-30).
    pub fn from_serial(serial: f64) -> Option<Date> {
        if !(1.0..=200_000.0).contains(&serial) {
            return None;
        }
        // Serial 25,569 is 1970-01-01.
        let d = echelle_report::date::Date::from_days(serial.floor() as i64 - 25_569);
        Date::new(d.year, d.month, d.day)
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("not a date (AAAA-MM-JJ): {s}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_writings_partners_use_and_rejects_impossible_dates() {
        assert_eq!(Date::parse("2026-03-31"), Date::new(2026, 3, 31));
        assert_eq!(Date::parse("31/03/2026"), Date::new(2026, 3, 31));
        assert_eq!(Date::parse("2020"), Date::new(2020, 1, 1));
        assert_eq!(Date::parse("2026-02-30"), None);
        assert_eq!(Date::parse("bientôt"), None);
        assert_eq!(Date::from_serial(46_022.0), Date::new(2025, 12, 31));
    }
}
