// Formatting for the screen, in one place: French numbers (narrow no-break space between
// thousands, decimal comma), percentages, HTML escaping and file-name slugs.

import { t } from './i18n';

const formats = new Map<number, Intl.NumberFormat>();

/** A number with `decimals` decimals in the interface's locale; "n/d" when missing. */
export function fmt(v: number | null | undefined, decimals = 0): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return t.missing;
  let f = formats.get(decimals);
  if (!f) {
    f = new Intl.NumberFormat(t.locale, { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
    formats.set(decimals, f);
  }
  return f.format(v);
}

/** A percentage already in percent: "12,3 %". */
export function pct(v: number | null | undefined, decimals = 1): string {
  return v === null || v === undefined ? t.missing : `${fmt(v, decimals)} %`;
}

/** A parameter with as many decimals as it was given (up to 3), so that 1,25 is not shown 1,3. */
export function fmtAsGiven(v: number | undefined): string {
  return fmt(v ?? null, Math.min(3, (String(v ?? '').split('.')[1] ?? '').length));
}

/** Text made safe for HTML content and attributes. */
export function esc(s: string | number | null | undefined): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A lowercase ASCII identifier from a name ("Lens et Béthune" → "lens-et-bethune"). */
export function slug(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The badge « privé » / « partagé » beside an object not everyone sees (nothing for a public one). */
export function visibilityBadge(v: { kind: string; owner?: string; with?: string[] } | undefined): string {
  if (!v || v.kind === 'public') return '';
  const title = v.kind === 'shared' ? t.visibility.sharedWith(v.with ?? []) : t.visibility.privateTo(v.owner ?? '');
  const label = v.kind === 'shared' ? t.visibility.shared : t.visibility.private;
  return ` <span class="badge visibility-${esc(v.kind)}" title="${esc(title)}">${esc(label)}</span>`;
}
