// Kubernetes names and labels for podledger's apps: what the API server accepts (DNS labels of at
// most 63 characters, label values of at most 63), and the spec hash in a form that fits a label.
import { sha256 } from '../hash.js';
import { LABELS } from '../spec.js';

/** A DNS-1123 label: what Kubernetes takes as a container, volume or (here) object name. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const isDnsLabel = (s: string): boolean => DNS_LABEL.test(s);

/**
 * `base` with `suffix`, as a DNS label: lower-cased, other characters as '-', and when that changed
 * the text or it is too long, cut and tagged with a hash of the original so two names never meet.
 */
export function dnsLabel(base: string, suffix = ''): string {
  const wanted = suffix ? `${base}-${suffix}` : base;
  const clean = wanted.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  if (clean === wanted && isDnsLabel(clean)) return clean;
  const tag = sha256(wanted).slice(0, 8);
  return `${clean.slice(0, 63 - tag.length - 1).replace(/-+$/, '') || 'x'}-${tag}`;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * The 64-hex spec hash as 52 base32 letters and digits: Kubernetes, and podman's kube play too,
 * refuse label and annotation values over 63 characters, so the hex form cannot travel as either.
 */
export function hashToLabel(hex: string): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of Buffer.from(hex, 'hex')) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** The hex spec hash back from its label form; undefined when the text is not one. */
export function hashFromLabel(text: string): string | undefined {
  if (!/^[a-z2-7]{52}$/.test(text)) return undefined;
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const ch of text) {
    value = ((value << 5) | BASE32.indexOf(ch)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return bytes.length === 32 ? Buffer.from(bytes).toString('hex') : undefined;
}

/** The labels a rendered pod (and so each of its podman containers) carries. */
export function podLabels(app: string, specHash: string | undefined, hashVersion: number): Record<string, string> {
  return {
    [LABELS.app]: app,
    [LABELS.hashVersion]: String(hashVersion),
    ...(specHash ? { [LABELS.specHashLabel]: hashToLabel(specHash) } : {}),
  };
}

/** The Secret one secret file becomes: apps share secret files, so they share the Secret too. */
export const secretObjectName = (file: string): string => dnsLabel(`podledger-secret-${file}`);

/** The key of a secret file's value inside its Secret. */
export const SECRET_KEY = 'value';
