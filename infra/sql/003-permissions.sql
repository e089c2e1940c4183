/*
  incident-autopilot reference schema, part 3 of 3: least privilege for the automation.

  The automation's identity gets EXECUTE on these six procedures and nothing else: no SELECT,
  INSERT, UPDATE or DELETE on any table, no DDL (RB-02 section 8: keep principals EXECUTE-only).
  The procedures and tables share the owner dbo, so ownership chaining lets the procedures touch
  the tables on the caller's behalf.
*/
IF DATABASE_PRINCIPAL_ID(N'incident_autopilot_executor') IS NULL
    CREATE ROLE incident_autopilot_executor AUTHORIZATION dbo;
GO

GRANT EXECUTE ON OBJECT::dbo.sp_Feature_Set       TO incident_autopilot_executor;
GRANT EXECUTE ON OBJECT::dbo.sp_Config_SetValue   TO incident_autopilot_executor;
GRANT EXECUTE ON OBJECT::dbo.sp_Feature_List      TO incident_autopilot_executor;
GRANT EXECUTE ON OBJECT::dbo.sp_Config_List       TO incident_autopilot_executor;
GRANT EXECUTE ON OBJECT::dbo.sp_Audit_Recent      TO incident_autopilot_executor;
GRANT EXECUTE ON OBJECT::dbo.sp_Audit_ByRequestId TO incident_autopilot_executor;
GO

/*
  Add the Function App's managed identity as a database user and give it the role. Run connected
  to the target database as a Microsoft Entra admin of the server, with the identity's name: the
  Function App's name for a system-assigned identity, the identity resource's name for a
  user-assigned one. (Left commented: the name is yours.)

  CREATE USER [func-incident-autopilot-prod] FROM EXTERNAL PROVIDER;
  ALTER ROLE incident_autopilot_executor ADD MEMBER [func-incident-autopilot-prod];

  Without Entra on the server, a contained database user with a password (kept in Key Vault and
  referenced from the SQL_CONNECTION_<NAME> app setting) works the same way:

  CREATE USER [incident-autopilot] WITH PASSWORD = N'<from Key Vault>';
  ALTER ROLE incident_autopilot_executor ADD MEMBER [incident-autopilot];
*/
