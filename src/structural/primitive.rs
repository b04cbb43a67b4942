//! Lexical checks of STU3 primitive values, hand-written per type.
//!
//! Each check follows the `structuredefinition-regex` of the 3.0.1 definitions (and, where the
//! regex says nothing, the STU3 datatypes page), then applies what a regex cannot: real calendar
//! dates (February 29th only in leap years, 30-day months), 32-bit integer ranges, the 1 MB
//! string limit. They scan bytes once without allocating: the structural pass runs them on every
//! primitive of every message, and a regex engine per value would dominate its cost. The empty
//! value is reported by the caller (ele-1) and never reaches these checks.

use std::borrow::Cow;

/// Why a value is not valid for its type; rendered into the finding's message.
pub type Problem = Cow<'static, str>;

/// STU3: "strings SHALL NOT exceed 1MB in size".
const MAX_STRING_BYTES: usize = 1024 * 1024;

/// Checks `value` against the lexical rules of the STU3 primitive type `type_name`. Unknown
/// type names pass: the caller only passes primitive type names from the definitions.
pub fn check(type_name: &str, value: &str) -> Result<(), Problem> {
    let b = value.as_bytes();
    match type_name {
        "boolean" => ok_if(
            value == "true" || value == "false",
            "expected `true` or `false`",
        ),
        "integer" => integer(b, true, true),
        "unsignedInt" => integer(b, false, true),
        "positiveInt" => integer(b, false, false),
        "decimal" => decimal(b),
        "date" => date(b).map(|_| ()),
        "dateTime" => date_time(b),
        "instant" => instant(b),
        "time" => time(b).and_then(|rest| ok_if(rest.is_empty(), TIME_FORMAT)),
        "id" => id(b),
        "code" => code(b),
        "oid" => oid(b),
        "uuid" => uuid(b),
        "uri" => uri(b),
        "base64Binary" => base64(b),
        "string" | "markdown" => string(b),
        "xhtml" => xhtml(value),
        _ => Ok(()),
    }
}

fn ok_if(ok: bool, problem: &'static str) -> Result<(), Problem> {
    if ok {
        Ok(())
    } else {
        Err(Cow::Borrowed(problem))
    }
}

fn string(b: &[u8]) -> Result<(), Problem> {
    if b.len() > MAX_STRING_BYTES {
        return Err(format!(
            "a string must not exceed 1 MB; this one is {} bytes",
            b.len()
        )
        .into());
    }
    Ok(())
}

