//! PKCE (RFC 7636) with S256, sent only where the data-center profile says the
//! provider supports it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::keychain::Sensitive;

pub struct PkcePair {
    pub verifier: Sensitive<String>,
    pub challenge: String,
}

/// 32 random bytes → a 43-character verifier, the minimum RFC 7636 allows
/// with the full 256 bits of entropy.
pub fn generate() -> PkcePair {
    let verifier = random_token(32);
    let challenge = challenge_for(&verifier);
    PkcePair {
        verifier: Sensitive::new(verifier),
        challenge,
    }
}

pub fn challenge_for(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// URL-safe random text from the OS-seeded CSPRNG (state values, verifiers).
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_the_rfc_7636_example() {
        // RFC 7636 appendix B.
        assert_eq!(
            challenge_for("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_are_long_enough_and_unique() {
        let a = generate();
        let b = generate();
        assert_eq!(a.verifier.expose().len(), 43);
        assert_ne!(a.verifier.expose(), b.verifier.expose());
        assert_eq!(a.challenge, challenge_for(a.verifier.expose()));
    }
}
