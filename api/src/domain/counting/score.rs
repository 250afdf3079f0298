//! Score voting: each ballot gives some options a score in the poll's range; results
//! are per option (ballots, total, average, distribution) and the winners.
//!
//! # The rule
//!
//! The winner is the option with the highest average score over the ballots that
//! scored it (an option nobody scored has no average and cannot win). Options with
//! equal averages are separated by the number of ballots giving them the highest score
//! of the range, then the next score down, and so on to the lowest. Options still equal
//! after that are all winners (a tie). With no scored option there is no winner.
//!
//! Averages are compared exactly (as fractions), never as rounded floats.
//!
//! # Group keys
//!
//! The tally keeps one group per (option, score): `"<position>:<score>"`, e.g. `"3:5"`
//! ([`score_group`], [`parse_group`]). A ballot adds one group per option it scores.

use std::cmp::Ordering;

/// One tally group of a SCORE poll with its count: `((option position, score), ballots)`.
pub type ScoreGroupCount = ((usize, i32), u64);

/// The results of one option.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionScore {
    /// Ballots that scored this option.
    pub ballots: u64,
    /// Sum of the scores given.
    pub total: i64,
    /// `total / ballots`; `None` when no ballot scored the option.
    pub average: Option<f64>,
    /// `(score, ballots)` for every score of the range, lowest first.
    pub distribution: Vec<(i32, u64)>,
}

/// The results of a SCORE poll.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreOutcome {
    /// One entry per option, in position order.
    pub options: Vec<OptionScore>,
    /// Positions of the winners (position order): one, several when tied, none when
    /// nobody scored anything.
    pub winners: Vec<usize>,
}

/// Computes a SCORE poll's results from its groups: `((position, score), ballots)`.
///
/// `min..=max` is the poll's validated range (its span is bounded by the poll
/// settings, so the distribution stays small). A group whose position is not below
/// `option_count` or whose score is outside the range is ignored: it cannot come from
/// a ballot the poll accepted. Repeated groups add up.
pub fn score_results(
    option_count: usize,
    min: i32,
    max: i32,
    groups: &[ScoreGroupCount],
) -> ScoreOutcome {
    let mut options: Vec<OptionScore> = (0..option_count)
        .map(|_| OptionScore {
            ballots: 0,
            total: 0,
            average: None,
            distribution: (min..=max).map(|score| (score, 0)).collect(),
        })
        .collect();
    for &((position, score), ballots) in groups {
        if !(min..=max).contains(&score) {
            continue;
        }
        let Some(option) = options.get_mut(position) else {
            continue;
        };
        // In range, so the offset fits the distribution.
        let slot = usize::try_from(i64::from(score) - i64::from(min)).unwrap_or(0);
        option.distribution[slot].1 = option.distribution[slot].1.saturating_add(ballots);
        option.ballots = option.ballots.saturating_add(ballots);
        let weight = i64::try_from(ballots).unwrap_or(i64::MAX);
        option.total = option
            .total
            .saturating_add(i64::from(score).saturating_mul(weight));
    }
    for option in &mut options {
        if option.ballots > 0 {
            option.average = Some(option.total as f64 / option.ballots as f64);
        }
    }
    let winners = winners(&options);
    ScoreOutcome { options, winners }
}

/// The positions that rank first by [`compare`] among options with ballots.
fn winners(options: &[OptionScore]) -> Vec<usize> {
    let scored: Vec<usize> = (0..options.len())
        .filter(|&p| options[p].ballots > 0)
        .collect();
    let Some(best) =
        scored
            .iter()
            .copied()
            .reduce(|best, p| match compare(&options[p], &options[best]) {
                Ordering::Greater => p,
                _ => best,
            })
    else {
        return Vec::new();
    };
    scored
        .into_iter()
        .filter(|&p| compare(&options[p], &options[best]) == Ordering::Equal)
        .collect()
}

/// Orders two scored options by the rule: average (exactly), then ballots at each
/// score from the highest down. `Greater` means `a` ranks above `b`.
fn compare(a: &OptionScore, b: &OptionScore) -> Ordering {
    // a.total / a.ballots vs b.total / b.ballots, both ballots > 0: cross-multiply.
    let left = i128::from(a.total) * i128::from(b.ballots);
    let right = i128::from(b.total) * i128::from(a.ballots);
    left.cmp(&right).then_with(|| {
        let higher_first = |o: &OptionScore| {
            o.distribution
                .iter()
                .rev()
                .map(|&(_, n)| n)
                .collect::<Vec<_>>()
        };
        higher_first(a).cmp(&higher_first(b))
    })
}

/// The group key of an option's score: `"<position>:<score>"` (`(3, 5)` → `"3:5"`).
pub fn score_group(position: usize, score: i32) -> String {
    format!("{position}:{score}")
}

/// Reads a score group key back: `None` unless it is exactly what [`score_group`]
/// writes for a position below `option_count` (the score range is checked by
/// [`score_results`]).
pub fn parse_group(key: &str, option_count: usize) -> Option<(usize, i32)> {
    let (position, score) = key.split_once(':')?;
    let position: usize = position.parse().ok()?;
    let score: i32 = score.parse().ok()?;
    (position < option_count && score_group(position, score) == key).then_some((position, score))
}

/// A tally group that is not an (option, score) of this poll.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "tally group {key:?} ({ballots} ballots) is not a score of this poll's {option_count} options"
)]
pub struct InvalidGroup {
    /// The stored key.
    pub key: String,
    /// The stored count.
    pub ballots: i64,
    /// The poll's number of options.
    pub option_count: usize,
}

/// Turns a tally's groups (`Tally.groups`) into the input of [`score_results`].
///
/// Groups with no ballots are skipped; a key that is not a score group, or a negative
/// count, is an error rather than a silently different result.
pub fn scores_from_groups(
    groups: &[(String, i64)],
    option_count: usize,
) -> Result<Vec<ScoreGroupCount>, InvalidGroup> {
    let mut scores = Vec::with_capacity(groups.len());
    for (key, ballots) in groups {
        let invalid = || InvalidGroup {
            key: key.clone(),
            ballots: *ballots,
            option_count,
        };
        let count = u64::try_from(*ballots).map_err(|_| invalid())?;
        if count == 0 {
            continue;
        }
        scores.push((parse_group(key, option_count).ok_or_else(invalid)?, count));
    }
    Ok(scores)
}
