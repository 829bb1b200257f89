#![no_main]
//! The html reader on arbitrary bytes.

#[path = "common.rs"]
mod common;

use connector_core::inspect::extract::FileType;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| common::read_as(FileType::Html, data));
