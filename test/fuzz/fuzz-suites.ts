/**
 * Every parser a node exposes to input from outside its own code, as fuzz suites: what a peer
 * sends (link frames, handshake messages, sealed frames and rekeys, member records it relays), what identity rests on
 * (SVIDs, trust bundles, the Workload API's messages), what an operator or a local process hands
 * it (configuration files, control-socket requests).
 */
import { configTargets, CONFIG_TARGETS } from './config-file-targets.js';
import { controlTargets, CONTROL_TARGETS } from './control-request-targets.js';
import type { FuzzSuiteEntry } from './fuzz-target.js';
import { handshakeTargets, HANDSHAKE_TARGETS } from './handshake-targets.js';
import { linkTargets, LINK_TARGETS } from './link-frame-targets.js';
import { memberRecordTargets, MEMBER_RECORD_TARGETS } from './member-record-targets.js';
import { sessionFrameTargets, SESSION_FRAME_TARGETS } from './session-frame-targets.js';
import { svidTargets, SVID_TARGETS } from './svid-targets.js';
import { workloadApiTargets, WORKLOAD_API_TARGETS } from './workload-api-targets.js';

export const FUZZ_SUITES: Record<string, FuzzSuiteEntry> = {
  link: { targets: LINK_TARGETS, build: () => linkTargets() },
  handshake: { targets: HANDSHAKE_TARGETS, build: () => handshakeTargets() },
  session: { targets: SESSION_FRAME_TARGETS, build: () => sessionFrameTargets() },
  spiffe: { targets: SVID_TARGETS, build: () => svidTargets() },
  membership: { targets: MEMBER_RECORD_TARGETS, build: () => memberRecordTargets() },
  'workload-api': { targets: WORKLOAD_API_TARGETS, build: () => workloadApiTargets() },
  config: { targets: CONFIG_TARGETS, build: () => configTargets() },
  control: { targets: CONTROL_TARGETS, build: () => controlTargets() },
};
