// What every ballot form (choices, ranking, scores) shares: the id its hint and problem
// hang off, the problem shown when the ballot does not fit the poll's rules, the fieldset
// that takes focus (on mount when asked, and when a submit is refused), and the submit
// that checks the ballot before handing it on. Each form keeps its own ballot state and
// the check that goes with it.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';

/** The outcome of checking a ballot against the poll's rules. */
export type BallotCheck = { ok: true } | { ok: false; message: string };

export function useBallotForm<T>(ballot: T, check: (ballot: T) => BallotCheck, onSubmit: (ballot: T) => void, focusOnMount: boolean) {
  const id = useId();
  const [problem, setProblem] = useState<string | null>(null);
  const fieldset = useRef<HTMLFieldSetElement>(null);

  useEffect(() => {
    if (focusOnMount) fieldset.current?.focus();
  }, [focusOnMount]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const checked = check(ballot);
    if (!checked.ok) {
      setProblem(checked.message);
      fieldset.current?.focus();
      return;
    }
    setProblem(null);
    onSubmit(ballot);
  }

  /** The fieldset's `aria-describedby`: the hint, and the problem while there is one. */
  const describe = [`${id}-hint`, problem ? `${id}-problem` : ''].filter(Boolean).join(' ');
  return { id, problem, setProblem, fieldset, submit, describe };
}
