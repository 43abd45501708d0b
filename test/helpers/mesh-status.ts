/** A node process's status and its mesh part, read over its control socket in its data directory. */
import { join } from 'node:path';
import { callControl } from '../../cli/control-client.js';
import { nodeStatusSchema, type MeshStatus, type NodeStatus } from '../../actors/runtime/ops/node-status.js';

export async function nodeStatusIn(dataDir: string): Promise<NodeStatus> {
  return nodeStatusSchema.parse(await callControl(join(dataDir, 'control.sock'), 'status'));
}

/** The peer link's listener and links; undefined while the node has no peer-link report yet. */
export async function meshStatusIn(dataDir: string): Promise<MeshStatus | undefined> {
  return (await nodeStatusIn(dataDir)).mesh;
}
