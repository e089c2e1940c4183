// incident-autopilot on Azure: a Flex Consumption function app (Node 20) with a user-assigned
// managed identity, identity-based storage (no keys in settings), Application Insights, a Key
// Vault for the policy and Teams secrets, and a separate evidence account under version-level WORM.
// Deploy: az deployment group create -g <rg> -f infra/main.bicep -p name=<prefix> targetResourceGroupIds='[...]'
// (not compiled in this repository's CI: the Bicep CLI is a downloaded binary; run `az bicep build` before use)

targetScope = 'resourceGroup'

@description('Short prefix for resource names (letters and digits).')
@minLength(3)
@maxLength(12)
param name string

param location string = resourceGroup().location

@description('Resource groups holding the App Services the automation may swap (it gets Website Contributor there).')
param targetResourceGroupIds array = []

@description('Days evidence blobs are immutable (RB-03: at least a year).')
@minValue(365)
param evidenceRetentionDays int = 400

@description('Entra tenant and API audience for Azure Monitor secure webhooks (empty: function keys only).')
param secureWebhookTenantId string = ''
param secureWebhookAudience string = ''

var suffix = uniqueString(resourceGroup().id, name)
var storageName = toLower(take('${name}st${suffix}', 24))
var hubName = '${name}hub'

module identity 'app/identity.bicep' = {
  name: 'identity'
  params: { name: '${name}-id', location: location }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  params: { name: storageName, location: location, principalId: identity.outputs.principalId }
}

module evidence 'app/evidence-storage.bicep' = {
  name: 'evidence'
  params: {
    name: toLower(take('${name}ev${suffix}', 24))
    location: location
    principalId: identity.outputs.principalId
    retentionDays: evidenceRetentionDays
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  params: { name: name, location: location }
}

module vault 'app/keyvault.bicep' = {
  name: 'keyvault'
  params: { name: toLower(take('${name}kv${suffix}', 24)), location: location, principalId: identity.outputs.principalId }
}

module functionApp 'app/function.bicep' = {
  name: 'function'
  params: {
    name: '${name}-func-${suffix}'
    location: location
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    evidenceAccountName: evidence.outputs.name
    deploymentContainer: storage.outputs.deploymentContainer
    appInsightsConnectionString: monitoring.outputs.connectionString
    taskHubName: hubName
    keyVaultUri: vault.outputs.uri
    secureWebhookTenantId: secureWebhookTenantId
    secureWebhookAudience: secureWebhookAudience
  }
}

// The identity may swap slots and read settings of the target sites, nothing else there.
module targets 'app/target-access.bicep' = [
  for (rgId, i) in targetResourceGroupIds: {
    name: 'target-access-${i}'
    scope: resourceGroup(split(rgId, '/')[2], last(split(rgId, '/')))
    params: { principalId: identity.outputs.principalId }
  }
]

output functionAppName string = functionApp.outputs.name
output alertsUrlWithoutKey string = 'https://${functionApp.outputs.hostName}/api/alerts'
output managedIdentityPrincipalId string = identity.outputs.principalId
output managedIdentityClientId string = identity.outputs.clientId
output keyVaultName string = vault.outputs.name
output storageAccountName string = storage.outputs.name
output evidenceAccountName string = evidence.outputs.name
