// Images: present already, built from the app's context, or pulled — whichever the spec needs.
import path from 'node:path';
import type Docker from 'dockerode';
import tar from 'tar-fs';
import { ActionError, podmanMessage } from './errors.js';

export type Progress = (line: string) => void;

export async function imageExists(docker: Docker, image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw new ActionError('image-inspect-failed', `cannot inspect image: ${image}: ${podmanMessage(err)}`, true, { cause: err });
  }
}

export interface BuildRequest {
  tag: string;
  context: string;
  containerfile: string;
  args: Record<string, string>;
}

/** Build from a local context. Symlinks are followed when packing, so a context may link in host binaries. */
export async function buildImage(docker: Docker, req: BuildRequest, progress: Progress): Promise<void> {
  const context = tar.pack(req.context, { dereference: true }) as unknown as NodeJS.ReadableStream;
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(context, { t: req.tag, dockerfile: path.normalize(req.containerfile), buildargs: req.args, rm: true });
  } catch (err) {
    throw new ActionError('build-failed', `cannot build image: ${req.tag} from ${req.context}: ${podmanMessage(err)}`, true, { cause: err });
  }
  await follow(docker, stream, progress, (msg) => new ActionError('build-failed', `cannot build image: ${req.tag} from ${req.context}: ${msg}`));
}

export async function pullImage(docker: Docker, image: string, progress: Progress): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.pull(image);
  } catch (err) {
    throw new ActionError('pull-failed', `cannot pull image: ${image}: ${podmanMessage(err)}`, true, { cause: err });
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
