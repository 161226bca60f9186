//! Kubernetes resource quantities (`500m`, `1Gi`, `1e3`, `0.5`), compared exactly.

use std::cmp::Ordering;

/// `mantissa × 10^exp10 × 2^exp2`, non-negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity {
    mantissa: u128,
    exp10: i32,
    exp2: u32,
}

impl Quantity {
    /// Parses the API server's quantity syntax: a decimal number with an optional binary
    /// (`Ki`…`Ei`), decimal (`n`, `u`, `m`, `k`, `M`…`E`) or exponent (`e3`, `E-2`) suffix.
    /// Negative quantities are `None` (requests and limits cannot be negative).
    pub fn parse(text: &str) -> Option<Quantity> {
        let s = text.trim();
        let s = s.strip_prefix('+').unwrap_or(s);
        let num_end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
        let (number, suffix) = s.split_at(num_end);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        let digits = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > 36 {
            return None;
        }
        let mantissa: u128 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
        let mut exp10 = -(frac_part.len() as i32);
        let mut exp2 = 0;
        match suffix {
            "" => {}
            "Ki" => exp2 = 10,
            "Mi" => exp2 = 20,
            "Gi" => exp2 = 30,
            "Ti" => exp2 = 40,
            "Pi" => exp2 = 50,
            "Ei" => exp2 = 60,
            "n" => exp10 -= 9,
            "u" => exp10 -= 6,
            "m" => exp10 -= 3,
            "k" => exp10 += 3,
            "M" => exp10 += 6,
            "G" => exp10 += 9,
            "T" => exp10 += 12,
            "P" => exp10 += 15,
            "E" => exp10 += 18,
            other => {
                let exp = other.strip_prefix(['e', 'E'])?;
                let exp = exp.strip_prefix('+').unwrap_or(exp);
                if exp.is_empty() || !exp.trim_start_matches('-').bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let e: i32 = exp.parse().ok()?;
                if e.abs() > 1000 {
                    return None;
                }
                exp10 += e;
            }
        }
        Some(Quantity { mantissa, exp10, exp2 })
    }

    /// Exact when the scaled values fit in 128 bits, else compared as floating point.
    pub fn compare(&self, other: &Quantity) -> Ordering {
        if self.mantissa == 0 || other.mantissa == 0 {
            return self.mantissa.cmp(&other.mantissa);
        }
        let low = self.exp10.min(other.exp10);
        let scale = |q: &Quantity| -> Option<u128> {
            let pow10 = 10u128.checked_pow(u32::try_from(q.exp10 - low).ok()?)?;
            q.mantissa.checked_mul(pow10)?.checked_mul(1u128.checked_shl(q.exp2)?)
        };
        match (scale(self), scale(other)) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => {
                let f = |q: &Quantity| (q.mantissa as f64).log10() + q.exp10 as f64 + q.exp2 as f64 * 2f64.log10();
                let (a, b) = (f(self), f(other));
                if (a - b).abs() < 1e-12 { Ordering::Equal } else { a.partial_cmp(&b).unwrap_or(Ordering::Equal) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|| panic!("{s} parses"))
    }

    #[test]
    fn parses_every_suffix_kind() {
        for s in ["500m", "1Gi", "1e3", "0.5", ".5", "1.", "2E", "3Ki", "+1", "1E-2", "128974848"] {
            assert!(Quantity::parse(s).is_some(), "{s}");
        }
        for s in ["", "abc", "1..2", "-1", "1Gb", "1e", "1x", "."] {
            assert!(Quantity::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn compares_exactly_across_notations() {
        use Ordering::*;
        assert_eq!(q("500m").compare(&q("0.5")), Equal);
        assert_eq!(q("1").compare(&q("1000m")), Equal);
        assert_eq!(q("1Gi").compare(&q("1073741824")), Equal);
        assert_eq!(q("1G").compare(&q("1Gi")), Less);
        assert_eq!(q("1e3").compare(&q("1k")), Equal);
        assert_eq!(q("0.1").compare(&q("100m")), Equal);
        assert_eq!(q("2").compare(&q("1500m")), Greater);
        assert_eq!(q("129M").compare(&q("128Mi")), Less);
        assert_eq!(q("0").compare(&q("1n")), Less);
        assert_eq!(q("1E").compare(&q("1Ei")), Less);
        assert_eq!(q("1e-900").compare(&q("1e900")), Less);
    }
}
