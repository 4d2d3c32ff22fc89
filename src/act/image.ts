// Images: present already, built from the app's context, or pulled — whichever the spec needs.
import path from 'node:path';
import type Docker from 'dockerode';
import type tar from 'tar-fs';
import { checkedFs, hashTree, type LinkRules } from '../host/build-context.js';
import { podmanMessage } from '../podman/errors.js';
import { ActionError } from './errors.js';

export type Progress = (line: string) => void;

/**
 * libpod's existence check (204 or 404), not an inspect: podman 4.3 answers an image inspect in ~33 ms
 * (p50, five creates at once) and this in ~8, on every create's path. The name goes in the path as
 * dockerode puts it in an inspect's (podman's route takes the rest of the path, slashes and all).
 */
export function imageExists(docker: Docker, image: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    docker.modem.dial({
      path: `/v4.0.0/libpod/images/${image}/exists`, method: 'GET',
      statusCodes: { 204: true, 404: 'no such image', 500: 'server error' },
    }, (err) => {
      if (!err) resolve(true);
      else if ((err as { statusCode?: number }).statusCode === 404) resolve(false);
      else reject(new ActionError('image-inspect-failed', `cannot inspect image: ${image}: ${podmanMessage(err)}`, { cause: err }));
    });
  });
}

export interface BuildRequest {
  tag: string;
  context: string;
  containerfile: string;
  args: Record<string, string>;
  /**
   * The app folder and the host files its links may lead to (the node policy's build_host_files): the
   * context is then packed only as the manifest check hashed it (src/host/build-context.ts), a link
   * leading elsewhere failing the build. Without it, every link is followed, as before the rule.
   */
  links?: LinkRules;
}

/**
 * tar-fs masks packed modes with the process umask by default; the CLI's is 077 (private data), which
 * would make an image's files unreadable to a non-root user. The usual 022 keeps modes as they were.
 */
const PACK_UMASK = 0o022;
/** tar-fs reads `umask` from its options; its type declarations omit it */
type PackOptions = tar.PackOptions & { umask?: number };

/** tar-fs (and tar-stream under it), loaded by the first build: most daemons never build, and it stayed in their memory. */
const tarFs = async (): Promise<typeof tar> => (await import('tar-fs')).default;

/** Build from a local context. Links are followed when packing (out of the app folder only to the host files `links` allows). */
export async function buildImage(docker: Docker, req: BuildRequest, progress: Progress): Promise<void> {
  const fail = (message: string, cause: unknown) =>
    new ActionError('build-failed', `cannot build image: ${req.tag} from ${req.context}: ${message}`, { cause });
  let refused: Error | undefined;
  let context: NodeJS.ReadableStream;
  const { pack: packTree } = await tarFs();
  if (req.links) {
    // Checked whole before podman is asked (a clean refusal); the pack checks again as it reads.
    try {
      await hashTree(req.context, req.links);
    } catch (err) {
      throw fail((err as Error).message, err);
    }
    const options: PackOptions & { fs: unknown } = { dereference: true, umask: PACK_UMASK, fs: await checkedFs(req.context, req.links) };
    const pack = packTree(req.context, options);
    pack.on('error', (err: Error) => { refused = err; });
    context = pack as unknown as NodeJS.ReadableStream;
  } else {
    context = packTree(req.context, { dereference: true, umask: PACK_UMASK } as PackOptions) as unknown as NodeJS.ReadableStream;
  }
  // A pack refused half-way aborts the upload: say why, rather than what podman saw of it.
  const failed = (message: string, cause?: unknown) => (refused ? fail(refused.message, refused) : fail(message, cause));
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(context, { t: req.tag, dockerfile: path.normalize(req.containerfile), buildargs: req.args, rm: true });
  } catch (err) {
    throw failed(podmanMessage(err), err);
  }
  await follow(docker, stream, progress, (msg) => failed(msg));
}

export async function pullImage(docker: Docker, image: string, progress: Progress): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(image);
  } catch (err) {
    throw new ActionError('pull-failed', `cannot pull image: ${image}: ${podmanMessage(err)}`, { cause: err });
  }
  await follow(docker, stream, progress, (msg) => new ActionError('pull-failed', `cannot pull image: ${image}: ${msg}`));
}

/** Waits for a build/pull stream to end; an `error` line in it is a failure even if HTTP said 200. */
function follow(docker: Docker, stream: NodeJS.ReadableStream, progress: Progress, fail: (msg: string) => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(fail(err.message)) : failed ? reject(fail(failed)) : resolve()),
      (line: { stream?: string; status?: string; error?: string; errorDetail?: { message?: string } }) => {
        if (line.error) failed = line.errorDetail?.message ?? line.error;
        const text = (line.stream ?? line.status ?? '').trim();
        if (text) progress(text);
      },
    );
  });
}

/** The `STEP n/m: …` line of a build's output, when it is one: progress worth keeping as an event. */
export function buildStep(line: string): string | undefined {
  return /^STEP \d+\/\d+: .*/.exec(line)?.[0];
}
