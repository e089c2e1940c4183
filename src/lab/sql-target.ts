/**
 * The in-memory database behind the TDS fake (./tds-server.ts): FeatureFlag, ConfigValue and
 * AuditEvent tables, and the stored procedures of infra/sql/ with the same behaviour (an audit row
 * per changed field with before -> after, one "NoChange" row when nothing changed, replays of a
 * RequestId change nothing, user errors as THROW 5000x). Keep the two in step: the adapter is
 * tested against this file, real targets run the T-SQL.
 */

export type SqlValue = string | number | boolean | Date | null;

export type ColumnType = 'nvarchar' | 'nvarchar(max)' | 'bit' | 'int' | 'bigint' | 'datetime2';
export interface Column {
  name: string;
  type: ColumnType;
}
export interface ResultSet {
  columns: Column[];
  rows: SqlValue[][];
}

/** An error a procedure raises, as SQL Server reports it in an ERROR token. */
export class SqlError extends Error {
  constructor(
    readonly number: number,
    message: string,
    readonly severity = 16,
    readonly state = 1,
  ) {
    super(message);
  }
}

export interface FlagRow {
  flagKey: string;
  scope: string;
  isEnabled: boolean;
  targetRole: string | null;
  description: string | null;
  updatedAt: Date;
  updatedBy: string;
}

export interface ConfigRow {
  configKey: string;
  scope: string;
  value: string | null;
  valueType: string;
  tags: string | null;
  description: string | null;
  updatedAt: Date;
  updatedBy: string;
}

export interface AuditRow {
  auditId: number;
  createdAt: Date;
  actor: string;
  requestId: string;
  entityType: 'FeatureFlag' | 'ConfigValue';
  entityKey: string;
  scope: string;
  field: string;
  action: 'Create' | 'Update' | 'NoChange';
  beforeValue: string | null;
  afterValue: string | null;
  description: string | null;
}

const AUDIT_COLUMNS: Column[] = [
  { name: 'AuditId', type: 'bigint' },
  { name: 'CreatedAt', type: 'datetime2' },
  { name: 'Actor', type: 'nvarchar' },
  { name: 'RequestId', type: 'nvarchar' },
  { name: 'EntityType', type: 'nvarchar' },
  { name: 'EntityKey', type: 'nvarchar' },
  { name: 'Scope', type: 'nvarchar' },
  { name: 'Field', type: 'nvarchar' },
  { name: 'Action', type: 'nvarchar' },
  { name: 'BeforeValue', type: 'nvarchar(max)' },
  { name: 'AfterValue', type: 'nvarchar(max)' },
  { name: 'Description', type: 'nvarchar' },
];

/** Case-insensitive keys, as the default SQL Server collation compares them. */
const ci = (s: string): string => s.toLowerCase();
const bitText = (b: boolean | null): string | null => (b === null ? null : b ? '1' : '0');

export class FakeSqlTarget {
  readonly flags = new Map<string, FlagRow>();
  readonly config = new Map<string, ConfigRow>();
  readonly audit: AuditRow[] = [];
  private nextAuditId = 1;

  constructor(private readonly now: () => Date = () => new Date()) {}

  seedFlag(row: Partial<FlagRow> & Pick<FlagRow, 'flagKey' | 'scope' | 'isEnabled'>): void {
    this.flags.set(ci(`${row.flagKey}\u0000${row.scope}`), {
      targetRole: null,
      description: null,
      updatedAt: this.now(),
      updatedBy: 'seed',
      ...row,
    });
  }

  seedConfig(row: Partial<ConfigRow> & Pick<ConfigRow, 'configKey' | 'scope' | 'value'>): void {
    this.config.set(ci(`${row.configKey}\u0000${row.scope}`), {
      valueType: 'string',
      tags: null,
      description: null,
      updatedAt: this.now(),
      updatedBy: 'seed',
      ...row,
    });
  }

  /** Adds an audit row as if an earlier change (by a person or a deploy) had written it. */
  seedAudit(row: Omit<AuditRow, 'auditId'>): void {
    this.audit.push({ ...row, auditId: this.nextAuditId++ });
  }

  flag(flagKey: string, scope: string): FlagRow | undefined {
    return this.flags.get(ci(`${flagKey}\u0000${scope}`));
  }

  configValue(configKey: string, scope: string): ConfigRow | undefined {
    return this.config.get(ci(`${configKey}\u0000${scope}`));
  }

  auditFor(requestId: string): AuditRow[] {
    return this.audit.filter((a) => ci(a.requestId) === ci(requestId));
  }

