// The RANKED ballot: the voter builds an ordered list, favourite first. Every action is a
// button (add, move up, move down, remove), the drag handle also takes the arrow keys and
// Home/End, and dragging it with a mouse, pen or finger (pointer events) reorders the
// list. Focus stays on the item that moved, and each change is said in the live region
// ("Pizza moved to position 2 of 4."). The order rules live in lib/ranking.ts.
import { useLayoutEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { useBallotForm } from './useBallotForm';
import { useAnnounce } from '../../components/Announcer';
import {
  addedText,
  addToRanking,
  checkRanking,
  indexAtPoint,
  isRankingFull,
  moveBy,
  movedText,
  moveTo,
  ordinal,
  rankingHint,
  removedText,
  removeFromRanking,
  type RankingRules,
} from '../../lib/ranking';

interface RankingFormProps {
  options: ReadonlyArray<{ id: string; text: string }>;
  rules: RankingRules;
  /** A ranking to start from (changing a vote). */
  initial?: readonly string[];
  submitLabel: string;
  busyLabel: string;
  busy: boolean;
  blockedReason?: string;
  onSubmit(ranking: string[]): void;
  onCancel?: () => void;
  focusOnMount?: boolean;
  describedBy?: string;
}

/** Which control of which option gets focus after the next render. */
type FocusTarget = { id: string; control: 'handle' | 'up' | 'down' | 'remove' | 'add' };

/** A drag in progress: the option and the pointer that holds it. */
interface Drag {
  id: string;
  pointerId: number;
  /** Where it was picked up: a drag that ends there moved nothing and says nothing. */
  startIndex: number;
}

export function RankingForm({ options, rules, initial = [], submitLabel, busyLabel, busy, blockedReason, onSubmit, onCancel, focusOnMount = false, describedBy }: RankingFormProps) {
  const announce = useAnnounce();
  const known = new Set(options.map((o) => o.id));
  const [ranking, setRanking] = useState<string[]>(() => initial.filter((r) => known.has(r)));
  const { id, problem, setProblem, fieldset, submit, describe } = useBallotForm(ranking, (r) => checkRanking(r, rules), onSubmit, focusOnMount);
  const [drag, setDrag] = useState<Drag | null>(null);
  const items = useRef(new Map<string, HTMLLIElement>());
  const adds = useRef(new Map<string, HTMLButtonElement>());
  const focusNext = useRef<FocusTarget | null>(null);
  const textOf = (optionId: string) => options.find((o) => o.id === optionId)?.text ?? '';
  const unranked = options.filter((o) => !ranking.includes(o.id));
  const full = isRankingFull(ranking, rules);

  // After a change, put focus where the voter's action continues. React may have moved
  // the focused element in the DOM, which drops focus, so this runs after every render
  // that asked for it.
  useLayoutEffect(() => {
    const target = focusNext.current;
    if (!target) return;
    focusNext.current = null;
    if (target.control === 'add') {
      adds.current.get(target.id)?.focus();
      return;
    }
    const item = items.current.get(target.id);
    const wanted = item?.querySelector<HTMLButtonElement>(`[data-control="${target.control}"]`);
    const fallback = item?.querySelector<HTMLButtonElement>('[data-control="handle"]');
    (wanted && !wanted.disabled ? wanted : fallback)?.focus();
  });

  function change(next: string[], focus: FocusTarget | null, message: string) {
    setRanking(next);
    setProblem(null);
    focusNext.current = focus;
    announce(message);
  }

  function add(optionId: string) {
    const next = addToRanking(ranking, optionId, rules);
    if (next.length === ranking.length) return;
    // Continue with the next option not yet ranked, or the one just added when none is left.
    const rest = unranked.filter((o) => o.id !== optionId);
    const after = unranked.findIndex((o) => o.id === optionId);
    const following = rest[Math.min(after, rest.length - 1)];
    const focus: FocusTarget = following && !isRankingFull(next, rules) ? { id: following.id, control: 'add' } : { id: optionId, control: 'handle' };
    change(next, focus, addedText(textOf(optionId), next, optionId));
  }

  function remove(optionId: string) {
    const next = removeFromRanking(ranking, optionId);
    change(next, { id: optionId, control: 'add' }, removedText(textOf(optionId), next));
  }

  function move(optionId: string, delta: number, control: FocusTarget['control']) {
    const next = moveBy(ranking, optionId, delta);
    if (next.indexOf(optionId) === ranking.indexOf(optionId)) return;
    change(next, { id: optionId, control }, movedText(textOf(optionId), next, optionId));
  }

  function onHandleKey(event: KeyboardEvent<HTMLButtonElement>, optionId: string) {
    const delta = { ArrowUp: -1, ArrowDown: 1, Home: -ranking.length, End: ranking.length }[event.key];
    if (delta === undefined) return;
    event.preventDefault();
    move(optionId, delta, 'handle');
  }

  function onPointerDown(event: PointerEvent<HTMLButtonElement>, optionId: string) {
    if (event.pointerType === 'mouse' && event.button !== 0) return;
    event.preventDefault();
    event.currentTarget.setPointerCapture(event.pointerId);
    event.currentTarget.focus();
    setDrag({ id: optionId, pointerId: event.pointerId, startIndex: ranking.indexOf(optionId) });
  }

  function onPointerMove(event: PointerEvent<HTMLButtonElement>) {
    if (!drag || event.pointerId !== drag.pointerId) return;
    const rects = ranking.map((r) => items.current.get(r)?.getBoundingClientRect() ?? { top: 0, bottom: 0 });
    const from = ranking.indexOf(drag.id);
    const to = indexAtPoint(event.clientY, rects, from);
    if (to !== from) {
      setRanking(moveTo(ranking, from, to));
      focusNext.current = { id: drag.id, control: 'handle' };
    }
  }

  function onPointerEnd(event: PointerEvent<HTMLButtonElement>) {
    if (!drag || event.pointerId !== drag.pointerId) return;
    setDrag(null);
    if (ranking.indexOf(drag.id) === drag.startIndex) return;
    setProblem(null);
    announce(movedText(textOf(drag.id), ranking, drag.id));
  }

  const most = Math.min(rules.maxChoices, rules.optionCount);
  return (
    <form onSubmit={submit} noValidate className="vote-form ranking-form" data-testid="vote-form">
      <fieldset ref={fieldset} tabIndex={-1} aria-describedby={describe} className={`fieldset${problem ? ' field-invalid' : ''}`}>
        <legend>Your ranking</legend>
        <p className="field-hint" id={`${id}-hint`}>
          {rankingHint(rules)} {ranking.length} of {most} ranked.
        </p>
        <p className="field-hint" id={`${id}-keys`}>
          Reorder with the Up and Down buttons, or drag the handle (⠿). On the handle, the arrow keys move the option and
          Home or End move it to the top or bottom.
        </p>
        {problem && (
          <p className="field-error" id={`${id}-problem`} role="alert">
            {problem}
          </p>
        )}
        <h3 className="ranking-heading" id={`${id}-ranked`}>
          Ranked
        </h3>
        {ranking.length === 0 ? (
          <p className="ranking-empty">Nothing ranked yet. Add options below, your favourite first.</p>
        ) : (
          <ol className="ranking" aria-labelledby={`${id}-ranked`} data-testid="ranking">
            {ranking.map((optionId, index) => {
              const text = textOf(optionId);
              const dragging = drag?.id === optionId;
              return (
                <li
                  key={optionId}
                  ref={(el) => {
                    if (el) items.current.set(optionId, el);
                    else items.current.delete(optionId);
                  }}
                  className={`ranked-item${dragging ? ' ranked-dragging' : ''}`}
                  data-testid="ranked-item"
                  data-option={text}
                >
                  <span className="rank-number" aria-hidden="true">
                    {index + 1}
                  </span>
                  <button
                    type="button"
                    className="drag-handle"
                    data-control="handle"
                    aria-label={`${text}, ${ordinal(index + 1)} choice`}
                    aria-describedby={`${id}-keys`}
                    onKeyDown={(e) => onHandleKey(e, optionId)}
                    onPointerDown={(e) => onPointerDown(e, optionId)}
                    onPointerMove={onPointerMove}
                    onPointerUp={onPointerEnd}
                    onPointerCancel={onPointerEnd}
                  >
                    <span aria-hidden="true">⠿</span>
                  </button>
                  <span className="ranked-text">{text}</span>
                  <span className="ranked-actions">
                    <button
                      type="button"
                      className="button button-small button-secondary"
                      data-control="up"
                      aria-label={`Move ${text} up`}
                      disabled={index === 0}
                      onClick={() => move(optionId, -1, 'up')}
                    >
                      <span aria-hidden="true">↑</span> Up
                    </button>
                    <button
                      type="button"
                      className="button button-small button-secondary"
                      data-control="down"
                      aria-label={`Move ${text} down`}
                      disabled={index === ranking.length - 1}
                      onClick={() => move(optionId, 1, 'down')}
                    >
                      <span aria-hidden="true">↓</span> Down
                    </button>
                    <button
                      type="button"
                      className="button button-small button-secondary"
                      data-control="remove"
                      aria-label={`Remove ${text} from the ranking`}
                      onClick={() => remove(optionId)}
                    >
                      Remove
                    </button>
                  </span>
                </li>
              );
            })}
          </ol>
        )}
        {unranked.length > 0 && (
          <>
            <h3 className="ranking-heading" id={`${id}-unranked`}>
              Not ranked
            </h3>
            {full && <p className="field-hint">You have ranked the most options this poll allows. Remove one to add another.</p>}
            <ul className="unranked" aria-labelledby={`${id}-unranked`}>
              {unranked.map((option) => (
                <li key={option.id}>
                  <button
                    ref={(el) => {
                      if (el) adds.current.set(option.id, el);
                      else adds.current.delete(option.id);
                    }}
                    type="button"
                    className="button button-secondary unranked-add"
                    aria-label={`Add ${option.text} to the ranking`}
                    disabled={full}
                    onClick={() => add(option.id)}
                  >
                    <span aria-hidden="true">+</span> {option.text}
                  </button>
                </li>
              ))}
            </ul>
          </>
        )}
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
