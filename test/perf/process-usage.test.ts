import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseVmRssBytes, ProcReadError, readProcessUsage } from '../../perf/fixtures/process-usage.js';

const STATUS = ['Name:\tnode', 'State:\tS (sleeping)', 'VmPeak:\t 1234567 kB', 'VmRSS:\t  204800 kB', 'RssAnon:\t  150000 kB', 'Threads:\t11', ''].join('\n');

describe('parseVmRssBytes', () => {
  it('reads the VmRSS line, in KiB as the kernel writes it, not the lines around it', () => {
    expect(parseVmRssBytes(STATUS)).toBe(204_800 * 1024);
  });

  it('refuses a status without VmRSS (a kernel thread, an exited process)', () => {
    expect(() => parseVmRssBytes('Name:\tkthreadd\nState:\tS (sleeping)\n')).toThrow(ProcReadError);
  });

  it('refuses a text far longer than a status file before scanning it', () => {
    expect(() => parseVmRssBytes(`${'x'.repeat(70_000)}\n${STATUS}`)).toThrow(/is not \/proc/);
  });
});

describe('readProcessUsage', () => {
  it('reads a live process, and fails with ProcReadError once it is gone', async () => {
    const child = spawn(process.execPath, ['-e', 'process.stdout.write("up"); setInterval(() => undefined, 1000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      // Read once it runs Node, not between its fork and exec.
      await new Promise((resolve) => child.stdout!.once('data', resolve));
      const usage = readProcessUsage(child.pid!);
      // A Node process holds tens of MiB and at least its three standard descriptors.
      expect(usage.rssMib).toBeGreaterThan(1);
      expect(usage.fds).toBeGreaterThanOrEqual(3);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    expect(() => readProcessUsage(child.pid!)).toThrow(ProcReadError);
  });
});
