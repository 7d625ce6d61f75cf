// Pleo's published OpenAPI documents (the copies in this folder) as a
// checker: requests and answers are validated with ajv, a real JSON-Schema
// validator, after the readings of docs/PLEO-API.md "Readings" are applied.
// Used by the contract tests (tests/js/contract.test.mjs) and by the
// stand-in's recorder of violations (dev/standin/api/contract-check.mjs).
//
//   const contract = loadContract();
//   contract.checkRequest({ method, url, body })           → ["…", …] (empty: conforms)
//   contract.checkResponse({ method, url, status, body })  → ["…", …]
//   contract.checkSchema("ExportItemV3", value)            → ["…", …]
//
// Only dev tooling and tests import this (ajv, ajv-formats and yaml are
// devDependencies); the package and the worker never do.

import { readFileSync } from 'node:fs';

import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

export const DOCUMENTS = Object.freeze({
  export: 'pleo-export-openapi-32.1.0.v3.yaml',
  subscriptions: 'pleo-webhook-subscriptions-openapi-11.6.2.yaml',
  companies: 'pleo-oberon-companies-employees-openapi-50.7.0.yaml',
});

// Reading 1: these `pattern`s are Java date-format strings, not regexes.
const DATE_FORMAT_PATTERNS = new Set(['YYYY-MM-DDTHH:mi:ssZ', "yyyy-MM-dd'T'HH:mm:ss'Z'", 'YYYY-MM-DD']);
// Reading 2: "This can be one of X values" gives the field X's enum.
const ONE_OF_VALUES = /This can be one of (\w+) values/;
// Reading 3: these may be null (as the v0–v2 schemas of the same file say).
const NULLABLE_BY_READING = new Set(['failureReasonType', 'subType']);

/** An OpenAPI 3.0 schema as JSON Schema (draft-07, ajv's default). */
function toJsonSchema(schema, enums, name) {
  if (Array.isArray(schema)) return schema.map((s) => toJsonSchema(s, enums));
  if (schema === null || typeof schema !== 'object') return schema;
  const out = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties') {
      out.properties = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, toJsonSchema(s, enums, p)]));
    } else if (['example', 'examples', 'description', 'readOnly', 'writeOnly', 'nullable', 'style', 'explode', 'xml', 'discriminator'].includes(k)) {
      // prose and OpenAPI-only keywords: handled below or irrelevant to validity
    } else if (typeof v === 'object') {
      out[k] = toJsonSchema(v, enums);
    } else {
      out[k] = v;
    }
  }
  if (typeof out.pattern === 'string' && DATE_FORMAT_PATTERNS.has(out.pattern)) {
    // "YYYY-MM-DD" next to format date-time: a date, or a date-time.
    if (out.pattern === 'YYYY-MM-DD') out.format = 'pleo-date';
    delete out.pattern;
  }
  const named = typeof schema.description === 'string' && schema.description.match(ONE_OF_VALUES);
  if (named && out.type === 'string' && !out.enum && enums[named[1]]) out.enum = [...enums[named[1]]];
  const nullable = schema.nullable === true || (name && NULLABLE_BY_READING.has(name));
  if (nullable) {
    if (out.$ref) return { anyOf: [{ $ref: out.$ref }, { type: 'null' }] };
    if (out.type) out.type = [].concat(out.type, 'null');
    if (out.enum) out.enum = [...out.enum, null];
  }
  return out;
}

function convert(doc, key) {
  const schemas = doc.components?.schemas ?? {};
  const enums = Object.fromEntries(Object.entries(schemas).filter(([, s]) => Array.isArray(s.enum)).map(([n, s]) => [n, s.enum]));
  const converted = toJsonSchema(doc, enums);
  converted.$id = `pleo-${key}`;
  return converted;
}

/** Rewrites local refs so a fragment compiled on its own still points into its document. */
function anchored(schema, id) {
  if (Array.isArray(schema)) return schema.map((s) => anchored(s, id));
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === '$ref' && v.startsWith('#') ? `${id}${v}` : anchored(v, id)]));
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];

