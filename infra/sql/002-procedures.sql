/*
  incident-autopilot reference schema, part 2 of 3: the stored procedures, the only way the
  automation reads or changes flags and config (RB-02 section 7).

  Writes (sp_Feature_Set, sp_Config_SetValue):
    - run in one transaction with XACT_ABORT ON: an error (a deadlock victim included) leaves no
      partial change, so the caller may retry after reading back;
    - write one AuditEvent row per changed field (before -> after), or one 'NoChange' row when the
      value was already so, always under @RequestId;
    - are idempotent per @RequestId: a call whose request id is already in AuditEvent changes
      nothing and returns 0 (the caller lost the first answer and asked again); a request id
      already used for a different flag/key is refused (THROW 50003).
  User errors are THROW 50001-50003; the automation reports them as "rejected", not retried.

  Reads (sp_Feature_List, sp_Config_List, sp_Audit_Recent, sp_Audit_ByRequestId) return one
  result set each, with the column names the automation reads.

  CREATE OR ALTER replaces a procedure's code and nothing else (no data is touched). It only ever
  replaces procedures this script created: each one carries the extended property
  incident_autopilot_reference. If the database already has a procedure of one of these names
  that lacks it (the target's own), the script stops before changing anything: keep yours (it must
  take the same parameters and return the same columns) and run only 003-permissions.sql.
  Run with sqlcmd -b (or in a tool that stops at the first error) as well.
*/
SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO

-- Add-only: never overwrite a procedure the target wrote itself. SET NOEXEC ON lasts for the rest
-- of the session, so every batch below is compiled but none runs.
IF EXISTS (
    SELECT 1
    FROM sys.procedures AS p
    WHERE p.schema_id = SCHEMA_ID(N'dbo')
      AND p.name IN (N'sp_Feature_Set', N'sp_Config_SetValue', N'sp_Feature_List',
                     N'sp_Config_List', N'sp_Audit_Recent', N'sp_Audit_ByRequestId')
      AND NOT EXISTS (SELECT 1 FROM sys.extended_properties AS ep
                      WHERE ep.class = 1 AND ep.major_id = p.object_id AND ep.minor_id = 0
                        AND ep.name = N'incident_autopilot_reference'))
BEGIN
    RAISERROR (N'dbo already has its own procedure with one of the reference names; nothing was changed. Keep yours and run only 003-permissions.sql.', 16, 1);
    SET NOEXEC ON;
END;
GO

