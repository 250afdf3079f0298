// What the results card shows for RANKED (instant-runoff rounds) and SCORE polls, worked
// out from one tally. The API sends option ids only inside rounds and scores; texts and
// positions come from the tally's own option list, so one message is always consistent.
import { announcement, percentText, type Tally } from './liveResults';

export interface OptionRef {
  id: string;
  text: string;
  position: number;
}

/** One option's line in one round, for every option of the poll (stable rows). */
export interface RoundRow extends OptionRef {
  /** "counted": still in; "eliminated": knocked out in this round; "out": in an earlier round. */
  state: 'counted' | 'eliminated' | 'out';
  votes: number;
  percentage: number;
  /** For "out" rows: the round it was eliminated in. */
  outSince: number | null;
  /** The round's winner (final round only). */
  winner: boolean;
}

export interface RoundView {
  number: number;
  rows: RoundRow[];
  eliminated: string[];
  exhausted: number;
  continuing: number;
  /** One sentence describing the round, for screen readers and the caption. */
  summary: string;
}

export interface RunoffView {
  rounds: RoundView[];
  winnerId: string | null;
  tiedIds: string[];
  /** The outcome in words: winner, tie, or no ballots. */
  outcome: string;
}

function optionIndex(tally: Tally): Map<string, OptionRef> {
  return new Map(tally.options.map((o) => [o.option.id, { id: o.option.id, text: o.option.text, position: o.option.position }]));
}

function textOf(index: Map<string, OptionRef>, id: string): string {
  return index.get(id)?.text ?? 'An option';
}

/** "A", "A and B", "A, B and C". */
export function andList(items: readonly string[]): string {
  return new Intl.ListFormat('en', { style: 'long', type: 'conjunction' }).format(items);
}

function ballots(n: number): string {
  return n === 1 ? '1 ballot' : `${n} ballots`;
}

function votes(n: number): string {
  return n === 1 ? '1 vote' : `${n} votes`;
}

/** The instant-runoff rounds of a RANKED tally, or null for other kinds. */
export function runoffView(tally: Tally): RunoffView | null {
  const runoff = tally.instantRunoff;
  if (!runoff) return null;
  const index = optionIndex(tally);
  const ordered = [...index.values()].sort((a, b) => a.position - b.position);
  const winnerId = runoff.winner?.id ?? null;
  const tiedIds = runoff.tiedOptions.map((o) => o.id);
  const outIn = new Map<string, number>();
  const last = runoff.rounds.length;

  const rounds = runoff.rounds.map((round): RoundView => {
    const counted = new Map(round.tallies.map((t) => [t.option.id, t]));
    const eliminatedHere = new Set(round.eliminated.map((o) => o.id));
    const rows = ordered.map((option): RoundRow => {
      const tallied = counted.get(option.id);
      const state = eliminatedHere.has(option.id) ? 'eliminated' : tallied ? 'counted' : 'out';
      return {
        ...option,
        state,
        votes: tallied?.votes ?? 0,
        percentage: tallied?.percentage ?? 0,
        outSince: state === 'out' ? (outIn.get(option.id) ?? null) : null,
        winner: round.number === last && option.id === winnerId,
      };
    });
    for (const id of eliminatedHere) if (!outIn.has(id)) outIn.set(id, round.number);
    const eliminated = round.eliminated.map((o) => textOf(index, o.id));
    const counts = rows
      .filter((r) => r.state !== 'out')
      .map((r) => `${r.text} ${votes(r.votes)} (${percentText(r.percentage)})`);
    const parts = [`Round ${round.number}: ${counts.join(', ')}.`];
    if (eliminated.length) parts.push(`${andList(eliminated)} ${eliminated.length === 1 ? 'is' : 'are'} eliminated.`);
    if (round.exhaustedBallots > 0) parts.push(`${ballots(round.exhaustedBallots)} exhausted so far.`);
    return {
      number: round.number,
      rows,
      eliminated,
      exhausted: round.exhaustedBallots,
      continuing: round.continuingBallots,
      summary: parts.join(' '),
    };
  });

  return { rounds, winnerId, tiedIds, outcome: runoffOutcome(runoff, index, tally.final) };
}

