// On a resource group of target App Services: Website Contributor for the automation's identity
// (swap slots, read app settings). Deployed once per target resource group.
param principalId string

var websiteContributor = 'de139f84-1756-47ae-9be6-808fbbe84772'

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, websiteContributor)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', websiteContributor)
  }
}
