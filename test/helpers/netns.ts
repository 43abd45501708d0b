/**
 * Network namespaces a test makes for itself (root only): nodes joined by veth pairs, each pair its
 * own /30 on 10.77.<link>.0, nothing routed between links (a node reaches only its neighbours; the
 * mesh routes the rest), every namespace's loopback up. Deleting a namespace deletes its veth ends;
 * `remove` deletes every namespace it made, and is safe to call twice and after a failed creation.
 */
import { execFileSync } from 'node:child_process';

export interface NetnsLink {
  /** Indexes of the two nodes. */
  between: [number, number];
  /** Each side's interface name and address, in the order of `between`. */
  ends: [{ device: string; address: string }, { device: string; address: string }];
}

export interface Netns {
  names: string[];
  links: NetnsLink[];
  /** Runs `ip` inside node `index`'s namespace. */
  ip(index: number, ...args: string[]): void;
  remove(): void;
}

/** Whether this process may make network namespaces (root with `ip` present), or why not. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'making network namespaces needs root';
  try {
    execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
  } catch {
    return "the 'ip' command (iproute2) is missing";
  }
  return undefined;
}

const run = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

export function makeNetns(prefix: string, nodes: number, edges: readonly [number, number][]): Netns {
  const names = Array.from({ length: nodes }, (_, index) => `${prefix}-${index}`);
  const made: string[] = [];
  const netns: Netns = {
    names,
    links: [],
    ip: (index, ...args) => run('netns', 'exec', names[index]!, 'ip', ...args),
    remove: () => {
      for (const name of made.splice(0)) {
        try {
          run('netns', 'del', name);
        } catch {
          // Already gone: nothing of it is left to remove.
        }
      }
    },
  };
  try {
    for (const name of names) {
      run('netns', 'add', name);
      made.push(name);
      run('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
    }
    edges.forEach(([from, to], link) => {
      // Interface names are at most 15 characters: short, and unique within each namespace.
      const ends: NetnsLink['ends'] = [
        { device: `v${link}a`, address: `10.77.${link}.1` },
        { device: `v${link}b`, address: `10.77.${link}.2` },
      ];
      const temporary = [`x${process.pid % 100_000}l${link}a`, `x${process.pid % 100_000}l${link}b`];
      run('link', 'add', temporary[0]!, 'type', 'veth', 'peer', 'name', temporary[1]!);
      try {
        [from, to].forEach((node, side) => run('link', 'set', temporary[side]!, 'netns', names[node]!));
      } catch (error) {
        // An end still in this namespace: deleting it deletes the pair.
        for (const name of temporary) {
          try {
            run('link', 'del', name);
          } catch {
            // Moved already, or gone.
          }
        }
        throw error;
      }
      [from, to].forEach((node, side) => {
        netns.ip(node, 'link', 'set', temporary[side]!, 'name', ends[side]!.device);
        netns.ip(node, 'addr', 'add', `${ends[side]!.address}/30`, 'dev', ends[side]!.device);
        netns.ip(node, 'link', 'set', ends[side]!.device, 'up');
      });
      netns.links.push({ between: [from, to], ends });
    });
  } catch (error) {
    netns.remove();
    throw error;
  }
  return netns;
}