function runoffOutcome(runoff: NonNullable<Tally['instantRunoff']>, index: Map<string, OptionRef>, final: boolean): string {
  const last = runoff.rounds[runoff.rounds.length - 1];
  if (!last || last.continuingBallots === 0) return 'No ballots yet: the rounds appear with the first vote.';
  const roundWord = `round ${last.number}`;
  const verb = final ? 'wins' : 'is winning';
  if (runoff.winner) {
    const tally = last.tallies.find((t) => t.option.id === runoff.winner?.id);
    const share = tally ? ` with ${tally.votes} of ${last.continuingBallots} continuing ballots (${percentText(tally.percentage)})` : '';
    return `${textOf(index, runoff.winner.id)} ${verb} in ${roundWord}${share}.`;
  }
  if (runoff.tiedOptions.length) {
    const names = andList(runoff.tiedOptions.map((o) => textOf(index, o.id)));
    return `${final ? 'Tie' : 'Tied for now'} between ${names} in ${roundWord}: they have equal votes and the tie-break cannot separate them.`;
  }
  return 'No winner yet.';
}

/** One option of a SCORE tally. */
export interface ScoreRow extends OptionRef {
  ballots: number;
  total: number;
  average: number | null;
  /** Every score of the range with its ballots, lowest first, and its share of the option's ballots. */
  distribution: Array<{ score: number; ballots: number; share: number }>;
  /** Average as a share of the range (0–100), for the bar. */
  barPercent: number;
  winner: boolean;
}

export interface ScoreView {
  rows: ScoreRow[];
  outcome: string;
}

/** Average to one decimal: "4.2". */
export function averageText(average: number | null): string {
  return average === null ? '—' : average.toFixed(1);
}

/** The per-option averages and distributions of a SCORE tally, or null for other kinds. */
export function scoreView(tally: Tally, range: { min: number; max: number } | null): ScoreView | null {
  const scores = tally.scores;
  if (!scores) return null;
  const index = optionIndex(tally);
  const winners = new Set(scores.winners.map((w) => w.id));
  const byId = new Map(scores.options.map((o) => [o.option.id, o]));
  const span = range ? range.max - range.min : 0;
  const rows = [...index.values()]
    .sort((a, b) => a.position - b.position)
    .map((option): ScoreRow => {
      const s = byId.get(option.id);
      const count = s?.ballots ?? 0;
      const average = s?.average ?? null;
      return {
        ...option,
        ballots: count,
        total: s?.total ?? 0,
        average,
        distribution: (s?.distribution ?? []).map((d) => ({ ...d, share: count > 0 ? (100 * d.ballots) / count : 0 })),
        barPercent: average === null || !range || span <= 0 ? 0 : Math.max(0, Math.min(100, (100 * (average - range.min)) / span)),
        winner: winners.has(option.id),
      };
    });
  return { rows, outcome: scoreOutcome(rows, tally.final) };
}

function scoreOutcome(rows: readonly ScoreRow[], final: boolean): string {
  const won = rows.filter((r) => r.winner);
  if (won.length === 0 || rows.every((r) => r.ballots === 0)) return 'No scores yet.';
  const first = won[0] as ScoreRow;
  if (won.length === 1) {
    return `${first.text} ${final ? 'wins' : 'is ahead'} with an average of ${averageText(first.average)} from ${ballots(first.ballots)}.`;
  }
  return `${final ? 'Tie' : 'Tied for now'} between ${andList(won.map((r) => r.text))}, each with an average of ${averageText(first.average)} and the same spread of scores.`;
}

/**
 * The live region's sentence for a new tally: the counts, then for RANKED and SCORE polls
 * the outcome in words (who wins, after how many rounds).
 */
export function resultsAnnouncement(tally: Tally): string {
  const base = announcement(tally);
  const runoff = runoffView(tally);
  if (runoff) return `${base} ${runoff.rounds.length === 1 ? '1 round' : `${runoff.rounds.length} rounds`}: ${runoff.outcome}`;
  const scores = scoreView(tally, null);
  if (scores) return `${base} ${scores.outcome}`;
  return base;
}
