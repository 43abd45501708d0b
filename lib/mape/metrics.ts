/**
 * The metric catalog: every metric the monitor accepts. A point with a name outside it is
 * rejected and counted (a typo in a source must not silently create a series nobody watches).
 * Units are in the names, Prometheus style, so the knowledge base and /metrics agree.
 */
export const METRICS = {
  'process.cpu_ratio': 'CPU time of the whole process per wall-clock second (1 = one core busy)',
  'process.rss_bytes': 'resident set size of the process',
  'process.heap_used_bytes': "V8 heap in use on the main thread",
  'process.event_loop_delay_ms': "p99 event-loop delay of the main thread (perf_hooks) over the interval",
  'actor.mailbox_depth': 'messages queued or in flight for the actor',
  'actor.message_rate': 'messages delivered to the actor per second over the interval',
  'actor.restarts': 'restarts of the actor during the interval',
  'actor.repeat_crashes': 'crashes during the interval on a message that had crashed the actor before',
  'actor.cpu_ratio': "CPU time of the actor's thread per wall-clock second over the interval (1 = a core)",
  'actor.cpu_demand':
    "share of the interval the actor's thread wanted a core: ran on one or waited, runnable, for one (0..1); the same for a thread that never yields on an idle machine and on a loaded one",
  'actor.cpu_burst_ms':
    "CPU time of the actor's thread per time it gave up its core of its own accord, over the interval (its whole CPU time when it never did): how long its event loop holds a core before going idle, whatever the machine's load",
  'actor.cpu_ms_per_input':
    "CPU time of the actor's thread per message or input record it handled over the interval (its whole CPU time when it handled none): under a millisecond for a thread busy with what it is given, however loaded the machine; tens for one spinning on its own",
  'actor.elu': "event-loop utilisation of the actor's thread over the interval (0..1)",
  'actor.heap_bytes': "V8 heap in use in the actor's thread",
  'actor.retained_heap_growth_bps': "growth per second of the actor's old and large-object spaces (survivors of GC)",
  'actor.probe_ms': "round trip of a health probe to the actor's thread (the probe timeout when unanswered)",
  'actor.unresponsive': "1 when the actor's thread neither answered the health probe in time nor acknowledged a message meanwhile",
  'actor.store_write_ms': "longest snapshot write of the actor's thread during the interval",
  'actor.request_ms': 'longest request/reply round trip to the actor completed during the interval',
  'peer.down':
    "1 in the sample the peer link sends at once when a neighbour it was linked to is declared dead (by this node's detector or another member's claim); 0 in every interval's sample while the link to it is up",
  'peer.link_lost':
    '1 in the sample taken when the link to a neighbour held alive has been down for LINK_LOST_AFTER_MS (lib/mesh/mesh-telemetry.ts), once per loss; 0 while the link is up',
  'peer.phi': "the link's failure detector's suspicion of the neighbour now (phi-accrual)",
  'peer.rtt_ms': "smoothed round trip of the link's heartbeats",
  'peer.loss_ratio': "share of the link's last heartbeats that got no answer within a second (0..1)",
  'peer.routed_destinations': 'members (the neighbour among them) whose route leads through the neighbour now (0 while its link is down)',
  'peer.reached_around': 'whether the route to the neighbour goes through another neighbour, around its own link (1) or not (0: over the link, or no route)',
  'mesh.members_alive': 'members held alive, this node among them',
  'mesh.unreachable_members': 'members held alive, other than this node, that no route leads to',
  'mesh.route_changes': 'routes that appeared, moved or were withdrawn during the interval',
} as const;

export type MetricName = keyof typeof METRICS;

export function isMetricName(value: string): value is MetricName {
  return Object.hasOwn(METRICS, value);
}
