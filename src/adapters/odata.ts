/**
 * OData filter literals for Table queries, without loading the Tables SDK (its `odata` helper
 * would pull the whole SDK in at cold start).
 */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** `name eq 'value'`-style clauses joined with "and". */
export function odataFilter(clauses: [name: string, op: 'eq' | 'ne' | 'ge' | 'gt' | 'le' | 'lt', value: string][]): string {
  return clauses.map(([name, op, value]) => `${name} ${op} ${odataString(value)}`).join(' and ');
}
