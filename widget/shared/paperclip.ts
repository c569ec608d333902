/** A paperclip icon drawn in SVG, not a glyph: a colour-emoji font is not on every system. */
export function paperclip(size: number, className?: string): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', String(size));
  svg.setAttribute('height', String(size));
  svg.setAttribute('aria-hidden', 'true');
  if (className) svg.classList.add(className);
  const clip = document.createElementNS(ns, 'path');
  clip.setAttribute('d', 'M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5');
  clip.setAttribute('fill', 'none');
  clip.setAttribute('stroke', 'currentColor');
  clip.setAttribute('stroke-width', '2');
  clip.setAttribute('stroke-linecap', 'round');
  svg.append(clip);
  return svg;
}
