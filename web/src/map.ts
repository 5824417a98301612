// The main map: a MapLibre map whose shapes come once per layer as vector tiles
// (/tiles/{layer}/…, source-layer named after the layer); their integer feature ids
// (/api/feature-ids?layer=) map to territory keys (tiles below zoom `properties_from` carry
// the id alone), and colours are set with feature-state,
// so changing indicator downloads no geometry again. A selection layer on the commune
// tiles outlines the territories a view picks (portrait, perimeter editor). The active
// view decides what a click on a shape does and whether hovering labels it.

import maplibregl from 'maplibre-gl';
import { api, tileUrl } from './api';
import type { Bounds, FeatureIds, ShapeCollection, ShapeFeature } from './api/types';
import { colors, JUMPS, MAP_LAYERS, METROPOLE } from './config';
import { t } from './i18n';

export interface ShapeEvents {
  /** A click on a territory of the layer shown. */
  click?: (key: string) => void;
  /** The label under the pointer for a territory, or null for none. */
  hover?: (key: string, name: string | undefined) => string | null;
}

export class MainMap {
  readonly map: maplibregl.Map;
  /** Feature ids per layer (set up once each). */
  readonly idsBy: Record<string, FeatureIds> = {};
  /** Territory key per feature id, per layer (the inverse of `idsBy`). */
  private keysBy: Record<string, Map<number, string>> = {};
  /** The layer whose shapes are on screen. */
  shown = '';
  /** What the active view does with clicks and hovers. */
  events: ShapeEvents = {};
  private selected = new Set<string>();
  private readonly ready: Promise<void>;

  constructor(container: HTMLElement, private readonly hoverBox: HTMLElement) {
    this.map = new maplibregl.Map({
      container,
      style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': colors.background } }] },
      center: [2.5, 46.6],
      zoom: 4.8,
      maxZoom: 14,
      attributionControl: false,
      locale: t.mapControls,
      canvasContextAttributes: { preserveDrawingBuffer: true },
    });
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    this.map.addControl(new JumpControl(this), 'top-left');
    this.ready = new Promise((resolve) => this.map.on('load', () => resolve()));
    this.map.on('mouseout', () => this.hideHover());
  }

  /** The commune tiles and the selection drawn over every layer; the map framed on the communes. */
  async setup(): Promise<FeatureIds> {
    const ids = this.setIds('com', await api.featureIds('com'));
    await this.ready;
    this.map.addSource('com', { type: 'vector', tiles: [tileUrl('com')], maxzoom: 12, bounds: ids.bounds });
    const base = { source: 'com', 'source-layer': 'com' } as const;
    const sel = ['boolean', ['feature-state', 'sel'], false];
    this.map.addLayer({ id: 'com-sel', type: 'fill', ...base, paint: { 'fill-color': colors.selection, 'fill-opacity': ['case', sel, 0.25, 0] as never } });
    this.map.addLayer({ id: 'com-sel-line', type: 'line', ...base, paint: { 'line-color': colors.selection, 'line-width': ['case', sel, 2.5, 0] as never } });
    await this.ensureLayer('com');
    this.fit(METROPOLE);
    return ids;
  }

