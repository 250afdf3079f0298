// A page's <h1>. It takes focus when a page is shown after navigation, so keyboard and
// screen reader users start reading at the new page's top (not on the first load).
import { useEffect, useRef, type ReactNode } from 'react';

let firstPage = true;

export function PageHeading({ children, id }: { children: ReactNode; id?: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (firstPage) {
      firstPage = false;
      return;
    }
    ref.current?.focus({ preventScroll: false });
  }, []);
  return (
    <h1 ref={ref} id={id} tabIndex={-1} className="page-heading">
      {children}
    </h1>
  );
}
