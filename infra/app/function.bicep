// The Flex Consumption function app (Node 22, Linux) and its plan. Flex Consumption keeps the
// runtime, scale and deployment storage in functionAppConfig; the app settings that it retired
// (FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE, the content
// share settings...) are not set here (Functions docs, "Flex Consumption plan deprecations").
//
// Every app setting below is listed in infra/app-settings.json, the one catalogue of settings that
// the tests hold this template, the code's readers, local.settings.sample.json and the README to.
param name string
param planName string
param location string
param tags { *: string }
param identityId string
param identityClientId string
param storageAccountName string
param evidenceAccountName string
param evidenceContainer string
param deploymentContainerUrl string
param appInsightsConnectionString string
param taskHubName string
param keyVaultUri string
@description('Empty: the Azure Storage provider (host.json default).')
param durableTaskSchedulerEndpoint string
param secureWebhookTenantId string
param secureWebhookAudience string
param approvalIdentity string

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

// Identity-based connections: `<prefix>__accountName`, `__credential`, `__clientId` (Functions
// docs, "Connecting to host storage with an identity"). The app's own readers take the same shape
// (src/adapters/storage.ts) but no `__credential`: the evidence account, which only the app reads,
// needs just the account and the identity.
var storageSettings = [
  { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
  { name: 'EVIDENCE_STORAGE__accountName', value: evidenceAccountName }
  { name: 'EVIDENCE_STORAGE__clientId', value: identityClientId }
  { name: 'EVIDENCE_CONTAINER', value: evidenceContainer }
]

var appSettings = [
  // Every Azure SDK client that is not told otherwise (DefaultAzureCredential) uses this identity.
  { name: 'AZURE_CLIENT_ID', value: identityClientId }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
  // Entra-authenticated telemetry (the component has local authentication off).
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identityClientId}' }
  { name: 'TaskHubName', value: taskHubName }
  // The policy ships in the package (npm run package copies the chosen file to policy.json).
  { name: 'POLICY_PATH', value: 'policy.json' }
  { name: 'APPSERVICE_MANAGED_IDENTITY_CLIENT_ID', value: identityClientId }
  { name: 'TEAMS_TOKEN_KEYVAULT_URL', value: keyVaultUri }
  { name: 'TEAMS_KEYVAULT_IDENTITY_CLIENT_ID', value: identityClientId }
  { name: 'TEAMS_APP_FEDERATION_IDENTITY_CLIENT_ID', value: identityClientId }
  // A Key Vault reference: the secret itself is a manual step (README, "Deploy to Azure"); until it
  // exists App Service passes the reference text through and /api/health says so.
  { name: 'APPROVAL_SIGNING_KEY', value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/approval-signing-key/)' }
  { name: 'APPROVAL_IDENTITY', value: approvalIdentity }
  { name: 'SECURE_WEBHOOK_TENANT_ID', value: secureWebhookTenantId }
  { name: 'SECURE_WEBHOOK_AUDIENCE', value: secureWebhookAudience }
]

// The Durable Task Scheduler: the host.json storage provider is overridden by app settings
// (AzureFunctionsJobHost__path__to__setting, Functions docs "Override host.json values"), so one
// package runs on either backend.
var schedulerSettings = empty(durableTaskSchedulerEndpoint)
  ? []
  : [
      { name: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING', value: 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}' }
      { name: 'AzureFunctionsJobHost__extensions__durableTask__storageProvider__type', value: 'azureManaged' }
      { name: 'AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName', value: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING' }
    ]

resource app 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  // azd deploys the service named in azure.yaml to the resource carrying this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
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
          value: deploymentContainerUrl
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: 40, instanceMemoryMB: 2048 }
      // Node 20 reached end of life on 2026-04-30; the Flex quickstarts use 22.
      runtime: { name: 'node', version: '22' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: concat(storageSettings, appSettings, schedulerSettings)
    }
  }
}

output name string = app.name
output hostName string = app.properties.defaultHostName
