//! Numbers as INSEE writes them: `2.90178893548689`, `2,9` (decimal comma),
//! `1e-3` never. Weights and flows are kept as exact decimals (scale 15), so that a
//! sum of weights in the store is the sum of the file's digits, not of their
//! binary approximations.

/// Digits after the point kept for weights (`IPONDI`) and flows (`NBFLUX_…`).
pub const SCALE: i8 = 15;
/// Precision of the decimal type: 23 digits before the point, 15 after.
pub const PRECISION: u8 = 38;

const POW10: [i128; 16] = {
    let mut p = [1i128; 16];
    let mut i = 1;
    while i < 16 {
        p[i] = p[i - 1] * 10;
        i += 1;
    }
    p
};

/// Parses a decimal with `.` or `,` as the decimal mark into an integer of
/// `10^-SCALE` units. Refuses more than 15 decimals rather than rounding them.
pub fn parse_scaled(s: &str) -> Result<i128, String> {
    let t = s.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() {
        return Err(format!("'{s}' is not a number"));
    }
    let mut int: i128 = 0;
    let mut frac: i128 = 0;
    let mut frac_digits = 0usize;
    let mut seen_mark = false;
    let mut any_digit = false;
    for b in digits.bytes() {
        match b {
            b'0'..=b'9' => {
                any_digit = true;
                let d = (b - b'0') as i128;
                if seen_mark {
                    frac_digits += 1;
                    if frac_digits > SCALE as usize {
                        if d != 0 {
                            return Err(format!("'{s}' has more than {SCALE} decimals"));
                        }
                        continue;
                    }
                    frac = frac * 10 + d;
                } else {
                    int = int
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(d))
                        .ok_or_else(|| format!("'{s}' is too large"))?;
                    if int >= POW10[15] * 100_000_000 {
                        return Err(format!("'{s}' is too large"));
                    }
                }
            }
            b'.' | b',' if !seen_mark => seen_mark = true,
            _ => return Err(format!("'{s}' is not a number")),
        }
    }
    if !any_digit {
        return Err(format!("'{s}' is not a number"));
    }
    let kept = frac_digits.min(SCALE as usize);
    let v = int * POW10[SCALE as usize] + frac * POW10[SCALE as usize - kept];
    Ok(if neg { -v } else { v })
}

/// [`parse_scaled`] of the usual weight (`2.90178893548689`, `-3`, `0,5`): at most
/// 18 digits before the mark and 15 after, summed in 64 bits; `None` for anything
/// else, which [`parse_scaled`] then reads or refuses.
#[inline]
pub fn parse_scaled_plain(s: &[u8]) -> Option<i128> {
    let (neg, s) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    let mark = s.iter().position(|&b| b == b'.' || b == b',').unwrap_or(s.len());
    let (int, frac) = (&s[..mark], s.get(mark + 1..).unwrap_or_default());
    if int.len() > 18 || frac.len() > SCALE as usize || int.len() + frac.len() == 0 {
        return None;
    }
    let digits = |d: &[u8]| d.iter().try_fold(0u64, |v, &b| b.is_ascii_digit().then(|| v * 10 + u64::from(b - b'0')));
    let v = i128::from(digits(int)?) * POW10[SCALE as usize]
        + i128::from(digits(frac)?) * POW10[SCALE as usize - frac.len()];
    Some(if neg { -v } else { v })
}

/// Parses a float with `.` or `,` as the decimal mark.
pub fn parse_f64(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let ok = !t.is_empty()
        && t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'-' | b'+' | b'e' | b'E'))
        && t.bytes().filter(|&b| b == b'.' || b == b',').count() <= 1;
    if !ok {
        return Err(format!("'{s}' is not a number"));
    }
    let v: f64 = if t.contains(',') { t.replace(',', ".").parse() } else { t.parse() }
        .map_err(|_| format!("'{s}' is not a number"))?;
    if v.is_finite() { Ok(v) } else { Err(format!("'{s}' is not a finite number")) }
}

/// Parses an integer; `1,0` and `2.00` are not integers.
pub fn parse_i64(s: &str) -> Result<i64, String> {
    s.trim().parse::<i64>().map_err(|_| format!("'{s}' is not a whole number"))
}

/// Formats a scaled decimal back with `.` and no trailing zeros.
pub fn format_scaled(v: i128) -> String {
    let p = POW10[SCALE as usize];
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let (i, f) = (a / p as u128, a % p as u128);
    if f == 0 {
        return format!("{sign}{i}");
    }
    let frac = format!("{f:015}");
    format!("{sign}{i}.{}", frac.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn decimal_marks_and_refusals() {
        assert_eq!(parse_scaled("2.90178893548689").unwrap(), 2_901_788_935_486_890);
        assert_eq!(parse_scaled("2,5").unwrap(), 2_500_000_000_000_000);
        assert_eq!(parse_scaled(" 12 ").unwrap(), 12 * 10i128.pow(15));
        assert_eq!(parse_scaled("-0,5").unwrap(), -500_000_000_000_000);
        assert_eq!(parse_scaled("1.1234567890123450").unwrap(), 1_123_456_789_012_345);
        assert!(parse_scaled("1.12345678901234567").is_err());
        for bad in ["", "1,2,3", "1.2.3", "abc", "1e5", ",", "-", "1 000"] {
            assert!(parse_scaled(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_f64("1,5").unwrap(), 1.5);
        assert!(parse_f64("s").is_err());
        assert_eq!(format_scaled(parse_scaled("003.1400").unwrap()), "3.14");
        assert_eq!(format_scaled(parse_scaled("-7").unwrap()), "-7");
    }

    proptest! {
        #[test]
        fn decimals_round_trip(int in 0u64..10_000_000, frac in 0u64..1_000_000_000_000_000, comma in any::<bool>()) {
            let text = format!("{int}{}{frac:015}", if comma { ',' } else { '.' });
            let v = parse_scaled(&text).unwrap();
            prop_assert_eq!(v, int as i128 * 10i128.pow(15) + frac as i128);
            prop_assert_eq!(parse_scaled_plain(text.as_bytes()), Some(v));
            prop_assert_eq!(parse_scaled(&format_scaled(v)).unwrap(), v);
        }

        #[test]
        fn plain_weights_parse_as_parse_scaled(s in "[-+]?[0-9]{0,19}([.,][0-9]{0,16})?|[-+0-9.,a ]{0,8}") {
            if let Some(v) = parse_scaled_plain(s.as_bytes()) {
                prop_assert_eq!(Ok(v), parse_scaled(&s));
            }
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,20}") {
            let _ = parse_scaled(&s);
            let _ = parse_f64(&s);
        }
    }
}
