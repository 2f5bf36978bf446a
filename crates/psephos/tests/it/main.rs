//! Integration tests of the `psephos` binary: one test binary, grouped by purpose.

#![allow(clippy::print_stderr)]

mod audit;
mod conformance;
mod contract;
mod corpus;
mod docs;
mod export;
mod fixtures;
mod forensics;
mod ledger;
mod meek;
mod ranked;
mod rctab;
mod reconcile;
mod stv;
mod support;
