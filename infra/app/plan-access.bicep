// On one App Service plan: Web Plan Contributor for the automation's identity, so that it can scale
// the plan out (PUT serverfarms with sku.capacity), the containment action an environment's policy
// allows with actions.scaleOut. Scoped to the plan; no other plan in the resource group is reachable.
// Web Plan Contributor is the built-in role with Microsoft.Web/serverFarms/write.
param planName string
param principalId string
@description('Resource id of the identity: role assignment names derive from it (known before deployment, unlike the principal id).')
param identityId string

resource plan 'Microsoft.Web/serverfarms@2025-03-01' existing = {
  name: planName
}

var webPlanContributor = '2cc479cb-7b4d-49a8-b449-8c00fd0f0a4b'

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(plan.id, identityId, webPlanContributor)
  scope: plan
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', webPlanContributor)
    description: 'Web Plan Contributor: scale out this App Service plan'
  }
}
