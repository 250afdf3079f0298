// Results arrive from the poll query, from refetches and from the live subscription, in
// any order. Each carries a `version` that grows with every change: only a newer one may
// replace what is shown, so a late or replayed message never rolls the bars back.
import type { ResultsFieldsFragment } from '../gql/graphql';

export type Tally = ResultsFieldsFragment;

/** Whether `incoming` should replace `current`. */
export function isNewer(incoming: Tally, current: Tally | null): boolean {
  if (!current) return true;
  if (incoming.pollId !== current.pollId) return true;
  if (incoming.version > current.version) return true;
  // Closing may not bump the count version, but "final" must still get through.
  return incoming.version === current.version && incoming.final && !current.final;
}

/** The tally to show after `incoming` arrives. */
export function latest(current: Tally | null, incoming: Tally | null | undefined): Tally | null {
  if (!incoming) return current;
  return isNewer(incoming, current) ? incoming : current;
}

/** The options in the poll's order. */
export function orderedOptions(tally: Tally): Tally['options'] {
  return [...tally.options].sort((a, b) => a.option.position - b.option.position);
}

export function votesText(n: number): string {
  return n === 1 ? '1 vote' : `${n} votes`;
}

export function percentText(percentage: number): string {
  return `${percentage.toFixed(1)}%`;
}

/** One sentence for screen readers: "Results updated: 3 votes. Red 2 (66.7%), Blue 1 (33.3%)." */
export function announcement(tally: Tally): string {
  const parts = orderedOptions(tally).map(
    (o) => `${o.option.text} ${o.votes} (${percentText(o.percentage)})`,
  );
  const head = tally.final ? 'Final results' : 'Results updated';
  return `${head}: ${votesText(tally.totalVotes)}. ${parts.join(', ')}.`;
}

/** The option ids with the most votes (several on a tie; none before any vote). */
export function leaders(tally: Tally): string[] {
  const top = Math.max(0, ...tally.options.map((o) => o.votes));
  if (top === 0) return [];
  return tally.options.filter((o) => o.votes === top).map((o) => o.option.id);
}
