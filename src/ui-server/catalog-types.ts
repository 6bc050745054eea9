/**
 * What `advx ui` tells its page about the models it serves (`GET models.json`). Types only: the page
 * (ui/) and the server (catalog.ts) share them.
 */
import type { Preprocessing } from '../models/preprocessing.js';

export interface CatalogModel {
  /** The zoo name. */
  name: string;
  description: string;
  /** The model.json, relative to the page. */
  url: string;
  bounds: [number, number];
  preprocessing: Preprocessing;
  labels: string[];
  /** Canonical class j is network output outputOrder[j] (absent: the network's order). */
  outputOrder?: number[];
}

export interface Catalog {
  models: CatalogModel[];
  /** The model the page selects first. */
  defaultModel: string;
}
