//! Tally's integration suite lives in `api/` (one test binary); this crate has no library code.
