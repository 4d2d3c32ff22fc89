// Host facts: values the node learns from its environment, which derived values are rendered from.
// Each known fact is declared once, here.

export const FACT_NAMES = ['HOST_IP', 'HOST_MDNS', 'DISK_GB'] as const;
export type FactName = (typeof FACT_NAMES)[number];
export type HostFacts = Partial<Record<FactName, string | number>>;

/** `{{secret:NAME}}` names a secret in rendered files. */
export const SECRET_PREFIX = 'secret:';

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_:.-]+)\s*\}\}/g;

export function placeholdersIn(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

export function isFactName(name: string): name is FactName {
  return (FACT_NAMES as readonly string[]).includes(name);
}

export type Rendered = { ok: true; value: string } | { ok: false; missing: string[] };

/**
 * Fill a template's placeholders. A placeholder without a value is reported, never rendered as an
 * empty string: a container must not start with a half-resolved value.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string | number | undefined>>): Rendered {
  const missing = placeholdersIn(template).filter((name) => values[name] === undefined || values[name] === '');
  if (missing.length > 0) return { ok: false, missing: [...new Set(missing)] };
  return { ok: true, value: template.replace(PLACEHOLDER, (_, name: string) => String(values[name])) };
}
