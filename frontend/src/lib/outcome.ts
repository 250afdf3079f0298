// The result of a SINGLE or MULTIPLE poll in words: who wins (or leads), ties included,
// and what a MULTIPLE poll's percentages are shares of. RANKED and SCORE polls say theirs
// through lib/methodResults.ts (instant-runoff rounds, averages).
import { andList, resultsAnnouncement } from './methodResults';
import { percentText, type Tally } from './liveResults';

function votes(n: number): string {
  return n === 1 ? '1 vote' : `${n} votes`;
}

function ballots(n: number): string {
  return n === 1 ? '1 ballot' : `${n} ballots`;
}

/**
 * A poll's total in words: "No votes yet", "3 votes", or for MULTIPLE (where one ballot
 * ticks several options and "votes" would be ambiguous) "3 ballots".
 */
export function totalText(kind: string, total: number, final = false): string {
  if (total === 0) return final ? 'No votes' : 'No votes yet';
  return kind === 'MULTIPLE' ? ballots(total) : votes(total);
}

/**
 * "Red wins with 3 of 5 votes (60.0%)." / "Tie between Red and Blue, with 2 votes each." /
 * "No votes were cast." — `final` says "wins"; a live tally says "is ahead". Null before the
 * first vote of a poll still open (the empty bars say that already).
 */
export function pluralityOutcome(tally: Tally, kind: 'SINGLE' | 'MULTIPLE'): string | null {
  const top = Math.max(0, ...tally.options.map((o) => o.votes));
  if (top === 0) return tally.final ? 'No votes were cast.' : null;
  const leaders = [...tally.options]
    .filter((o) => o.votes === top)
    .sort((a, b) => a.option.position - b.option.position);
  if (leaders.length === 1) {
    const [only] = leaders as [Tally['options'][number]];
    const share =
      kind === 'MULTIPLE'
        ? `, ticked on ${top} of ${ballots(tally.totalVotes)}`
        : ` with ${top} of ${votes(tally.totalVotes)}`;
    return `${only.option.text} ${tally.final ? 'wins' : 'is ahead'}${share} (${percentText(only.percentage)}).`;
  }
  const names = andList(leaders.map((o) => o.option.text));
  const each = kind === 'MULTIPLE' ? `ticked on ${ballots(top)} each` : `with ${votes(top)} each`;
  return `${tally.final ? 'Tie' : 'Tied for now'} between ${names}, ${each}.`;
}

/**
 * Why a MULTIPLE poll's percentages add up to more than 100%: each is the share of ballots
 * that ticked the option. Null for other kinds and before the first ballot.
 */
export function percentagesNote(tally: Tally, kind: string): string | null {
  if (kind !== 'MULTIPLE' || tally.totalVotes === 0) return null;
  const ballots = tally.totalVotes === 1 ? 'the 1 ballot' : `the ${tally.totalVotes} ballots`;
  return `Each percentage is the share of ${ballots} that ticked that option. A ballot can tick several options, so they can add up to more than 100%.`;
}

/**
 * The live region's sentence for a new tally of a poll of `kind`: the counts (and for
 * RANKED and SCORE their outcome), and once final the winner or tie of a SINGLE or
 * MULTIPLE poll, so the closing moment is heard as well as seen.
 */
export function tallyAnnouncement(tally: Tally, kind: string): string {
  const base = resultsAnnouncement(tally);
  if (!tally.final || (kind !== 'SINGLE' && kind !== 'MULTIPLE')) return base;
  const outcome = pluralityOutcome(tally, kind);
  return outcome ? `${base} ${outcome}` : base;
}
