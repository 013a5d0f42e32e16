//! Phone numbers as logins and SMS targets: parsed with libphonenumber's data and kept
//! in E.164 (`+14155550100`), so one number is one login however it was typed.

use phonenumber::{Mode, country};
use serde::{Deserialize, Serialize};

/// A phone number in E.164, parsed once. Deserializing accepts only the international
/// form (there is no region to read a national one with), through the same parse.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(raw: &str, region: Option<&str>) -> Result<PhoneNumber, String> {
        parse_phone(raw, region).map(PhoneNumber)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        PhoneNumber::parse(&raw, None)
    }
}

impl From<PhoneNumber> for String {
    fn from(number: PhoneNumber) -> String {
        number.0
    }
}

/// Parses a number typed any common way ("+1 (415) 555-0100", "+44 20 7946 0958").
/// Numbers without a country code need `region` (the server's `PHONE_REGION`).
pub fn parse_phone(raw: &str, region: Option<&str>) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("Enter a phone number.".into());
    }
    let region = region.and_then(|r| r.parse::<country::Id>().ok());
    if region.is_none() && !text.starts_with('+') && !text.starts_with("00") {
        return Err("Start the number with + and the country code, like +1 415 555 0100.".into());
    }
    let text = match text.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => text.to_string(),
    };
    let number = phonenumber::parse(region, &text).map_err(|_| "This is not a phone number.".to_string())?;
    if !phonenumber::is_valid(&number) {
        return Err("This is not a valid phone number for its country.".into());
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

/// Splits a list of numbers: one per line, or separated by commas or semicolons (not by
/// spaces, which numbers contain). Duplicates are dropped; bad ones are reported.
pub fn parse_phone_list(text: &str, region: Option<&str>) -> (Vec<String>, Vec<(String, String)>) {
    let mut good: Vec<String> = Vec::new();
    let mut bad = Vec::new();
    for entry in text.split([',', ';', '\n', '\r']).map(str::trim).filter(|e| !e.is_empty()) {
        match parse_phone(entry, region) {
            Ok(number) if !good.contains(&number) => good.push(number),
            Ok(_) => {}
            Err(message) => bad.push((entry.to_string(), message)),
        }
    }
    (good, bad)
}

/// Whether a stored login is a phone number (logins are e-mail addresses or E.164).
pub fn is_phone_login(login: &str) -> bool {
    login.starts_with('+')
}

/// A log-in as typed: an email is lower-cased; something that reads as a phone number is
/// turned into E.164, so "+1 415-555-0100" finds the account "+14155550100".
pub fn normalize_login_input(raw: &str, region: Option<&str>) -> String {
    let trimmed = raw.trim();
    let looks_like_phone = !trimmed.contains('@') && trimmed.chars().any(|c| c.is_ascii_digit());
    if looks_like_phone && let Ok(number) = parse_phone(trimmed, region) {
        return number;
    }
    trimmed.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_spellings_become_e164() {
        for typed in ["+1 (415) 555-0100", "+1.415.555.0100", "  +14155550100 ", "0014155550100"] {
            assert_eq!(parse_phone(typed, None).as_deref(), Ok("+14155550100"), "{typed}");
        }
        assert_eq!(parse_phone("(415) 555-0100", Some("US")).as_deref(), Ok("+14155550100"));
        assert_eq!(parse_phone("020 7946 0958", Some("GB")).as_deref(), Ok("+442079460958"));
    }

    #[test]
    fn junk_and_national_numbers_without_a_region_are_refused() {
        for bad in ["", "call me", "12", "+1 555", "415 555 0100", "+999 123456"] {
            assert!(parse_phone(bad, None).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lists_split_on_lines_commas_and_semicolons() {
        let (good, bad) = parse_phone_list("+1 415 555 0100\n+44 20 7946 0958; +1 (415) 555-0100, nope", None);
        assert_eq!(good, ["+14155550100", "+442079460958"]);
        assert_eq!(bad.len(), 1);
    }

    #[test]
    fn phone_numbers_deserialize_through_parse() {
        let number: PhoneNumber = serde_json::from_str("\"+1 (415) 555-0100\"").unwrap();
        assert_eq!(number.as_str(), "+14155550100");
        assert!(serde_json::from_str::<PhoneNumber>("\"415 555 0100\"").is_err());
        assert_eq!(PhoneNumber::parse("(415) 555-0100", Some("US")).unwrap(), number);
    }

    #[test]
    fn log_ins_normalize_by_kind() {
        assert_eq!(normalize_login_input(" Ann@Acme.test ", None), "ann@acme.test");
        assert_eq!(normalize_login_input("+1 415-555-0100", None), "+14155550100");
        assert_eq!(normalize_login_input("not a number", None), "not a number");
    }
}
