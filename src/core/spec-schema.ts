// The desired container spec: everything a container is created from, normalised, secrets as hashes.
// It is recorded with each create so later diffs are taken against it, not against `podman inspect`.
// Fields added later carry defaults, so specs recorded by older versions still decode.
import * as z from 'zod';

/** Built on first use, as the event schemas that hold it are (event-schemas.ts). */
function build() {
  const HealthSpec = z.object({
    type: z.enum(['http', 'tcp', 'exec']),
    port: z.number().optional(),
    path: z.string().optional(),
    command: z.array(z.string()).optional(),
    intervalMs: z.number(),
    timeoutMs: z.number(),
    retries: z.number(),
    startPeriodMs: z.number(),
  });

  const ContainerSpecSchema = z.object({
    app: z.string(),
    name: z.string(),
    image: z.string(),
    network: z.string(),
    hostname: z.string().optional(),
    entrypoint: z.array(z.string()).optional(),
    /** the command, when the manifest replaces the image's */
    command: z.array(z.string()).optional(),
    /** appended to the command (or to the image's CMD) */
    cmd: z.array(z.string()),
    ports: z.array(z.object({ host: z.number(), container: z.number(), protocol: z.enum(['tcp', 'udp']), hostIp: z.string().optional() })),
    volumes: z.array(
      z.union([
        z.object({ type: z.literal('bind'), source: z.string(), target: z.string(), read_only: z.boolean() }),
        z.object({ type: z.literal('volume'), source: z.string(), target: z.string(), read_only: z.boolean() }),
        z.object({ type: z.literal('tmpfs'), target: z.string(), size: z.number().optional(), mode: z.string().optional() }),
      ]),
    ),
    /** plain and derived values, resolved */
    env: z.record(z.string(), z.string()),
    /** KEY → keyed hash of the secret's value; the value itself never leaves the executor */
    secretEnv: z.record(z.string(), z.object({ secret: z.string(), hash: z.string() })),
    /** rendered file path → content hash */
    files: z.record(z.string(), z.string()),
    /** seconds */
    stopTimeout: z.number(),
    user: z.string().optional(),
    dataUid: z.string().optional(),
    devices: z.array(z.string()).default([]),
    healthCheck: HealthSpec.optional(),
    resources: z.object({ memory: z.number().optional(), cpus: z.number().optional() }).default({}),
    security: z.object({
      capAdd: z.array(z.string()),
      capDrop: z.array(z.string()),
      readOnlyRoot: z.boolean(),
      noNewPrivileges: z.boolean(),
    }).default({ capAdd: [], capDrop: [], readOnlyRoot: false, noNewPrivileges: false }),
  });
  return ContainerSpecSchema;
}

let built: ReturnType<typeof build> | undefined;
export const containerSpecSchema = () => (built ??= build());
export type ContainerSpec = z.infer<ReturnType<typeof build>>;
