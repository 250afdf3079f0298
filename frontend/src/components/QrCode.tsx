import { useMemo } from 'react';
import { qrDrawing } from '../lib/qr';

/** A QR code for `value`, as SVG (crisp at any size, prints well). */
export function QrCode({ value, label, size = 176 }: { value: string; label: string; size?: number }) {
  const drawing = useMemo(() => qrDrawing(value), [value]);
  return (
    <svg
      className="qr-code"
      role="img"
      aria-label={label}
      width={size}
      height={size}
      viewBox={`0 0 ${drawing.size} ${drawing.size}`}
      shapeRendering="crispEdges"
      data-testid="qr-code"
    >
      <rect width={drawing.size} height={drawing.size} fill="#fff" />
      <path d={drawing.path} fill="#000" />
    </svg>
  );
}
