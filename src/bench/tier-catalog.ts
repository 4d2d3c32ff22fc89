// The tiered catalog the podman bench starts (podman-tiers.ts), the manifest bench reads and the
// manifest readers' tests take as real manifests: 20 web apps in 4 tiers, each app of a tier depending
// on its counterpart in the tier before being healthy.
import { manifestText, WEB } from './podman-util.js';

export const TIER_CATALOG: readonly { id: string; text: string }[] = Array.from({ length: 20 }, (_, n) => {
  const [t, i] = [Math.floor(n / 5), n % 5];
  const id = `t${t}a${i}`;
  const dep = t > 0 ? `dependencies: [{ app: t${t - 1}a${i}, condition: healthy }]\n` : '';
  return { id, text: manifestText(id, `  image: ${WEB}\n  name: bench-${id}\n  ports: [{ host: ${21000 + t * 10 + i}, container: 8080, host_ip: 127.0.0.1 }]\n  health_check: { type: http, port: 8080, interval: 1s, timeout: 1s }\n${dep}`) };
});
