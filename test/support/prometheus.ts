// The daemon's /metrics read by a Prometheus text-format parser from npm (not by our own code), as
// `family name → samples`, with a helper for one labelled value.
import parsePrometheusTextFormat, { type Family } from 'parse-prometheus-text-format';

export function parseMetrics(text: string): Map<string, Family> {
  return new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
}

/** The value of the sample of `name` whose labels include `labels`, as a number; undefined if none. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const sample = families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample?.value === undefined ? undefined : Number(sample.value);
}
