import { describe, expect, it } from 'vitest';
import type { Tally } from './liveResults';
import { averageText, resultsAnnouncement, runoffView, scoreView } from './methodResults';

const options = [
  { id: 'p', text: 'Pizza', position: 0 },
  { id: 't', text: 'Tacos', position: 1 },
  { id: 's', text: 'Sushi', position: 2 },
];

function base(patch: Partial<Tally>): Tally {
  return {
    pollId: 'poll',
    version: 3,
    final: false,
    totalVotes: 5,
    asOf: '2026-12-06T10:00:00Z',
    options: options.map((o, i) => ({ option: o, votes: [2, 2, 1][i] ?? 0, percentage: [40, 40, 20][i] ?? 0 })),
    instantRunoff: null,
    scores: null,
    ...patch,
  };
}

const ref = (id: string) => ({ id });
const tally = (id: string, votes: number, percentage: number) => ({ option: ref(id), votes, percentage });

// Five ballots: P>T, P>S, T>P, T>S, S>P. Round 1: 2/2/1, Sushi out; round 2: Pizza 3, Tacos 2.
const twoRounds = base({
  instantRunoff: {
    rounds: [
      { number: 1, tallies: [tally('p', 2, 40), tally('t', 2, 40), tally('s', 1, 20)], eliminated: [ref('s')], exhaustedBallots: 0, continuingBallots: 5 },
      { number: 2, tallies: [tally('p', 3, 60), tally('t', 2, 40)], eliminated: [], exhaustedBallots: 0, continuingBallots: 5 },
    ],
    winner: ref('p'),
    tiedOptions: [],
  },
});

describe('runoffView', () => {
  it('is null for polls that are not RANKED', () => {
    expect(runoffView(base({}))).toBeNull();
  });

  it('shows every option in every round, marking who was eliminated when', () => {
    const view = runoffView(twoRounds);
    expect(view?.rounds.map((r) => r.rows.map((row) => [row.text, row.state, row.votes]))).toEqual([
      [['Pizza', 'counted', 2], ['Tacos', 'counted', 2], ['Sushi', 'eliminated', 1]],
      [['Pizza', 'counted', 3], ['Tacos', 'counted', 2], ['Sushi', 'out', 0]],
    ]);
    expect(view?.rounds[1]?.rows[2]?.outSince).toBe(1);
    expect(view?.rounds[1]?.rows[0]?.winner).toBe(true);
    expect(view?.rounds[0]?.rows[0]?.winner).toBe(false);
  });

  it('states the winner, the round and the share in words', () => {
    expect(runoffView(twoRounds)?.outcome).toBe('Pizza is winning in round 2 with 3 of 5 continuing ballots (60.0%).');
    expect(runoffView({ ...twoRounds, final: true })?.outcome).toBe('Pizza wins in round 2 with 3 of 5 continuing ballots (60.0%).');
  });

  it('describes each round in one sentence, exhausted ballots included', () => {
    const exhausted = base({
      instantRunoff: {
        rounds: [
          { number: 1, tallies: [tally('p', 2, 50), tally('t', 1, 25), tally('s', 1, 25)], eliminated: [ref('t'), ref('s')], exhaustedBallots: 0, continuingBallots: 4 },
          { number: 2, tallies: [tally('p', 2, 100)], eliminated: [], exhaustedBallots: 2, continuingBallots: 2 },
        ],
        winner: ref('p'),
        tiedOptions: [],
      },
    });
    const view = runoffView(exhausted);
    expect(view?.rounds[0]?.summary).toBe('Round 1: Pizza 2 votes (50.0%), Tacos 1 vote (25.0%), Sushi 1 vote (25.0%). Tacos and Sushi are eliminated.');
    expect(view?.rounds[1]?.summary).toBe('Round 2: Pizza 2 votes (100.0%). 2 ballots exhausted so far.');
    expect(view?.rounds[1]?.exhausted).toBe(2);
  });

  it('states a tie, and says when there are no ballots', () => {
    const tie = base({
      final: true,
      instantRunoff: {
        rounds: [{ number: 1, tallies: [tally('p', 1, 50), tally('t', 1, 50)], eliminated: [], exhaustedBallots: 0, continuingBallots: 2 }],
        winner: null,
        tiedOptions: [ref('p'), ref('t')],
      },
    });
    expect(runoffView(tie)?.outcome).toMatch(/^Tie between Pizza and Tacos in round 1/);
    const none = base({ totalVotes: 0, instantRunoff: { rounds: [], winner: null, tiedOptions: [] } });
    expect(runoffView(none)?.outcome).toMatch(/^No ballots yet/);
    expect(runoffView(none)?.rounds).toEqual([]);
  });
});

describe('scoreView', () => {
  const scored = base({
    scores: {
      options: [
        { option: ref('p'), ballots: 2, total: 9, average: 4.5, distribution: [0, 1, 2, 3, 4, 5].map((score) => ({ score, ballots: score >= 4 ? 1 : 0 })) },
        { option: ref('t'), ballots: 1, total: 2, average: 2, distribution: [0, 1, 2, 3, 4, 5].map((score) => ({ score, ballots: score === 2 ? 1 : 0 })) },
        { option: ref('s'), ballots: 0, total: 0, average: null, distribution: [0, 1, 2, 3, 4, 5].map((score) => ({ score, ballots: 0 })) },
      ],
      winners: [ref('p')],
    },
  });

  it('is null for polls that are not SCORE', () => {
    expect(scoreView(base({}), { min: 0, max: 5 })).toBeNull();
  });

  it('gives each option its average, count, bar across the range and distribution shares', () => {
    const view = scoreView(scored, { min: 0, max: 5 });
    expect(view?.rows.map((r) => [r.text, r.average, r.ballots, r.barPercent, r.winner])).toEqual([
      ['Pizza', 4.5, 2, 90, true],
      ['Tacos', 2, 1, 40, false],
      ['Sushi', null, 0, 0, false],
    ]);
    expect(view?.rows[0]?.distribution.filter((d) => d.ballots > 0)).toEqual([
      { score: 4, ballots: 1, share: 50 },
      { score: 5, ballots: 1, share: 50 },
    ]);
    expect(averageText(null)).toBe('—');
  });

  it('measures the bar from the bottom of a range that starts below zero', () => {
    const view = scoreView(scored, { min: -5, max: 5 });
    expect(view?.rows[1]?.barPercent).toBe(70);
  });

  it('states the winner, or the tie, in words', () => {
    expect(scoreView({ ...scored, final: true }, { min: 0, max: 5 })?.outcome).toBe('Pizza wins with an average of 4.5 from 2 ballots.');
    const tied = { ...scored, scores: { ...scored.scores!, winners: [ref('p'), ref('t')] } };
    expect(scoreView(tied, null)?.outcome).toMatch(/^Tied for now between Pizza and Tacos/);
    const empty = { ...scored, scores: { options: [], winners: [] } };
    expect(scoreView(empty, null)?.outcome).toBe('No scores yet.');
  });
});

describe('resultsAnnouncement', () => {
  it('adds the runoff outcome and round count to the counts', () => {
    expect(resultsAnnouncement(twoRounds)).toBe(
      'Results updated: 5 votes. Pizza 2 (40.0%), Tacos 2 (40.0%), Sushi 1 (20.0%). 2 rounds: Pizza is winning in round 2 with 3 of 5 continuing ballots (60.0%).',
    );
  });

  it('reads plain polls as before', () => {
    expect(resultsAnnouncement(base({}))).toBe('Results updated: 5 votes. Pizza 2 (40.0%), Tacos 2 (40.0%), Sushi 1 (20.0%).');
  });
});