  /** Runs a procedure by its (normalised, lower-case) name; throws SqlError like the T-SQL does. */
  exec(proc: string, params: ReadonlyMap<string, SqlValue>): ResultSet[] {
    const p = new Params(proc, params);
    switch (proc) {
      case 'dbo.sp_feature_set':
        return this.featureSet(p);
      case 'dbo.sp_config_setvalue':
        return this.configSetValue(p);
      case 'dbo.sp_feature_list':
        return this.featureList(p);
      case 'dbo.sp_config_list':
        return this.configList(p);
      case 'dbo.sp_audit_recent':
        return this.auditRecent(p);
      case 'dbo.sp_audit_byrequestid':
        return [this.auditSet(this.auditFor(p.text('RequestId', true) ?? ''))];
      default:
        throw new SqlError(2812, `Could not find stored procedure '${proc}'.`);
    }
  }

  private requireCaller(p: Params): { actor: string; requestId: string } {
    const actor = p.text('Actor');
    const requestId = p.text('RequestId');
    if (!actor || !requestId) throw new SqlError(50001, '@Actor and @RequestId are required.');
    return { actor, requestId };
  }

  /** A replayed RequestId changes nothing; one reused for another entity is refused. */
  private replayed(requestId: string, entityType: AuditRow['entityType'], key: string, scope: string): boolean {
    const earlier = this.auditFor(requestId);
    if (earlier.length === 0) return false;
    if (earlier.some((a) => a.entityType !== entityType || ci(a.entityKey) !== ci(key) || ci(a.scope) !== ci(scope))) {
      throw new SqlError(50003, `RequestId '${requestId}' was already used for another change.`);
    }
    return true;
  }

  private writeAudit(
    base: Pick<AuditRow, 'actor' | 'requestId' | 'entityType' | 'entityKey' | 'scope' | 'description'>,
    created: boolean,
    fields: [field: string, before: string | null, after: string | null][],
  ): void {
    const at = this.now();
    const changed = fields.filter(([, b, a]) => created || b !== a);
    const rows = changed.length ? changed : fields.slice(0, 1);
    for (const [field, before, after] of rows) {
      this.audit.push({
        ...base,
        auditId: this.nextAuditId++,
        createdAt: at,
        field,
        action: created ? 'Create' : changed.length ? 'Update' : 'NoChange',
        beforeValue: created ? null : before,
        afterValue: after,
      });
    }
  }

  private featureSet(p: Params): ResultSet[] {
    const flagKey = p.text('FlagKey');
    const scope = p.text('Scope');
    const isEnabled = p.bit('IsEnabled');
    if (!flagKey || !scope || isEnabled === null) throw new SqlError(50002, '@FlagKey, @IsEnabled and @Scope are required.');
    const { actor, requestId } = this.requireCaller(p);
    if (this.replayed(requestId, 'FeatureFlag', flagKey, scope)) return [];
    const targetRole = p.text('TargetRole', true);
    const description = p.text('Description', true);
    const current = this.flag(flagKey, scope);
    const at = this.now();
    this.flags.set(ci(`${flagKey}\u0000${scope}`), {
      flagKey: current?.flagKey ?? flagKey,
      scope: current?.scope ?? scope,
      isEnabled,
      targetRole,
      description: description ?? current?.description ?? null,
      updatedAt: at,
      updatedBy: actor,
    });
    this.writeAudit({ actor, requestId, entityType: 'FeatureFlag', entityKey: current?.flagKey ?? flagKey, scope, description }, !current, [
      ['IsEnabled', bitText(current?.isEnabled ?? null), bitText(isEnabled)],
      ['TargetRole', current?.targetRole ?? null, targetRole],
    ]);
    return [];
  }

  private configSetValue(p: Params): ResultSet[] {
    const configKey = p.text('ConfigKey');
    const scope = p.text('Scope');
    const valueType = p.text('ValueType');
    if (!configKey || !scope || !valueType) throw new SqlError(50002, '@ConfigKey, @ValueType and @Scope are required.');
    const { actor, requestId } = this.requireCaller(p);
    if (this.replayed(requestId, 'ConfigValue', configKey, scope)) return [];
    const value = p.text('Value');
    const tags = p.text('Tags', true);
    const description = p.text('Description', true);
    const current = this.configValue(configKey, scope);
    this.config.set(ci(`${configKey}\u0000${scope}`), {
      configKey: current?.configKey ?? configKey,
      scope: current?.scope ?? scope,
      value,
      valueType,
      tags,
      description: description ?? current?.description ?? null,
      updatedAt: this.now(),
      updatedBy: actor,
    });
    this.writeAudit({ actor, requestId, entityType: 'ConfigValue', entityKey: current?.configKey ?? configKey, scope, description }, !current, [
      ['Value', current?.value ?? null, value],
      ['ValueType', current?.valueType ?? null, valueType],
      ['Tags', current?.tags ?? null, tags],
    ]);
    return [];
  }

