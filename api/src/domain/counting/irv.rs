//! Instant-runoff voting (IRV): the rounds of a RANKED poll and its winner or tie.
//!
//! # The rule
//!
//! 1. **Counting a round.** Each ballot counts one vote for its highest-ranked option
//!    that is still continuing (not excluded). A ballot that ranks no continuing option
//!    is *exhausted* and takes no further part in the count. A round reports the votes
//!    of each continuing option, the number of continuing ballots (those not exhausted)
//!    and the number of exhausted ballots so far (cumulative).
//! 2. **Majority.** An option with more than half of the round's continuing ballots is
//!    elected, and the count ends.
//! 3. **Tie.** If every continuing option has the same number of votes, the count ends
//!    in a tie among them.
//! 4. **Bulk exclusion.** Otherwise the continuing options are ordered from fewest votes
//!    up, and the largest set of lowest options whose combined votes are fewer than the
//!    votes of the next-lowest option is excluded at once. Those options could not
//!    overtake the next one even if every ballot transferred among them, so excluding
//!    them together cannot change the outcome; it only saves rounds (the rule Burlington,
//!    Vermont and Cambridge, Massachusetts count by). Usually the set is the single
//!    option with fewest votes.
//! 5. **Tie at the bottom.** If no such set exists, two or more options share the
//!    fewest votes. The backward tie-break separates them: in the latest earlier round
//!    in which their votes differ, only those with the fewest votes in that round stay
//!    candidates for exclusion, and earlier rounds are consulted the same way while more
//!    than one remains. The candidates left are excluded — all together when no earlier
//!    round separates them.
//! 6. The ballots of excluded options pass to their next continuing preference, and the
//!    next round is counted.
//!
//! With no ballot ranking any option there are no rounds and the outcome is
//! [`RunoffOutcome::NoBallots`]. Every round that does not end the count excludes at
//! least one option and keeps at least one, so there are at most `option_count` rounds.
//!
//! # Cost
//!
//! The input is the tally's counts per distinct ranking, not the ballots, so a round
//! costs O(distinct rankings × options) whatever the number of ballots.
//!
//! # Group keys
//!
//! The tally keeps one group per distinct ranking, keyed by the ranked options'
//! positions joined by `>`: a ballot ranking options #2, #0, #1 is `"2>0>1"`
//! ([`ranking_group`], [`parse_group`]).

/// The whole count: every round in order, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runoff {
    /// Round 1 first; empty when there were no ballots.
    pub rounds: Vec<Round>,
    /// The winner, a tie, or no ballots.
    pub outcome: RunoffOutcome,
}

/// One round of the count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    /// `(option position, votes)` for each option continuing in this round, in
    /// position order (options with no votes included).
    pub tallies: Vec<(usize, u64)>,
    /// Positions of the options excluded at the end of this round, in position order;
    /// empty in the last round.
    pub eliminated: Vec<usize>,
    /// Ballots exhausted so far (cumulative): they rank no continuing option.
    pub exhausted: u64,
    /// Ballots counting for a continuing option in this round (the sum of `tallies`).
    pub continuing_ballots: u64,
}

/// How a count ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunoffOutcome {
    /// This option had more than half of the continuing ballots in the last round.
    Winner(usize),
    /// These options (position order) had equal votes in the last round and no other
    /// option continued.
    Tie(Vec<usize>),
    /// No ballot ranked any option.
    NoBallots,
}

/// Counts an instant-runoff election by the rule in the module documentation.
///
/// `rankings` holds each distinct ranking (option positions, most preferred first)
/// with the number of ballots that cast it. Positions at or past `option_count` never
/// continue (they are skipped like excluded options), so a bad group cannot panic.
pub fn instant_runoff(option_count: usize, rankings: &[(Vec<usize>, u64)]) -> Runoff {
    let mut continuing = vec![true; option_count];
    let mut rounds: Vec<Round> = Vec::new();
    loop {
        let round = count_round(&continuing, rankings);
        if round.continuing_ballots == 0 {
            // Only possible in round 1: an exclusion always leaves an option with votes.
            return Runoff {
                rounds: Vec::new(),
                outcome: RunoffOutcome::NoBallots,
            };
        }
        let (outcome, excluded) = decide(&round, &rounds);
        let mut round = round;
        round.eliminated = excluded;
        for &position in &round.eliminated {
            continuing[position] = false;
        }
        rounds.push(round);
        if let Some(outcome) = outcome {
            return Runoff { rounds, outcome };
        }
    }
}

/// Rule 1: each ranking's ballots count for its first continuing option.
fn count_round(continuing: &[bool], rankings: &[(Vec<usize>, u64)]) -> Round {
    let mut votes = vec![0u64; continuing.len()];
    let mut exhausted = 0u64;
    for (ranking, ballots) in rankings {
        let first = ranking
            .iter()
            .copied()
            .find(|&position| continuing.get(position).copied().unwrap_or(false));
        match first {
            Some(position) => votes[position] = votes[position].saturating_add(*ballots),
            None => exhausted = exhausted.saturating_add(*ballots),
        }
    }
    let tallies: Vec<(usize, u64)> = (0..continuing.len())
        .filter(|&position| continuing[position])
        .map(|position| (position, votes[position]))
        .collect();
    let continuing_ballots = tallies
        .iter()
        .fold(0u64, |sum, &(_, votes)| sum.saturating_add(votes));
    Round {
        tallies,
        eliminated: Vec::new(),
        exhausted,
        continuing_ballots,
    }
}

