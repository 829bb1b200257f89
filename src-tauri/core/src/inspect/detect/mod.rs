//! Sensitive-value detectors (see /work/CONTRACT9.md until built).
