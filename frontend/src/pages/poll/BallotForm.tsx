// The ballot for a poll's kind: choices (SINGLE, MULTIPLE), a ranking (RANKED) or scores
// (SCORE). Each form hands back the same shape, a BallotIntent, which is what the vote
// mutations send and what tells one intended vote from another (lib/idempotency.ts).
import type { BallotIntent } from '../../lib/idempotency';
import { andList } from '../../lib/methodResults';
import { draftFrom, toScoreInputs } from '../../lib/scoreBallot';
import { RankingForm } from './RankingForm';
import { ScoreForm } from './ScoreForm';
import type { PollData } from './types';
import { VoteForm } from './VoteForm';

interface BallotFormProps {
  poll: PollData;
  /** Start from the viewer's ballot (changing a vote). */
  fromMyVote?: boolean;
  submitLabel: string;
  busyLabel: string;
  busy: boolean;
  blockedReason?: string;
  onSubmit(ballot: BallotIntent): void;
  onCancel?: () => void;
  focusOnMount?: boolean;
  describedBy?: string;
}

export function BallotForm({ poll, fromMyVote = false, onSubmit, ...common }: BallotFormProps) {
  const options = [...poll.options].sort((a, b) => a.position - b.position);
  const mine = fromMyVote ? poll.myVote : null;
  const counts = { minChoices: poll.minChoices, maxChoices: poll.maxChoices, optionCount: options.length };
  switch (poll.kind) {
    case 'RANKED':
      return (
        <RankingForm
          {...common}
          options={options}
          rules={counts}
          initial={mine?.optionIds ?? []}
          onSubmit={(ranking) => onSubmit({ optionIds: ranking, ordered: true })}
        />
      );
    case 'SCORE': {
      const range = poll.scoreRange ?? { min: 0, max: 5 };
      return (
        <ScoreForm
          {...common}
          options={options}
          rules={{ ...counts, min: range.min, max: range.max }}
          initial={mine ? draftFrom(mine.scores) : {}}
          onSubmit={(draft) =>
            onSubmit({
              optionIds: [],
              scores: toScoreInputs(
                draft,
                options.map((o) => o.id),
              ),
            })
          }
        />
      );
    }
    case 'SINGLE':
    case 'MULTIPLE':
      return (
        <VoteForm
          {...common}
          pollId={poll.id}
          options={options}
          rules={{ kind: poll.kind, minChoices: poll.minChoices, maxChoices: poll.maxChoices }}
          initial={mine?.optionIds ?? []}
          onSubmit={(ids) => onSubmit({ optionIds: ids })}
        />
      );
    default: {
      // A kind without a ballot here fails the type check.
      const unknown: never = poll.kind;
      return unknown;
    }
  }
}

/** The viewer's ballot in words, as "my vote" shows it. */
export function MyBallot({ poll }: { poll: PollData }) {
  const vote = poll.myVote;
  if (!vote) return null;
  if (poll.kind === 'RANKED') {
    // RANKED: `options` come in the voter's order of preference.
    return (
      <>
        <p>Your ranking:</p>
        <ol className="my-ranking">
          {vote.options.map((o) => (
            <li key={o.id}>{o.text}</li>
          ))}
        </ol>
      </>
    );
  }
  if (poll.kind === 'SCORE') {
    const byId = new Map(vote.scores.map((s) => [s.option.id, s.score]));
    const scored = [...poll.options].sort((a, b) => a.position - b.position).filter((o) => byId.has(o.id));
    return (
      <>
        <p>Your scores:</p>
        <ul className="my-scores">
          {scored.map((o) => (
            <li key={o.id}>
              {o.text}: <strong>{byId.get(o.id)}</strong>
            </li>
          ))}
        </ul>
      </>
    );
  }
  const chosen = [...vote.options].sort((a, b) => a.position - b.position).map((o) => o.text);
  return (
    <p>
      You voted for <strong>{andList(chosen)}</strong>.
    </p>
  );
}