function operations(doc, converted) {
  const resolve = (p) => (p.$ref ? converted.components.parameters[p.$ref.split('/').pop()] : p);
  const ops = [];
  for (const [path, item] of Object.entries(converted.paths)) {
    const names = [];
    const re = new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\:]/g, (c) => (c === '{' || c === '}' ? c : `\\${c}`)).replace(/\{(\w+)\}/g, (_, n) => {
      names.push(n);
      return '([^/]+)';
    })}$`);
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op) continue;
      const parameters = [...(item.parameters ?? []), ...(op.parameters ?? [])].map(resolve);
      const bodySchema = op.requestBody ? Object.values(op.requestBody.content ?? {})[0]?.schema : undefined;
      ops.push({
        doc, method: method.toUpperCase(), path, re, names, parameters, bodySchema, bodyRequired: op.requestBody?.required === true, // OpenAPI 3: a request body is optional unless marked required
        responses: op.responses ?? {},
      });
    }
  }
  return ops;
}

function messages(validate) {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}${e.params?.allowedValues ? ` (${e.params.allowedValues.slice(0, 8).join(', ')})` : ''}${e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : ''}`);
}

function parseBody(body) {
  if (body === undefined || body === null || body === '') return { empty: true };
  if (typeof body !== 'string') return { value: body };
  try {
    return { value: JSON.parse(body) };
  } catch {
    return { error: 'the body is not JSON' };
  }
}

