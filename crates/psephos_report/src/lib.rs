//! The results report: one self-contained HTML file (inline CSS and SVG, no script, no external
//! request) with a parliament hemicycle, seats and votes by bloc and party, turnout and
//! reporting, a section per district, reserved seats and quotas, the reconciliation of counting
//! phases, the audit, the forensic battery and the ledger, in English or Arabic
//! (right-to-left).
//!
//! Pure: a [`Report`] in, a `String` out; no I/O, no clock, nothing random, so the same report
//! gives the same bytes. The binary (`psephos report`) fills the [`Report`] from the count.
//!
//! * [`hemicycle`]: ParliamentArch 1.1.2's seat layout, ported exactly, and its SVG.
//! * [`charts`]: the forensic fingerprint and histograms.
//! * [`format`]: numbers, percentages and dates per language (Arabic-Indic digits in Arabic).
//! * [`labels`]: every word of the report in both languages, from one table.
//! * [`check`]: the self-containment check (no URL leaves the page).
//! * `render`: the page, from the askama template `templates/report.html`.

pub mod charts;
pub mod check;
pub mod format;
pub mod hemicycle;
pub mod labels;
pub mod model;
mod render;
pub mod svg;

pub use format::{Fmt, Lang};
pub use model::*;
pub use render::{DIFFERING_SHOWN, FLAGGED_SHOWN, RenderError, render_html};
