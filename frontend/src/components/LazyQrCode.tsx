// The QR code, loaded on demand: the qrcode encoder is a quarter of the app's script and
// a voter opening a poll does not need it to vote. Where the QR code is the point (right
// after creating a poll) it loads at once, a blank square of its size holding the place;
// elsewhere (`deferred`) a "Show QR code" button loads it when asked.
import { lazy, Suspense, useState } from 'react';

const QrCodeNow = lazy(() => import('./QrCode').then((m) => ({ default: m.QrCode })));

interface LazyQrCodeProps {
  value: string;
  label: string;
  size?: number;
  /** Wait for a click before loading the encoder. */
  deferred?: boolean;
}

export function QrCode({ deferred = false, ...props }: LazyQrCodeProps) {
  const [shown, setShown] = useState(!deferred);
  const size = props.size ?? 176;
  if (!shown) {
    return (
      <button type="button" className="button button-secondary" onClick={() => setShown(true)} data-testid="show-qr">
        Show QR code
      </button>
    );
  }
  return (
    <Suspense fallback={<span className="qr-code" style={{ display: 'inline-block', width: size, height: size }} aria-busy="true" />}>
      <QrCodeNow {...props} />
    </Suspense>
  );
}
