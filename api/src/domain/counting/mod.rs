//! Counting rules for the kinds whose result is more than "most votes wins": pure
//! functions over aggregated counts, no I/O.
//!
//! Every function here takes counts per distinct group (per distinct ranking, per
//! option and score) as the store keeps them in `tally_groups`, never one row per
//! ballot, so results cost O(distinct groups) however many ballots were cast. Options
//! are named by their 0-based position in the poll's option order (options never
//! change after a poll is created, so a position is stable).
//!
//! - [`irv`]: instant-runoff rounds for RANKED polls, and the "2>0>1" group keys.
//! - [`score`]: averages, distributions and winners for SCORE polls, and the "3:5" keys.
//! - [`blt`]: the BLT ballot file that existing counting tools (OpenSTV, Droop, …) read.

pub mod blt;
pub mod irv;
pub mod score;

#[cfg(test)]
mod elections;
#[cfg(test)]
mod irv_tests;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod score_tests;
