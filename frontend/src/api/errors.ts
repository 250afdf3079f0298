// The one place API failures become things the app can act on and words people can read.
import type { CombinedError } from '@urql/core';

import type { ErrorCode } from '../gql/enums';

/** The `extensions.code` values of the server's catalogue, generated from its schema. */
export type { ErrorCode };

/** Codes the app gives failures the server did not answer: `NETWORK` when it was not reached, `UNKNOWN` for an error without a code. */
export type ClientCode = 'NETWORK' | 'UNKNOWN';

/** Every code an {@link ApiError} may carry that this app knows. */
export type KnownCode = ErrorCode | ClientCode;

/** One failure, flattened from a GraphQL error or a network error. */
export interface ApiError {
  /** `extensions.code`, `NETWORK` when the server was not reached, `UNKNOWN` without a code. */
  code: KnownCode | (string & {});
  /** The server's message (written for developers; see {@link describeError} for people). */
  message: string;
  /** For `BAD_USER_INPUT`: the input path, e.g. `input.options.2`. */
  field?: string;
  /** For `RATE_LIMITED` and `OVERLOADED`: whole seconds to wait. */
  retryAfterSeconds?: number;
  /** Where in the response the error belongs, e.g. `["poll", "results"]`. */
  path?: ReadonlyArray<string | number>;
  /** For `CLAIM_CONFLICT`: the polls both the guest and the account voted on. */
  pollIds?: string[];
}

/** API errors as something to throw, for flows written as plain async functions. */
export class ApiFailure extends Error {
  constructor(readonly errors: ApiError[]) {
    super(errors.map((e) => `${e.code}: ${e.message}`).join('; ') || 'API failure');
    this.name = 'ApiFailure';
  }
}

/** The errors a caught value carries: an {@link ApiFailure}'s, or NETWORK for a failed fetch. */
export function errorsOf(caught: unknown): ApiError[] {
  if (caught instanceof ApiFailure) return caught.errors;
  const message = caught instanceof Error ? caught.message : String(caught);
  return [{ code: caught instanceof TypeError ? 'NETWORK' : 'UNKNOWN', message }];
}

/** The shape of a GraphQL error as far as this module reads it. */
export interface GraphQLErrorLike {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Readonly<Record<string, unknown>>;
}

export function fromGraphQLError(error: GraphQLErrorLike): ApiError {
  const ext = error.extensions ?? {};
  const code = typeof ext.code === 'string' ? ext.code : 'UNKNOWN';
  const result: ApiError = { code, message: error.message };
  if (typeof ext.field === 'string') result.field = ext.field;
  if (typeof ext.retryAfterSeconds === 'number' && Number.isFinite(ext.retryAfterSeconds)) {
    result.retryAfterSeconds = Math.max(1, Math.ceil(ext.retryAfterSeconds));
  }
  if (error.path) result.path = error.path;
  if (Array.isArray(ext.pollIds)) result.pollIds = ext.pollIds.filter((id): id is string => typeof id === 'string');
  return result;
}

/** Every failure in an urql result, GraphQL errors first; empty when there is none. */
export function apiErrors(error: CombinedError | undefined | null): ApiError[] {
  if (!error) return [];
  const fromGraphQL = error.graphQLErrors.map(fromGraphQLError);
  if (fromGraphQL.length > 0) return fromGraphQL;
  if (error.networkError || error.response !== undefined) {
    return [{ code: 'NETWORK', message: error.networkError?.message ?? error.message }];
  }
  return [{ code: 'UNKNOWN', message: error.message }];
}

export function hasCode(errors: readonly ApiError[], code: KnownCode): boolean {
  return errors.some((e) => e.code === code);
}

/** Errors not located under `path` (e.g. to tell a hidden `poll.results` from a failed query). */
export function errorsOutside(
  errors: readonly ApiError[],
  path: ReadonlyArray<string | number>,
): ApiError[] {
  return errors.filter((e) => !e.path || !path.every((segment, i) => e.path?.[i] === segment));
}

/** Errors located under `path`. */
export function errorsAt(
  errors: readonly ApiError[],
  path: ReadonlyArray<string | number>,
): ApiError[] {
  const outside = new Set(errorsOutside(errors, path));
  return errors.filter((e) => !outside.has(e));
}

export function capitalize(text: string): string {
  const trimmed = text.trim();
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
}