  /** Sets up the tiles and style layers of `layer` once (hidden); throws when the server has no shapes for it. */
  async ensureLayer(layer: string): Promise<FeatureIds> {
    await this.ready;
    const ids = this.idsBy[layer] ?? this.setIds(layer, await api.featureIds(layer));
    if (this.map.getLayer(`${layer}-fill`)) return ids;
    if (!this.map.getSource(layer)) this.map.addSource(layer, { type: 'vector', tiles: [tileUrl(layer)], maxzoom: 12, bounds: ids.bounds });
    const base = { source: layer, 'source-layer': layer, layout: { visibility: 'none' } } as const;
    const width = layer === 'com' ? [0.1, 0.6] : [0.6, 1.6];
    this.map.addLayer(
      { id: `${layer}-fill`, type: 'fill', ...base, paint: { 'fill-color': ['coalesce', ['feature-state', 'color'], colors.noRow] as never } },
      'com-sel',
    );
    this.map.addLayer(
      {
        id: `${layer}-line`,
        type: 'line',
        ...base,
        paint: {
          'line-color': layer === 'com' ? '#777' : '#444',
          'line-width': ['interpolate', ['linear'], ['zoom'], 6, width[0], 10, width[1]] as never,
        },
      },
      'com-sel',
    );
    this.map.on('click', `${layer}-fill`, (ev) => {
      const f = ev.features?.[0];
      const key = f && this.keyOf(layer, f);
      if (key && layer === this.shown) this.events.click?.(key);
    });
    this.map.on('mousemove', `${layer}-fill`, (ev) => {
      const f = ev.features?.[0];
      if (!f || layer !== this.shown || !this.events.hover) return;
      const key = this.keyOf(layer, f);
      if (!key) return this.hideHover();
      const text = this.events.hover(key, f.properties?.name as string | undefined);
      if (text === null) this.hideHover();
      else this.showHover(text, ev.point);
    });
    this.map.on('mouseleave', `${layer}-fill`, () => this.hideHover());
    return ids;
  }

  private setIds(layer: string, ids: FeatureIds): FeatureIds {
    this.idsBy[layer] = ids;
    this.keysBy[layer] = new Map(Object.entries(ids.ids).map(([key, id]) => [id, key]));
    return ids;
  }

  /** The territory key of a tile feature of `layer`: its property, or its id's key
   *  (low-zoom tiles carry the id alone). */
  keyOf(layer: string, f: { id?: string | number; properties?: Record<string, unknown> | null }): string | undefined {
    return (f.properties?.key as string | undefined) ?? (typeof f.id === 'number' ? this.keysBy[layer]?.get(f.id) : undefined);
  }

  /** The tile feature id of a territory of `layer` (its ids fetched once). */
  async featureId(layer: string, key: string): Promise<number | undefined> {
    const ids = this.idsBy[layer] ?? this.setIds(layer, await api.featureIds(layer));
    return ids.ids[key];
  }

  /** New feature ids and tiles for a layer whose territories changed (a perimeter saved). */
  async refreshLayer(layer: string) {
    if (!this.idsBy[layer]) return;
    this.setIds(layer, await api.featureIds(layer));
    (this.map.getSource(layer) as maplibregl.VectorTileSource | undefined)?.setTiles([tileUrl(layer, String(Date.now()))]);
  }

  /** Colours the shapes of `layer` (keys without a colour get the no-row fill) and shows that layer alone. */
  paint(layer: string, colorOf: Map<string, string>) {
    const ids = this.idsBy[layer];
    if (!ids || !this.map.getSource(layer)) return;
    this.map.removeFeatureState({ source: layer, sourceLayer: layer });
    for (const [key, color] of colorOf) {
      const id = ids.ids[key];
      if (id !== undefined) this.map.setFeatureState({ source: layer, sourceLayer: layer, id }, { color });
    }
    for (const l of MAP_LAYERS) {
      if (!this.map.getLayer(`${l}-fill`)) continue;
      const v = l === layer ? 'visible' : 'none';
      this.map.setLayoutProperty(`${l}-fill`, 'visibility', v);
      this.map.setLayoutProperty(`${l}-line`, 'visibility', v);
    }
    this.shown = layer;
    for (const key of this.selected) this.setSel(key, true);
  }

  /** Outlines these communes (and only these). */
  select(keys: Iterable<string>) {
    for (const k of this.selected) this.setSel(k, false);
    this.selected = new Set(keys);
    for (const k of this.selected) this.setSel(k, true);
  }

  private setSel(key: string, on: boolean) {
    const id = this.idsBy.com?.ids[key];
    if (id !== undefined && this.map.getSource('com')) this.map.setFeatureState({ source: 'com', sourceLayer: 'com', id }, { sel: on });
  }

  /** Frames a bounding box [west, south, east, north]. */
  fit(b: Bounds, padding = 20) {
    if (!(b[0] <= b[2] && b[1] <= b[3])) return;
    this.map.fitBounds([b[0], b[1], b[2], b[3]], { padding, animate: false, maxZoom: 12 });
  }

