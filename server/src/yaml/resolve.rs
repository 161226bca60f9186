//! Scalar typing the way Kubernetes decodes YAML: go-yaml v2 (YAML 1.1) rules, not YAML 1.2.

use super::tree::{ScalarStyle, ScalarValue};

/// Types a scalar. Quoted and block scalars, and plain ones tagged `!!str`, are strings.
pub fn resolve(value: &str, style: ScalarStyle, tag: Option<&str>) -> ScalarValue {
    if style != ScalarStyle::Plain {
        return ScalarValue::String;
    }
    match tag {
        Some("!!str") => return ScalarValue::String,
        Some(t) if !t.starts_with("!!") => return ScalarValue::String,
        _ => {}
    }
    resolve_plain(value)
}

pub fn resolve_plain(s: &str) -> ScalarValue {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarValue::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return ScalarValue::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return ScalarValue::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return ScalarValue::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return ScalarValue::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return ScalarValue::Float(f64::NAN),
        _ => {}
    }
    // Only scalars that start like a number can be one (go-yaml's resolve hint table).
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return ScalarValue::String;
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Some(i) = parse_go_int(&plain) {
        return match i64::try_from(i) {
            Ok(v) => ScalarValue::Int(v),
            Err(_) => ScalarValue::Float(i as f64),
        };
    }
    if let Some(f) = parse_go_float(&plain) {
        return ScalarValue::Float(f);
    }
    ScalarValue::String
}

/// `strconv.ParseInt(s, 0, 64)` and `ParseUint`: sign, then `0x`, `0o`, `0b` or a leading `0` (octal).
fn parse_go_int(s: &str) -> Option<i128> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if body.is_empty() {
        return None;
    }
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = u128::from_str_radix(digits, radix).ok()?;
    if v > u64::MAX as u128 {
        return None;
    }
    let v = v as i128;
    if neg {
        if v > i64::MAX as i128 + 1 {
            return None;
        }
        Some(-v)
    } else {
        Some(v)
    }
}

/// `strconv.ParseFloat(s, 64)` for the decimal forms (`1.10`, `1e3`, `.5`, `+inf`).
fn parse_go_float(s: &str) -> Option<f64> {
    let body = s.trim_start_matches(['+', '-']);
    let lower = body.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return s.parse::<f64>().ok().or(Some(f64::NAN));
    }
    if !body.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')) {
        return None;
    }
    if !body.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ScalarValue::*;

    #[test]
    fn yaml_1_1_booleans_and_nulls() {
        for s in ["yes", "Yes", "on", "ON", "y", "true"] {
            assert_eq!(resolve_plain(s), Bool(true), "{s}");
        }
        for s in ["no", "off", "N", "False"] {
            assert_eq!(resolve_plain(s), Bool(false), "{s}");
        }
        for s in ["", "~", "null", "NULL"] {
            assert_eq!(resolve_plain(s), Null, "{s}");
        }
        assert_eq!(resolve_plain("yEs"), String);
        assert_eq!(resolve_plain("nope"), String);
    }

    #[test]
    fn numbers_like_go_yaml_v2() {
        assert_eq!(resolve_plain("0644"), Int(420));
        assert_eq!(resolve_plain("0o17"), Int(15));
        assert_eq!(resolve_plain("0x1F"), Int(31));
        assert_eq!(resolve_plain("0b101"), Int(5));
        assert_eq!(resolve_plain("1_000"), Int(1000));
        assert_eq!(resolve_plain("-12"), Int(-12));
        assert_eq!(resolve_plain("+7"), Int(7));
        assert_eq!(resolve_plain("1.10"), Float(1.1));
        assert_eq!(resolve_plain("1e3"), Float(1000.0));
        assert_eq!(resolve_plain(".5"), Float(0.5));
        assert_eq!(resolve_plain(".inf"), Float(f64::INFINITY));
        assert!(matches!(resolve_plain(".nan"), Float(f) if f.is_nan()));
        assert_eq!(resolve_plain("18446744073709551615"), Float(18446744073709551615.0));
        // Not numbers: octal digits out of range, versions, quantities, dates.
        assert_eq!(resolve_plain("0899"), Float(899.0));
        assert_eq!(resolve_plain("1.2.3"), String);
        assert_eq!(resolve_plain("500m"), String);
        assert_eq!(resolve_plain("2024-01-01"), String);
        assert_eq!(resolve_plain("-"), String);
        assert_eq!(resolve_plain("."), String);
    }

    #[test]
    fn quoted_and_tagged_scalars_are_strings() {
        assert_eq!(resolve("yes", ScalarStyle::DoubleQuoted, None), String);
        assert_eq!(resolve("yes", ScalarStyle::Plain, Some("!!str")), String);
        assert_eq!(resolve("12", ScalarStyle::Literal, None), String);
        assert_eq!(resolve("12", ScalarStyle::Plain, None), Int(12));
    }
}
