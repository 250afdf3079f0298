// Create a poll, with every setting `createPoll` has.
import { useRef, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useMutation } from 'urql';
import { CreatePollMutation } from '../api/documents';
import { apiErrors, describeError, formErrors, retryAfter } from '../api/errors';
import { useAnnounce } from '../components/Announcer';
import { ErrorSummary, type SummaryItem } from '../components/ErrorSummary';
import { describedBy, TextAreaField, TextField } from '../components/Field';
import { PageHeading } from '../components/PageHeading';
import type { PollKind, PollListing, PollVoters, ResultsVisibility } from '../gql/graphql';
import { useCountdown } from '../hooks/useCountdown';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { useOnline } from '../hooks/useOnline';
import {
  fieldId,
  fieldOrder,
  initialPollForm,
  LIMITS,
  newOptionDraft,
  titleCounter,
  toCreatePollInput,
  validatePollForm,
  type PollFormState,
} from '../lib/pollForm';
import { ANONYMOUS, KIND, LISTING, VISIBILITY, VOTERS } from '../lib/pollText';

const KINDS: PollKind[] = ['SINGLE', 'MULTIPLE', 'RANKED', 'SCORE'];
/** The count fields' labels, for kinds that have them. */
const COUNT_LABELS: Record<PollKind, { min: string; max: string } | null> = {
  SINGLE: null,
  MULTIPLE: { min: 'Fewest choices', max: 'Most choices' },
  RANKED: { min: 'Fewest options ranked', max: 'Most options ranked' },
  SCORE: { min: 'Fewest options scored', max: 'Most options scored' },
};
const VISIBILITIES: ResultsVisibility[] = ['ALWAYS', 'AFTER_VOTE', 'AFTER_CLOSE', 'OWNER_ONLY'];
const LISTINGS: PollListing[] = ['UNLISTED', 'LISTED'];
const VOTER_CHOICES: PollVoters[] = ['GUESTS', 'ACCOUNTS', 'INVITED'];

function timeZoneName(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return 'your time zone';
  }
}