  /** Frames a territory: its own shape (the union of its communes' contours); nothing moves
   *  when it has none (outside the pack's contours) or is not a layer with shapes. */
  async fitTerritory(key: string) {
    if (key === 'fr') return this.fit(METROPOLE);
    const layer = key.split(':')[0];
    if (!MAP_LAYERS.includes(layer)) return;
    const shapes = await shapesOf(layer, key).catch(() => null);
    const own = shapes?.features.filter((f) => f.properties.key === key) ?? [];
    if (own.length > 0) this.fit(boundsOf(own));
  }

  /** The label next to the pointer, kept inside the map. */
  showHover(text: string, point: { x: number; y: number }, html = false) {
    const hover = this.hoverBox;
    if (html) hover.innerHTML = text;
    else hover.textContent = text;
    hover.hidden = false;
    const wrap = hover.parentElement as HTMLElement;
    const gap = 14;
    let x = point.x + gap;
    let y = point.y + gap;
    if (x + hover.offsetWidth > wrap.clientWidth - 4) x = Math.max(4, point.x - gap - hover.offsetWidth);
    if (y + hover.offsetHeight > wrap.clientHeight - 4) y = Math.max(4, point.y - gap - hover.offsetHeight);
    hover.style.left = `${x}px`;
    hover.style.top = `${y}px`;
    this.map.getCanvas().style.cursor = 'pointer';
  }

  hideHover() {
    this.hoverBox.hidden = true;
    delete this.hoverBox.dataset.key;
    this.map.getCanvas().style.cursor = '';
  }

  /** Describes the map for screen readers, and names the table that holds its figures. */
  describe(text: string) {
    this.map.getCanvas().setAttribute('aria-label', text);
  }
}

/** Buttons that frame métropole or one of the five overseas départements, far from it. */
class JumpControl implements maplibregl.IControl {
  private box: HTMLElement | null = null;
  constructor(private readonly main: MainMap) {}

  onAdd(): HTMLElement {
    const box = document.createElement('nav');
    box.className = 'maplibregl-ctrl maplibregl-ctrl-group jump';
    box.setAttribute('aria-label', t.map.jump);
    const button = (id: string, label: string, go: () => void) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.id = id;
      b.textContent = label;
      b.title = `${t.map.jump} : ${label}`;
      b.onclick = go;
      box.append(b);
    };
    button('jump-metropole', t.map.metropole, () => this.main.fit(METROPOLE));
    for (const [key, name] of JUMPS) button(`jump-${key.replace(':', '-')}`, name, () => void this.main.fitTerritory(key));
    this.box = box;
    return box;
  }

  onRemove() {
    this.box?.remove();
  }
}

/** Calls `fn` on every vertex of a shape. */
export function eachPoint(f: ShapeFeature, fn: (lon: number, lat: number) => void) {
  const polys = f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates : [f.geometry.coordinates];
  for (const poly of polys) for (const ring of poly) for (const [lon, lat] of ring) fn(lon, lat);
}

/** The bounding box of shapes (infinite when there is none). */
export function boundsOf(features: ShapeFeature[]): Bounds {
  const box: Bounds = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of features)
    eachPoint(f, (lon, lat) => {
      box[0] = Math.min(box[0], lon);
      box[1] = Math.min(box[1], lat);
      box[2] = Math.max(box[2], lon);
      box[3] = Math.max(box[3], lat);
    });
  return box;
}

const shapeCache = new Map<string, Promise<ShapeCollection>>();

/** The shapes of a layer within a territory, fetched once (SVG export, framing of comparisons). */
export function shapesOf(layer: string, within: string): Promise<ShapeCollection> {
  const k = `${layer}|${within}`;
  let p = shapeCache.get(k);
  if (!p) {
    p = api.shapes(layer, within);
    p.catch(() => shapeCache.delete(k));
    shapeCache.set(k, p);
  }
  return p;
}
