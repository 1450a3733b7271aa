/**
 * The classic vip_monitor.sh, run in the same lab for comparison: the standby pings the holder
 * (`ping -c 3 -W 1`) every 2 s from its own namespace; when no reply comes it takes the VIP, with
 * AssignPrivateIpAddresses (AllowReassignment) against the simulated EC2, then `ip addr add` in its
 * own OS. One vantage point, no confirmation, no lease.
 */
import { AssignPrivateIpAddressesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { Clock } from '../shared/core/ports.js';
import { isIpv4 } from '../shared/core/validate.js';
import { LabError } from './errors.js';
import type { NamespaceSet } from './netns.js';

export interface MonitorSetup {
  readonly ec2: EC2Client;
  readonly namespaces: NamespaceSet;
  /** The standby's namespace, ENI and device. */
  readonly standby: { readonly host: string; readonly networkInterfaceId: string; readonly device: string };
  readonly holderIp: string;
  readonly vip: string;
  readonly prefixLength: number;
  readonly clock: Clock & { readonly ended: boolean };
}

/** What the monitor did, in order. */
export type MonitorEvent =
  | { readonly kind: 'heartbeat'; readonly at: number; readonly ok: boolean }
  | { readonly kind: 'takeover'; readonly at: number }
  | { readonly kind: 'assigned'; readonly at: number }
  | { readonly kind: 'os-up'; readonly at: number; readonly ok: boolean };

/** The script's heartbeat: 3 echo requests, 1 s apart, the last waited for 1 s. */
const PING = ['ping', '-n', '-q', '-c', '3', '-W', '1'];
const PAUSE_MS = 2_000;

/** Runs the monitor until it took the VIP over or the clock ends. */
export async function vipMonitor(setup: MonitorSetup, onEvent: (event: MonitorEvent) => void): Promise<void> {
  const { namespaces, standby, clock } = setup;
  if (!isIpv4(setup.holderIp) || !isIpv4(setup.vip) || !/^eth\d$/.test(standby.device)) throw new LabError('vip_monitor: bad address or device');
  while (!clock.ended) {
    const heartbeat = await namespaces.exec(standby.host, [...PING, setup.holderIp], 10_000);
    if (clock.ended) return;
    const ok = heartbeat.code === 0;
    onEvent({ kind: 'heartbeat', at: clock.now(), ok });
    if (!ok) {
      onEvent({ kind: 'takeover', at: clock.now() });
      await setup.ec2.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: standby.networkInterfaceId, PrivateIpAddresses: [setup.vip], AllowReassignment: true }));
      onEvent({ kind: 'assigned', at: clock.now() });
      const up = await namespaces.exec(standby.host, ['ip', 'addr', 'add', `${setup.vip}/${setup.prefixLength}`, 'dev', standby.device]);
      onEvent({ kind: 'os-up', at: clock.now(), ok: up.code === 0 });
      return;
    }
    await clock.sleep(PAUSE_MS);
  }
}
