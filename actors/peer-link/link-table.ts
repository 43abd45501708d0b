/**
 * The node's links, by link id, and who a message for a peer goes to: the link this node dials to
 * it, else its live (or newest) accepted link from it. It also decides whether an incoming Hello
 * may open a link, within the caps that bound what an authorized but misbehaving peer can hold.
 */
import type { Actor } from 'xstate';
import type { LinkRole } from '../../lib/mesh/links-state.js';
import type { HostPort } from '../../lib/net/host-port.js';
import type { PeerLinkLifecycleMachine } from '../../machines/peer-link-lifecycle.js';
import type { LinkConnection } from './link-connection.js';
import { LinkFrameError } from './link-frame-error.js';
import type { LinkStream } from './link-stream.js';

/** Links one node accepts in all, and per peer identity: bounds what an authorized but misbehaving peer can hold. */
export const MAX_ACCEPTED_LINKS = 1_024;
export const MAX_LINKS_PER_PEER = 4;

export interface PeerEndpoint {
  address: HostPort;
  spiffeId: string;
}

export interface Link {
  key: string;
  linkId: Buffer;
  role: LinkRole;
  peer: string;
  /** Dialer links: where the peer is. */
  endpoint?: PeerEndpoint;
  stream: LinkStream;
  /** The connection the link uses now; none while it is down or between connections. */
  active: LinkConnection | undefined;
  /** Its lifecycle (machines/peer-link-lifecycle.ts): dials, waits, re-authentications, acknowledgements. */
  lifecycle: Actor<PeerLinkLifecycleMachine>;
  /** Messages refused because the send window was full. */
  dropped: number;
  /** A dialer link whose peer dials this node too: it takes nothing new and goes once drained (keepOneLinkPerPair in peer-links.ts). */
  retiring?: boolean;
  /** A dialer link made by reconnect-members to bridge a partition: forgotten once its member is no longer held alive. */
  bridge?: boolean;
  /** Of the stream's messages, those on the links' own reserved topics (member records), sent and delivered. */
  controlSent: number;
  controlDelivered: number;
  lastError?: string;
}

export class LinkTable {
  private readonly links = new Map<string, Link>();
  private readonly dialers = new Map<string, Link>();

  get size(): number {
    return this.links.size;
  }

  values(): IterableIterator<Link> {
    return this.links.values();
  }

  dialerLinks(): IterableIterator<Link> {
    return this.dialers.values();
  }

  get(key: string | undefined): Link | undefined {
    return key === undefined ? undefined : this.links.get(key);
  }

  add(link: Link): void {
    this.links.set(link.key, link);
    if (link.role === 'dialer') this.dialers.set(link.peer, link);
  }

  delete(link: Link): void {
    this.links.delete(link.key);
    if (this.dialers.get(link.peer) === link) this.dialers.delete(link.peer);
  }

  /** The link this node dials to `peer`, if any. */
  dialerTo(peer: string): Link | undefined {
    return this.dialers.get(peer);
  }

  /** The link a message for `peer` goes on: the one this node dials (unless it is retiring), else its live (or newest) accepted one. */
  route(peer: string): Link | undefined {
    const dialer = this.dialers.get(peer);
    if (dialer && !dialer.retiring) return dialer;
    let chosen: Link | undefined;
    for (const link of this.links.values()) {
      if (link.role === 'acceptor' && link.peer === peer && (!chosen || (link.active && !chosen.active))) chosen = link;
    }
    return chosen ?? dialer;
  }

  /**
   * What an incoming Hello for link `key` from `peer` resumes (the same link of the same peer) or,
   * when it opens a new link, the idle link of that peer it displaces (a peer reconnecting under a
   * new link id has restarted). Throws when the link belongs to another peer or a cap is reached.
   */
  admit(key: string, peer: string): { resumes: Link } | { displaces?: Link } {
    const existing = this.links.get(key);
    if (existing) {
      if (existing.peer !== peer || existing.role !== 'acceptor') throw new LinkFrameError('unexpected', `link ${key} belongs to another peer`);
      return { resumes: existing };
    }
    const ofPeer = [...this.links.values()].filter((link) => link.role === 'acceptor' && link.peer === peer);
    let displaces: Link | undefined;
    if (ofPeer.length >= MAX_LINKS_PER_PEER) {
      displaces = ofPeer.find((link) => !link.active);
      if (!displaces) throw new LinkFrameError('unexpected', `${peer} already has ${MAX_LINKS_PER_PEER} live links`);
    }
    const accepted = this.links.size - this.dialers.size - (displaces ? 1 : 0);
    if (accepted >= MAX_ACCEPTED_LINKS) throw new LinkFrameError('unexpected', `this node holds ${MAX_ACCEPTED_LINKS} accepted links`);
    return displaces ? { displaces } : {};
  }
}
