// What a view is: a module that draws one screen into the panel (its controls, tables
// and charts) and tells the map what to show and do. The bootstrap (main.ts) hands it a
// context; the router calls `render` for every address of the view, `leave` when another
// view comes.

import type { ExportTable } from '../export';
import type { MainMap } from '../map';
import type { Route, ViewName } from '../router';

export interface Context {
  /** The panel the view draws into (emptied before each view). */
  el: HTMLElement;
  map: MainMap;
  route: Route;
  /** False once another address was drawn: an answer arriving late draws nothing. */
  live: () => boolean;
  /** Names the table that is the text alternative of the map, and describes the map. */
  alternative: (tableId: string | null, description: string) => void;
}

export interface View {
  name: ViewName;
  /** The overlays of the map that belong to this view (shown only with it). */
  overlays?: string[];
  /** False when the view draws its own legend (the indicator's legend is then hidden). */
  legend?: boolean;
  render(ctx: Context): Promise<void> | void;
  leave?(ctx: Context): void;
}

/** The table the export menu of the current view exports. */
export type TableSource = () => ExportTable | null;

/** An element of the panel by id (the view rendered it). */
export function byId<T extends HTMLElement = HTMLElement>(ctx: Context, id: string): T {
  return ctx.el.querySelector(`#${id}`) as T;
}
