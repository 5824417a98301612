// The interface language: swap this import for another file of the same shape.
import { fr } from './fr';

export const t = fr;