CREATE OR ALTER PROCEDURE dbo.sp_Feature_Set
    @FlagKey     nvarchar(200),
    @IsEnabled   bit,
    @Scope       nvarchar(50),
    @TargetRole  nvarchar(100) = NULL,
    @Description nvarchar(400) = NULL,
    @Actor       nvarchar(128),
    @RequestId   nvarchar(200)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    IF @FlagKey IS NULL OR @FlagKey = N'' OR @Scope IS NULL OR @Scope = N'' OR @IsEnabled IS NULL
        THROW 50002, N'@FlagKey, @IsEnabled and @Scope are required.', 1;
    IF @Actor IS NULL OR @Actor = N'' OR @RequestId IS NULL OR @RequestId = N''
        THROW 50001, N'@Actor and @RequestId are required.', 1;

    BEGIN TRANSACTION;

    -- The range lock on the request id makes two concurrent calls with the same id run one after
    -- the other, so the second one sees the first one's audit rows.
    IF EXISTS (SELECT 1 FROM dbo.AuditEvent WITH (UPDLOCK, HOLDLOCK) WHERE RequestId = @RequestId)
    BEGIN
        IF EXISTS (SELECT 1 FROM dbo.AuditEvent
                   WHERE RequestId = @RequestId
                     AND NOT (EntityType = N'FeatureFlag' AND EntityKey = @FlagKey AND Scope = @Scope))
        BEGIN
            ROLLBACK TRANSACTION;
            THROW 50003, N'This @RequestId was already used for another change.', 1;
        END;
        COMMIT TRANSACTION;
        RETURN 0;
    END;

    DECLARE @Exists bit = 0, @StoredKey nvarchar(200), @OldEnabled bit, @OldRole nvarchar(100);
    SELECT @Exists = 1, @StoredKey = FlagKey, @OldEnabled = IsEnabled, @OldRole = TargetRole
    FROM dbo.FeatureFlag WITH (UPDLOCK, HOLDLOCK)
    WHERE FlagKey = @FlagKey AND Scope = @Scope;

    IF @Exists = 1
        UPDATE dbo.FeatureFlag
        SET IsEnabled   = @IsEnabled,
            TargetRole  = @TargetRole,
            Description = COALESCE(@Description, Description),
            UpdatedAt   = SYSUTCDATETIME(),
            UpdatedBy   = @Actor
        WHERE FlagKey = @FlagKey AND Scope = @Scope;
    ELSE
        INSERT dbo.FeatureFlag (FlagKey, Scope, IsEnabled, TargetRole, Description, UpdatedAt, UpdatedBy)
        VALUES (@FlagKey, @Scope, @IsEnabled, @TargetRole, @Description, SYSUTCDATETIME(), @Actor);

    DECLARE @Fields TABLE (Ord int NOT NULL, Field nvarchar(50) NOT NULL, BeforeValue nvarchar(max) NULL, AfterValue nvarchar(max) NULL);
    INSERT @Fields (Ord, Field, BeforeValue, AfterValue)
    VALUES (1, N'IsEnabled', CASE WHEN @Exists = 1 THEN CONVERT(nvarchar(1), @OldEnabled) END, CONVERT(nvarchar(1), @IsEnabled)),
           (2, N'TargetRole', CASE WHEN @Exists = 1 THEN @OldRole END, @TargetRole);

    -- Changed = different, NULLs included, case included (EXCEPT treats NULLs as equal; BIN2 compares exactly).
    DECLARE @Action nvarchar(20) = CASE WHEN @Exists = 0 THEN N'Create' ELSE N'Update' END;
    IF @Exists = 1
    BEGIN
        DELETE f FROM @Fields AS f
        WHERE NOT EXISTS (SELECT f.BeforeValue COLLATE Latin1_General_BIN2 EXCEPT SELECT f.AfterValue COLLATE Latin1_General_BIN2);
        IF NOT EXISTS (SELECT 1 FROM @Fields)
        BEGIN
            SET @Action = N'NoChange';
            INSERT @Fields (Ord, Field, BeforeValue, AfterValue)
            VALUES (1, N'IsEnabled', CONVERT(nvarchar(1), @OldEnabled), CONVERT(nvarchar(1), @IsEnabled));
        END;
    END;

    INSERT dbo.AuditEvent (CreatedAt, Actor, RequestId, EntityType, EntityKey, Scope, Field, Action, BeforeValue, AfterValue, Description)
    SELECT SYSUTCDATETIME(), @Actor, @RequestId, N'FeatureFlag', COALESCE(@StoredKey, @FlagKey), @Scope, Field, @Action, BeforeValue, AfterValue, @Description
    FROM @Fields
    ORDER BY Ord;

    COMMIT TRANSACTION;
    RETURN 0;
END;
GO

CREATE OR ALTER PROCEDURE dbo.sp_Config_SetValue
    @ConfigKey   nvarchar(200),
    @Value       nvarchar(max),
    @ValueType   nvarchar(50),
    @Scope       nvarchar(50),
    @Description nvarchar(400) = NULL,
    @Tags        nvarchar(400) = NULL,
    @Actor       nvarchar(128),
    @RequestId   nvarchar(200)
