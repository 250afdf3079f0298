// "There is a problem" box listing each field error as a link to its field. It takes focus
// when it appears (and on each new failed submit) so the reader hears what to fix; being
// focused, it has no live role (which would read it twice).
import { useEffect, useRef } from 'react';

export interface SummaryItem {
  /** DOM id of the field, or undefined for an error that names no field. */
  target?: string;
  message: string;
}

export function ErrorSummary({ items, attempt }: { items: SummaryItem[]; attempt: number }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (items.length) ref.current?.focus();
    // Focus again on every failed attempt, not on every edit.
  }, [attempt]);
  if (!items.length) return null;
  return (
    <div ref={ref} className="notice notice-error error-summary" tabIndex={-1} aria-labelledby="error-summary-title" data-testid="error-summary">
      <p className="notice-title" id="error-summary-title">
        {items.length === 1 ? 'There is a problem' : `There are ${items.length} problems`}
      </p>
      <ul>
        {items.map((item, i) => (
          <li key={`${item.target ?? 'general'}-${i}`}>
            {item.target ? (
              <a
                href={`#${item.target}`}
                onClick={(event) => {
                  const field = document.getElementById(item.target ?? '');
                  if (field) {
                    event.preventDefault();
                    field.focus();
                    field.scrollIntoView({ block: 'center' });
                  }
                }}
              >
                {item.message}
              </a>
            ) : (
              item.message
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
