// The territory search boxes: after two characters, the API's matches (/api/search:
// communes, EPCI, arrondissements, départements, régions, saved perimeters) under the
// input; a pick hands the match to the caller. Answers that come back after a newer
// keystroke are dropped.

import { api } from './api';
import type { Found } from './api/types';
import { SEARCH_LIMIT } from './config';
import { esc } from './format';

/** Matches of `input`'s text as `item(found)` HTML in `box`, once the typing has settled on them. */
function searchBox(input: HTMLInputElement, box: HTMLElement, item: (f: Found) => string): { shown: () => Found[]; reset: () => void } {
  let seq = 0;
  let shown: Found[] = [];
  input.oninput = async () => {
    const text = input.value.trim();
    const n = ++seq;
    const found = text.length >= 2 ? await api.search(text, SEARCH_LIMIT).catch(() => []) : [];
    if (n !== seq) return;
    shown = found;
    box.innerHTML = found.map(item).join('');
  };
  return {
    shown: () => shown,
    reset: () => {
      seq++;
      box.innerHTML = '';
      input.value = '';
    },
  };
}

/** A search whose matches are buttons; a click hands the match to `pick` (comparison, access). */
export function territorySearch(input: HTMLInputElement, box: HTMLElement, pick: (found: Found) => void) {
  const s = searchBox(input, box, (f) => `<button type="button" class="found" data-add="${esc(f.key)}">${esc(f.name)} <small>${esc(f.key)}</small></button>`);
  box.onclick = (e) => {
    const key = (e.target as HTMLElement).closest('button')?.dataset.add;
    const f = s.shown().find((x) => x.key === key);
    if (!f) return;
    s.reset();
    pick(f);
  };
}

/** The header's search: matches are links to their portraits. */
export function portraitSearch(input: HTMLInputElement, box: HTMLElement) {
  const s = searchBox(input, box, (f) => `<a href="#/portrait/${esc(f.key)}" class="found">${esc(f.name)} <small>${esc(f.key)}</small></a>`);
  box.onclick = () => s.reset();
}
