/** The tag contract. Every group is found through these keys; there are no IDs in configuration. */
export const TAG = {
  group: 'failover:group',
  kind: 'failover:kind',
  vip: 'failover:vip',
  eip: 'failover:eip',
  overlayIp: 'failover:overlay-ip',
  priority: 'failover:priority',
  ports: 'failover:ports',
  failback: 'failover:failback',
  cooldown: 'failover:cooldown',
  /** What to do to a member the probes judged down while it runs: off, reboot, stop-start or replace. */
  remediate: 'failover:remediate',
  /** Set by Auto Scaling on the instances it launches: `replace` needs it. */
  autoScalingGroup: 'aws:autoscaling:groupName',
  /** Route tables of an overlay group carry this key with the group name as value. */
  overlayTable: 'failover:overlay',
  /** Route tables behind NAT instances carry this key with an AZ name or `any`. */
  natAz: 'NATAZ',
} as const;
