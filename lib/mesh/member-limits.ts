/**
 * The bounds and states of membership, in a module with no dependencies: the configuration's schema,
 * the bus's schema of `mesh.links` and the CLI read them without loading the X.509 and liboqs code
 * that checks member records (member-record.ts).
 */

/** `alive`, or `left`: the node announced its graceful leave; at the same incarnation `left` supersedes `alive`. */
export const MEMBER_RECORD_STATES = ['alive', 'left'] as const;
export type MemberRecordState = (typeof MEMBER_RECORD_STATES)[number];

/**
 * What a node holds a member to be: `alive`; `suspect` once a member lost its link to it and says so
 * (a suspect claim), until it refutes with a newer incarnation or the suspicion times out; `dead`
 * then, or at once when its address refused a connection (its process is gone); `left` after its
 * graceful leave.
 */
export const MEMBER_STATUSES = ['alive', 'suspect', 'dead', 'left'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** A node reachable at more addresses than this is rare; gossip carries every record to every member, so each is kept small. */
export const MAX_MEMBER_ADDRESSES = 8;

/**
 * Members one node keeps at most: the deterministic simulation's 1,000-node mesh four times over.
 * Together with MAX_MEMBER_TABLE_BYTES it bounds what gossip can make a node hold.
 */
export const MAX_MEMBERS = 4_096;

/** The signed records the table holds, in bytes: a typical record is about 5 KiB, so 4,096 of them fit in 24 MiB. */
export const MAX_MEMBER_TABLE_BYTES = 24 * 1024 * 1024;