/// Digits with no leading zero (`0` itself allowed); `signed` allows a leading `-`,
/// `zero` allows the value 0. The value must fit a signed 32-bit integer.
fn integer(b: &[u8], signed: bool, zero: bool) -> Result<(), Problem> {
    let (negative, digits) = match b.split_first() {
        Some((b'-', rest)) if signed => (true, rest),
        _ => (false, b),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(
            if b.contains(&b'.') || b.contains(&b'e') || b.contains(&b'E') {
                "an integer has no fraction or exponent".into()
            } else {
                "expected digits only".into()
            },
        );
    }
    if digits.len() > 1 && digits[0] == b'0' {
        return Err("an integer has no leading zeros".into());
    }
    // Ten digits at most fit in 32 bits; longer inputs cannot, and must not overflow here.
    let magnitude = if digits.len() > 10 {
        u64::MAX
    } else {
        digits
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'))
    };
    let limit = if negative { 1 << 31 } else { (1 << 31) - 1 };
    if magnitude > limit {
        return Err("the value is outside the 32-bit integer range".into());
    }
    if !zero && magnitude == 0 {
        return Err("a positiveInt must be 1 or more".into());
    }
    Ok(())
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`.
fn decimal(b: &[u8]) -> Result<(), Problem> {
    let digits = b.strip_prefix(b"-").unwrap_or(b);
    let (int, frac) = match digits.iter().position(|&c| c == b'.') {
        Some(dot) => (&digits[..dot], Some(&digits[dot + 1..])),
        None => (digits, None),
    };
    let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if !all_digits(int) || !frac.is_none_or(all_digits) {
        return Err(if b.iter().any(|&c| c == b'e' || c == b'E') {
            "a STU3 decimal has no exponent; write the digits out".into()
        } else {
            "expected a decimal number such as `12.5`".into()
        });
    }
    if int.len() > 1 && int[0] == b'0' {
        return Err("a decimal has no leading zeros".into());
    }
    Ok(())
}

const DATE_FORMAT: &str = "expected `YYYY`, `YYYY-MM` or `YYYY-MM-DD`";
const DATE_TIME_FORMAT: &str =
    "expected `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ss` with a time zone";
const INSTANT_FORMAT: &str = "expected `YYYY-MM-DDThh:mm:ss` (optional fraction) and a time zone";
const TIME_FORMAT: &str = "expected `hh:mm:ss` with an optional fraction, and no time zone";

/// Reads `n` ASCII digits at the start of `b` as a number.
fn digits(b: &[u8], n: usize) -> Option<u32> {
    let part = b.get(..n)?;
    part.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// How much of a date was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Precision {
    Year,
    Month,
    Day,
}

/// `-?YYYY(-MM(-DD)?)?` with a real calendar date, followed by the rest of the input (which
/// [`date`] requires to be empty and [`date_time`] reads a time from).
fn date_prefix<'a>(b: &'a [u8], format: &'static str) -> Result<(Precision, &'a [u8]), Problem> {
    let (negative, rest) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    let year = digits(rest, 4).ok_or(format)? as i32;
    let year = if negative { -year } else { year };
    let rest = &rest[4..];
    let Some(rest) = rest.strip_prefix(b"-") else {
        return Ok((Precision::Year, rest));
    };
    let month = digits(rest, 2).ok_or(format)?;
    if !(1..=12).contains(&month) {
        return Err(format!("month `{:02}` is not 01-12", month).into());
    }
    let rest = &rest[2..];
    let Some(rest) = rest.strip_prefix(b"-") else {
        return Ok((Precision::Month, rest));
    };
    let day = digits(rest, 2).ok_or(format)?;
    let last = days_in_month(year, month);
    if day == 0 || day > last {
        let name = MONTHS[month as usize - 1];
        return Err(if month == 2 && day == 29 {
            format!("{year} is not a leap year, so February has 28 days").into()
        } else {
            format!("{name} has {last} days, so day `{day:02}` does not exist").into()
        });
    }
    Ok((Precision::Day, &rest[2..]))
}

fn date(b: &[u8]) -> Result<Precision, Problem> {
    let (precision, rest) = date_prefix(b, DATE_FORMAT)?;
    if rest.first() == Some(&b'T') {
        return Err("a date has no time; use a dateTime element for date and time".into());
    }
    ok_if(rest.is_empty(), DATE_FORMAT)?;
    Ok(precision)
}

/// `hh:mm:ss(.fff)?`; returns what follows it.
fn time(b: &[u8]) -> Result<&[u8], Problem> {
    let hour = digits(b, 2).ok_or(TIME_FORMAT)?;
    if b.get(2) != Some(&b':') {
        return Err(TIME_FORMAT.into());
    }
    let minute = digits(&b[3..], 2).ok_or(TIME_FORMAT)?;
    if b.get(5) != Some(&b':') {
        return Err("seconds are required (`hh:mm:ss`)".into());
    }
    let second = digits(&b[6..], 2).ok_or(TIME_FORMAT)?;
    if hour > 23 || minute > 59 || second > 59 {
        return Err(format!("{hour:02}:{minute:02}:{second:02} is not a time of day").into());
    }
    let mut rest = &b[8..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return Err("a decimal point in the seconds must be followed by digits".into());
        }
        rest = &frac[n..];
    }
    Ok(rest)
}

/// `Z` or `(+|-)hh:mm` between -14:00 and +14:00.
fn zone(b: &[u8]) -> Result<(), Problem> {
    if b == b"Z" {
        return Ok(());
    }
    let bad = || -> Problem { "the time zone must be `Z` or `+hh:mm`/`-hh:mm`".into() };
    let rest = match b.split_first() {
        Some((b'+' | b'-', rest)) => rest,
        _ => return Err(bad()),
    };
    let (Some(hours), Some(b':'), Some(minutes)) = (
        digits(rest, 2),
        rest.get(2),
        digits(rest.get(3..).unwrap_or(&[]), 2),
    ) else {
        return Err(bad());
    };
    if rest.len() != 5 {
        return Err(bad());
    }
    if minutes > 59 || hours > 14 || (hours == 14 && minutes != 0) {
        return Err("a time zone offset lies between -14:00 and +14:00".into());
    }
    Ok(())
}

fn date_time(b: &[u8]) -> Result<(), Problem> {
    let (precision, rest) = date_prefix(b, DATE_TIME_FORMAT)?;
    let Some(after_t) = rest.strip_prefix(b"T") else {
        return ok_if(rest.is_empty(), DATE_TIME_FORMAT);
    };
    if precision != Precision::Day {
        return Err("a time needs a full date (`YYYY-MM-DD`) before the `T`".into());
    }
    let zone_part = time(after_t)?;
    if zone_part.is_empty() {
        return Err("a dateTime with a time must have a time zone (`Z` or `+hh:mm`)".into());
    }
    zone(zone_part)
}

fn instant(b: &[u8]) -> Result<(), Problem> {
    let (precision, rest) = date_prefix(b, INSTANT_FORMAT)?;
    let Some(after_t) = rest.strip_prefix(b"T") else {
        return Err(
            "an instant needs a date and a time (`YYYY-MM-DDThh:mm:ss` and a time zone)".into(),
        );
    };
    if precision != Precision::Day {
        return Err(INSTANT_FORMAT.into());
    }
    let zone_part = time(after_t)?;
    if zone_part.is_empty() {
        return Err("an instant must have a time zone (`Z` or `+hh:mm`)".into());
    }
    zone(zone_part)
}

/// `[A-Za-z0-9\-\.]{1,64}`.
fn id(b: &[u8]) -> Result<(), Problem> {
    if b.len() > 64 {
        return Err(format!("an id has at most 64 characters; this one has {}", b.len()).into());
    }
    match b
        .iter()
        .find(|c| !(c.is_ascii_alphanumeric() || **c == b'-' || **c == b'.'))
    {
        None => Ok(()),
        Some(&c) => Err(format!(
            "an id holds only letters, digits, `-` and `.`; found `{}`",
            char_at(b, c)
        )
        .into()),
    }
}

/// Describes the character starting with byte `c` for a message (non-ASCII bytes as `U+…`
/// is more than a message needs; the first byte is enough to name the problem).
fn char_at(b: &[u8], c: u8) -> String {
    if c.is_ascii_graphic() {
        (c as char).to_string()
    } else if c == b' ' {
        "a space".to_string()
    } else if c.is_ascii() {
        format!("\\x{c:02X}")
    } else {
        let start = b.iter().position(|&x| x == c).unwrap_or(0);
        String::from_utf8_lossy(&b[start..])
            .chars()
            .next()
            .map_or_else(String::new, |ch| ch.to_string())
    }
}

/// Java regex `\s`: the whitespace `[^\s]+([\s]?[^\s]+)*` excludes around and between words.
fn is_regex_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

/// `[^\s]+([\s]?[^\s]+)*`: no leading or trailing whitespace, no two whitespace in a row.
fn code(b: &[u8]) -> Result<(), Problem> {
    if b.first().copied().is_some_and(is_regex_space)
        || b.last().copied().is_some_and(is_regex_space)
    {
        return Err("a code has no leading or trailing whitespace".into());
    }
    if b.windows(2)
        .any(|w| is_regex_space(w[0]) && is_regex_space(w[1]))
    {
        return Err("a code has no runs of whitespace".into());
    }
    Ok(())
}

/// `urn:oid:(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*`.
fn oid(b: &[u8]) -> Result<(), Problem> {
    let problem = "expected `urn:oid:` and dot-separated numbers without leading zeros";
    let rest = b.strip_prefix(b"urn:oid:").ok_or(problem)?;
    let ok = rest.split(|&c| c == b'.').all(|arc| {
        !arc.is_empty() && arc.iter().all(u8::is_ascii_digit) && (arc.len() == 1 || arc[0] != b'0')
    });
    ok_if(ok, problem)
}

/// `urn:uuid:` and 8-4-4-4-12 lower-case hex digits.
fn uuid(b: &[u8]) -> Result<(), Problem> {
    let problem = "expected `urn:uuid:` and a UUID in lower-case hex (8-4-4-4-12)";
    let rest = b.strip_prefix(b"urn:uuid:").ok_or(problem)?;
    let ok = rest.len() == 36
        && rest.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        });
    ok_if(ok, problem)
}

/// RFC 3986 has no whitespace in a URI reference, and STU3 gives `uri` no other lexical rule
/// a validator can apply without knowing the scheme.
fn uri(b: &[u8]) -> Result<(), Problem> {
    match b.iter().find(|c| c.is_ascii_whitespace()) {
        None => Ok(()),
        Some(_) => Err("a URI contains no whitespace (write a space as `%20`)".into()),
    }
}

/// RFC 4648 base64: alphabet symbols, `=` padding only at the end, a multiple of four symbols.
/// XML Schema's base64Binary (which STU3 XML uses) allows whitespace between the symbols, so
/// line-wrapped base64 is accepted too.
fn base64(b: &[u8]) -> Result<(), Problem> {
    if crate::base64::is_padded_quickly(b) {
        return Ok(());
    }
    let body = b
        .strip_suffix(b"==")
        .or_else(|| b.strip_suffix(b"="))
        .unwrap_or(b);
    if crate::base64::first_non_symbol(body).is_none() {
        return ok_if(b.len() % 4 == 0, "base64 has a multiple of four characters");
    }
    // Slow path: whitespace, misplaced padding or a stray character.
    let mut symbols = 0usize;
    let mut padding = 0usize;
    for &c in b {
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => {}
            b'=' => padding += 1,
            c if crate::base64::is_symbol(c) && padding == 0 => symbols += 1,
            c if crate::base64::is_symbol(c) => {
                return Err("`=` padding may appear only at the end of base64".into())
            }
            c => {
                return Err(format!(
                    "base64 holds only A-Z, a-z, 0-9, `+`, `/` and `=` padding; found `{}`",
                    char_at(b, c)
                )
                .into())
            }
        }
    }
    if padding > 2 || (symbols + padding) % 4 != 0 {
        return Err("base64 has a multiple of four characters, with at most two `=`".into());
    }
    Ok(())
}

/// The narrative must be an XHTML `div` element; its content model is not checked here.
fn xhtml(value: &str) -> Result<(), Problem> {
    let v = value.trim();
    ok_if(
        v.starts_with("<div") && v.ends_with('>'),
        "the narrative must be a single XHTML `<div>` element",
    )
}

#[cfg(test)]
mod tests {
    use super::check;

    fn ok(ty: &str, values: &[&str]) {
        for v in values {
            assert!(check(ty, v).is_ok(), "{ty} {v:?}: {:?}", check(ty, v));
        }
    }

    fn bad(ty: &str, values: &[&str]) {
        for v in values {
            assert!(check(ty, v).is_err(), "{ty} {v:?} should be invalid");
        }
    }

    #[test]
    fn dates_follow_the_calendar() {
        ok(
            "date",
            &[
                "2024",
                "2024-02",
                "2024-02-29",
                "2000-02-29",
                "1999-12-31",
                "-0044-03-15",
            ],
        );
        bad(
            "date",
            &[
                "2023-02-29",
                "1900-02-29",
                "2024-04-31",
                "2024-13-01",
                "2024-00-10",
                "2024-01-00",
                "24-01-01",
                "2024-1-01",
                "2024-01-1",
                "2024-01-01T10:00:00Z",
                "2024/01/01",
                "2024-01-01 ",
                "2024-",
            ],
        );
        let leap = check("date", "2023-02-29").unwrap_err();
        assert!(leap.contains("not a leap year"), "{leap}");
        let april = check("date", "2024-04-31").unwrap_err();
        assert!(april.contains("April has 30 days"), "{april}");
    }

    #[test]
    fn date_times_need_a_zone_with_a_time() {
        ok(
            "dateTime",
            &[
                "2024",
                "2024-03",
                "2024-03-14",
                "2024-03-14T10:15:00Z",
                "2024-03-14T10:15:00+00:00",
                "2024-03-14T23:59:59.123-05:30",
                "2024-03-14T00:00:00+14:00",
            ],
        );
        bad(
            "dateTime",
            &[
                "2024-03-14T10:15:00",
                "2024-03-14T10:15Z",
                "2024-03-14T24:00:00Z",
                "2024-03-14T10:60:00Z",
                "2024-03-14T10:15:00+14:30",
                "2024-03-14T10:15:00+0100",
                "2024-03-14T10:15:00.Z",
                "2024-03T10:15:00Z",
                "2024-02-30T10:15:00Z",
                "2024-03-14T",
            ],
        );
        assert!(check("dateTime", "2024-03-14T10:15:00")
            .unwrap_err()
            .contains("time zone"));
    }

    #[test]
    fn instants_are_complete() {
        ok(
            "instant",
            &["2024-03-14T10:15:00Z", "2024-03-14T10:15:00.5+01:00"],
        );
        bad(
            "instant",
            &[
                "2024-03-14",
                "2024-03-14T10:15:00",
                "2024-03T10:15:00Z",
                "2023-02-29T10:15:00Z",
            ],
        );
    }

    #[test]
    fn times_have_seconds_and_no_zone() {
        ok("time", &["00:00:00", "23:59:59", "12:30:00.250"]);
        bad(
            "time",
            &["24:00:00", "12:30", "12:30:00Z", "12:60:00", "1:30:00"],
        );
    }

    #[test]
    fn integers_are_32_bit() {
        ok("integer", &["0", "-1", "2147483647", "-2147483648", "42"]);
        bad(
            "integer",
            &[
                "2147483648",
                "-2147483649",
                "01",
                "1.0",
                "1e3",
                "",
                "+1",
                "99999999999999999999",
            ],
        );
        ok("unsignedInt", &["0", "2147483647"]);
        bad("unsignedInt", &["-1", "2147483648", "00"]);
        ok("positiveInt", &["1", "2147483647"]);
        bad("positiveInt", &["0", "-1", "01"]);
    }

    #[test]
    fn decimals_and_booleans() {
        ok("decimal", &["0", "0.5", "-12.250", "100", "-0.0"]);
        bad("decimal", &["01", ".5", "5.", "1e3", "1,5", "--1", "NaN"]);
        ok("boolean", &["true", "false"]);
        bad("boolean", &["True", "1", "yes"]);
    }

    #[test]
    fn identifiers_codes_and_uris() {
        ok("id", &["a", "A-1.b", &"x".repeat(64)]);
        bad("id", &[&"x".repeat(65), "a_b", "a b", "urn:uuid:1"]);
        ok("code", &["final", "in progress", "E1 ... E9"]);
        bad("code", &[" final", "final ", "a  b", "a\tb\nc\n"]);
        ok("oid", &["urn:oid:2.16.840.1.113883", "urn:oid:0"]);
        bad(
            "oid",
            &["2.16.840", "urn:oid:2.016", "urn:oid:", "urn:oid:1..2"],
        );
        ok("uuid", &["urn:uuid:91de2fb0-ab94-4f77-b6d7-1a4a536aa58e"]);
        bad(
            "uuid",
            &[
                "urn:uuid:91DE2FB0-AB94-4F77-B6D7-1A4A536AA58E",
                "91de2fb0-ab94-4f77-b6d7-1a4a536aa58e",
            ],
        );
        ok(
            "uri",
            &["urn:uuid:x", "https://example.org/a?b=c", "Patient/1"],
        );
        bad("uri", &["https://example.org/a b", " http://x"]);
    }

    #[test]
    fn base64_alphabet_padding_and_length() {
        let long = "QUJD".repeat(100);
        ok(
            "base64Binary",
            &["QUJD", "QUI=", "QQ==", &long, "QUJD\nQUJD", "QU JD QQ=="],
        );
        bad(
            "base64Binary",
            &[
                "QUJ",
                "QU=D",
                "QUJD!",
                "Q===",
                "QUI=QUJD",
                &format!("{long}*QQ=="),
            ],
        );
    }

    #[test]
    fn strings_and_narrative() {
        ok("string", &["x", " padded "]);
        bad("string", &[&"x".repeat(1024 * 1024 + 1)]);
        ok(
            "xhtml",
            &[
                "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x</p></div>",
                "<div/>",
            ],
        );
        bad("xhtml", &["plain text", "<p>x</p>"]);
    }
}
