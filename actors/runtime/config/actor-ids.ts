/** Actors the runtime itself addresses by id (requests of the control socket and of remediation): named once, here and in default-tree.ts. */
export const PEER_LINK_ACTOR = 'peer-link';
