// A QR code as one SVG path, drawn from the `qrcode` package's module matrix (offline).
import { create } from 'qrcode';

export interface ModuleMatrix {
  size: number;
  get(row: number, col: number): number | boolean;
}

/** An SVG path with a 1×1 square per dark module; consecutive squares in a row merge. */
export function modulesToPath(modules: ModuleMatrix, margin = 0): string {
  const parts: string[] = [];
  for (let row = 0; row < modules.size; row++) {
    let col = 0;
    while (col < modules.size) {
      if (!modules.get(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < modules.size && modules.get(row, col)) col++;
      parts.push(`M${start + margin} ${row + margin}h${col - start}v1h-${col - start}z`);
    }
  }
  return parts.join('');
}

export interface QrDrawing {
  /** Width and height in modules, quiet zone included. */
  size: number;
  path: string;
}

/** The drawing of `text` with a quiet zone of `margin` modules. */
export function qrDrawing(text: string, margin = 4): QrDrawing {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  return { size: modules.size + 2 * margin, path: modulesToPath(modules, margin) };
}
