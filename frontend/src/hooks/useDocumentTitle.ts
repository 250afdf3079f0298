import { useEffect } from 'react';

/** Sets the tab's title: "<page> · Tally". */
export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Tally` : 'Tally';
  }, [title]);
}
