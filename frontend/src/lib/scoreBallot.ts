// A SCORE ballot as the voter fills it in: a score (or none) per option, checked against
// the poll's range and how many options must be scored before it is sent.

export interface ScoreRules {
  /** Lowest and highest score (the poll's scoreRange). */
  min: number;
  max: number;
  /** Fewest and most options a ballot scores. */
  minChoices: number;
  maxChoices: number;
  /** Options in the poll. */
  optionCount: number;
}

/** Option id → its score; an option left out is not scored. */
export type ScoreDraft = Readonly<Record<string, number>>;

export type ScoreCheck = { ok: true } | { ok: false; message: string };

function options(n: number): string {
  return n === 1 ? '1 option' : `${n} options`;
}

/** Every score a voter may give, lowest first. */
export function scoreSteps({ min, max }: Pick<ScoreRules, 'min' | 'max'>): number[] {
  const steps: number[] = [];
  for (let s = min; s <= max; s += 1) steps.push(s);
  return steps;
}

/** Whether a voter may leave options unscored. */
export function scoringOptional(rules: ScoreRules): boolean {
  return rules.minChoices < rules.optionCount;
}

/** What to tell a voter before they score. */
export function scoreHint(rules: ScoreRules): string {
  const range = `from ${rules.min} (worst) to ${rules.max} (best)`;
  const most = Math.min(rules.maxChoices, rules.optionCount);
  if (rules.minChoices >= rules.optionCount) return `Give every option a score ${range}.`;
  if (rules.minChoices <= 1 && most >= rules.optionCount) return `Score the options you have a view on, ${range}.`;
  if (rules.minChoices === most) return `Score exactly ${options(most)}, ${range}.`;
  return `Score ${Math.max(1, rules.minChoices)} to ${most} options, ${range}.`;
}

/** Whether `draft` is a ballot the poll accepts, and if not, why (for people). */
export function checkScores(draft: ScoreDraft, rules: ScoreRules): ScoreCheck {
  const entries = Object.entries(draft);
  const outside = entries.find(([, s]) => !Number.isInteger(s) || s < rules.min || s > rules.max);
  if (outside) return { ok: false, message: `Scores go from ${rules.min} to ${rules.max}.` };
  const count = entries.length;
  const fewest = Math.max(1, rules.minChoices);
  if (count === 0) return { ok: false, message: `Score at least ${options(fewest)} first.` };
  if (count < fewest) {
    return {
      ok: false,
      message:
        rules.minChoices >= rules.optionCount
          ? `Give every option a score (${count} of ${rules.optionCount} scored).`
          : `Score at least ${options(fewest)} (you scored ${count}).`,
    };
  }
  if (count > rules.maxChoices) return { ok: false, message: `Score at most ${options(rules.maxChoices)} (you scored ${count}).` };
  return { ok: true };
}

/** The draft after the voter picks `score` for `optionId` (null: not scored). */
export function setScore(draft: ScoreDraft, optionId: string, score: number | null): ScoreDraft {
  const next: Record<string, number> = { ...draft };
  if (score === null) delete next[optionId];
  else next[optionId] = score;
  return next;
}

/** The `scores` input in the poll's option order. */
export function toScoreInputs(draft: ScoreDraft, optionIds: readonly string[]): Array<{ optionId: string; score: number }> {
  return optionIds.filter((id) => draft[id] !== undefined).map((id) => ({ optionId: id, score: draft[id] as number }));
}

/** A draft from a stored ballot's scores (to change a vote). */
export function draftFrom(scores: ReadonlyArray<{ option: { id: string }; score: number }>): ScoreDraft {
  return Object.fromEntries(scores.map((s) => [s.option.id, s.score]));
}
