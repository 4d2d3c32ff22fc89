// `podledger validate`: every manifest of the apps folder judged as the daemon would judge it (the
// manifests' own rules, the cross-app ones, the node policy). Its own module, so that it loads the
// manifest readers and nothing of the log, the fold or the other commands (docs/benchmarks.md, start-up).
import type { Common } from './commands.js';
import { InvalidInputError } from './errors.js';
import { json, out } from './output.js';

export async function validate(o: Common): Promise<void> {
  const [{ readCatalog }, { formatManifestError }] = await Promise.all([import('../observe/manifests.js'), import('../manifest/parse.js')]);
  const { readings, policy } = await readCatalog(o.apps, { policyFile: o.policy, secretsDir: o.secrets, podmanSocket: o.podmanSocket });
  const errors = [...readings.values()].flatMap((r) => (r.ok ? [] : r.errors));
  // which policy granted what the catalog asks is part of the answer: the same catalog may fail elsewhere
  const policyFile = policy.policyFileExists === false ? null : policy.policyFile;
  if (o.json) json({ ok: errors.length === 0, apps: readings.size, policy: policyFile, errors });
  else if (errors.length === 0) out(`${readings.size} app manifest(s) in ${o.apps} are valid under ${policyFile ? `the node policy ${policyFile}` : 'the default node policy (no policy file)'}`);
  if (errors.length > 0) throw new InvalidInputError(`${errors.length} error(s) in ${o.apps}`, o.json ? undefined : errors.map(formatManifestError).join('\n'));
}
