// The "new poll" form: its state, the checks it makes before sending (the same rules the
// API enforces, so most mistakes are caught without a round trip), and the input it sends.
import type { CreatePollInput, PollKind, PollListing, PollVoters, ResultsVisibility } from '../gql/graphql';
import { localInputToIso } from './datetime';

export const LIMITS = {
  titleMax: 200,
  descriptionMax: 2000,
  optionsMin: 2,
  optionsMax: 20,
  optionTextMax: 200,
  /** The server's SCORE_LOWEST, SCORE_HIGHEST and SCORE_SPAN_MAX (api/src/domain/kinds/mod.rs, `limits`). */
  scoreLowest: -10,
  scoreHighest: 100,
  scoreSpanMax: 10,
  /** The server's SCORE_MIN_DEFAULT and SCORE_MAX_DEFAULT: a SCORE poll's range when left empty. */
  scoreMinDefault: 0,
  scoreMaxDefault: 5,
} as const;

/** Kinds whose ballots choose, rank or score a number of options the poll may set. */
export function hasChoiceCounts(kind: PollKind): boolean {
  return kind !== 'SINGLE';
}

export interface OptionDraft {
  /** Stable React key; never sent. */
  key: string;
  text: string;
}

export interface PollFormState {
  title: string;
  description: string;
  options: OptionDraft[];
  kind: PollKind;
  /** As typed in the number inputs; "" means the API's default. */
  minChoices: string;
  maxChoices: string;
  /** SCORE: the range, as typed; "" means the API's default (0 and 5). */
  scoreMin: string;
  scoreMax: string;
  /** `datetime-local` values; "" means none. */
  opensAt: string;
  closesAt: string;
  resultsVisibility: ResultsVisibility;
  allowVoteChange: boolean;
  /** UNLISTED (the API's default): only people with the link find the poll. */
  listing: PollListing;
  /** ACCOUNTS (the API's default), GUESTS or INVITED. */
  voters: PollVoters;
  /** Ballots under a per-poll pseudonym of the voter; fixed once the poll exists. */
  anonymous: boolean;
}

let nextKey = 0;
export function newOptionDraft(text = ''): OptionDraft {
  nextKey += 1;
  return { key: `option-${nextKey}`, text };
}

export function initialPollForm(): PollFormState {
  return {
    title: '',
    description: '',
    options: [newOptionDraft(), newOptionDraft()],
    kind: 'SINGLE',
    minChoices: '',
    maxChoices: '',
    scoreMin: '',
    scoreMax: '',
    opensAt: '',
    closesAt: '',
    resultsVisibility: 'ALWAYS',
    allowVoteChange: false,
    listing: 'UNLISTED',
    voters: 'ACCOUNTS',
    anonymous: false,
  };
}

/** How the API compares option texts, approximately: trimmed, NFC, lower case. */
export function optionKey(text: string): string {
  return text.trim().normalize('NFC').toLowerCase();
}

function chars(text: string): number {
  return [...text.trim()].length;
}

function parseCount(value: string): number | null | undefined {
  if (value.trim() === '') return null;
  const n = Number(value);
  return Number.isInteger(n) ? n : undefined;
}

/** The words for "choose", by kind, in the count fields' messages. */
function verb(kind: PollKind): string {
  return kind === 'RANKED' ? 'ranked' : kind === 'SCORE' ? 'scored' : 'choices';
}

/** minChoices/maxChoices: whole numbers, at least 1, at most the options, fewest ≤ most. */
function checkChoiceCounts(state: PollFormState, count: number, errors: Record<string, string>): void {
  const min = parseCount(state.minChoices);
  const max = parseCount(state.maxChoices);
  if (min === undefined || (min !== null && min < 1)) errors.minChoices = 'Enter a whole number of at least 1, or leave it empty.';
  if (max === undefined || (max !== null && max < 1)) errors.maxChoices = 'Enter a whole number of at least 1, or leave it empty.';
  // SCORE's fewest defaults to every option; the others' to 1.
  const effectiveMin = typeof min === 'number' ? min : state.kind === 'SCORE' ? count : 1;
  const effectiveMax = typeof max === 'number' ? max : count;
  if (!errors.maxChoices && typeof max === 'number' && max > count) {
    errors.maxChoices = `At most ${count}: the poll has ${count} options.`;
  } else if (!errors.minChoices && !errors.maxChoices && effectiveMin > effectiveMax) {
    const word = verb(state.kind);
    errors[typeof max === 'number' ? 'maxChoices' : 'minChoices'] =
      word === 'choices'
        ? 'The most choices must be at least the fewest choices.'
        : `The most options ${word} must be at least the fewest options ${word}.`;
  }
}

/** scoreMin/scoreMax: whole numbers in the server's limits, min < max, span ≤ 10. */
function checkScoreRange(state: PollFormState, errors: Record<string, string>): void {
  const min = parseCount(state.scoreMin);
  const max = parseCount(state.scoreMax);
  const inLimits = (n: number) => n >= LIMITS.scoreLowest && n <= LIMITS.scoreHighest;
  const limitText = `Enter a whole number from ${LIMITS.scoreLowest} to ${LIMITS.scoreHighest}, or leave it empty.`;
  if (min === undefined || (min !== null && !inLimits(min))) errors.scoreMin = limitText;
  if (max === undefined || (max !== null && !inLimits(max))) errors.scoreMax = limitText;
  if (errors.scoreMin || errors.scoreMax) return;
  const low = min ?? LIMITS.scoreMinDefault;
  const high = max ?? LIMITS.scoreMaxDefault;
  const key = max !== null ? 'scoreMax' : 'scoreMin';
  if (high <= low) errors[key] = `The highest score must be above the lowest (${low}).`;
  else if (high - low > LIMITS.scoreSpanMax) {
    errors[key] = `Keep the range to ${LIMITS.scoreSpanMax + 1} scores at most (${low} to ${low + LIMITS.scoreSpanMax}).`;
  }
}

