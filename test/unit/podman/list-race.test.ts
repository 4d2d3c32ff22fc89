// podman fails a whole container list when one container goes away between its listing and the read
// of its state. The retry policy around that race, over a stand-in list call (the race itself cannot be
// produced on demand with a real podman).
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { listAllContainers } from '../../../src/podman/client.js';

const raced = Object.assign(new Error('(HTTP code 500) server error - container 3f2a does not exist in database: no such container'), {
  statusCode: 500, json: { message: 'container 3f2a does not exist in database: no such container' },
});

/** A client whose list fails with each given error in turn, then lists one container. */
function failing(...errors: Error[]): { docker: Docker; calls: () => number } {
  let calls = 0;
  const docker = {
    listContainers: async () => {
      const err = errors[calls++];
      if (err) throw err;
      return [{ Id: 'abc' }];
    },
  } as unknown as Docker;
  return { docker, calls: () => calls };
}

describe('listing containers during podman\'s list race', () => {
  it('given a list that fails twice with "no such container", when listed, then it asks again and returns the list', async () => {
    const { docker, calls } = failing(raced, raced);
    await expect(listAllContainers(docker)).resolves.toEqual([{ Id: 'abc' }]);
    expect(calls()).toBe(3);
  });

  it('given the race every time, when listed, then it gives up after five tries with podman\'s error', async () => {
    const { docker, calls } = failing(raced, raced, raced, raced, raced, raced);
    await expect(listAllContainers(docker)).rejects.toBe(raced);
    expect(calls()).toBe(5);
  });

  it('given any other failure (podman unreachable), when listed, then it fails at once', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED /run/podman/podman.sock'), { code: 'ECONNREFUSED' });
    const { docker, calls } = failing(refused);
    await expect(listAllContainers(docker)).rejects.toBe(refused);
    expect(calls()).toBe(1);
  });
});
