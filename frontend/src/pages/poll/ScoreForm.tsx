// The SCORE ballot: one radio group per option (its legend is the option), one radio per
// score of the poll's range, plus "No score" when options may be left unscored. Radios
// rather than number inputs: the range is at most 11 scores, every value is visible and
// the arrow keys move between them. The rules live in lib/scoreBallot.ts.
import { useState } from 'react';
import { useBallotForm } from './useBallotForm';
import { checkScores, scoreHint, scoreSteps, scoringOptional, setScore, type ScoreDraft, type ScoreRules } from '../../lib/scoreBallot';

interface ScoreFormProps {
  options: ReadonlyArray<{ id: string; text: string }>;
  rules: ScoreRules;
  initial?: ScoreDraft;
  submitLabel: string;
  busyLabel: string;
  busy: boolean;
  blockedReason?: string;
  onSubmit(draft: ScoreDraft): void;
  onCancel?: () => void;
  focusOnMount?: boolean;
  describedBy?: string;
}

export function ScoreForm({ options, rules, initial = {}, submitLabel, busyLabel, busy, blockedReason, onSubmit, onCancel, focusOnMount = false, describedBy }: ScoreFormProps) {
  const [draft, setDraft] = useState<ScoreDraft>(initial);
  const { id, problem, setProblem, fieldset, submit, describe } = useBallotForm(draft, (d) => checkScores(d, rules), onSubmit, focusOnMount);
  const steps = scoreSteps(rules);
  const optional = scoringOptional(rules);
  const scored = Object.keys(draft).length;

  return (
    <form onSubmit={submit} noValidate className="vote-form score-form" data-testid="vote-form">
      <fieldset ref={fieldset} tabIndex={-1} aria-describedby={describe} className={`fieldset${problem ? ' field-invalid' : ''}`}>
        <legend>Your scores</legend>
        <p className="field-hint" id={`${id}-hint`}>
          {scoreHint(rules)} {scored} of {rules.optionCount} scored.
        </p>
        {problem && (
          <p className="field-error" id={`${id}-problem`} role="alert">
            {problem}
          </p>
        )}
        {options.map((option) => {
          const name = `${id}-${option.id}`;
          const current = draft[option.id];
          return (
            <fieldset key={option.id} className="score-option" data-testid="score-option">
              <legend>{option.text}</legend>
              <div className="score-scale">
                {steps.map((score) => (
                  <label key={score} className="score-step">
                    <input
                      type="radio"
                      name={name}
                      value={score}
                      checked={current === score}
                      onChange={() => {
                        setDraft((d) => setScore(d, option.id, score));
                        setProblem(null);
                      }}
                    />
                    <span>{score}</span>
                  </label>
                ))}
                {optional && (
                  <label className="score-step score-none">
                    <input
                      type="radio"
                      name={name}
                      value=""
                      checked={current === undefined}
                      onChange={() => {
                        setDraft((d) => setScore(d, option.id, null));
                        setProblem(null);
                      }}
                    />
                    <span>No score</span>
                  </label>
                )}
              </div>
            </fieldset>
          );
        })}
      </fieldset>
      {blockedReason && <p className="field-hint">{blockedReason}</p>}
      <div className="actions">
        <button type="submit" className="button" disabled={busy || Boolean(blockedReason)} aria-describedby={describedBy}>
          {busy ? busyLabel : submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="button button-secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
