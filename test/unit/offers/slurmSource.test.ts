import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SINFO_COMMAND, slurmOfferSource, slurmPartitionOffers } from '../../../src/core/offers/slurmSource';
import { InfraError } from '../../../src/core/util/errors';
import { NOW, now, signal } from './helpers';

// `sinfo -h -o '%P|%a|%F|%c|%m|%G|%l'` as Ferry's test cluster prints it (no GRES configured).
const TEST_CLUSTER = 'gpu*|up|0/2/0/2|2|2000|(null)|infinite\n';

// The same command on a lab cluster: GPU partitions, a down one, a partition with two node kinds.
const LAB = [
  'a100*|up|3/1/0/4|64|512000|gpu:a100:8(S:0-1)|2-00:00:00',
  'h100|up|4/0/0/4|96|1024000|gpu:h100:8|1-00:00:00',
  'debug|down|0/0/2/2|16|64000|(null)|30:00',
  'mixed|up|1/1/0/2|32+|256000|gpu:rtx_a6000:4,shard:8|infinite',
  'mixed|up|0/2/0/2|32|256000|gpu:l40s:2|infinite',
  '',
].join('\n');

describe('Slurm clusters as offers', () => {
  it('the test cluster: one CPU-only partition with both nodes idle, free', () => {
    const [o, ...rest] = slurmPartitionOffers('testbox', TEST_CLUSTER, { now });
    assert.equal(rest.length, 0);
    assert.deepEqual(o, {
      provider: 'slurm',
      id: 'slurm:testbox:gpu',
      instanceType: 'gpu* (2/2 nodes idle)',
      gpu: { name: 'none', count: 0, memoryGb: 0, vendor: 'unknown' },
      cpus: 2,
      memoryGb: 2,
      diskGb: 0,
      region: 'slurm:testbox',
      pricePerHour: 0,
      available: true,
      asOf: NOW.toISOString(),
    });
  });

  it('a lab cluster: GPUs per node from GRES, priced per GPU-hour, available only with an idle node', () => {
    const offers = slurmPartitionOffers('lab', LAB, { pricePerGpuHour: 0.5, now });
    assert.deepEqual(
      offers.map((o) => [o.id, o.gpu.name, o.gpu.count, o.gpu.vendor, o.cpus, o.memoryGb, o.pricePerHour, o.available]),
      [
        ['slurm:lab:a100', 'A100', 8, 'nvidia', 64, 500, 4, true],
        ['slurm:lab:h100', 'H100', 8, 'nvidia', 96, 1000, 4, false],
        ['slurm:lab:debug', 'none', 0, 'unknown', 16, 62.5, 0, false],
        ['slurm:lab:mixed', 'A6000', 4, 'nvidia', 32, 250, 2, true],
        ['slurm:lab:mixed#2', 'L40S', 2, 'nvidia', 32, 250, 1, true],
      ],
    );
    assert.equal(offers[0]?.instanceType, 'a100* (1/4 nodes idle)');
    assert.equal(offers[1]?.instanceType, 'h100 (0/4 nodes idle)');
  });

  it('a line sinfo did not print in the asked format is an error, not a half-read offer', () => {
    assert.throws(() => slurmPartitionOffers('lab', 'PARTITION AVAIL TIMELIMIT NODES STATE NODELIST\n'), /cannot read sinfo output/);
  });

  it('the source asks every configured cluster, keeps the ones that answer, fails only when none does', async () => {
    const calls: string[] = [];
    const warned: string[] = [];
    const source = slurmOfferSource({
      prices: { lab: 1, testbox: 0, gone: 0 },
      now,
      logger: { debug() {}, info() {}, warn: (m) => warned.push(m), error() {} },
      exec: async (alias, cmd) => {
        calls.push(`${alias}: ${cmd}`);
        if (alias === 'gone') throw new InfraError('connect ECONNREFUSED');
        return alias === 'lab' ? LAB : TEST_CLUSTER;
      },
    });
    assert.equal(source.name, 'slurm');
    assert.equal(source.cacheable, false);
    const list = await source.listOffers({}, signal);
    assert.deepEqual(calls.sort(), [`gone: ${SINFO_COMMAND}`, `lab: ${SINFO_COMMAND}`, `testbox: ${SINFO_COMMAND}`]);
    assert.equal(SINFO_COMMAND, "sinfo -h -o '%P|%a|%F|%c|%m|%G|%l'");
    assert.deepEqual(list.offers.map((o) => o.id), ['slurm:lab:a100', 'slurm:lab:h100', 'slurm:lab:debug', 'slurm:lab:mixed', 'slurm:lab:mixed#2', 'slurm:testbox:gpu']);
    assert.equal(list.offers[0]?.pricePerHour, 8);
    assert.match(warned.join('\n'), /slurm:gone: connect ECONNREFUSED/);

    const none = slurmOfferSource({ prices: { gone: 0 }, exec: async () => Promise.reject(new InfraError('no route')) });
    await assert.rejects(none.listOffers({}, signal), /slurm:gone: no route/);
  });
});
