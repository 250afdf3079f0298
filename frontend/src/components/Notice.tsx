// A message box. How it reaches screen reader users is the caller's choice:
// - `focusOnShow`: focus moves to it (its text is read; no live role, so it is not read twice);
// - `role`: a live region of its own (for messages that appear without an action);
// - neither: the caller announces it through the Announcer.
import { useEffect, useRef, type ReactNode } from 'react';

export type NoticeTone = 'error' | 'info' | 'success' | 'warning';

interface NoticeProps {
  tone: NoticeTone;
  title?: string;
  children: ReactNode;
  /** Focus the notice when it appears and whenever `focusKey` changes. */
  focusOnShow?: boolean;
  focusKey?: unknown;
  role?: 'alert' | 'status';
  testId?: string;
}

export function Notice({ tone, title, children, focusOnShow = false, focusKey, role, testId }: NoticeProps) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (focusOnShow) ref.current?.focus();
  }, [focusOnShow, focusKey]);
  return (
    <div ref={ref} className={`notice notice-${tone}`} role={role} tabIndex={-1} data-testid={testId}>
      {title && <p className="notice-title">{title}</p>}
      <div className="notice-body">{children}</div>
    </div>
  );
}
