import { describe, expect, it } from 'vitest';
import type { Tally } from './liveResults';
import { percentagesNote, pluralityOutcome, tallyAnnouncement, totalText } from './outcome';

function tally(votes: number[], final: boolean, ballots = votes.reduce((a, b) => a + b, 0)): Tally {
  const names = ['Red', 'Blue', 'Green'];
  return {
    pollId: 'p',
    version: 1,
    final,
    totalVotes: ballots,
    asOf: '2026-12-07T00:00:00Z',
    instantRunoff: null,
    scores: null,
    // Listed out of the poll's order: the wording must follow positions.
    options: votes
      .map((n, i) => ({
        option: { id: `o${i}`, text: names[i] ?? `Option ${i}`, position: i },
        votes: n,
        percentage: ballots ? Math.round((1000 * n) / ballots) / 10 : 0,
      }))
      .reverse(),
  };
}

describe('the winner of a single-choice poll in words', () => {
  it('names the winner of a closed poll with its share', () => {
    expect(pluralityOutcome(tally([3, 1, 1], true), 'SINGLE')).toBe('Red wins with 3 of 5 votes (60.0%).');
  });

  it('says who is ahead while the poll is open', () => {
    expect(pluralityOutcome(tally([0, 1, 0], false), 'SINGLE')).toBe('Blue is ahead with 1 of 1 vote (100.0%).');
  });

  it('names every option in a tie, in the poll order', () => {
    expect(pluralityOutcome(tally([2, 1, 2], true), 'SINGLE')).toBe('Tie between Red and Green, with 2 votes each.');
    expect(pluralityOutcome(tally([1, 1, 1], false), 'SINGLE')).toBe('Tied for now between Red, Blue, and Green, with 1 vote each.');
  });

  it('says no votes were cast on a closed empty poll, and nothing on an open one', () => {
    expect(pluralityOutcome(tally([0, 0], true), 'SINGLE')).toBe('No votes were cast.');
    expect(pluralityOutcome(tally([0, 0], false), 'SINGLE')).toBeNull();
  });
});

describe('multiple-choice results in words', () => {
  it('counts ballots that ticked the winner, not votes', () => {
    // 3 ballots: Red on all three, Blue on two.
    expect(pluralityOutcome(tally([3, 2, 0], true, 3), 'MULTIPLE')).toBe('Red wins, ticked on 3 of 3 ballots (100.0%).');
    expect(pluralityOutcome(tally([2, 2, 1], true, 3), 'MULTIPLE')).toBe('Tie between Red and Blue, ticked on 2 ballots each.');
  });

  it('explains that the percentages are shares of ballots', () => {
    expect(percentagesNote(tally([3, 2, 0], false, 3), 'MULTIPLE')).toMatch(/^Each percentage is the share of the 3 ballots that ticked that option\..*more than 100%/);
    expect(percentagesNote(tally([1, 0, 0], false, 1), 'MULTIPLE')).toMatch(/share of the 1 ballot that/);
    expect(percentagesNote(tally([0, 0, 0], false, 0), 'MULTIPLE')).toBeNull();
    expect(percentagesNote(tally([1, 0, 0], false), 'SINGLE')).toBeNull();
  });
});

describe('a poll total in words', () => {
  it('says "No votes yet" rather than 0, and counts ballots for MULTIPLE', () => {
    expect(totalText('SINGLE', 0)).toBe('No votes yet');
    expect(totalText('SINGLE', 0, true)).toBe('No votes');
    expect(totalText('SINGLE', 1)).toBe('1 vote');
    expect(totalText('RANKED', 4)).toBe('4 votes');
    expect(totalText('MULTIPLE', 2)).toBe('2 ballots');
  });
});

describe('what the live region says', () => {
  it('adds the winner once a single-choice poll is final, not before', () => {
    expect(tallyAnnouncement(tally([3, 1, 1], true), 'SINGLE')).toMatch(/^Final results: 5 votes\. .* Red wins with 3 of 5 votes \(60\.0%\)\.$/);
    expect(tallyAnnouncement(tally([3, 1, 1], false), 'SINGLE')).not.toMatch(/wins|ahead/);
  });
});
