import { Link } from 'react-router';
import { PageHeading } from '../components/PageHeading';
import { useDocumentTitle } from '../hooks/useDocumentTitle';

export function NotFoundPage({ what = 'page' }: { what?: string }) {
  useDocumentTitle('Not found');
  return (
    <div className="narrow">
      <PageHeading>{what === 'page' ? 'Page not found' : `${what[0]?.toUpperCase()}${what.slice(1)} not found`}</PageHeading>
      <p>
        There is no {what} at this address. Check the link, or go to the <Link to="/">open polls</Link>.
      </p>
    </div>
  );
}
