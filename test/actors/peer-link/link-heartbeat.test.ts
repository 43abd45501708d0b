/**
 * Failure detection on a link, on a virtual clock: a Ping every interval; a peer whose frames keep
 * coming is never declared silent; one that falls silent is, after the silence the defaults
 * promise (about 600 ms, within the mesh's 1 s target for a frozen node), once; silence while the
 * node holds reading back accuses no one, and the rhythm starts over when it reads again; only the
 * latest Ping's answer gives the round trip; and the node's own lateness (Lifeguard's local health)
 * stretches the silence it may observe before it accuses. The loss ratio: a Ping with no Pong within
 * LOSS_TIMEOUT_MS is lost, a Pong to any Ping still outstanding answers it, the ratio is over the
 * last LOSS_WINDOW Pings judged, and nothing is judged while the node holds reading back.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HEARTBEAT_TIMING,
  LinkHeartbeat,
  LocalHealth,
  LOSS_TIMEOUT_MS,
  LOSS_WINDOW,
  MAX_LOCAL_HEALTH_SCORE,
  type SilentPeer,
} from '../../../actors/peer-link/link-heartbeat.js';
import { VirtualClock } from '../../../lib/timing/virtual-clock.js';

function heartbeat(health = new LocalHealth()) {
  const clock = new VirtualClock();
  const pings: Array<{ nonce: number; at: number }> = [];
  const silences: Array<SilentPeer & { at: number }> = [];
  const watch = new LinkHeartbeat({
    clock,
    timing: DEFAULT_HEARTBEAT_TIMING,
    health,
    ping: (nonce) => pings.push({ nonce, at: clock.monotonicNow() }),
    onSilent: (silent) => silences.push({ ...silent, at: clock.monotonicNow() }),
  });
  return { clock, pings, silences, watch, health };
}

/** The peer's frames arrive every `everyMs` for `forMs`. */
function peerAlive(clock: VirtualClock, watch: LinkHeartbeat, forMs: number, everyMs = 100): void {
  for (let elapsed = 0; elapsed < forMs; elapsed += everyMs) {
    clock.advance(everyMs);
    watch.arrived();
  }
}

