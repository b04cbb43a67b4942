//! MESH addresses: mailbox IDs, and the `GPPROVIDER_<NHS number>_<date of birth>_<surname>`
//! form that asks MESH to route a message to the patient's registered practice.
//!
//! Offsets in what [`parse`] returns are byte ranges of the address text, so findings can point
//! at the one part that is wrong.

use std::ops::Range;

/// The longest address MESH accepts (`Mex-To` is limited to 100 characters).
pub const MAX_ADDRESS: usize = 100;

/// Whether `s` looks like a MESH mailbox ID: upper-case letters and digits, 1 to 100 of them.
pub fn is_mailbox_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_ADDRESS
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// How the eight digits of a GPPROVIDER date of birth are written. GP Connect Messaging 1.x
/// pages say DDMMYYYY; Send Document v2 and NHS England's MESH guidance say YYYYMMDD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateFormat {
    DdMmYyyy,
    YyyyMmDd,
}

impl DateFormat {
    pub fn parse(s: &str) -> Option<DateFormat> {
        match s {
            "DDMMYYYY" => Some(DateFormat::DdMmYyyy),
            "YYYYMMDD" => Some(DateFormat::YyyyMmDd),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DateFormat::DdMmYyyy => "DDMMYYYY",
            DateFormat::YyyyMmDd => "YYYYMMDD",
        }
    }

    /// Which documents use this format, for messages that name both.
    pub fn source(self) -> &'static str {
        match self {
            DateFormat::DdMmYyyy => "GP Connect Messaging 1.x",
            DateFormat::YyyyMmDd => "Send Document v2 and NHS England's MESH guidance",
        }
    }

    pub fn other(self) -> DateFormat {
        match self {
            DateFormat::DdMmYyyy => DateFormat::YyyyMmDd,
            DateFormat::YyyyMmDd => DateFormat::DdMmYyyy,
        }
    }

    /// Reads eight digits as a date in this format; `None` unless it is a real calendar date of
    /// a plausible birth year.
    pub fn read(self, digits: &str) -> Option<Date> {
        if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n = |r: Range<usize>| digits[r].parse::<u32>().ok();
        let (year, month, day) = match self {
            DateFormat::DdMmYyyy => (n(4..8)?, n(2..4)?, n(0..2)?),
            DateFormat::YyyyMmDd => (n(0..4)?, n(4..6)?, n(6..8)?),
        };
        let date = Date { year, month, day };
        date.is_real().then_some(date)
    }

    /// The eight digits of `date` in this format.
    pub fn write(self, date: Date) -> String {
        match self {
            DateFormat::DdMmYyyy => format!("{:02}{:02}{:04}", date.day, date.month, date.year),
            DateFormat::YyyyMmDd => format!("{:04}{:02}{:02}", date.year, date.month, date.day),
        }
    }
}

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: u32,
    pub month: u32,
    pub day: u32,
}

/// No patient alive or recently dead was born before this year; a year this early is a sign
/// that the digits were read in the wrong order (`20011230` as DDMMYYYY is the year 1230).
const EARLIEST_BIRTH_YEAR: u32 = 1870;

impl Date {
    fn is_real(self) -> bool {
        let leap = self.year % 4 == 0 && (self.year % 100 != 0 || self.year % 400 == 0);
        let days = match self.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return false,
        };
        self.year >= EARLIEST_BIRTH_YEAR && (1..=days).contains(&self.day)
    }

    /// A FHIR `date` (`YYYY-MM-DD`); partial dates (`1987`, `1987-06`) give `None`.
    pub fn from_fhir(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let date = Date {
            year: s[0..4].parse().ok()?,
            month: s[5..7].parse().ok()?,
            day: s[8..10].parse().ok()?,
        };
        date.is_real().then_some(date)
    }

    /// Today (UTC) from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        civil_from_days((secs / 86_400) as i64)
    }

    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> Date {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u32;
    Date { year, month, day }
}

/// The parts of a `GPPROVIDER_…` address, as byte ranges of the address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpProvider {
    pub prefix: Range<usize>,
    pub nhs_number: Range<usize>,
    pub birth_date: Range<usize>,
    pub surname: Range<usize>,
}

