//! Sensitive-value detectors. Placeholder with the contract's API (CONTRACT9
//! section A) until the one-pass engine lands; it finds nothing.

use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DetectorId {
    CreditCard,
    UsSsn,
    Iban,
    Email,
    Phone,
    AwsAccessKey,
    PrivateKey,
}

impl DetectorId {
    pub const ALL: [DetectorId; 7] = [
        DetectorId::CreditCard,
        DetectorId::UsSsn,
        DetectorId::Iban,
        DetectorId::Email,
        DetectorId::Phone,
        DetectorId::AwsAccessKey,
        DetectorId::PrivateKey,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            DetectorId::CreditCard => "credit_card",
            DetectorId::UsSsn => "us_ssn",
            DetectorId::Iban => "iban",
            DetectorId::Email => "email",
            DetectorId::Phone => "phone",
            DetectorId::AwsAccessKey => "aws_access_key",
            DetectorId::PrivateKey => "private_key",
        }
    }
    pub fn parse(s: &str) -> Option<DetectorId> {
        DetectorId::ALL.into_iter().find(|d| d.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        self.as_str()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Confidence {
    Low,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::High => "high",
        }
    }
}

#[derive(Debug, Default)]
pub struct Engine;

impl Engine {
    pub fn new() -> Engine {
        Engine
    }
    pub fn scan(&self, text: &str) -> Report {
        Report {
            chars: text.chars().count() as u64,
            detectors: Vec::new(),
        }
    }
}

pub struct ChunkScanner {
    chars: u64,
}

impl ChunkScanner {
    pub fn new(_engine: Arc<Engine>) -> Self {
        ChunkScanner { chars: 0 }
    }
    pub fn push(&mut self, text: &str) {
        self.chars += text.chars().count() as u64;
    }
    pub fn finish(self) -> Report {
        Report {
            chars: self.chars,
            detectors: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub chars: u64,
    pub detectors: Vec<DetectorReport>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectorReport {
    pub detector: DetectorId,
    pub high: u64,
    pub low: u64,
    pub sample_high: Option<String>,
    pub sample_low: Option<String>,
    pub secret_nearby: bool,
}
