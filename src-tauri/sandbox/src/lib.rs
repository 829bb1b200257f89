//! box-sandbox: an emulated Box enterprise (HTTP server + deterministic generator).
