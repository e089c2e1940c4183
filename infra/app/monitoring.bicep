// Log Analytics and Application Insights. Local (instrumentation key) authentication is off: the
// Functions host sends telemetry as the app's identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING),
// which needs Monitoring Metrics Publisher on this component (Azure Monitor docs, "Microsoft Entra
// authentication for Application Insights").
param logsName string
param insightsName string
param location string
param tags { *: string }
param principalId string
@description('Resource id of the identity: role assignment names derive from it (known before deployment, unlike the principal id).')
param identityId string

resource logs 'Microsoft.OperationalInsights/workspaces@2025-07-01' = {
  name: logsName
  location: location
  tags: tags
  properties: { retentionInDays: 90, sku: { name: 'PerGB2018' } }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: insightsName
  location: location
  tags: tags
  kind: 'web'
  properties: { Application_Type: 'web', WorkspaceResourceId: logs.id, DisableLocalAuth: true }
}

var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, identityId, monitoringMetricsPublisher)
  scope: insights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    description: 'Monitoring Metrics Publisher: send telemetry with Entra authentication'
  }
}

output connectionString string = insights.properties.ConnectionString
