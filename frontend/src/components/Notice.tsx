// A message box. Errors use role="alert"; others role="status". `focusOnShow` moves focus
// to it (after an action) so the reader lands on the outcome.
import { useEffect, useRef, type ReactNode } from 'react';

export type NoticeTone = 'error' | 'info' | 'success' | 'warning';

interface NoticeProps {
  tone: NoticeTone;
  title?: string;
  children: ReactNode;
  /** Focus the notice when it appears and whenever `focusKey` changes. */
  focusOnShow?: boolean;
  focusKey?: unknown;
  testId?: string;
}

export function Notice({ tone, title, children, focusOnShow = false, focusKey, testId }: NoticeProps) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (focusOnShow) ref.current?.focus();
  }, [focusOnShow, focusKey]);
  return (
    <div
      ref={ref}
      className={`notice notice-${tone}`}
      role={tone === 'error' ? 'alert' : 'status'}
      tabIndex={-1}
      data-testid={testId}
    >
      {title && <p className="notice-title">{title}</p>}
      <div className="notice-body">{children}</div>
    </div>
  );
}
