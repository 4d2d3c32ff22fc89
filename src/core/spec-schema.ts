// The desired container spec: everything a container is created from, normalised, secrets as hashes.
// It is recorded with each create so later diffs are taken against it, not against `podman inspect`.
import { z } from 'zod';

export const ContainerSpecSchema = z.object({
  app: z.string(),
  name: z.string(),
  image: z.string(),
  network: z.string(),
  entrypoint: z.array(z.string()).optional(),
  cmd: z.array(z.string()),
  ports: z.array(z.object({ host: z.number(), container: z.number(), protocol: z.enum(['tcp', 'udp']) })),
  volumes: z.array(
    z.union([
      z.object({ type: z.literal('bind'), source: z.string(), target: z.string(), read_only: z.boolean() }),
      z.object({ type: z.literal('tmpfs'), target: z.string(), options: z.string().optional() }),
    ]),
  ),
  /** plain and derived values, resolved */
  env: z.record(z.string(), z.string()),
  /** KEY → keyed hash of the secret's value; the value itself never leaves the executor */
  secretEnv: z.record(z.string(), z.object({ secret: z.string(), hash: z.string() })),
  /** rendered file path → content hash */
  files: z.record(z.string(), z.string()),
  stopTimeout: z.number(),
});
export type ContainerSpec = z.infer<typeof ContainerSpecSchema>;
