//! Annuity schedules computed from a loan's terms, to the cent.
//!
//! The period rate is the yearly rate divided by the payments per year (proportional
//! rate, as French lenders quote it). Each period's interest is the outstanding
//! capital times that rate, rounded to the cent half away from zero; the last
//! payment repays whatever is left, so the principal always sums to the amount.
//! - constant annuity: payment = amount × r / (1 − (1 + r)^−n), rounded to the cent;
//! - constant amortisation: principal = amount / n, rounded to the cent.

use serde::Serialize;

use crate::date::Date;
use crate::register::{LoanTerms, Profile};

/// One payment of a schedule (cents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Payment {
    /// Due date.
    #[schema(value_type = String)]
    pub due: Date,
    /// Principal repaid.
    pub principal: i64,
    /// Interest paid.
    pub interest: i64,
    /// Outstanding capital after the payment.
    pub outstanding: i64,
}

impl Payment {
    /// The payment itself: principal plus interest.
    pub fn annuity(&self) -> i64 {
        self.principal + self.interest
    }
}

/// `a × b / c` rounded half away from zero, exactly.
pub(crate) fn mul_div_round(a: i64, b: i64, c: i64) -> i64 {
    let (n, d) = (a as i128 * b as i128, c as i128);
    let q = (2 * n.abs() + d.abs()) / (2 * d.abs());
    (if (n < 0) != (d < 0) { -q } else { q }) as i64
}

/// The schedule of a loan from its terms.
pub fn schedule(t: &LoanTerms) -> Vec<Payment> {
    let per_year = t.frequency.per_year();
    let n = (t.years * per_year) as i64;
    if n == 0 || t.amount <= 0 {
        return Vec::new();
    }
    let period_months = 12 / per_year;
    // Period rate in millionths, kept as a fraction rate_micro / (1e6 × per_year).
    let denom = 1_000_000 * per_year as i64;
    let interest = |outstanding: i64| mul_div_round(outstanding, t.rate_micro, denom);
    let annuity = match t.profile {
        Profile::ConstantAnnuity if t.rate_micro == 0 => mul_div_round(t.amount, 1, n),
        Profile::ConstantAnnuity => {
            let r = t.rate_micro as f64 / denom as f64;
            (t.amount as f64 * r / (1.0 - (1.0 + r).powi(-(n as i32)))).round() as i64
        }
        Profile::ConstantAmortisation => 0,
    };
    let amortisation = mul_div_round(t.amount, 1, n);
    let mut outstanding = t.amount;
    let mut out = Vec::with_capacity(n as usize);
    for k in 1..=n {
        let i = interest(outstanding);
        let principal = if k == n {
            outstanding
        } else {
            match t.profile {
                Profile::ConstantAnnuity => (annuity - i).clamp(0, outstanding),
                Profile::ConstantAmortisation => amortisation.min(outstanding),
            }
        };
        outstanding -= principal;
        out.push(Payment { due: t.start.add_months(period_months * k as u32), principal, interest: i, outstanding });
    }
    out
}

/// The sum of the payments falling due in `year`.
pub fn due_in(schedule: &[Payment], year: i32) -> i64 {
    schedule.iter().filter(|p| p.due.year == year).map(Payment::annuity).sum()
}

/// The first full year's payments: the first payment of a yearly loan, the first
/// four of a quarterly one (the "première annuité entière" of the rules).
pub fn first_full_annuity(schedule: &[Payment], per_year: u32) -> i64 {
    schedule.iter().take(per_year as usize).map(Payment::annuity).sum()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::register::{Frequency, RateKind};

    fn terms(amount: i64, years: u32, frequency: Frequency, rate_micro: i64, profile: Profile) -> LoanTerms {
        LoanTerms {
            amount,
            start: Date::new(2020, 1, 1).unwrap(),
            years,
            frequency,
            rate_micro,
            rate_kind: RateKind::Fixed,
            profile,
        }
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(mul_div_round(5, 1, 10), 1);
        assert_eq!(mul_div_round(4, 1, 10), 0);
        assert_eq!(mul_div_round(-5, 1, 10), -1);
    }

    proptest! {
        #[test]
        fn principal_sums_to_the_amount_and_outstanding_falls(
            amount in 1i64..10_000_000_000,
            years in 1u32..40,
            quarterly in any::<bool>(),
            rate in 0i64..120_000,
            annuity in any::<bool>(),
        ) {
            let f = if quarterly { Frequency::Quarterly } else { Frequency::Yearly };
            let p = if annuity { Profile::ConstantAnnuity } else { Profile::ConstantAmortisation };
            let s = schedule(&terms(amount, years, f, rate, p));
            prop_assert_eq!(s.len() as u32, years * f.per_year());
            prop_assert_eq!(s.iter().map(|p| p.principal).sum::<i64>(), amount);
            prop_assert_eq!(s.last().unwrap().outstanding, 0);
            prop_assert!(s.windows(2).all(|w| w[1].outstanding <= w[0].outstanding && w[1].due > w[0].due));
            prop_assert!(s.iter().all(|p| p.principal >= 0 && p.interest >= 0));
        }
    }
}
