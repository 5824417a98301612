// Every screen of the observatory, by the name its address carries. A new theme adds its
// module here (and its link in main.ts's navigation).

import type { ViewName } from '../router';
import { accessView } from './access';
import { adminView, loginView } from './account';
import { compareView } from './compare';
import { deskView } from './desk';
import { flowsView } from './flows';
import { guaranteesView } from './guarantees';
import { perimeterView } from './perimeter';
import { portraitView } from './portrait';
import { sitingView } from './siting';
import { studiesView } from './studies';
import { retailView } from './retail';
import { valuesView } from './values';
import type { View } from './view';

export const views: Record<ViewName, View> = {
  carte: valuesView,
  portrait: portraitView,
  comparer: compareView,
  perimetre: perimeterView,
  mobilites: flowsView,
  acces: accessView,
  garanties: guaranteesView,
  'tiers-lieux': sitingView,
  commerce: retailView,
  guichet: deskView,
  etudes: studiesView,
  connexion: loginView,
  administration: adminView,
};

/** The navigation: the views reached from the header (the portrait opens from a territory). */
export const navigation: { view: ViewName; label: (nav: Record<string, string>) => string }[] = [
  { view: 'carte', label: (n) => n.map },
  { view: 'comparer', label: (n) => n.compare },
  { view: 'perimetre', label: (n) => n.perimeter },
  { view: 'mobilites', label: (n) => n.flows },
  { view: 'acces', label: (n) => n.access },
  { view: 'garanties', label: (n) => n.guarantees },
  { view: 'tiers-lieux', label: (n) => n.siting },
  { view: 'commerce', label: (n) => n.retail },
  { view: 'guichet', label: (n) => n.desk },
  { view: 'etudes', label: (n) => n.studies },
];
