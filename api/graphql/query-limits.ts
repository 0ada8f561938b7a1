import {
  GraphQLError,
  Kind,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { hasFieldsTagged, namedTypeOf } from './graphql-type-tags.ts';

/**
 * Limits every GraphQL operation must fit before anything runs (HTTP and WebSocket alike),
 * so one request cannot occupy the process (e.g. 300 aliases of a ClickHouse-backed field).
 * Refusals carry `extensions.code` QUERY_TOO_COMPLEX and name the limit and its option.
 */
export interface QueryLimits {
  /** Deepest field nesting (a root field is depth 1); introspection (`__schema`, `__type`) has its own cap. */
  maxDepth: number;
  /** Fields with an alias, counted over the whole operation (each fragment use counts). */
  maxAliases: number;
  /** Sum of field costs (FIELD_COSTS; 1 for any other field). */
  maxCost: number;
  /** Lexical tokens of a document; parsing stops past it (graphql-js `maxTokens`). */
  maxTokens: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 10, maxAliases: 30, maxCost: 1000, maxTokens: 10_000 };

/** Depth allowed inside `__schema` / `__type`: GraphiQL's full introspection query needs 13. */
export const INTROSPECTION_MAX_DEPTH = 16;

/** Option names of the limits, for messages. */
const LIMIT_OPTIONS: Record<keyof QueryLimits, string> = {
  maxDepth: 'SLUICE_GRAPHQL_MAX_DEPTH',
  maxAliases: 'SLUICE_GRAPHQL_MAX_ALIASES',
  maxCost: 'SLUICE_GRAPHQL_MAX_COST',
  maxTokens: 'fixed',
};

/**
 * Cost of fields that do real work (ClickHouse reads, hashing the audit log); every other
 * field costs 1, `__typename` 0. Keyed `Type.field`.
 */
export const FIELD_COSTS: Readonly<Record<string, number>> = {
  'Query.health': 25,
  'Query.slos': 2,
  'Query.slo': 2,
  'Query.sloTransitions': 10,
  'Query.spanEstimate': 50,
  'Query.gate': 50,
  'Query.tokens': 5,
  'Query.auditLog': 10,
  'Query.verifyAuditChain': 200,
  // status and analytics: ClickHouse reads over a range
  'Query.sloStatuses': 2,
  'Query.sliSeries': 25,
  'Query.breachHistory': 10,
  'Query.releaseSlis': 25,
  'Query.buildMetrics': 5,
  // release gate
  'Query.gateDecision': 5,
  'Query.gateDecisions': 10,
  'Query.gatePolicies': 2,
  // history: replays of up to 400 days of minutes
  'Query.backtest': 200,
  'Query.tuneAlerts': 300,
  'Query.sloTargets': 100,
  'Query.sloReport': 100,
  // releases
  'Query.doraMetrics': 50,
  'Query.benchmarks': 100,
  'Query.canaryComparison': 50,
  'Query.rollbackRequests': 10,
  'Mutation.reportDeployStarted': 10,
  'Mutation.reportDeployFinished': 10,
  'Mutation.reportBuildMetrics': 10,
  'Subscription.sloTransitions': 10,
  'Subscription.breaches': 10,
  'Subscription.sloStateChanges': 10,
  'Subscription.gateDecisions': 10,
  'Subscription.rollbackRequests': 10,
};

export interface QueryMeasure {
  depth: number;
  aliases: number;
  cost: number;
  introspectionDepth: number;
}

type Measure = QueryMeasure;

const ZERO: Measure = { depth: 0, aliases: 0, cost: 0, introspectionDepth: 0 };

/**
 * Depth, aliases and cost of the largest operation in a document. Fragments are measured
 * once each (memoised), so measuring is linear in the document even when fragments fan out.
 */
export function measureDocument(schema: GraphQLSchema, document: DocumentNode): QueryMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const memo = new Map<string, Measure>();
  const visiting = new Set<string>();

  const measureSet = (set: SelectionSetNode, parent: GraphQLNamedType | undefined, introspection: boolean): Measure => {
    let m: Measure = { ...ZERO };
    for (const sel of set.selections) {
      let part: Measure;
      if (sel.kind === Kind.FIELD) {
        const name = sel.name.value;
        const fieldDef = parent && hasFieldsTagged(parent) ? parent.getFields()[name] : undefined;
        const inIntrospection = introspection || name === '__schema' || name === '__type';
        const child = sel.selectionSet
          ? measureSet(sel.selectionSet, fieldDef ? namedTypeOf(fieldDef.type) : undefined, inIntrospection)
          : ZERO;
        const own = name === '__typename' ? 0 : inIntrospection ? 0 : (parent && FIELD_COSTS[`${parent.name}.${name}`]) ?? 1;
        part = {
          aliases: child.aliases + (sel.alias ? 1 : 0),
          cost: child.cost + own + (name === '__schema' || name === '__type' ? 1 : 0),
          depth: inIntrospection ? (introspection ? 0 : 1) : 1 + child.depth,
          introspectionDepth: inIntrospection ? 1 + child.introspectionDepth : child.introspectionDepth,
        };
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const narrowed = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) ?? undefined : parent;
        part = measureSet(sel.selectionSet, narrowed, introspection);
      } else {
        part = measureFragment(sel.name.value, introspection);
      }
      m = combine(m, part);
    }
    return m;
  };

  const measureFragment = (name: string, introspection: boolean): Measure => {
    const key = `${introspection ? 'i' : 'o'}:${name}`;
    const cached = memo.get(key);
    if (cached) return cached;
    const def = fragments.get(name);
    // unknown or cyclic fragments are validation errors; GraphQL validation reports them
    if (!def || visiting.has(key)) return ZERO;
    visiting.add(key);
    const m = measureSet(def.selectionSet, schema.getType(def.typeCondition.name.value) ?? undefined, introspection);
    visiting.delete(key);
    memo.set(key, m);
    return m;
  };

  let worst: Measure = { ...ZERO };
  for (const def of document.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION) continue;
    const root = def.operation === 'query' ? schema.getQueryType() : def.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
    const m = measureSet(def.selectionSet, root ?? undefined, false);
    worst = {
      depth: Math.max(worst.depth, m.depth),
      aliases: Math.max(worst.aliases, m.aliases),
      cost: Math.max(worst.cost, m.cost),
      introspectionDepth: Math.max(worst.introspectionDepth, m.introspectionDepth),
    };
  }
  return worst;
}

