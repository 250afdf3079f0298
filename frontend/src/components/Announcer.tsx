// Two visually hidden live regions: polite for news (result updates, "link copied"),
// assertive for errors. Screen readers read what is put in them.
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';

export type Politeness = 'polite' | 'assertive';

type Announce = (message: string, politeness?: Politeness) => void;

const AnnouncerContext = createContext<Announce>(() => {});

export function AnnouncerProvider({ children }: { children: ReactNode }) {
  const [polite, setPolite] = useState('');
  const [assertive, setAssertive] = useState('');
  const timers = useRef<Record<Politeness, number | undefined>>({ polite: undefined, assertive: undefined });

  const announce = useCallback<Announce>((message, politeness = 'polite') => {
    const set = politeness === 'polite' ? setPolite : setAssertive;
    // Empty first, then the message: the same text twice is still read twice.
    set('');
    window.clearTimeout(timers.current[politeness]);
    timers.current[politeness] = window.setTimeout(() => set(message), 100);
  }, []);

  const value = useMemo(() => announce, [announce]);
  return (
    <AnnouncerContext.Provider value={value}>
      {children}
      <div className="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-testid="announcer-polite">
        {polite}
      </div>
      <div className="visually-hidden" role="alert" aria-live="assertive" aria-atomic="true" data-testid="announcer-assertive">
        {assertive}
      </div>
    </AnnouncerContext.Provider>
  );
}

export function useAnnounce(): Announce {
  return useContext(AnnouncerContext);
}
