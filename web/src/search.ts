// The territory search box of the comparison and access views: after two characters,
// the API's matches (/api/search: communes, EPCI, arrondissements, départements,
// régions, saved perimeters) as buttons under the input; a click hands the key and
// name to the view. Answers that come back after a newer keystroke are dropped.

import { api, type Found } from './api';

export function territorySearch(
  input: HTMLInputElement,
  box: HTMLElement,
  esc: (s: string | null | undefined) => string,
  pick: (found: Found) => void,
) {
  let seq = 0;
  let shown: Found[] = [];
  input.oninput = async () => {
    const text = input.value.trim();
    const n = ++seq;
    const found = text.length >= 2 ? await api.search(text).catch(() => []) : [];
    if (n !== seq) return;
    shown = found;
    box.innerHTML = found
      .map((f) => `<button type="button" class="found" data-add="${esc(f.key)}">${esc(f.name)} <small>${esc(f.key)}</small></button>`)
      .join('');
  };
  box.onclick = (e) => {
    const key = (e.target as HTMLElement).closest('button')?.dataset.add;
    const f = shown.find((x) => x.key === key);
    if (!f) return;
    seq++;
    box.innerHTML = '';
    input.value = '';
    pick(f);
  };
}