/** Siblings: counts add up, depths take the deepest. */
function combine(a: Measure, b: Measure): Measure {
  return {
    depth: Math.max(a.depth, b.depth),
    aliases: a.aliases + b.aliases,
    cost: a.cost + b.cost,
    introspectionDepth: Math.max(a.introspectionDepth, b.introspectionDepth),
  };
}

/**
 * Checks a GraphQL source against the limits before it runs. Returns the refusal
 * (QUERY_TOO_COMPLEX, naming each exceeded limit), or undefined when it fits — or when it
 * does not parse: the server then reports the syntax error itself.
 */
export function queryLimitError(schema: GraphQLSchema, source: string, limits: QueryLimits): GraphQLError | undefined {
  let document: DocumentNode;
  try {
    document = parse(source, { maxTokens: limits.maxTokens, noLocation: true });
  } catch (err) {
    // graphql-js 16 words it "Document contains more that N tokens"
    if (/contains more th(?:an|at) \d+ tokens/.test((err as Error).message)) {
      return tooComplex([`more than ${limits.maxTokens} tokens`], { maxTokens: limits.maxTokens });
    }
    return undefined;
  }
  const m = measureDocument(schema, document);
  const over: string[] = [];
  const checks: [keyof QueryLimits, number][] = [['maxDepth', m.depth], ['maxAliases', m.aliases], ['maxCost', m.cost]];
  for (const [limit, actual] of checks) {
    if (actual > limits[limit]) over.push(`${limit.replace('max', '').toLowerCase()} ${actual} > ${limits[limit]} (${LIMIT_OPTIONS[limit]})`);
  }
  if (m.introspectionDepth > INTROSPECTION_MAX_DEPTH) over.push(`introspection depth ${m.introspectionDepth} > ${INTROSPECTION_MAX_DEPTH}`);
  if (over.length === 0) return undefined;
  return tooComplex(over, { depth: m.depth, aliases: m.aliases, cost: m.cost });
}

function tooComplex(over: string[], measured: Record<string, number>): GraphQLError {
  return new GraphQLError(`query too complex: ${over.join('; ')}`, { extensions: { code: 'QUERY_TOO_COMPLEX', measured } });
}

/** The limits as configured (SLUICE_GRAPHQL_MAX_*); the token cap is fixed. */
export function queryLimitsOf(config: { graphqlMaxDepth: number; graphqlMaxAliases: number; graphqlMaxCost: number }): QueryLimits {
  return { maxDepth: config.graphqlMaxDepth, maxAliases: config.graphqlMaxAliases, maxCost: config.graphqlMaxCost, maxTokens: DEFAULT_QUERY_LIMITS.maxTokens };
}