AS
BEGIN
    SET NOCOUNT ON;
    SET XACT_ABORT ON;

    IF @ConfigKey IS NULL OR @ConfigKey = N'' OR @Scope IS NULL OR @Scope = N'' OR @ValueType IS NULL OR @ValueType = N''
        THROW 50002, N'@ConfigKey, @ValueType and @Scope are required.', 1;
    IF @Actor IS NULL OR @Actor = N'' OR @RequestId IS NULL OR @RequestId = N''
        THROW 50001, N'@Actor and @RequestId are required.', 1;

    BEGIN TRANSACTION;

    IF EXISTS (SELECT 1 FROM dbo.AuditEvent WITH (UPDLOCK, HOLDLOCK) WHERE RequestId = @RequestId)
    BEGIN
        IF EXISTS (SELECT 1 FROM dbo.AuditEvent
                   WHERE RequestId = @RequestId
                     AND NOT (EntityType = N'ConfigValue' AND EntityKey = @ConfigKey AND Scope = @Scope))
        BEGIN
            ROLLBACK TRANSACTION;
            THROW 50003, N'This @RequestId was already used for another change.', 1;
        END;
        COMMIT TRANSACTION;
        RETURN 0;
    END;

    DECLARE @Exists bit = 0, @StoredKey nvarchar(200), @OldValue nvarchar(max), @OldType nvarchar(50), @OldTags nvarchar(400);
    SELECT @Exists = 1, @StoredKey = ConfigKey, @OldValue = Value, @OldType = ValueType, @OldTags = Tags
    FROM dbo.ConfigValue WITH (UPDLOCK, HOLDLOCK)
    WHERE ConfigKey = @ConfigKey AND Scope = @Scope;

    IF @Exists = 1
        UPDATE dbo.ConfigValue
        SET Value       = @Value,
            ValueType   = @ValueType,
            Tags        = @Tags,
            Description = COALESCE(@Description, Description),
            UpdatedAt   = SYSUTCDATETIME(),
            UpdatedBy   = @Actor
        WHERE ConfigKey = @ConfigKey AND Scope = @Scope;
    ELSE
        INSERT dbo.ConfigValue (ConfigKey, Scope, Value, ValueType, Tags, Description, UpdatedAt, UpdatedBy)
        VALUES (@ConfigKey, @Scope, @Value, @ValueType, @Tags, @Description, SYSUTCDATETIME(), @Actor);

    DECLARE @Fields TABLE (Ord int NOT NULL, Field nvarchar(50) NOT NULL, BeforeValue nvarchar(max) NULL, AfterValue nvarchar(max) NULL);
    INSERT @Fields (Ord, Field, BeforeValue, AfterValue)
    VALUES (1, N'Value', CASE WHEN @Exists = 1 THEN @OldValue END, @Value),
           (2, N'ValueType', CASE WHEN @Exists = 1 THEN @OldType END, @ValueType),
           (3, N'Tags', CASE WHEN @Exists = 1 THEN @OldTags END, @Tags);

    DECLARE @Action nvarchar(20) = CASE WHEN @Exists = 0 THEN N'Create' ELSE N'Update' END;
    IF @Exists = 1
    BEGIN
        DELETE f FROM @Fields AS f
        WHERE NOT EXISTS (SELECT f.BeforeValue COLLATE Latin1_General_BIN2 EXCEPT SELECT f.AfterValue COLLATE Latin1_General_BIN2);
        IF NOT EXISTS (SELECT 1 FROM @Fields)
        BEGIN
            SET @Action = N'NoChange';
            INSERT @Fields (Ord, Field, BeforeValue, AfterValue) VALUES (1, N'Value', @OldValue, @Value);
        END;
    END;

    INSERT dbo.AuditEvent (CreatedAt, Actor, RequestId, EntityType, EntityKey, Scope, Field, Action, BeforeValue, AfterValue, Description)
    SELECT SYSUTCDATETIME(), @Actor, @RequestId, N'ConfigValue', COALESCE(@StoredKey, @ConfigKey), @Scope, Field, @Action, BeforeValue, AfterValue, @Description
    FROM @Fields
    ORDER BY Ord;

    COMMIT TRANSACTION;
    RETURN 0;
END;
GO

