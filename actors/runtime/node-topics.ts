/**
 * The node's own topics. Subsystems declare theirs here as they land (telemetry.*, anomaly.*,
 * mesh.*, …), so every topic and its schema can be read in one file.
 */
import { z } from 'zod';
import { defineTopics } from './topic-registry.js';

export const nodeTopics = defineTopics({
  'node.ping': {
    schema: z.object({}).strict(),
    overflow: 'reject',
    description: 'Request any actor to answer that it is serving; used by health checks and benchmarks.',
  },
});