export function loadContract(dir = new URL('./', import.meta.url)) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('pleo-date', /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$/);
  const ops = [];
  const schemaIds = {};
  for (const [key, file] of Object.entries(DOCUMENTS)) {
    const doc = parseYaml(readFileSync(new URL(file, dir), 'utf8'), { maxAliasCount: -1 });
    const converted = convert(doc, key);
    ajv.addSchema({ $id: converted.$id, components: converted.components });
    for (const name of Object.keys(converted.components?.schemas ?? {})) schemaIds[name] ??= `${converted.$id}#/components/schemas/${name}`;
    ops.push(...operations(key, converted));
  }
  const cache = new Map();
  const compile = (schema, doc) => {
    const s = anchored(schema, `pleo-${doc}`);
    const text = JSON.stringify(s);
    if (!cache.has(text)) cache.set(text, ajv.compile(s));
    return cache.get(text);
  };
  const check = (schema, doc, value, where) => {
    const validate = compile(schema, doc);
    return validate(value) ? [] : messages(validate).map((m) => `${where}: ${m}`);
  };

  function find(method, url) {
    const { pathname } = new URL(url, 'https://external.pleo.io');
    for (const op of ops) {
      if (op.method !== method.toUpperCase()) continue;
      const m = pathname.match(op.re);
      if (m) return { op, params: Object.fromEntries(op.names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
    }
    return null;
  }

  function checkRequest({ method, url, body }) {
    const found = find(method, url);
    const label = `${method.toUpperCase()} ${new URL(url, 'https://external.pleo.io').pathname}`;
    if (!found) return [`${label}: no such operation in Pleo's documents`];
    const { op, params } = found;
    const out = [];
    const query = new URL(url, 'https://external.pleo.io').searchParams;
    for (const p of op.parameters) {
      if (p.in === 'path') {
        out.push(...check(p.schema, op.doc, params[p.name], `${label} path parameter ${p.name}`));
      } else if (p.in === 'query') {
        const values = query.getAll(p.name);
        if (!values.length) {
          if (p.required) out.push(`${label}: query parameter ${p.name} is required`);
          continue;
        }
        const t = p.schema?.type;
        const typed = (v) => ((t === 'integer' || t === 'number') && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v);
        const value = t === 'array' ? values.map((v) => (['integer', 'number'].includes(p.schema.items?.type) ? Number(v) : v)) : values.length > 1 ? values : typed(values[0]);
        out.push(...check(p.schema, op.doc, value, `${label} query parameter ${p.name}`));
      }
    }
    const declared = new Set(op.parameters.filter((p) => p.in === 'query').map((p) => p.name));
    for (const name of new Set(query.keys())) {
      if (!declared.has(name)) out.push(`${label}: query parameter ${name} is not declared by the operation`);
    }
    const parsed = parseBody(body);
    if (op.bodySchema) {
      if (parsed.error) out.push(`${label}: ${parsed.error}`);
      else if (parsed.empty) {
        if (op.bodyRequired) out.push(`${label}: a request body is required`);
      } else out.push(...check(op.bodySchema, op.doc, parsed.value, `${label} body`));
    } else if (!parsed.empty) {
      out.push(`${label}: the operation takes no request body`);
    }
    return out;
  }

  function checkResponse({ method, url, status, body }) {
    const found = find(method, url);
    const label = `${method.toUpperCase()} ${new URL(url, 'https://external.pleo.io').pathname} → ${status}`;
    if (!found) return [`${label}: no such operation in Pleo's documents`];
    const { op } = found;
    const declared = op.responses[String(status)] ?? op.responses.default;
    if (!declared) {
      // Errors every operation can meet (401, 403, 429, 5xx) are not listed
      // per operation; they carry Pleo's error shape when they have a body.
      if (status >= 400) {
        const parsed = parseBody(body);
        if (parsed.empty) return [];
        if (parsed.error) return [`${label}: ${parsed.error}`];
        return check({ $ref: '#/components/schemas/ExceptionInfo' }, 'export', parsed.value, `${label} error body`);
      }
      return [`${label}: the operation does not declare this status (${Object.keys(op.responses).join(', ')})`];
    }
    const schema = Object.values(declared.content ?? {})[0]?.schema;
    if (!schema) return [];
    const parsed = parseBody(body);
    if (parsed.error || parsed.empty) return [`${label}: ${parsed.error ?? 'the body is empty'}`];
    return check(schema, op.doc, parsed.value, `${label} body`);
  }

  function checkSchema(name, value) {
    const id = schemaIds[name];
    if (!id) throw new Error(`no schema ${name} in Pleo's documents`);
    const validate = ajv.getSchema(id);
    return validate(value) ? [] : messages(validate).map((m) => `${name}: ${m}`);
  }

  /** Whether the documents declare this method and path at all. */
  const hasOperation = (method, url) => find(method, url) !== null;

  return {
    checkRequest, checkResponse, checkSchema, hasOperation, operations: ops.map((o) => `${o.method} ${o.path}`),
  };
}

/**
 * A webhook delivery body against Pleo's documented one
 * (pleo-webhook-event-documented.json): exactly `{data, eventId, eventType}`,
 * `data` an export job. Reading 4: the documented `data` lacks two members
 * ExportJobV3 requires (`isInteractive`, `vendorBasedBookkeeping`), so `data`
 * must carry the members the documented one carries, each valid as in
 * ExportJobV3.
 */
export function checkWebhookDelivery(contract, body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return ['the delivery body is not a JSON object'];
  const out = [];
  const keys = Object.keys(body).sort().join(',');
  if (keys !== 'data,eventId,eventType') out.push(`the delivery body has members ${keys}, Pleo sends data,eventId,eventType`);
  if (typeof body.eventType !== 'string' || !body.eventType) out.push('eventType must be a non-empty string');
  if (typeof body.eventId !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(body.eventId)) out.push('eventId must be a UUID');
  const documentedMembers = ['companyId', 'createdAt', 'createdBy', 'expiresIn', 'id', 'numberOfItems', 'status'];
  const data = body.data ?? {};
  for (const m of documentedMembers) if (!(m in data)) out.push(`data must have ${m}`);
  const filled = { isInteractive: false, vendorBasedBookkeeping: false, ...data };
  out.push(...contract.checkSchema('ExportJobV3', filled).map((m) => `data: ${m}`));
  return out;
}
