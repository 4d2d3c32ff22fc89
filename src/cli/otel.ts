// The log as OpenTelemetry log records: one OTLP/JSON `ExportLogsServiceRequest` per line, the form the
// OpenTelemetry Collector's file exporter writes and its `otlpjsonfile` receiver reads, so a node's
// audit trail ships through a pipeline an operator already runs (docs/fleet.md). Each line is whole on
// its own: a reader may start, stop and resume at any line.
//
// What leaves the node is what the web UI shows: secret hashes are taken out (`../web/redact.ts`).
// A full-fidelity copy, for `podledger why` on another machine, is the NDJSON export.
import type { Envelope } from '../core/events.js';
import { kindOf, severityOf, type Severity } from '../web/classify.js';
import { redactData, summaryOf } from '../web/redact.js';
import { VERSION } from '../version.js';

/** The OpenTelemetry severity numbers of the log data model (INFO 9, WARN 13, ERROR 17). */
const SEVERITY: Record<Severity, { number: number; text: string }> = {
  info: { number: 9, text: 'INFO' },
  warning: { number: 13, text: 'WARN' },
  error: { number: 17, text: 'ERROR' },
};

/** The attribute that carries the event's seq: a resumed export starts after the last one written. */
export const SEQ_ATTRIBUTE = 'podledger.seq';

type AnyValue = { stringValue: string } | { intValue: string };
type KeyValue = { key: string; value: AnyValue };

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
// OTLP/JSON writes 64-bit integers as strings (the protobuf JSON mapping)
const int = (key: string, value: number): KeyValue => ({ key, value: { intValue: String(value) } });

/** One event as one line of OTLP/JSON (no newline). `node` is the node's id, when the log has one. */
export function otelLine(e: Envelope, node: string | undefined): string {
  const severity = SEVERITY[severityOf(e)];
  const nanos = `${e.at}000000`;
  const attributes: KeyValue[] = [
    // stable across re-exports: a collector that sees a line twice can drop the copy
    str('log.record.uid', e.id),
    ...(node ? [str('podledger.node', node)] : []),
    int(SEQ_ATTRIBUTE, e.seq),
    int('podledger.boot', e.boot),
    int('podledger.boot_seq', e.bootSeq),
    str('podledger.kind', kindOf(e)),
    str('podledger.source', e.source),
    ...(e.app !== undefined ? [str('podledger.app', e.app)] : []),
    ...(e.causedBy !== undefined ? [int('podledger.caused_by', e.causedBy)] : []),
    ...(e.correlation !== undefined ? [str('podledger.correlation', e.correlation)] : []),
    int('podledger.event_version', e.v),
    str('podledger.data', JSON.stringify(redactData(e))),
  ];
  const resource: KeyValue[] = [str('service.name', 'podledger'), str('service.version', VERSION), ...(node ? [str('service.instance.id', node)] : [])];
  return JSON.stringify({
    resourceLogs: [{
      resource: { attributes: resource },
      scopeLogs: [{
        scope: { name: 'podledger', version: VERSION },
        logRecords: [{
          timeUnixNano: nanos,
          observedTimeUnixNano: nanos,
          severityNumber: severity.number,
          severityText: severity.text,
          eventName: e.type,
          body: { stringValue: summaryOf(e) },
          attributes,
        }],
      }],
    }],
  });
}

/** The seq a line of either format carries (NDJSON: `seq`; OTLP/JSON: the seq attribute), if any. */
export function seqOfLine(line: string): number | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const direct = (value as { seq?: unknown }).seq;
  if (Number.isSafeInteger(direct)) return direct as number;
  const records = (value as { resourceLogs?: { scopeLogs?: { logRecords?: { attributes?: KeyValue[] }[] }[] }[] }).resourceLogs;
  const attr = Array.isArray(records) ? records[0]?.scopeLogs?.[0]?.logRecords?.[0]?.attributes?.find((a) => a?.key === SEQ_ATTRIBUTE) : undefined;
  const seq = attr && 'intValue' in attr.value ? Number(attr.value.intValue) : NaN;
  return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
}