/// Rules 2–5 for one counted round: the outcome if the count ends here, otherwise
/// the options to exclude (position order).
fn decide(round: &Round, earlier: &[Round]) -> (Option<RunoffOutcome>, Vec<usize>) {
    let total = round.continuing_ballots;
    if let Some(&(winner, _)) = round.tallies.iter().find(|&&(_, v)| v > total - v) {
        return (Some(RunoffOutcome::Winner(winner)), Vec::new());
    }
    let lowest = round.tallies.iter().map(|&(_, v)| v).min().unwrap_or(0);
    if round.tallies.iter().all(|&(_, v)| v == lowest) {
        let tied = round
            .tallies
            .iter()
            .map(|&(position, _)| position)
            .collect();
        return (Some(RunoffOutcome::Tie(tied)), Vec::new());
    }
    let mut excluded = bulk_exclusion(&round.tallies).unwrap_or_else(|| {
        let bottom = round
            .tallies
            .iter()
            .filter(|&&(_, v)| v == lowest)
            .map(|&(position, _)| position)
            .collect();
        backward_tie_break(bottom, earlier)
    });
    excluded.sort_unstable();
    (None, excluded)
}

/// Rule 4: the largest set of lowest options whose combined votes are fewer than the
/// next-lowest option's, or `None` when the lowest options are tied (then no set
/// qualifies: a tied pair's combined votes are never fewer than either alone).
fn bulk_exclusion(tallies: &[(usize, u64)]) -> Option<Vec<usize>> {
    let mut ascending = tallies.to_vec();
    ascending.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut combined = 0u64;
    let mut size = None;
    for k in 1..ascending.len() {
        combined = combined.saturating_add(ascending[k - 1].1);
        if combined < ascending[k].1 {
            size = Some(k);
        }
    }
    size.map(|k| {
        ascending[..k]
            .iter()
            .map(|&(position, _)| position)
            .collect()
    })
}

/// Rule 5: narrows options tied at the bottom by their votes in earlier rounds, latest
/// first, keeping those with the fewest wherever they differ.
fn backward_tie_break(mut tied: Vec<usize>, earlier: &[Round]) -> Vec<usize> {
    for round in earlier.iter().rev() {
        if tied.len() < 2 {
            break;
        }
        // Every option tied now was continuing in every earlier round.
        let votes_of = |position: usize| {
            round
                .tallies
                .binary_search_by(|&(p, _)| p.cmp(&position))
                .map(|index| round.tallies[index].1)
                .unwrap_or(0)
        };
        let fewest = tied.iter().map(|&p| votes_of(p)).min().unwrap_or(0);
        tied.retain(|&p| votes_of(p) == fewest);
    }
    tied
}

/// The group key of a ranking: its positions joined by `>` (`[2, 0, 1]` → `"2>0>1"`).
pub fn ranking_group(ranking: &[usize]) -> String {
    let parts: Vec<String> = ranking.iter().map(usize::to_string).collect();
    parts.join(">")
}

/// Reads a ranking group key back: `None` unless it is exactly what [`ranking_group`]
/// writes for a non-empty ranking of distinct positions below `option_count`.
pub fn parse_group(key: &str, option_count: usize) -> Option<Vec<usize>> {
    let mut seen = vec![false; option_count];
    let mut ranking = Vec::new();
    for part in key.split('>') {
        let position: usize = part.parse().ok()?;
        // Canonical digits only: no sign, no leading zero ("+1", "01" name no group).
        if position.to_string() != part || position >= option_count || seen[position] {
            return None;
        }
        seen[position] = true;
        ranking.push(position);
    }
    Some(ranking)
}

/// A tally group that is not a ranking of this poll (corrupt or foreign data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "tally group {key:?} ({ballots} ballots) is not a ranking of this poll's {option_count} options"
)]
pub struct InvalidGroup {
    /// The stored key.
    pub key: String,
    /// The stored count.
    pub ballots: i64,
    /// The poll's number of options.
    pub option_count: usize,
}

/// Turns a tally's groups (`Tally.groups`) into the input of [`instant_runoff`].
///
/// Groups with no ballots are skipped (a ballot changed away leaves a zero row); a key
/// that is not a ranking, or a negative count, is an error rather than a silently
/// different count.
pub fn rankings_from_groups(
    groups: &[(String, i64)],
    option_count: usize,
) -> Result<Vec<(Vec<usize>, u64)>, InvalidGroup> {
    let mut rankings = Vec::with_capacity(groups.len());
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
        let ranking = parse_group(key, option_count).ok_or_else(invalid)?;
        rankings.push((ranking, count));
    }
    Ok(rankings)
}