export function NewPollPage() {
  useDocumentTitle('New poll');
  const navigate = useNavigate();
  const announce = useAnnounce();
  const online = useOnline();
  const wait = useCountdown();
  const [form, setForm] = useState<PollFormState>(initialPollForm);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [attempt, setAttempt] = useState(0);
  const [{ fetching }, createPoll] = useMutation(CreatePollMutation);
  const addButton = useRef<HTMLButtonElement>(null);

  function update<K extends keyof PollFormState>(key: K, value: PollFormState[K]) {
    setForm((f) => ({ ...f, [key]: value }));
  }

  function setOption(index: number, text: string) {
    setForm((f) => ({ ...f, options: f.options.map((o, i) => (i === index ? { ...o, text } : o)) }));
  }

  function addOption() {
    if (form.options.length >= LIMITS.optionsMax) return;
    const index = form.options.length;
    setForm((f) => ({ ...f, options: [...f.options, newOptionDraft()] }));
    // Focus the new input once it is rendered.
    window.requestAnimationFrame(() => document.getElementById(fieldId(`options.${index}`))?.focus());
  }

  /**
   * Enter in an option field never submits the half-filled form: it moves to the next
   * option, or on the last one adds an option (when it has text and there is room).
   */
  function onOptionKeyDown(event: React.KeyboardEvent<HTMLInputElement>, index: number) {
    if (event.key !== 'Enter' || event.nativeEvent.isComposing) return;
    event.preventDefault();
    const next = document.getElementById(fieldId(`options.${index + 1}`));
    if (next) next.focus();
    else if (form.options[index]?.text.trim()) addOption();
  }

  function removeOption(index: number) {
    if (form.options.length <= LIMITS.optionsMin) return;
    setForm((f) => ({ ...f, options: f.options.filter((_, i) => i !== index) }));
    // Errors are keyed by position: they no longer fit.
    setErrors((e) => Object.fromEntries(Object.entries(e).filter(([k]) => !k.startsWith('options.'))));
    announce(`Option ${index + 1} removed.`);
    const next = Math.min(index, form.options.length - 2);
    window.requestAnimationFrame(() => {
      const target = document.getElementById(fieldId(`options.${next}`));
      (target ?? addButton.current)?.focus();
    });
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const local = validatePollForm(form);
    if (Object.keys(local).length) {
      setErrors(local);
      setGeneral([]);
      setAttempt((n) => n + 1);
      return;
    }
    const result = await createPoll({ input: toCreatePollInput(form) });
    const id = result.data?.createPoll.id;
    if (id) {
      announce('Poll created.');
      navigate(`/polls/${id}`, { state: { created: true } });
      return;
    }
    const all = apiErrors(result.error);
    const split = formErrors(all);
    setErrors(split.fields);
    setGeneral(split.general.map((e) => describeError(e, { online })));
    const seconds = retryAfter(all);
    if (seconds) wait.start(seconds);
    setAttempt((n) => n + 1);
  }

  const order = fieldOrder(form);
  const summary: SummaryItem[] = [
    ...general.map((message) => ({ message })),
    ...Object.entries(errors)
      .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
      .map(([key, message]) => ({ target: fieldId(key), message })),
  ];

  const counts = COUNT_LABELS[form.kind];
  const title = titleCounter(form.title);
  const optionCount = form.options.length;

  return (
    <div className="narrow">
      <PageHeading>Create a poll</PageHeading>
      <ErrorSummary items={summary} attempt={attempt} />
      <form onSubmit={onSubmit} noValidate className="stack poll-form">
        <TextField
          id={fieldId('title')}
          label="Question"
          value={form.title}
          onChange={(e) => update('title', e.target.value)}
          hint={
            <span className={`char-count${title.over ? ' char-count-over' : title.near ? ' char-count-near' : ''}`} data-testid="title-counter">
              {title.text}
            </span>
          }
          error={errors.title}
          required
        />
        {/* Read out only near the limit, so typing a short question stays quiet. */}
        <p className="visually-hidden" aria-live="polite" data-testid="title-counter-live">
          {title.near ? title.text : ''}
        </p>
        <TextAreaField
          id={fieldId('description')}
          label="Description (optional)"
          value={form.description}
          onChange={(e) => update('description', e.target.value)}
          hint={`More about the question, up to ${LIMITS.descriptionMax} characters.`}
          error={errors.description}
          rows={3}
        />

        <fieldset
          className={`fieldset${errors.options ? ' field-invalid' : ''}`}
          id={fieldId('options')}
          tabIndex={-1}
          aria-describedby={describedBy(fieldId('options'), true, errors.options)}
        >
          <legend>Options</legend>
          <p className="field-hint" id={`${fieldId('options')}-hint`}>
            {LIMITS.optionsMin} to {LIMITS.optionsMax} different answers, in the order voters will see them.
          </p>
          {errors.options && (
            <p className="field-error" id={`${fieldId('options')}-error`}>
              {errors.options}
            </p>
          )}
          <ol className="option-inputs">
            {form.options.map((option, i) => {
              const key = `options.${i}`;
              const id = fieldId(key);
              return (
                <li key={option.key} className={`option-input${errors[key] ? ' field-invalid' : ''}`}>
                  <label htmlFor={id}>Option {i + 1}</label>
                  <div className="option-input-row">
                    <input
                      id={id}
                      value={option.text}
                      onChange={(e) => setOption(i, e.target.value)}
                      onKeyDown={(e) => onOptionKeyDown(e, i)}
                      enterKeyHint="next"
                      aria-invalid={errors[key] ? true : undefined}
                      aria-describedby={errors[key] ? `${id}-error` : undefined}
                    />
                    <button
                      type="button"
                      className="button button-small button-secondary"
                      onClick={() => removeOption(i)}
                      disabled={optionCount <= LIMITS.optionsMin}
                      aria-label={`Remove option ${i + 1}`}
                    >
                      Remove
                    </button>
                  </div>
                  {errors[key] && (
                    <p className="field-error" id={`${id}-error`}>
                      {errors[key]}
                    </p>
                  )}
                </li>
              );
            })}
          </ol>
          <button
            ref={addButton}
            type="button"
            className="button button-secondary"
            onClick={addOption}
            disabled={optionCount >= LIMITS.optionsMax}
          >
            Add option
          </button>
        </fieldset>

        <fieldset className="fieldset" id={fieldId('kind')} tabIndex={-1}>
          <legend>How do voters answer?</legend>
          {KINDS.map((kind) => (
            <div className="choice" key={kind}>
              <input
                type="radio"
                id={`kind-${kind}`}
                name="kind"
                checked={form.kind === kind}
                onChange={() => update('kind', kind)}
                aria-describedby={`kind-${kind}-help`}
              />
              <label htmlFor={`kind-${kind}`}>{KIND[kind].label}</label>
              <p className="field-hint" id={`kind-${kind}-help`}>
                {KIND[kind].help}
              </p>
            </div>
          ))}
          {counts && (
            <div className="inline-fields">
              <TextField
                id={fieldId('minChoices')}
                label={counts.min}
                type="number"
                inputMode="numeric"
                min={1}
                max={optionCount}
                value={form.minChoices}
                onChange={(e) => update('minChoices', e.target.value)}
                hint={form.kind === 'SCORE' ? `Empty means all ${optionCount}: every option gets a score.` : 'Empty means 1.'}
                error={errors.minChoices}
              />
              <TextField
                id={fieldId('maxChoices')}
                label={counts.max}
                type="number"
                inputMode="numeric"
                min={1}
                max={optionCount}
                value={form.maxChoices}
                onChange={(e) => update('maxChoices', e.target.value)}
                hint={`Empty means all ${optionCount}.`}
                error={errors.maxChoices}
              />
            </div>
          )}
          {form.kind === 'SCORE' && (
            <div className="inline-fields">
              <TextField
                id={fieldId('scoreMin')}
                label="Lowest score"
                type="number"
                inputMode="numeric"
                min={LIMITS.scoreLowest}
                max={LIMITS.scoreHighest}
                value={form.scoreMin}
                onChange={(e) => update('scoreMin', e.target.value)}
                hint={`Empty means ${LIMITS.scoreMinDefault}. From ${LIMITS.scoreLowest} to ${LIMITS.scoreHighest}.`}
                error={errors.scoreMin}
              />
              <TextField
                id={fieldId('scoreMax')}
                label="Highest score"
                type="number"
                inputMode="numeric"
                min={LIMITS.scoreLowest}
                max={LIMITS.scoreHighest}
                value={form.scoreMax}
                onChange={(e) => update('scoreMax', e.target.value)}
                hint={`Empty means ${LIMITS.scoreMaxDefault}. At most ${LIMITS.scoreSpanMax} above the lowest.`}
                error={errors.scoreMax}
              />
            </div>
          )}
        </fieldset>

        <fieldset className="fieldset">
          <legend>When can people vote?</legend>
          <p className="field-hint">Times are in your time zone ({timeZoneName()}).</p>
          <div className="inline-fields">
            <TextField
              id={fieldId('opensAt')}
              label="Opens (optional)"
              type="datetime-local"
              value={form.opensAt}
              onChange={(e) => update('opensAt', e.target.value)}
              hint="Empty opens it now."
              error={errors.opensAt}
            />
            <TextField
              id={fieldId('closesAt')}
              label="Closes (optional)"
              type="datetime-local"
              value={form.closesAt}
              onChange={(e) => update('closesAt', e.target.value)}
              hint="Empty: it stays open until you close it."
              error={errors.closesAt}
            />
          </div>
        </fieldset>

        <fieldset className="fieldset" id={fieldId('resultsVisibility')} tabIndex={-1}>
          <legend>Who sees the results?</legend>
          {VISIBILITIES.map((v) => (
            <div className="choice" key={v}>
              <input
                type="radio"
                id={`visibility-${v}`}
                name="resultsVisibility"
                checked={form.resultsVisibility === v}
                onChange={() => update('resultsVisibility', v)}
                aria-describedby={`visibility-${v}-help`}
              />
              <label htmlFor={`visibility-${v}`}>{VISIBILITY[v].label}</label>
              <p className="field-hint" id={`visibility-${v}-help`}>
                {VISIBILITY[v].help}
              </p>
            </div>
          ))}
        </fieldset>

        <div className="choice">
          <input
            type="checkbox"
            id={fieldId('allowVoteChange')}
            checked={form.allowVoteChange}
            onChange={(e) => update('allowVoteChange', e.target.checked)}
          />
          <label htmlFor={fieldId('allowVoteChange')}>Let voters change or retract their vote while the poll is open</label>
        </div>

        <fieldset className="fieldset" id={fieldId('listing')} tabIndex={-1}>
          <legend>Who can find the poll?</legend>
          {LISTINGS.map((l) => (
            <div className="choice" key={l}>
              <input
                type="radio"
                id={`listing-${l}`}
                name="listing"
                checked={form.listing === l}
                onChange={() => update('listing', l)}
                aria-describedby={`listing-${l}-help`}
              />
              <label htmlFor={`listing-${l}`}>{LISTING[l].label}</label>
              <p className="field-hint" id={`listing-${l}-help`}>
                {LISTING[l].help}
              </p>
            </div>
          ))}
        </fieldset>

        <fieldset className="fieldset" id={fieldId('voters')} tabIndex={-1}>
          <legend>Who can vote?</legend>
          {VOTER_CHOICES.map((v) => (
            <div className="choice" key={v}>
              <input
                type="radio"
                id={`voters-${v}`}
                name="voters"
                checked={form.voters === v}
                onChange={() => update('voters', v)}
                aria-describedby={`voters-${v}-help`}
              />
              <label htmlFor={`voters-${v}`}>{VOTERS[v].label}</label>
              <p className="field-hint" id={`voters-${v}-help`}>
                {VOTERS[v].help}
              </p>
            </div>
          ))}
        </fieldset>

        <div className="choice">
          <input
            type="checkbox"
            id={fieldId('anonymous')}
            checked={form.anonymous}
            onChange={(e) => update('anonymous', e.target.checked)}
            aria-describedby={`${fieldId('anonymous')}-help`}
          />
          <label htmlFor={fieldId('anonymous')}>{ANONYMOUS.label}</label>
          <p className="field-hint" id={`${fieldId('anonymous')}-help`}>
            {ANONYMOUS.help}
          </p>
        </div>

        <div className="actions">
          <button type="submit" className="button" disabled={fetching || wait.remaining > 0}>
            {fetching ? 'Creating…' : wait.remaining > 0 ? `Try again in ${wait.remaining} s` : 'Create poll'}
          </button>
        </div>
      </form>
    </div>
  );
}