CREATE OR ALTER PROCEDURE dbo.sp_Feature_List
    @Scope   nvarchar(50)  = NULL,
    @FlagKey nvarchar(200) = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SELECT FlagKey, Scope, IsEnabled, TargetRole, Description, UpdatedAt, UpdatedBy
    FROM dbo.FeatureFlag
    WHERE (@Scope IS NULL OR Scope = @Scope)
      AND (@FlagKey IS NULL OR FlagKey = @FlagKey)
    ORDER BY FlagKey, Scope
    OPTION (RECOMPILE);
END;
GO

CREATE OR ALTER PROCEDURE dbo.sp_Config_List
    @Scope     nvarchar(50)  = NULL,
    @ConfigKey nvarchar(200) = NULL
AS
BEGIN
    SET NOCOUNT ON;
    SELECT ConfigKey, Scope, Value, ValueType, Tags, Description, UpdatedAt, UpdatedBy
    FROM dbo.ConfigValue
    WHERE (@Scope IS NULL OR Scope = @Scope)
      AND (@ConfigKey IS NULL OR ConfigKey = @ConfigKey)
    ORDER BY ConfigKey, Scope
    OPTION (RECOMPILE);
END;
GO

-- Changes after @SinceUtc (exclusive), newest first, at most @MaxRows (default 200, at most 5000).
CREATE OR ALTER PROCEDURE dbo.sp_Audit_Recent
    @SinceUtc datetime2(3),
    @Scope    nvarchar(50) = NULL,
    @MaxRows  int = 200
AS
BEGIN
    SET NOCOUNT ON;
    IF @SinceUtc IS NULL
        THROW 50002, N'@SinceUtc is required.', 1;
    SET @MaxRows = CASE WHEN @MaxRows IS NULL OR @MaxRows < 0 THEN 200 WHEN @MaxRows > 5000 THEN 5000 ELSE @MaxRows END;

    SELECT TOP (@MaxRows)
           AuditId, CreatedAt, Actor, RequestId, EntityType, EntityKey, Scope, Field, Action, BeforeValue, AfterValue, Description
    FROM dbo.AuditEvent
    WHERE CreatedAt > @SinceUtc
      AND (@Scope IS NULL OR Scope = @Scope)
    ORDER BY CreatedAt DESC, AuditId DESC
    OPTION (RECOMPILE);
END;
GO

CREATE OR ALTER PROCEDURE dbo.sp_Audit_ByRequestId
    @RequestId nvarchar(200)
AS
BEGIN
    SET NOCOUNT ON;
    SELECT AuditId, CreatedAt, Actor, RequestId, EntityType, EntityKey, Scope, Field, Action, BeforeValue, AfterValue, Description
    FROM dbo.AuditEvent
    WHERE RequestId = @RequestId
    ORDER BY AuditId;
END;
GO

-- Mark the procedures as this script's, so a later run may update them (and only them).
DECLARE @name sysname;
DECLARE procs CURSOR LOCAL FAST_FORWARD FOR
    SELECT v.name FROM (VALUES (N'sp_Feature_Set'), (N'sp_Config_SetValue'), (N'sp_Feature_List'),
                               (N'sp_Config_List'), (N'sp_Audit_Recent'), (N'sp_Audit_ByRequestId')) AS v(name);
OPEN procs;
FETCH NEXT FROM procs INTO @name;
WHILE @@FETCH_STATUS = 0
BEGIN
    IF NOT EXISTS (SELECT 1 FROM sys.fn_listextendedproperty(N'incident_autopilot_reference', N'SCHEMA', N'dbo', N'PROCEDURE', @name, NULL, NULL))
        EXEC sys.sp_addextendedproperty @name = N'incident_autopilot_reference', @value = N'infra/sql/002-procedures.sql',
             @level0type = N'SCHEMA', @level0name = N'dbo', @level1type = N'PROCEDURE', @level1name = @name;
    FETCH NEXT FROM procs INTO @name;
END;
CLOSE procs;
DEALLOCATE procs;
GO

SET NOEXEC OFF;
GO