describe('link heartbeat', () => {
  it('pings every interval and never accuses a peer whose frames keep coming, though they jitter', () => {
    const { clock, pings, silences, watch } = heartbeat();
    watch.start();
    for (let tick = 0; tick < 600; tick++) {
      clock.advance(tick % 7 === 0 ? 180 : 90);
      watch.arrived();
    }
    expect(silences).toEqual([]);
    expect(pings.length).toBeGreaterThan(500);
    expect(pings.slice(0, 3).map((ping) => ping.at)).toEqual([0, 100, 200]);
    expect(watch.phi).toBeLessThan(1);
  });

  it('declares a silent peer once, after about 600 ms of silence', () => {
    const { clock, silences, watch } = heartbeat();
    watch.start();
    peerAlive(clock, watch, 5_000);
    const lastHeard = clock.monotonicNow();
    clock.advance(3_000);
    expect(silences).toHaveLength(1);
    const [silent] = silences;
    expect(silent!.phi).toBeGreaterThanOrEqual(DEFAULT_HEARTBEAT_TIMING.phiThreshold);
    expect(silent!.at - lastHeard).toBeGreaterThanOrEqual(500);
    expect(silent!.at - lastHeard).toBeLessThanOrEqual(800);
    expect(silent!.silenceMs).toBe(silent!.at - lastHeard);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('accuses no one of the silence while the node holds reading, and starts the rhythm over after', () => {
    const { clock, silences, watch } = heartbeat();
    watch.start();
    peerAlive(clock, watch, 2_000);
    watch.hold(true);
    clock.advance(10_000);
    expect(silences).toEqual([]);
    expect(watch.phi).toBe(0);
    watch.hold(false);
    // Resumed: the silence is counted from the resumption.
    clock.advance(300);
    expect(silences).toEqual([]);
    clock.advance(2_000);
    expect(silences).toHaveLength(1);
  });

  it('takes the round trip from the answer to the latest Ping only, smoothed', () => {
    const { clock, pings, watch } = heartbeat();
    watch.start();
    clock.advance(4);
    watch.pong(pings[0]!.nonce);
    expect(watch.rttMs).toBe(4);
    // A second answer to the same Ping, and an answer to an older one, change nothing.
    watch.pong(pings[0]!.nonce);
    clock.advance(96);
    const latest = pings.at(-1)!;
    watch.pong(latest.nonce - 1);
    expect(watch.rttMs).toBe(4);
    clock.advance(12);
    watch.pong(latest.nonce);
    expect(watch.rttMs).toBe(4 + (12 - 4) / 8);
  });

  it('gives no verdict on a tick that fires later than the acceptable pause: the node itself was away, the peer perhaps not', () => {
    // A clock whose timers fire only when the test says, however late.
    let now = 0;
    const timers: Array<() => void> = [];
    const clock = { now: () => now, monotonicNow: () => now, setTimeout: (callback: () => void) => timers.push(callback), clearTimeout: () => undefined };
    const silences: SilentPeer[] = [];
    const watch = new LinkHeartbeat({ clock, timing: DEFAULT_HEARTBEAT_TIMING, health: new LocalHealth(), ping: () => undefined, onSilent: (silent) => silences.push(silent) });
    watch.start();
    for (let tick = 0; tick < 20; tick++) {
      now += 100;
      watch.arrived();
      timers.shift()!();
    }
    // This node was stopped for 5 s: its next tick runs before the peer's waiting frames are read.
    now += 5_000;
    timers.shift()!();
    expect(silences).toEqual([]);
    // Read right after, they show the peer alive all along.
    watch.arrived();
    now += 100;
    timers.shift()!();
    expect(silences).toEqual([]);
    // Away again, and this time the peer did fall silent: the late tick gives no verdict, the next
    // one on time finds nothing read since, 2.1 s of silence (stretched by this node's lateness to
    // 700 ms, still past the threshold), and accuses.
    now += 2_000;
    timers.shift()!();
    expect(silences).toEqual([]);
    let ticks = 0;
    while (silences.length === 0 && ticks < 40) {
      now += 100;
      ticks++;
      timers.shift()!();
    }
    expect(silences).toHaveLength(1);
    expect(ticks).toBe(1);
  });

  it("stretches the silence it may observe by the node's own lateness, and recovers as its timers come on time", () => {
    const health = new LocalHealth();
    for (let late = 0; late < 3; late++) health.observe(250, 100);
    expect(health.current).toBe(3);
    expect(health.stretch).toBe(4);
    for (let late = 0; late < 20; late++) health.observe(500, 100);
    expect(health.current).toBe(MAX_LOCAL_HEALTH_SCORE);
    for (let onTime = 0; onTime < 10; onTime++) health.observe(1, 100);
    expect(health.current).toBe(MAX_LOCAL_HEALTH_SCORE - 1);

    // A node that has been late (its score recovers by one every 10 on-time ticks, so it is still
    // at 6 or more below): the same silence that accuses from a healthy node does not from it.
    const slow = new LocalHealth();
    for (let late = 0; late < MAX_LOCAL_HEALTH_SCORE; late++) slow.observe(500, 100);
    const patient = heartbeat(slow);
    const healthy = heartbeat();
    for (const run of [patient, healthy]) {
      run.watch.start();
      peerAlive(run.clock, run.watch, 1_000);
      run.clock.advance(1_000);
    }
    expect(slow.current).toBeGreaterThanOrEqual(MAX_LOCAL_HEALTH_SCORE - 2);
    expect(healthy.silences).toHaveLength(1);
    expect(patient.silences).toEqual([]);
  });
});

describe('link heartbeat: loss ratio', () => {
  /**
   * Moves time on by `forMs` in heartbeat intervals: the peer's frames arrive every interval (so it is
   * never declared silent), and each Ping sent meanwhile is answered at once when `answers` says so.
   */
  function run(hb: ReturnType<typeof heartbeat>, forMs: number, answers: (nonce: number) => boolean, seen: { count: number }) {
    const answerNew = () => {
      for (const ping of hb.pings.slice(seen.count)) if (answers(ping.nonce)) hb.watch.pong(ping.nonce);
      seen.count = hb.pings.length;
    };
    answerNew();
    for (let elapsed = 0; elapsed < forMs; elapsed += DEFAULT_HEARTBEAT_TIMING.intervalMs) {
      hb.clock.advance(DEFAULT_HEARTBEAT_TIMING.intervalMs);
      hb.watch.arrived();
      answerNew();
    }
  }
  const never = () => false;
  const always = () => true;

  it('is 0 before any Ping is judged, and counts an unanswered Ping lost exactly LOSS_TIMEOUT_MS after it went out', () => {
    const hb = heartbeat();
    hb.watch.start();
    expect(hb.watch.lossRatio).toBe(0);
    // The first Ping went out at 0: still within its time at LOSS_TIMEOUT_MS - 1 (the tick at 900 was the last).
    run(hb, LOSS_TIMEOUT_MS - 100, never, { count: 0 });
    hb.clock.advance(99);
    expect(hb.watch.lossRatio).toBe(0);
    hb.clock.advance(1);
    expect(hb.watch.lossRatio, 'the Ping of 0 is judged by the tick at LOSS_TIMEOUT_MS').toBe(1);
    expect(hb.silences).toEqual([]);
  });

  it('judges every unanswered Ping at the fastest heartbeat the configuration allows (10 ms), none evicted unjudged', () => {
    // A hundred Pings are out within LOSS_TIMEOUT_MS at 10 ms: a bound of LOSS_WINDOW on them would drop each before its judgement, and read 0.
    const clock = new VirtualClock();
    const timing = { ...DEFAULT_HEARTBEAT_TIMING, intervalMs: 10 };
    const watch = new LinkHeartbeat({ clock, timing, health: new LocalHealth(), ping: () => undefined, onSilent: () => undefined });
    watch.start();
    for (let elapsed = 0; elapsed < 3 * LOSS_TIMEOUT_MS; elapsed += timing.intervalMs) {
      clock.advance(timing.intervalMs);
      watch.arrived();
    }
    expect(watch.lossRatio).toBe(1);
    watch.stop();
  });

  it('is 0 for a link whose every Ping is answered, and half for one that answers every other Ping', () => {
    const answered = heartbeat();
    answered.watch.start();
    run(answered, 5_000, always, { count: 0 });
    expect(answered.watch.lossRatio).toBe(0);

    // Ping k goes out at 100k ms: the odd ones are answered. Every tick judges one Ping, alternately
    // an even one lost LOSS_TIMEOUT_MS ago and an odd one answered now.
    const halved = heartbeat();
    halved.watch.start();
    run(halved, 5_000, (nonce) => nonce % 2 === 0, { count: 0 });
    expect(halved.silences).toEqual([]);
    expect(halved.watch.lossRatio).toBe(0.5);
  });

  it('counts a Pong to any Ping still outstanding as an answer, not only the latest, and each Ping once', () => {
    const hb = heartbeat();
    hb.watch.start();
    run(hb, LOSS_TIMEOUT_MS, never, { count: 0 });
    // The Ping of 0 is judged lost; those of 100 and 200 are still outstanding.
    expect(hb.watch.lossRatio).toBe(1);
    const [first, second, third] = hb.pings as [(typeof hb.pings)[number], (typeof hb.pings)[number], (typeof hb.pings)[number]];
    hb.clock.advance(50);
    hb.watch.pong(second.nonce);
    hb.watch.pong(third.nonce);
    expect(hb.watch.lossRatio).toBe(1 / 3);
    // A second answer to the same Ping, and a late one to a Ping judged lost already, change nothing.
    hb.watch.pong(second.nonce);
    hb.watch.pong(first.nonce);
    expect(hb.watch.lossRatio).toBe(1 / 3);
    // Late answers count for the loss, never for the round trip.
    expect(hb.watch.rttMs).toBeUndefined();
  });

  it(`is over the last ${LOSS_WINDOW} Pings judged: a link that recovers reads lossless once they are all answered`, () => {
    const hb = heartbeat();
    const seen = { count: 0 };
    hb.watch.start();
    run(hb, 3_000, never, seen);
    expect(hb.watch.lossRatio).toBe(1);
    // Answered from now on; the Pings still outstanding are judged lost as their time comes.
    run(hb, 1_000, always, seen);
    const partly = hb.watch.lossRatio;
    expect(partly).toBeGreaterThan(0);
    expect(partly).toBeLessThan(1);
    run(hb, (LOSS_WINDOW + 1) * DEFAULT_HEARTBEAT_TIMING.intervalMs, always, seen);
    expect(hb.watch.lossRatio, `all ${LOSS_WINDOW} judged answered, the losses before forgotten`).toBe(0);
    expect(hb.silences).toEqual([]);
  });

  it('judges nothing while the node holds reading back: Pings out before the hold and during it are not counted lost', () => {
    const hb = heartbeat();
    const seen = { count: 0 };
    hb.watch.start();
    run(hb, 1_000, always, seen);
    // Answers stop reaching it just before it holds reading: those Pings are outstanding when it holds.
    run(hb, 500, never, seen);
    hb.clock.advance(50);
    hb.watch.hold(true);
    run(hb, 5_000, never, seen);
    expect(hb.watch.lossRatio).toBe(0);
    hb.watch.hold(false);
    // Reading again, every Ping answered: what went unanswered before and during the hold is never
    // judged, not even once its LOSS_TIMEOUT_MS is long past (the first ticks after the hold).
    run(hb, 300, always, seen);
    expect(hb.watch.lossRatio).toBe(0);
    run(hb, 3_000, always, seen);
    expect(hb.watch.lossRatio).toBe(0);
    // And judging goes on after the hold: Pings unanswered from now on count lost.
    run(hb, LOSS_TIMEOUT_MS + 500, never, seen);
    expect(hb.watch.lossRatio).toBeGreaterThan(0);
    expect(hb.silences).toEqual([]);
  });
});