/// What an address is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    /// Starts with `GPPROVIDER_` (in any case) and has its four parts. The surname is
    /// everything after the third underscore, so a surname may itself hold `_`.
    GpProvider(GpProvider),
    /// Starts with `GPPROVIDER_` but lacks parts.
    GpProviderIncomplete,
    /// Anything else: a mailbox ID, or not an address at all.
    Other,
}

pub const GPPROVIDER: &str = "GPPROVIDER";

pub fn parse(value: &str) -> Address {
    let Some(head) = value.get(..GPPROVIDER.len() + 1) else {
        return Address::Other;
    };
    if !head[..GPPROVIDER.len()].eq_ignore_ascii_case(GPPROVIDER) || !head.ends_with('_') {
        return Address::Other;
    }
    let start = GPPROVIDER.len() + 1;
    let mut parts = value[start..].splitn(3, '_');
    let (Some(nhs), Some(dob), Some(surname)) = (parts.next(), parts.next(), parts.next()) else {
        return Address::GpProviderIncomplete;
    };
    let nhs_start = start;
    let dob_start = nhs_start + nhs.len() + 1;
    let surname_start = dob_start + dob.len() + 1;
    Address::GpProvider(GpProvider {
        prefix: 0..GPPROVIDER.len(),
        nhs_number: nhs_start..nhs_start + nhs.len(),
        birth_date: dob_start..dob_start + dob.len(),
        surname: surname_start..surname_start + surname.len(),
    })
}

/// Whether a surname uses only the characters real names are known to use in MESH routing:
/// letters, apostrophe, hyphen and space.
pub fn surname_plain(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphabetic() || matches!(c, '\'' | '-' | ' '))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpprovider_parts() {
        let a = "GPPROVIDER_9434765919_19550109_O_Neil";
        let Address::GpProvider(p) = parse(a) else {
            panic!("not parsed")
        };
        assert_eq!(&a[p.prefix], "GPPROVIDER");
        assert_eq!(&a[p.nhs_number], "9434765919");
        assert_eq!(&a[p.birth_date], "19550109");
        assert_eq!(&a[p.surname], "O_Neil");
        assert!(matches!(parse("gpprovider_1_2_x"), Address::GpProvider(_)));
        assert_eq!(
            parse("GPPROVIDER_9434765919_19550109"),
            Address::GpProviderIncomplete
        );
        assert_eq!(parse("A12345OT001"), Address::Other);
        assert_eq!(parse("GPPROVIDERS_1_2_3"), Address::Other);
        assert_eq!(parse("GPPROVIDER"), Address::Other);
    }

    #[test]
    fn dates_in_both_formats() {
        let ymd = DateFormat::YyyyMmDd;
        let dmy = DateFormat::DdMmYyyy;
        let jan9 = Date {
            year: 1955,
            month: 1,
            day: 9,
        };
        assert_eq!(ymd.read("19550109"), Some(jan9));
        assert_eq!(dmy.read("09011955"), Some(jan9));
        assert_eq!(dmy.read("19550109"), None, "month 55");
        assert_eq!(ymd.read("09011955"), None, "year 901");
        assert_eq!(dmy.read("29022001"), None, "2001 is not a leap year");
        assert!(dmy.read("29022000").is_some());
        assert_eq!(dmy.read("20011230"), None, "the year 1230 is no birth year");
        assert_eq!(dmy.write(jan9), "09011955");
        assert_eq!(Date::from_fhir("1955-01-09"), Some(jan9));
        assert_eq!(Date::from_fhir("1955-01"), None);
        assert_eq!(
            civil_from_days(0),
            Date {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        assert_eq!(civil_from_days(19_723).iso(), "2024-01-01");
        assert!(Date::today().year >= 2024);
    }

    #[test]
    fn mailbox_ids_and_surnames() {
        assert!(is_mailbox_id("A12345OT001"));
        assert!(!is_mailbox_id("a12345ot001"));
        assert!(!is_mailbox_id("SENDER_MESH_MAILBOX_ID"));
        assert!(!is_mailbox_id(""));
        assert!(surname_plain("O'Neil-Smith van Dyke"));
        assert!(!surname_plain("Smith2"));
        assert!(!surname_plain("Müller"));
    }
}
