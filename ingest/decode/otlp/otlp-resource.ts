import { collectAttributes, findString } from './otlp-attributes.ts';
import type { OtlpResource, OtlpScope } from './otlp-request.ts';

/** Resource attributes that name a sluice field; they do not repeat in `attributes`. */
export const SERVICE_NAME_KEY = 'service.name';
export const SERVICE_VERSION_KEY = 'service.version';
/** Current semantic-conventions name first, then the deprecated one. */
export const ENVIRONMENT_KEYS = ['deployment.environment.name', 'deployment.environment'] as const;

const MAPPED_RESOURCE_KEYS: ReadonlySet<string> = new Set([SERVICE_NAME_KEY, SERVICE_VERSION_KEY, ...ENVIRONMENT_KEYS]);
const NONE: ReadonlySet<string> = new Set();

/**
 * What a span or log record inherits from its resource and instrumentation scope:
 * service, environment, version, and the remaining attributes (resource first, scope over
 * it; `otel.scope.name` / `otel.scope.version` as in the OTel non-OTLP exporter mapping).
 */
export interface OtlpOrigin {
  /** undefined when the resource has no `service.name`: its items are rejected. */
  service: string | undefined;
  environment: string | undefined;
  version: string | undefined;
  attributes: Readonly<Record<string, string>>;
}

/** Reads the resource once; every item under it reuses the result. */
export function resourceOrigin(resource: OtlpResource | undefined): OtlpOrigin {
  const attributes: Record<string, string> = {};
  collectAttributes(attributes, resource?.attributes, MAPPED_RESOURCE_KEYS);
  return {
    service: findString(resource?.attributes, [SERVICE_NAME_KEY]),
    environment: findString(resource?.attributes, ENVIRONMENT_KEYS),
    version: findString(resource?.attributes, [SERVICE_VERSION_KEY]),
    attributes,
  };
}

/** Adds an instrumentation scope's name, version and attributes to a resource origin. */
export function scopeOrigin(origin: OtlpOrigin, scope: OtlpScope | undefined): OtlpOrigin {
  if (scope === undefined || scope === null) return origin;
  const attributes: Record<string, string> = { ...origin.attributes };
  collectAttributes(attributes, scope.attributes, NONE);
  if (typeof scope.name === 'string' && scope.name !== '') attributes['otel.scope.name'] = scope.name;
  if (typeof scope.version === 'string' && scope.version !== '') attributes['otel.scope.version'] = scope.version;
  return { ...origin, attributes };
}
