//! The default parameters of every access computation, defined once: the command
//! line's `default_value`s and the server's defaults read these.

/// Road distance over straight-line distance in the straight-line mode (a usual value
/// for French rural roads).
pub const DETOUR: f64 = 1.3;

/// Average speed of the straight-line mode, km/h.
pub const SPEED_KMH: f64 = 40.0;

/// Points farther than this from any road are left out on a road network, metres.
pub const MAX_SNAP_M: f64 = 1000.0;

/// Diagnostic thresholds, minutes: INSEE's proximity (7) and intermediate (20)
/// services.
pub const THRESHOLDS_MIN: [f64; 2] = [7.0, 20.0];

/// The same thresholds as the command line writes them.
pub const THRESHOLDS_ARG: &str = "7,20";

/// How many nearest facilities to list per origin and type.
pub const K: usize = 1;

/// Isochrone limits, minutes.
pub const ISOCHRONE_MINUTES_ARG: &str = "5,10,15";

/// At most this many thresholds in one diagnostic.
pub const MAX_THRESHOLDS: usize = 10;

/// Thresholds beyond a day make no sense, minutes.
pub const MAX_THRESHOLD_MIN: f64 = 1440.0;

/// At most this many territories in one diagnostic of a territory's parts.
pub const MAX_PARTS: usize = 2000;

/// Parses thresholds in minutes separated by commas (empty: the defaults).
pub fn parse_thresholds(s: &str) -> Result<Vec<f64>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(THRESHOLDS_MIN.to_vec());
    }
    let v = s
        .split(',')
        .map(|t| t.trim().parse::<f64>().ok().filter(|x| x.is_finite() && (0.0..=MAX_THRESHOLD_MIN).contains(x)))
        .collect::<Option<Vec<f64>>>()
        .ok_or_else(|| {
            format!("thresholds: minutes separated by commas (0 to {MAX_THRESHOLD_MIN}), got '{}'", cut(s))
        })?;
    if v.len() > MAX_THRESHOLDS {
        return Err(format!("thresholds: one to {MAX_THRESHOLDS} values"));
    }
    Ok(v)
}

/// At most a few dozen characters of a value quoted in an error.
pub(crate) fn cut(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX { s.to_string() } else { format!("{}…", s.chars().take(MAX).collect::<String>()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_written_thresholds_are_the_defaults() {
        assert_eq!(parse_thresholds(THRESHOLDS_ARG).unwrap(), THRESHOLDS_MIN.to_vec());
        assert_eq!(parse_thresholds(" ").unwrap(), THRESHOLDS_MIN.to_vec());
        assert_eq!(parse_thresholds("5, 15,30").unwrap(), vec![5.0, 15.0, 30.0]);
        for bad in ["a,b", "-1", "1441", "NaN", "1,,2", "1,2,3,4,5,6,7,8,9,10,11"] {
            assert!(parse_thresholds(bad).is_err(), "{bad}");
        }
        assert!(parse_thresholds(&"9".repeat(500)).unwrap_err().len() < 120);
    }
}
