// A node with one supervised worker actor: publish, request, crash it, and see its state survive.
// Run: npm run build && node examples/hello-node.mjs [DATA_DIR]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { createNode, defineTopics } from 'x0tta6bl4';

const topics = defineTopics({
  'demo.add': { schema: z.object({ amount: z.number() }), overflow: 'block', description: 'Add to the total.' },
  'demo.total': { schema: z.object({}), overflow: 'reject', description: 'Request: the total so far.' },
});

const node = createNode({
  config: { dataDir: process.argv[2] ?? mkdtempSync(join(tmpdir(), 'x0tta6bl4-demo-')), logLevel: 'warn' },
  topics,
  tree: {
    kind: 'supervisor',
    id: 'root',
    strategy: 'one_for_one',
    children: [{ kind: 'actor', id: 'adder', module: new URL('./adder-actor.mjs', import.meta.url).href, subscribes: ['demo.add'] }],
  },
});

await node.start();
for (let amount = 1; amount <= 100; amount++) await node.publish('demo.add', { amount });
console.log('total', await node.request('adder', 'demo.total', {}));

await node.crash('adder', 'exit'); // the supervisor restarts it from its persisted snapshot
await new Promise((resolve) => setTimeout(resolve, 200));
console.log('total after crash', await node.request('adder', 'demo.total', {}));
console.log('restarts', node.tree().children[0].restarts);
await node.stop();