  private featureList(p: Params): ResultSet[] {
    const scope = p.text('Scope', true);
    const key = p.text('FlagKey', true);
    const rows = [...this.flags.values()]
      .filter((f) => (scope === null || ci(f.scope) === ci(scope)) && (key === null || ci(f.flagKey) === ci(key)))
      .sort((a, b) => a.flagKey.localeCompare(b.flagKey) || a.scope.localeCompare(b.scope));
    return [
      {
        columns: [
          { name: 'FlagKey', type: 'nvarchar' },
          { name: 'Scope', type: 'nvarchar' },
          { name: 'IsEnabled', type: 'bit' },
          { name: 'TargetRole', type: 'nvarchar' },
          { name: 'Description', type: 'nvarchar' },
          { name: 'UpdatedAt', type: 'datetime2' },
          { name: 'UpdatedBy', type: 'nvarchar' },
        ],
        rows: rows.map((f) => [f.flagKey, f.scope, f.isEnabled, f.targetRole, f.description, f.updatedAt, f.updatedBy]),
      },
    ];
  }

  private configList(p: Params): ResultSet[] {
    const scope = p.text('Scope', true);
    const key = p.text('ConfigKey', true);
    const rows = [...this.config.values()]
      .filter((c) => (scope === null || ci(c.scope) === ci(scope)) && (key === null || ci(c.configKey) === ci(key)))
      .sort((a, b) => a.configKey.localeCompare(b.configKey) || a.scope.localeCompare(b.scope));
    return [
      {
        columns: [
          { name: 'ConfigKey', type: 'nvarchar' },
          { name: 'Scope', type: 'nvarchar' },
          { name: 'Value', type: 'nvarchar(max)' },
          { name: 'ValueType', type: 'nvarchar' },
          { name: 'Tags', type: 'nvarchar' },
          { name: 'Description', type: 'nvarchar' },
          { name: 'UpdatedAt', type: 'datetime2' },
          { name: 'UpdatedBy', type: 'nvarchar' },
        ],
        rows: rows.map((c) => [c.configKey, c.scope, c.value, c.valueType, c.tags, c.description, c.updatedAt, c.updatedBy]),
      },
    ];
  }

  private auditRecent(p: Params): ResultSet[] {
    const since = p.date('SinceUtc');
    if (!since) throw new SqlError(50002, '@SinceUtc is required.');
    const scope = p.text('Scope', true);
    const asked = p.int('MaxRows');
    const max = asked === null || asked < 0 ? 200 : Math.min(asked, 5000);
    const rows = this.audit
      .filter((a) => a.createdAt.getTime() > since.getTime() && (scope === null || ci(a.scope) === ci(scope)))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.auditId - a.auditId)
      .slice(0, max);
    return [this.auditSet(rows)];
  }

  private auditSet(rows: AuditRow[]): ResultSet {
    return {
      columns: AUDIT_COLUMNS,
      rows: rows.map((a) => [
        a.auditId,
        a.createdAt,
        a.actor,
        a.requestId,
        a.entityType,
        a.entityKey,
        a.scope,
        a.field,
        a.action,
        a.beforeValue,
        a.afterValue,
        a.description,
      ]),
    };
  }
}

/** Typed access to RPC parameters, with SQL Server's message for a missing required one. */
class Params {
  constructor(
    private readonly proc: string,
    private readonly values: ReadonlyMap<string, SqlValue>,
  ) {}

  private get(name: string, optional: boolean): SqlValue {
    const key = `@${name.toLowerCase()}`;
    if (!this.values.has(key)) {
      if (optional) return null;
      throw new SqlError(201, `Procedure or function '${this.proc}' expects parameter '@${name}', which was not supplied.`);
    }
    return this.values.get(key) ?? null;
  }

  text(name: string, optional = false): string | null {
    const v = this.get(name, optional);
    return v === null ? null : String(v);
  }

  bit(name: string): boolean | null {
    const v = this.get(name, false);
    return v === null ? null : v === true || v === 1 || v === '1';
  }

  int(name: string): number | null {
    const v = this.get(name, true);
    return v === null ? null : Number(v);
  }

  date(name: string): Date | null {
    const v = this.get(name, false);
    return v instanceof Date ? v : v === null ? null : new Date(String(v));
  }
}
