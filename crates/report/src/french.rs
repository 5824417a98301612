//! Numbers the way French reports write them: thousands grouped by a narrow no-break
//! space, a decimal comma, no minus sign on a value that rounds to zero.

/// `1 194 040`, `12,3` (the groups separated by U+202F).
///
/// ```
/// assert_eq!(echelle_report::french(1234.567, 1), "1\u{202f}234,6");
/// ```
pub fn french(value: f64, decimals: u8) -> String {
    let s = format!("{:.*}", usize::from(decimals), value.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::with_capacity(s.len() + 8);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(c);
    }
    let sign = if value < 0.0 && s.bytes().any(|c| c.is_ascii_digit() && c != b'0') { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::french;

    #[test]
    fn grouped_with_a_decimal_comma() {
        assert_eq!(french(1_194_040.0, 0), "1\u{202f}194\u{202f}040");
        assert_eq!(french(242_591.0, 0), "242\u{202f}591");
        assert_eq!(french(12.345, 1), "12,3");
        assert_eq!(french(-0.04, 1), "0,0");
        assert_eq!(french(-1234.5, 1), "-1\u{202f}234,5");
        assert_eq!(french(999.0, 2), "999,00");
    }
}
