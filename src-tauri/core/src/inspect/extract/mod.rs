//! Text extraction under limits (see /work/CONTRACT9.md until built).
