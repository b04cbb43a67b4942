//! NHS identifiers: the NHS number check digit (Modulus 11).

/// Whether `s` is a valid NHS number: exactly ten ASCII digits (no spaces) whose tenth digit is
/// the Modulus 11 check digit of the first nine.
pub fn nhs_number_valid(s: &str) -> bool {
    nhs_number_problem(s).is_ok()
}

/// What is wrong with `s` as an NHS number, if anything.
///
/// The first nine digits are weighted 10 down to 2; the check digit is `11 − (sum mod 11)`,
/// where 11 becomes 0 and 10 means no valid number has those nine digits.
pub fn nhs_number_problem(s: &str) -> Result<(), &'static str> {
    let b = s.as_bytes();
    if b.len() != 10 || !b.iter().all(u8::is_ascii_digit) {
        return Err("an NHS number is exactly 10 digits, no spaces");
    }
    let sum: u32 = b[..9]
        .iter()
        .zip((2..=10).rev())
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => {
            return Err(
                "no valid check digit exists for these first nine digits (Modulus 11 gives 10)",
            )
        }
        c => c,
    };
    if u32::from(b[9] - b'0') == check {
        Ok(())
    } else {
        Err("the check digit (last digit) fails the Modulus 11 check")
    }
}

#[cfg(test)]
mod tests {
    use super::{nhs_number_problem, nhs_number_valid};

    #[test]
    fn modulus_11() {
        // The worked example of the NHS Data Dictionary: sum 299, remainder 2, check digit 9.
        assert!(nhs_number_valid("9434765919"));
        assert!(nhs_number_valid("9993456780"));
        assert!(nhs_number_valid("9994567896"));
        assert!(!nhs_number_valid("9434765918"));
        // The spec examples' number fails the check.
        assert!(!nhs_number_valid("1234567890"));
        assert!(!nhs_number_valid("943 476 5919"));
        assert!(!nhs_number_valid("943476591"));
        assert!(!nhs_number_valid("94347659190"));
        assert!(!nhs_number_valid("943476591X"));
        assert!(!nhs_number_valid(""));
        assert!(nhs_number_valid("0000000000"));
        assert!(nhs_number_problem("943476591")
            .unwrap_err()
            .contains("exactly 10 digits"));
        assert!(nhs_number_problem("9434765910")
            .unwrap_err()
            .contains("check digit"));
        // Remainder 1 gives check value 10: no number with these nine digits is valid.
        let nine = (0..1_000_000_000u64)
            .step_by(7919)
            .map(|n| format!("{n:09}"))
            .find(|p| (0..10).all(|d| !nhs_number_valid(&format!("{p}{d}"))))
            .expect("some nine digits have no check digit");
        assert_eq!(nine.len(), 9);
    }
}
