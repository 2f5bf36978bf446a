//! Integration tests of psephos_count: properties, and conformance with official results.

#![allow(clippy::print_stderr)]

mod apportion_conformance;
mod margins;
mod properties;
mod votelib_real;
