//! Masked samples: enough to recognise a value, never the value itself, and
//! at most four real characters of its secret part.

use super::DetectorId;

fn last_digits(value: &str, n: usize) -> String {
    let digits: Vec<char> = value.chars().filter(char::is_ascii_digit).collect();
    let keep = n.min(digits.len().saturating_sub(1));
    digits[digits.len() - keep..].iter().collect()
}

pub fn mask(detector: DetectorId, value: &str) -> String {
    match detector {
        DetectorId::CreditCard => {
            let count = value.chars().filter(char::is_ascii_digit).count();
            let last = last_digits(value, 4);
            format!(
                "{}{last}",
                "*".repeat(count.saturating_sub(last.len()).max(4))
            )
        }
        DetectorId::UsSsn => format!("***-**-{}", last_digits(value, 4)),
        DetectorId::Iban => {
            let compact: Vec<char> = value.chars().filter(|c| !c.is_whitespace()).collect();
            let country: String = compact
                .iter()
                .take(2)
                .filter(|c| c.is_ascii_uppercase())
                .collect();
            let keep = 4.min(compact.len().saturating_sub(5));
            let last: String = compact[compact.len() - keep..].iter().collect();
            format!("{country}** **** … {last}")
        }
        DetectorId::Email => match value.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}***@{domain}")
            }
            None => "***".to_string(),
        },
        DetectorId::Phone => format!("***-***-{}", last_digits(value, 4)),
        DetectorId::AwsAccessKey => {
            let chars: Vec<char> = value.chars().collect();
            if chars.len() < 12 {
                return "****".to_string();
            }
            let prefix: String = chars[..4].iter().collect();
            let last: String = chars[chars.len() - 4..].iter().collect();
            format!("{prefix}{}{last}", "*".repeat(chars.len() - 8))
        }
        DetectorId::PrivateKey => {
            // The header names the kind; nothing after it is shown.
            let header: String = value
                .lines()
                .next()
                .filter(|l| {
                    l.starts_with("-----BEGIN ")
                        && l.ends_with("-----")
                        && l.len() <= 64
                        && l.bytes()
                            .all(|b| b.is_ascii_uppercase() || b == b' ' || b == b'-')
                })
                .unwrap_or("-----BEGIN PRIVATE KEY-----")
                .to_string();
            format!("{header} [redacted]")
        }
    }
}
