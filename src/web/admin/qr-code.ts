import { renderSVG } from 'uqr';
import { escapeHtml, raw, type SafeHtml } from './html.ts';

/**
 * A QR code as inline SVG, labelled for screen readers. uqr (unjs, no dependencies) writes only
 * a rect and a path with fill attributes: no script and no style attribute, so the CSP holds.
 * Its size comes from the `.qr` class (admin.css).
 */
export function qrCode(text: string, label: string): SafeHtml {
  const svg = renderSVG(text, { pixelSize: 4 });
  return raw(svg.replace('<svg ', `<svg class="qr" role="img" aria-label="${escapeHtml(label)}" `));
}
