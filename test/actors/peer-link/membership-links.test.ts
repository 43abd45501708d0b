/**
 * Membership over real peer links (TLS 1.3 on loopback, post-quantum sessions, liboqs): nodes that
 * link only through a third learn each other, with the addresses their records advertise; a graceful
 * leave reaches every member, through relays; two nodes that dial each other end with one link,
 * the one the lower SPIFFE ID dials, and carry messages on it both ways, none lost in the change;
 * and what an authenticated peer can send on the links' reserved topics is refused and counted: a
 * control topic this version does not know is dropped, a forged or garbled record also closes the
 * sender's connection (its link resumes on a new one, its messages intact).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MEMBER_TOPIC } from '../../../actors/peer-link/membership.js';
import type { PeerLinksOptions } from '../../../actors/peer-link/peer-links.js';
import { createTrustDomainCa, type TrustDomainCa } from '../../../lib/spiffe/svid-issuer.js';
import { freePort } from '../../helpers/free-port.js';
import { linkNode, linkLogs, stopLinkNodes, type LinkNode } from '../../helpers/links-node.js';
import { until } from '../../helpers/wait.js';

const A = 'spiffe://mesh.test/node/a';
const B = 'spiffe://mesh.test/node/b';
const C = 'spiffe://mesh.test/node/c';
const HOUR = 3_600_000;
let ca: TrustDomainCa;

beforeAll(async () => {
  ca = await createTrustDomainCa('mesh.test', { notBefore: new Date(Date.now() - HOUR), notAfter: new Date(Date.now() + 24 * HOUR) });
});

afterEach(async (context) => stopLinkNodes(context.task.result?.state === 'fail'));

const node = (id: string, peers: LinkNode[] = [], options: Partial<PeerLinksOptions> = {}) => linkNode(ca, id, peers, options);

const memberOf = (holder: LinkNode, id: string) => holder.state().membership.members.find((member) => member.spiffeId === id);
const upLinks = (holder: LinkNode) => holder.state().links.filter((link) => link.status === 'up');

describe('membership over peer links', () => {
  it('makes nodes linked only through a third know each other, with their addresses, and carries a leave to every member', async () => {
    const b = await node(B);
    const a = await node(A, [b]);
    const c = await node(C, [b]);
    await until('A and C know each other through B', () => memberOf(a, C)?.state === 'alive' && memberOf(c, A)?.state === 'alive');
    expect(memberOf(a, C)).toMatchObject({ addresses: [c.address], linked: false });
    expect(memberOf(c, A)).toMatchObject({ addresses: [a.address], linked: false });
    expect(memberOf(a, B)).toMatchObject({ addresses: [b.address], linked: true });
    // Membership learns; it does not link: A and C still hold their one link each, to B.
    expect(upLinks(a).map((link) => link.peer)).toEqual([B]);
    expect(a.state().membership.refused).toEqual({});

    await c.links.stop();
    await until("C's leave at A, relayed by B", () => memberOf(a, C)?.state === 'left' && memberOf(b, C)?.state === 'left');
    expect(memberOf(a, C)!.incarnation).toBe(c.state().membership.incarnation);
  });

  it('keeps one link for two nodes that dial each other: the one the lower SPIFFE ID dials, carrying messages both ways', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const at = (port: number) => ({ id: '', address: `127.0.0.1:${port}` });
    const [a, b] = await Promise.all([
      node(A, [{ ...at(portB), id: B } as LinkNode], { listen: { host: '127.0.0.1', port: portA } }),
      node(B, [{ ...at(portA), id: A } as LinkNode], { listen: { host: '127.0.0.1', port: portB } }),
    ]);
    // Sent by B before either link is up: they go on B's own link, the one that is retired.
    for (let n = 1; n <= 100; n++) expect(b.links.send(A, 'test', Buffer.from(JSON.stringify({ n })))).toBe(true);
    await until('one link left at each, up', () => a.state().links.length === 1 && upLinks(a).length === 1 && b.state().links.length === 1 && upLinks(b).length === 1);
    // A's SPIFFE ID is the lower: its dial is the link that stays.
    expect(a.state().links[0]).toMatchObject({ peer: B, role: 'dialer' });
    expect(b.state().links[0]).toMatchObject({ peer: A, role: 'acceptor' });
    for (let n = 101; n <= 200; n++) expect(b.links.send(A, 'test', Buffer.from(JSON.stringify({ n })))).toBe(true);
    expect(a.links.send(B, 'test', Buffer.from('{"n":1}'))).toBe(true);
    await until('every message', () => a.received.length >= 200 && b.received.length === 1);
    // None lost and none twice, though the first hundred crossed the link that was retired.
    expect(a.received.map((message) => (message.payload as { n: number }).n).sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, index) => index + 1));
    expect(b.received[0]!.payload).toEqual({ n: 1 });
  });

  it('closes the connection of a peer that sends a forged or garbled record, counts each, and keeps the link and its messages', async () => {
    const b = await node(B);
    const a = await node(A, [b]);
    await until('A known at B', () => memberOf(b, A) !== undefined);
    const enqueue = (a.links as unknown as { enqueue(to: string, topic: string, payload: Buffer): boolean }).enqueue.bind(a.links);
    const ownRecord = (a.links as unknown as { membership: { ownRecord: Buffer } }).membership.ownRecord;
    // A record of A with its incarnation raised and the signature left as it was: news by its head, a forgery by its signature.
    const raised = Buffer.from(ownRecord);
    const incarnationOffset = 1 + 2 + Buffer.byteLength(A) + 1 + 2 + Buffer.byteLength(a.address);
    raised[incarnationOffset]! ^= 0x01;
    // A control topic B's version does not know: a newer peer's, dropped and counted, no misbehaviour.
    expect(enqueue(B, '$suspect', Buffer.from('{}'))).toBe(true);
    expect(enqueue(B, MEMBER_TOPIC, Buffer.from('garbage'))).toBe(true);
    await until('the garbled record refused', () => b.state().membership.refused.malformed === 1);
    await until('the link back up on a new connection', () => upLinks(a).length === 1 && a.state().links[0]!.connections >= 2);
    expect(enqueue(B, MEMBER_TOPIC, raised)).toBe(true);
    await until('the forged record refused', () => b.state().membership.refused.signature === 1);
    expect(a.links.send(B, 'test', Buffer.from('{"n":3}'))).toBe(true);
    await until('the message after them', () => b.received.length === 1);
    expect(b.received).toEqual([{ from: A, topic: 'test', payload: { n: 3 } }]);
    expect(b.state().unknownControl).toBe(1);
    // B closed A's connection once for each (a closed link says why in the log; the rebound link clears its last error).
    expect(linkLogs.filter((line) => line.includes('LinkFrameError: the peer sent a membership message refused as')).length).toBe(2);
    // What B knows of A is A's genuine record, untouched by the forgery.
    expect(memberOf(b, A)).toMatchObject({ state: 'alive', incarnation: a.state().membership.incarnation });
    await until('the link up', () => upLinks(a).length === 1 && upLinks(b).length === 1);
    // No actor may use a reserved topic.
    expect(() => a.links.send(B, MEMBER_TOPIC, Buffer.from('{}'))).toThrow(RangeError);
  });
});