/** "12 of 200 characters": the title's live counter (in characters as the server counts them). */
export function titleCounter(title: string): { text: string; over: boolean; near: boolean } {
  const used = chars(title);
  const left = LIMITS.titleMax - used;
  return {
    text: left < 0 ? `${-left} characters too many (${used} of ${LIMITS.titleMax})` : `${used} of ${LIMITS.titleMax} characters`,
    over: left < 0,
    near: left <= TITLE_COUNTER_WARN,
  };
}

/** From this many characters left the counter is read out and shown in warning colour. */
export const TITLE_COUNTER_WARN = 20;

/** Field → message for every rule the form breaks; empty when it may be sent. */
export function validatePollForm(state: PollFormState, now: Date = new Date()): Record<string, string> {
  const errors: Record<string, string> = {};
  const title = chars(state.title);
  if (title === 0) errors.title = 'Enter a question.';
  else if (title > LIMITS.titleMax) errors.title = `Keep the question to ${LIMITS.titleMax} characters (it has ${title}).`;

  if (chars(state.description) > LIMITS.descriptionMax) {
    errors.description = `Keep the description to ${LIMITS.descriptionMax} characters.`;
  }

  const count = state.options.length;
  if (count < LIMITS.optionsMin || count > LIMITS.optionsMax) {
    errors.options = `A poll has ${LIMITS.optionsMin} to ${LIMITS.optionsMax} options.`;
  }
  const seen = new Map<string, number>();
  // At the minimum the Remove buttons are disabled: do not offer removing.
  const removable = count > LIMITS.optionsMin;
  state.options.forEach((option, i) => {
    const length = chars(option.text);
    if (length === 0) errors[`options.${i}`] = removable ? `Enter option ${i + 1}, or remove it.` : `Enter option ${i + 1}.`;
    else if (length > LIMITS.optionTextMax) errors[`options.${i}`] = `Keep option ${i + 1} to ${LIMITS.optionTextMax} characters.`;
    else {
      const first = seen.get(optionKey(option.text));
      if (first !== undefined) errors[`options.${i}`] = `Option ${i + 1} is the same as option ${first + 1}.`;
      else seen.set(optionKey(option.text), i);
    }
  });

  if (hasChoiceCounts(state.kind)) checkChoiceCounts(state, count, errors);
  if (state.kind === 'SCORE') checkScoreRange(state, errors);

  const opens = localInputToIso(state.opensAt);
  const closes = localInputToIso(state.closesAt);
  if (opens === undefined) errors.opensAt = 'Enter a valid date and time, or leave it empty.';
  if (closes === undefined) errors.closesAt = 'Enter a valid date and time, or leave it empty.';
  if (typeof closes === 'string') {
    const closesAt = new Date(closes).getTime();
    if (closesAt <= now.getTime()) errors.closesAt = 'The closing time must be in the future.';
    else if (typeof opens === 'string' && closesAt <= new Date(opens).getTime()) {
      errors.closesAt = 'The closing time must be after the opening time.';
    }
  }
  return errors;
}

/** The `createPoll` input for a form that passed {@link validatePollForm}. */
export function toCreatePollInput(state: PollFormState): CreatePollInput {
  const input: CreatePollInput = {
    title: state.title.trim(),
    options: state.options.map((o) => o.text.trim()),
    kind: state.kind,
    resultsVisibility: state.resultsVisibility,
    allowVoteChange: state.allowVoteChange,
    listing: state.listing,
    voters: state.voters,
    anonymous: state.anonymous,
  };
  const description = state.description.trim();
  if (description) input.description = description;
  if (hasChoiceCounts(state.kind)) {
    const min = parseCount(state.minChoices);
    const max = parseCount(state.maxChoices);
    if (typeof min === 'number') input.minChoices = min;
    if (typeof max === 'number') input.maxChoices = max;
  }
  if (state.kind === 'SCORE') {
    const min = parseCount(state.scoreMin);
    const max = parseCount(state.scoreMax);
    if (typeof min === 'number') input.scoreMin = min;
    if (typeof max === 'number') input.scoreMax = max;
  }
  const opens = localInputToIso(state.opensAt);
  const closes = localInputToIso(state.closesAt);
  if (opens) input.opensAt = opens;
  if (closes) input.closesAt = closes;
  return input;
}

/** The order fields appear in the form, to focus the first one with an error. */
export function fieldOrder(state: PollFormState): string[] {
  return [
    'title',
    'description',
    'options',
    ...state.options.map((_, i) => `options.${i}`),
    'kind',
    'minChoices',
    'maxChoices',
    'scoreMin',
    'scoreMax',
    'opensAt',
    'closesAt',
    'resultsVisibility',
    'allowVoteChange',
    'listing',
    'voters',
    'anonymous',
  ];
}

/** The DOM id of a field's input (and `${id}-error` for its message). */
export function fieldId(key: string): string {
  return `poll-${key.replace(/\./g, '-')}`;
}
