//! Package templates and seeded synthetic elections.
//!
//! [`iraq`] holds the real structure of Iraq's 2021 election law (what `psephos init --template
//! iraq-2021` writes); [`demo`] invents a realistic election on that structure, deterministically
//! from a seed, for the demo and for benchmarks. Nothing here does I/O.

pub mod demo;
pub mod iraq;
mod names;
pub mod ranked;
pub mod templates;

pub use demo::{Demo, DemoConfig, generate};
