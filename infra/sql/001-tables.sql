/*
  incident-autopilot reference schema, part 1 of 3: tables.

  For target databases that do not have feature flags, config values and an audit trail yet.
  Add-only: every statement creates what is missing and leaves what exists alone (no DROP, no
  ALTER of existing columns), so running the files again is safe. A target that already has its
  own tables and procedures keeps them: it only needs procedures with the names, parameters and
  result columns of 002-procedures.sql.

  Run in order: 001-tables.sql, 002-procedures.sql, 003-permissions.sql (sqlcmd, Azure Data
  Studio, or a deployment pipeline; GO separates batches). Written for Azure SQL Database and SQL
  Server 2016 SP1+ (CREATE OR ALTER).
*/
SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO

IF OBJECT_ID(N'dbo.FeatureFlag', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.FeatureFlag
    (
        FlagKey     nvarchar(200) NOT NULL,
        Scope       nvarchar(50)  NOT NULL,   -- environment: Alpha, Beta, RTM, Prod
        IsEnabled   bit           NOT NULL,
        TargetRole  nvarchar(100) NULL,       -- NULL: the flag applies to everyone
        Description nvarchar(400) NULL,       -- the reason given with the last change
        UpdatedAt   datetime2(3)  NOT NULL CONSTRAINT DF_FeatureFlag_UpdatedAt DEFAULT (SYSUTCDATETIME()),
        UpdatedBy   nvarchar(128) NOT NULL,
        CONSTRAINT PK_FeatureFlag PRIMARY KEY CLUSTERED (FlagKey, Scope)
    );
END;
GO

IF OBJECT_ID(N'dbo.ConfigValue', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.ConfigValue
    (
        ConfigKey   nvarchar(200) NOT NULL,   -- e.g. Network:SseKeepAliveSeconds
        Scope       nvarchar(50)  NOT NULL,
        Value       nvarchar(max) NULL,       -- non-secret runtime configuration only
        ValueType   nvarchar(50)  NOT NULL,   -- e.g. string, int, bool, seconds, json
        Tags        nvarchar(400) NULL,       -- comma separated, e.g. network,sse
        Description nvarchar(400) NULL,
        UpdatedAt   datetime2(3)  NOT NULL CONSTRAINT DF_ConfigValue_UpdatedAt DEFAULT (SYSUTCDATETIME()),
        UpdatedBy   nvarchar(128) NOT NULL,
        CONSTRAINT PK_ConfigValue PRIMARY KEY CLUSTERED (ConfigKey, Scope)
    );
END;
GO

/*
  One row per changed field of one flag or config key: who (Actor), what (EntityType, EntityKey,
  Scope, Field), when (CreatedAt, UTC), before -> after, and the caller's RequestId (the incident
  automation sends "<incident id>/<step>"), by which a change is found again. Rows are only ever
  inserted, by the procedures.
*/
IF OBJECT_ID(N'dbo.AuditEvent', N'U') IS NULL
BEGIN
    CREATE TABLE dbo.AuditEvent
    (
        AuditId     bigint IDENTITY(1, 1) NOT NULL CONSTRAINT PK_AuditEvent PRIMARY KEY CLUSTERED,
        CreatedAt   datetime2(3)  NOT NULL CONSTRAINT DF_AuditEvent_CreatedAt DEFAULT (SYSUTCDATETIME()),
        Actor       nvarchar(128) NOT NULL,
        RequestId   nvarchar(200) NOT NULL,
        EntityType  nvarchar(20)  NOT NULL CONSTRAINT CK_AuditEvent_EntityType CHECK (EntityType IN (N'FeatureFlag', N'ConfigValue')),
        EntityKey   nvarchar(200) NOT NULL,
        Scope       nvarchar(50)  NOT NULL,
        Field       nvarchar(50)  NOT NULL,
        Action      nvarchar(20)  NOT NULL CONSTRAINT CK_AuditEvent_Action CHECK (Action IN (N'Create', N'Update', N'NoChange')),
        BeforeValue nvarchar(max) NULL,
        AfterValue  nvarchar(max) NULL,
        Description nvarchar(400) NULL
    );
END;
GO

-- "What changed in the last 12 hours" (RB-03 section 12) reads by time.
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_AuditEvent_CreatedAt' AND object_id = OBJECT_ID(N'dbo.AuditEvent'))
    CREATE NONCLUSTERED INDEX IX_AuditEvent_CreatedAt ON dbo.AuditEvent (CreatedAt DESC) INCLUDE (Scope);
GO

-- Finding a change by its request id (replays, reconciliation after a lost answer).
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE name = N'IX_AuditEvent_RequestId' AND object_id = OBJECT_ID(N'dbo.AuditEvent'))
    CREATE NONCLUSTERED INDEX IX_AuditEvent_RequestId ON dbo.AuditEvent (RequestId);
GO
