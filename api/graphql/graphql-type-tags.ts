import type { GraphQLNamedType, GraphQLObjectType, GraphQLInterfaceType, GraphQLType } from 'graphql';

/**
 * Type checks that do not depend on which copy of `graphql` built the schema. graphql-js's
 * `isObjectType` & co. use `instanceof`, which fails when the schema comes from another
 * module instance (e.g. its CommonJS build under a bundler that loads its ESM build for our
 * code); every graphql-js type names itself through Symbol.toStringTag instead.
 */
function tag(type: unknown): string {
  return Object.prototype.toString.call(type).slice(8, -1);
}

export function isObjectTypeTagged(type: unknown): type is GraphQLObjectType {
  return tag(type) === 'GraphQLObjectType';
}

export function hasFieldsTagged(type: unknown): type is GraphQLObjectType | GraphQLInterfaceType {
  const t = tag(type);
  return t === 'GraphQLObjectType' || t === 'GraphQLInterfaceType';
}

/** The named type inside lists and non-nulls. */
export function namedTypeOf(type: GraphQLType): GraphQLNamedType {
  let t: GraphQLType = type;
  while ('ofType' in t) t = t.ofType;
  return t;
}
