// On one target App Service app: Website Contributor for the automation's identity, so that it can
// read the slots' app settings (the build each slot runs) and swap slots. Scoped to the site: its
// deployment slots are child resources and inherit the assignment; no other app in the resource
// group is reachable. Website Contributor is the smallest built-in role with sites/slotsswap.
param siteName string
param principalId string
@description('Resource id of the identity: role assignment names derive from it (known before deployment, unlike the principal id).')
param identityId string

resource site 'Microsoft.Web/sites@2025-03-01' existing = {
  name: siteName
}

var websiteContributor = 'de139f84-1756-47ae-9be6-808fbbe84772'

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(site.id, identityId, websiteContributor)
  scope: site
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', websiteContributor)
    description: 'Website Contributor: read slot settings and swap slots of this app'
  }
}
