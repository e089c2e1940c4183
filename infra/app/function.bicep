// Flex Consumption function app, Node 20, identity-based storage and deployment storage.
param name string
param location string
param identityId string
param identityClientId string
param storageAccountName string
param evidenceAccountName string
param deploymentContainer string
param appInsightsConnectionString string
param taskHubName string
param keyVaultUri string
param secureWebhookTenantId string
param secureWebhookAudience string

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${name}-plan'
  location: location
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identityId}': {} } }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainer
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 2048 }
      runtime: { name: 'node', version: '20' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        { name: 'EVIDENCE_STORAGE__accountName', value: evidenceAccountName }
        { name: 'EVIDENCE_STORAGE__credential', value: 'managedidentity' }
        { name: 'EVIDENCE_STORAGE__clientId', value: identityClientId }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'TaskHubName', value: taskHubName }
        // The policy ships in the package (policy.json at the app root) or comes from Key Vault:
        // POLICY_JSON = @Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/incident-policy/)
        { name: 'POLICY_PATH', value: 'policy.json' }
        { name: 'KEY_VAULT_URI', value: keyVaultUri }
        { name: 'SECURE_WEBHOOK_TENANT_ID', value: secureWebhookTenantId }
        { name: 'SECURE_WEBHOOK_AUDIENCE', value: secureWebhookAudience }
      ]
    }
  }
}

output name string = app.name
output hostName string = app.properties.defaultHostName
