// On one resource the signal readers read (README "Signals"): Monitoring Reader on an App Service
// app or an Application Insights component (its metrics and the alerts that target it), or Log
// Analytics Reader on an Application Insights component or a Log Analytics workspace (the triage
// queries). Scoped to the resource itself, never its resource group. Log Analytics Reader rather
// than Monitoring Reader for queries: it excludes reading the workspace's shared keys, which
// Monitoring Reader's */read would include.
param resourceId string
@allowed([
  'Monitoring Reader'
  'Log Analytics Reader'
])
param role string
param principalId string
@description('Resource id of the identity: role assignment names derive from it (known before deployment, unlike the principal id).')
param identityId string

var segments = split(resourceId, '/')
var type = toLower('${segments[6]}/${segments[7]}')
var name = last(segments)
var roleIds = {
  'Monitoring Reader': '43d0d8ad-25c7-4714-9337-8ba259a9fe05'
  'Log Analytics Reader': '73c42c96-874c-492b-b04d-ab87d138a893'
}
var roleId = roleIds[role]
var onSite = type == 'microsoft.web/sites' && role == 'Monitoring Reader'
var onComponent = type == 'microsoft.insights/components'
var onWorkspace = type == 'microsoft.operationalinsights/workspaces' && role == 'Log Analytics Reader'
var why = role == 'Monitoring Reader' ? 'read its metrics and the alerts that target it' : 'run the triage queries on its logs'

resource site 'Microsoft.Web/sites@2025-03-01' existing = if (onSite) {
  name: name
}

resource component 'Microsoft.Insights/components@2020-02-02' existing = if (onComponent) {
  name: name
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' existing = if (onWorkspace) {
  name: name
}

resource siteAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (onSite) {
  name: guid(resourceId, identityId, roleId)
  scope: site
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    description: '${role}: ${why}'
  }
}

resource componentAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (onComponent) {
  name: guid(resourceId, identityId, roleId)
  scope: component
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    description: '${role}: ${why}'
  }
}

resource workspaceAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (onWorkspace) {
  name: guid(resourceId, identityId, roleId)
  scope: workspace
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    description: '${role}: ${why}'
  }
}

// What took the role. A resource of another type (or a workspace given Monitoring Reader) has no
// entry here, so evaluating this output fails the deployment instead of assigning nothing quietly.
var kinds = {
  'microsoft.web/sites|Monitoring Reader': 'App Service app'
  'microsoft.insights/components|Monitoring Reader': 'Application Insights component'
  'microsoft.insights/components|Log Analytics Reader': 'Application Insights component'
  'microsoft.operationalinsights/workspaces|Log Analytics Reader': 'Log Analytics workspace'
}
output assignedOn string = kinds['${type}|${role}']
