/** What a hypervisor's hook asks of the controller's REST API. */
export interface ControllerApi {
  /** The host with this MAC, as the controller knows it (its address and where it is). */
  hostByMac(mac: string): Promise<{ ip: string | undefined; switch: string; port: number } | undefined>;
  /** The name of the switch with this datapath id (16 hex digits), if the controller knows it. */
  switchByDpid(dpid: string): Promise<string | undefined>;
  prepare(body: { hoa: string; switch: string; port: number; timeoutMs: number }): Promise<{ id: string; status: string }>;
  status(id: string): Promise<string | undefined>;
  /** The migrations of `hoa` not yet switched over or rolled back (preparing, prepared), with where each goes. */
  pending(hoa: string): Promise<Array<{ id: string; to: { switch: string; port: number } }>>;
  complete(id: string): Promise<void>;
  cancel(id: string): Promise<void>;
}

/** What a hook asks of the hypervisor's Open vSwitch. */
export interface LocalSwitch {
  bridgeDpid(bridge: string): Promise<string | undefined>;
  ofport(tap: string): Promise<number | undefined>;
}

/** A VM's interface as a cloud manager describes it: its MAC, the OVS bridge and the tap on this hypervisor. */
export interface TapInterface {
  mac: string;
  bridge: string | undefined;
  tap: string | undefined;
}

/** The controller's switch and port of a tap on this hypervisor; throws with the reason when it is none of the controller's. */
export async function placeOfTap(i: TapInterface, api: ControllerApi, ovs: LocalSwitch): Promise<{ switch: string; port: number }> {
  if (i.bridge === undefined || i.tap === undefined) throw new Error('no bridge or no tap is named for it');
  const dpid = await ovs.bridgeDpid(i.bridge);
  if (dpid === undefined) throw new Error(`bridge ${i.bridge} has no datapath id (not an Open vSwitch bridge?)`);
  const sw = await api.switchByDpid(dpid);
  if (sw === undefined) throw new Error(`bridge ${i.bridge} (datapath ${dpid}) is no switch of the controller's`);
  const port = await ovs.ofport(i.tap);
  if (port === undefined) throw new Error(`tap ${i.tap} has no OpenFlow port on ${i.bridge}`);
  return { switch: sw, port };
}

/**
 * Prepares the migration of one interface's VM to its tap on this hypervisor; the migration's
 * id, or undefined when there is nothing to migrate (a VM the controller does not know is not
 * ours to move; one already at that port stays).
 */
export async function prepareAtTap(
  i: TapInterface,
  deps: { api: ControllerApi; ovs: LocalSwitch; log: (line: string) => void; timeoutMs: number },
  /** Waits until the tap is plugged (asked only for a VM the controller knows). */
  plugged: (tap: string | undefined) => Promise<void> = async () => undefined,
): Promise<string | undefined> {
  const host = await deps.api.hostByMac(i.mac);
  if (host?.ip === undefined) return undefined;
  await plugged(i.tap);
  const to = await placeOfTap(i, deps.api, deps.ovs);
  if (host.switch === to.switch && host.port === to.port) return undefined;
  const m = await deps.api.prepare({ hoa: host.ip, ...to, timeoutMs: deps.timeoutMs });
  deps.log(`svcswitch hook: ${i.mac} (${host.ip}) to ${to.switch}:${to.port}: migration ${m.id} ${m.status}`);
  return m.id;
}
