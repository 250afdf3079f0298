// The ballot: radio buttons for SINGLE, checkboxes for MULTIPLE (no more than maxChoices
// can be ticked). Used to cast a vote and to change one.
import { useState } from 'react';
import { useBallotForm } from './useBallotForm';
import { checkChoice, choiceHint, isAtMaximum, toggleChoice, type ChoiceRules } from '../../lib/choices';

interface VoteFormProps {
  pollId: string;
  options: ReadonlyArray<{ id: string; text: string }>;
  rules: ChoiceRules;
  initial?: readonly string[];
  submitLabel: string;
  busyLabel: string;
  busy: boolean;
  /** Why submitting is not possible right now (offline, rate limited), if it is not. */
  blockedReason?: string;
  onSubmit(optionIds: string[]): void;
  onCancel?: () => void;
  /** Move focus to the ballot when it appears (e.g. after "Change vote"). */
  focusOnMount?: boolean;
  /** Id of an element that says more about the submit button (the guest check's progress). */
  describedBy?: string;
}

export function VoteForm({ pollId, options, rules, initial = [], submitLabel, busyLabel, busy, blockedReason, onSubmit, onCancel, focusOnMount = false, describedBy }: VoteFormProps) {
  const [selected, setSelected] = useState<string[]>([...initial]);
  const { id, problem, setProblem, fieldset, submit, describe } = useBallotForm(selected, (s) => checkChoice(s, rules), onSubmit, focusOnMount);
  const allIds = options.map((o) => o.id);
  const multiple = rules.kind === 'MULTIPLE';
  const full = isAtMaximum(selected, rules);

  return (
    <form onSubmit={submit} noValidate className="vote-form" data-testid="vote-form">
      <fieldset ref={fieldset} tabIndex={-1} aria-describedby={describe} className={`fieldset${problem ? ' field-invalid' : ''}`}>
        <legend>Your vote</legend>
        <p className="field-hint" id={`${id}-hint`}>
          {choiceHint(rules)}
          {multiple && ` ${selected.length} of ${rules.maxChoices} chosen.`}
        </p>
        {problem && (
          <p className="field-error" id={`${id}-problem`} role="alert">
            {problem}
          </p>
        )}
        <div className="vote-options">
          {options.map((option) => {
            const inputId = `${id}-${option.id}`;
            const checked = selected.includes(option.id);
            return (
              <div className="choice vote-choice" key={option.id}>
                <input
                  id={inputId}
                  type={multiple ? 'checkbox' : 'radio'}
                  name={`vote-${pollId}`}
                  value={option.id}
                  checked={checked}
                  disabled={multiple && full && !checked}
                  onChange={() => {
                    setSelected((s) => toggleChoice(s, option.id, rules, allIds));
                    setProblem(null);
                  }}
                />
                <label htmlFor={inputId}>{option.text}</label>
              </div>
            );
          })}
        </div>
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