function sentence(text: string): string {
  const s = capitalize(text);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

export function waitPhrase(seconds: number | undefined): string {
  if (seconds === undefined) return 'in a moment';
  return seconds === 1 ? 'in 1 second' : `in ${seconds} seconds`;
}

/** Context that changes how an error reads. */
export interface DescribeContext {
  /** `navigator.onLine` at the time. */
  online?: boolean;
}

/** A message for people, one or two sentences, for any API failure. */
export function describeError(error: ApiError, context: DescribeContext = {}): string {
  // Typed as the known codes so a misspelt case fails the type check; a code newer
  // than this app falls to the default.
  switch (error.code as KnownCode) {
    case 'NETWORK':
      return context.online === false
        ? 'You are offline. Reconnect to the internet, then try again.'
        : 'Could not reach Tally. Check your connection, then try again.';
    case 'UNAUTHENTICATED':
      return 'Your session has ended. Please sign in again.';
    case 'FORBIDDEN':
      return error.message ? sentence(error.message) : 'You are not allowed to do that.';
    case 'NOT_FOUND':
      return error.message ? sentence(error.message) : 'That was not found.';
    case 'BAD_USER_INPUT':
      return sentence(error.field ? humanizeFieldMessage(error.message) : error.message);
    case 'USERNAME_TAKEN':
      return 'That username is taken. Please choose another one.';
    case 'INVALID_CREDENTIALS':
      return 'Wrong username or password.';
    case 'POLL_NOT_OPEN':
      return `${sentence(error.message || 'this poll is not open')} Votes are not accepted now.`;
    case 'INVALID_OPTION':
      return sentence(error.message || 'those choices do not fit this poll');
    case 'ALREADY_VOTED':
      return 'You have already voted in this poll.';
    case 'IDEMPOTENCY_KEY_REUSED':
      return 'That vote was already sent with different choices. Please try again.';
    case 'RESULTS_HIDDEN':
      return sentence(error.message || 'the results are hidden for now');
    case 'LIMIT_REACHED':
      return sentence(error.message || 'you have reached the limit for this');
    case 'RATE_LIMITED':
      return `Too many attempts. Please try again ${waitPhrase(error.retryAfterSeconds)}.`;
    case 'OVERLOADED':
      return `Tally is busy right now. Please try again ${waitPhrase(error.retryAfterSeconds)}.`;
    case 'TIMEOUT':
      return 'The request took too long. Please try again.';
    case 'INTERNAL':
      return 'Something went wrong on our side. Please try again.';
    case 'NOT_INVITED':
      return 'This poll is for invited people only. Open the invitation link you were given, then vote.';
    case 'INVITATION_NOT_FOUND':
      return 'This invitation link is not valid. Check that you have the whole link, or ask the poll’s owner for a new one.';
    case 'INVITATION_REVOKED':
      return 'The poll’s owner withdrew this invitation. Ask them for a new one.';
    case 'INVITATION_ALREADY_REDEEMED':
      return 'Someone else already used this invitation: each one is for one person. Ask the poll’s owner for your own.';
    case 'GUESTS_NOT_ALLOWED':
      return 'This poll takes votes from accounts only. Sign in or create an account to vote.';
    case 'PROOF_OF_WORK_REQUIRED':
    case 'PROOF_OF_WORK_INVALID':
      return 'Your browser’s check before voting as a guest did not pass. Please try again.';
    case 'PROOF_OF_WORK_EXPIRED':
    case 'PROOF_OF_WORK_REUSED':
      return 'Your browser’s check before voting as a guest ran out of time. Please try again.';
    case 'CLAIM_CONFLICT':
      return 'Your guest votes were not moved: your account has already voted in some of the same polls.';
    case 'GUEST_ALREADY_CLAIMED':
      return 'Those guest votes were already moved to an account.';
    default:
      return `Something went wrong (${error.code}). Please try again.`;
  }
}

/** The longest wait any of the errors asks for, if one does. */
export function retryAfter(errors: readonly ApiError[]): number | undefined {
  const waits = errors
    .filter((e) => e.code === 'RATE_LIMITED' || e.code === 'OVERLOADED')
    .map((e) => e.retryAfterSeconds ?? 1);
  return waits.length ? Math.max(...waits) : undefined;
}

// --- BAD_USER_INPUT fields -------------------------------------------------------------

/**
 * The form field an `extensions.field` path names, without the argument name:
 * `input.options.2` → `options.2`, `input.title` → `title`.
 */
export function fieldKey(path: string, argument = 'input'): string {
  return path.startsWith(`${argument}.`) ? path.slice(argument.length + 1) : path;
}

/** `options.2` → 2; anything else → undefined. */
export function optionIndex(key: string): number | undefined {
  const match = /^options\.(\d+)$/.exec(key);
  return match ? Number(match[1]) : undefined;
}

const FIELD_WORDS: Record<string, string> = {
  title: 'the title',
  description: 'the description',
  options: 'the options',
  minChoices: 'the minimum number of choices',
  maxChoices: 'the maximum number of choices',
  opensAt: 'the opening time',
  closesAt: 'the closing time',
  username: 'the username',
  password: 'the password',
  optionIds: 'the chosen options',
  idempotencyKey: 'the request key',
};

/** How a form field is named in a sentence: `options.2` → `option 3`. */
export function fieldWords(key: string): string {
  const index = optionIndex(key);
  if (index !== undefined) return `option ${index + 1}`;
  return FIELD_WORDS[key] ?? key;
}

/**
 * The server names fields by their input names ("closesAt must be after opensAt");
 * this puts them in words ("The closing time must be after the opening time").
 */
export function humanizeFieldMessage(message: string): string {
  // Identifiers anywhere (`closesAt`, `options.2`); plain words only as the subject at
  // the start ("title has 1 to 200 characters"), so "the number of options" stays as is.
  const identifier = /\b(options\.\d+|[a-z]+[A-Z][A-Za-z]*)\b/g;
  const words = (text: string) =>
    text.replace(identifier, (word) =>
      FIELD_WORDS[word] !== undefined || optionIndex(word) !== undefined ? fieldWords(word) : word,
    );
  const subject = /^(title|description|options|username|password)\b/;
  // Quoted parts are the user's own text (`option "title" appears twice`): leave them be.
  const parts = message.trim().split(/("[^"]*")/);
  const text = parts.map((part, i) => (i % 2 === 1 ? part : words(part))).join('');
  return capitalize(text.replace(subject, (word) => fieldWords(word)));
}

/** Field errors keyed by form field (see {@link fieldKey}), and the errors that name no field. */
export interface FormErrors {
  fields: Record<string, string>;
  general: ApiError[];
}

/** Splits API errors into messages at form fields and the rest. */
export function formErrors(errors: readonly ApiError[], argument = 'input'): FormErrors {
  const result: FormErrors = { fields: {}, general: [] };
  for (const error of errors) {
    if (error.code === 'BAD_USER_INPUT' && error.field) {
      const key = fieldKey(error.field, argument);
      result.fields[key] ??= sentence(humanizeFieldMessage(error.message));
    } else {
      result.general.push(error);
    }
  }
  return result;
}
