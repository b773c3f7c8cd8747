/** What the page knows, as the REST API and the event stream say it: the topology's own types (a change there fails this build), and the JSON of bindings and migrations. */

import type { HostInfo, LinkInfo, SwitchInfo, SwitchRef } from '../../src/topology/events.js';

export type { HostInfo, LinkInfo, SwitchInfo };

export interface Binding {
  hoa: string;
  coa: string;
  homeSubnet: string;
  subnet: string;
  switch: string;
  port: number;
  mode: string;
  state: string;
}
export interface Migration {
  id: string;
  hoa: string;
  mode: string;
  trigger: string;
  from: { switch: string; port: number; subnet: string };
  to: { switch: string; port: number; coa?: string; subnet: string };
  status: string;
  reason?: string;
  timeline: Array<{ step: string; at: number }>;
}

/** A link by its two ends, whichever way round it is reported. */
export const linkKey = (l: { a: SwitchRef; b: SwitchRef }): string => [`${l.a.switch}:${l.a.port}`, `${l.b.switch}:${l.b.port}`].sort().join('-');

export class State {
  readonly switches = new Map<string, SwitchInfo>();
  readonly links = new Map<string, LinkInfo>();
  /** By MAC. */
  readonly hosts = new Map<string, HostInfo>();
  /** By HoA. */
  readonly bindings = new Map<string, Binding>();
  readonly migrations = new Map<string, Migration>();
  topologyName = '';
}
