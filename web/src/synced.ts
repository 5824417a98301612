// Small maps side by side for the comparison view: one per territory, the territory's
// communes outlined and the rest veiled, all coloured by the indicator shown on the main
// map; moving or zooming any of them moves the others (the camera is shared).

import maplibregl from 'maplibre-gl';
import type { Bounds, FeatureIds } from './api/types';
import { tileUrl } from './api';
import { colors as style } from './config';
import { t } from './i18n';

export interface SyncedSpec {
  key: string;
  name: string;
  /** Keys of the communes that make the territory. */
  members: string[];
  /** Caption under the name (the indicator's value there, for instance). */
  caption: string;
  /** The territory whose own shape is outlined (from its layer's tiles): for "per:x!outside", per:x. */
  outline: { layer: string; key: string; id: number } | null;
}

export class SyncedMaps {
  readonly maps: maplibregl.Map[] = [];
  private syncing = false;

  constructor(
    container: HTMLElement,
    specs: SyncedSpec[],
    ids: FeatureIds,
    colors: Map<string, string>,
    bounds: Bounds,
  ) {
    container.innerHTML = '';
    container.style.setProperty('--cols', String(specs.length <= 2 ? specs.length : 2));
    specs.forEach((spec, i) => {
      const cell = document.createElement('figure');
      cell.className = 'synced';
      cell.dataset.key = spec.key;
      const box = document.createElement('div');
      box.className = 'synced-map';
      box.id = `synced-map-${i}`;
      const cap = document.createElement('figcaption');
      const strong = document.createElement('strong');
      strong.textContent = spec.name;
      const small = document.createElement('span');
      small.className = 'synced-value';
      small.textContent = spec.caption;
      cap.append(strong, ' ', small);
      cell.append(cap, box);
      container.append(cell);
      const map = new maplibregl.Map({
        container: box,
        style: {
          version: 8,
          sources: {
            com: {
              type: 'vector',
              tiles: [tileUrl('com')],
              maxzoom: 12,
              bounds: ids.bounds,
            },
          },
          layers: [
            { id: 'background', type: 'background', paint: { 'background-color': style.background } },
            {
              id: 'fill',
              type: 'fill',
              source: 'com',
              'source-layer': 'com',
              paint: { 'fill-color': ['coalesce', ['feature-state', 'color'], style.noRow] as never },
            },
            {
              id: 'veil',
              type: 'fill',
              source: 'com',
              'source-layer': 'com',
              paint: {
                'fill-color': '#ffffff',
                'fill-opacity': ['case', ['boolean', ['feature-state', 'in'], false], 0, 0.75] as never,
              },
            },
            {
              id: 'line',
              type: 'line',
              source: 'com',
              'source-layer': 'com',
              paint: {
                'line-color': ['case', ['boolean', ['feature-state', 'in'], false], '#1f4fbf', '#999999'] as never,
                'line-width': [
                  'interpolate',
                  ['linear'],
                  ['zoom'],
                  7,
                  ['case', ['boolean', ['feature-state', 'in'], false], 0.35, 0.1],
                  10,
                  ['case', ['boolean', ['feature-state', 'in'], false], 1.2, 0.3],
                ] as never,
              },
            },
          ],
        },
        bounds: [
          [bounds[0], bounds[1]],
          [bounds[2], bounds[3]],
        ],
        fitBoundsOptions: { padding: 10 },
        maxZoom: 14,
        attributionControl: false,
        locale: t.mapControls,
        canvasContextAttributes: { preserveDrawingBuffer: true },
      });
      map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
      const members = new Set(spec.members);
      map.on('load', () => {
        const o = spec.outline;
        if (o) {
          if (o.layer !== 'com')
            map.addSource(o.layer, {
              type: 'vector',
              tiles: [tileUrl(o.layer)],
              maxzoom: 12,
            });
          map.addLayer({
            id: 'outline',
            type: 'line',
            source: o.layer,
            'source-layer': o.layer,
            filter: ['==', ['id'], o.id],
            paint: { 'line-color': style.outline, 'line-width': 2.2 },
          });
        }
        for (const [key, color] of colors) {
          const id = ids.ids[key];
          if (id !== undefined) map.setFeatureState({ source: 'com', sourceLayer: 'com', id }, { color, in: members.has(key) });
        }
        for (const key of members) {
          const id = ids.ids[key];
          if (id !== undefined) map.setFeatureState({ source: 'com', sourceLayer: 'com', id }, { in: true });
        }
      });
      map.on('move', () => this.follow(map));
      this.maps.push(map);
    });
  }

  /** Gives every other map the camera of `leader`. */
  private follow(leader: maplibregl.Map) {
    if (this.syncing) return;
    this.syncing = true;
    const camera = { center: leader.getCenter(), zoom: leader.getZoom(), bearing: leader.getBearing(), pitch: leader.getPitch() };
    for (const m of this.maps) if (m !== leader) m.jumpTo(camera);
    this.syncing = false;
  }

  destroy() {
    for (const m of this.maps) m.remove();
    this.maps.length = 0;
  }
}
