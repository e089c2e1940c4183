// incident-autopilot on Azure: a Flex Consumption function app (Node 22) with a user-assigned
// managed identity and identity-based connections everywhere (no keys in settings), Application
// Insights with Entra-authenticated ingestion, a Key Vault for secrets, a separate evidence account
// under version-level WORM, and, optionally, the Durable Task Scheduler as the Durable backend.
//
// Deploy with `azd up` (azure.yaml, infra/main.parameters.json) or
//   az deployment group create -g <rg> -f infra/main.bicep -p environmentName=<name>
// `npm run infra:build` compiles and lints this file with the pinned Bicep compiler; the tests in
// test/infra read the compiled ARM template.

targetScope = 'resourceGroup'

@description('Name of the environment (azd sets it). It only seeds the resource name token and tags, so any text is safe.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Region of every resource. Flex Consumption is not offered in every region: `az functionapp list-flexconsumption-locations`.')
param location string = resourceGroup().location

@description('Resource ids of the App Service apps (sites) whose slots the automation may swap. It gets Website Contributor on each site, not on its resource group.')
param targetSiteIds string[] = []

@description('Resource ids of the App Service plans the automation may scale out (environment policy actions.scaleOut). It gets Web Plan Contributor on each plan, not on its resource group.')
param targetPlanIds string[] = []

@description('Resource ids of what the signal readers watch (README "Signals"): App Service apps and Application Insights components whose metrics and alerts are read. Monitoring Reader on each.')
param monitoredResourceIds string[] = []

@description('Resource ids of the Application Insights components or Log Analytics workspaces the triage queries read. Log Analytics Reader on each.')
param logResourceIds string[] = []

@description('Days every evidence blob version stays immutable (RB-03: at least a year).')
@minValue(365)
@maxValue(146000)
param evidenceRetentionDays int = 400

@description('Set to true once you have locked the evidence immutability policy: the deployment then stops sending the policy, which a locked policy would refuse unless the retention grew (extend it with `az storage container immutability-policy extend`).')
param evidencePolicyLocked bool = false

@description('Days a raw alert payload is kept in the runtime account (a lifecycle rule deletes it after that). The evidence pack keeps its own copy of the alerts of every closed incident.')
@minValue(30)
@maxValue(3650)
param alertPayloadRetentionDays int = 90

// Storage redundancy: ZRS is not offered in every region that offers Flex Consumption, so the
// default is LRS, which every region has; choose ZRS (or GZRS) where your region offers it.
@description('Redundancy of both storage accounts (runtime and evidence).')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param storageSku string = 'Standard_LRS'

// Durable Functions backend. The Azure Storage provider needs nothing more than the runtime
// account. The Durable Task Scheduler is Microsoft's managed backend, the documented path when a
// team outgrows Azure Storage (README, "Choosing the Durable backend"). Switching starts with an
// empty task hub: switch between incidents.
@description('Durable Functions backend: the app\'s storage account, or the managed Durable Task Scheduler.')
@allowed([
  'AzureStorage'
  'DurableTaskScheduler'
])
param durableBackend string = 'AzureStorage'

@description('Durable Task Scheduler billing SKU (only with durableBackend DurableTaskScheduler).')
@allowed([
  'Consumption'
  'Dedicated'
])
param durableTaskSchedulerSku string = 'Consumption'

@description('Key Vault purge protection. Irreversible once on, and while on, a deleted vault keeps its name for 90 days (recover it with keyVaultRecover). Every secret here can be issued again, so it is off by default.')
param keyVaultPurgeProtection bool = false

@description('Recover the soft-deleted vault of this environment (after the resource group was deleted) instead of creating one: its secrets come back.')
param keyVaultRecover bool = false

@description('Entra tenant for Azure Monitor secure webhooks (empty: function keys only).')
param secureWebhookTenantId string = ''

@description('API app registration (client id or application id URI) that secure webhook tokens are issued for.')
param secureWebhookAudience string = ''

@description('How approvers are identified: "entra" (App Service Authentication must be on: a manual step) or "link" (whoever holds the link).')
@allowed([
  'entra'
  'link'
])
param approvalIdentity string = 'entra'

@description('Email address (a team list) for the alerts on the automation itself: an incident orchestration failed, Teams deliveries failing, the canary red or silent, intake answering 5xx. Empty: the alert rules fire in the portal only.')
param opsAlertEmail string = ''

@description('Another webhook for the same alerts (an on-call tool). Never this app\'s own /api/alerts: when the app is what is down, it cannot hear about it.')
param opsAlertWebhookUrl string = ''

// Every name is derived from one token of lowercase letters and digits, so no input can break a
// name rule (storage accounts: 3-24 lowercase letters and digits; task hubs: letters and digits,
// starting with a letter; Key Vault: 3-24, starting with a letter). The token changes with the
// subscription, resource group and environment name.
var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var names = {
  identity: 'id-${token}'
  storage: 'st${token}'
  evidence: 'stev${token}'
  vault: 'kv-${token}'
  functionApp: 'func-${token}'
  plan: 'plan-${token}'
  logs: 'log-${token}'
  insights: 'appi-${token}'
  scheduler: 'dts-${token}'
  taskHub: 'hub${token}'
}
var tags = { 'azd-env-name': environmentName }
// Known before deployment (role assignment names derive from it); identity.outputs.id is the same.
var identityId = resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', names.identity)
var useScheduler = durableBackend == 'DurableTaskScheduler'

module identity 'app/identity.bicep' = {
  name: 'identity'
  params: { name: names.identity, location: location, tags: tags }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    tags: tags
    sku: storageSku
    principalId: identity.outputs.principalId
    identityId: identityId
    alertPayloadRetentionDays: alertPayloadRetentionDays
  }
}

module evidence 'app/evidence-storage.bicep' = {
  name: 'evidence'
  params: {
    name: names.evidence
    location: location
    tags: tags
    sku: storageSku
    principalId: identity.outputs.principalId
    identityId: identityId
    retentionDays: evidenceRetentionDays
    policyLocked: evidencePolicyLocked
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logsName: names.logs
    insightsName: names.insights
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    identityId: identityId
  }
}

module vault 'app/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: names.vault
    location: location
    tags: tags
    principalId: identity.outputs.principalId
    identityId: identityId
    purgeProtection: keyVaultPurgeProtection
    recover: keyVaultRecover
  }
}

module scheduler 'app/durable-task-scheduler.bicep' = if (useScheduler) {
  name: 'durable-task-scheduler'
  params: {
    name: names.scheduler
    taskHubName: names.taskHub
    location: location
    tags: tags
    sku: durableTaskSchedulerSku
    principalId: identity.outputs.principalId
    identityId: identityId
  }
}

module functionApp 'app/function.bicep' = {
  name: 'function'
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    evidenceAccountName: evidence.outputs.name
    evidenceContainer: evidence.outputs.container
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appInsightsConnectionString: monitoring.outputs.connectionString
    taskHubName: names.taskHub
    keyVaultUri: vault.outputs.uri
    durableTaskSchedulerEndpoint: useScheduler ? scheduler!.outputs.endpoint : ''
    secureWebhookTenantId: secureWebhookTenantId
    secureWebhookAudience: secureWebhookAudience
    approvalIdentity: approvalIdentity
  }
}

// The workbook and the alert rules on the automation itself (infra/app/observability.bicep).
module observability 'app/observability.bicep' = {
  name: 'observability'
  // The component is named here; monitoring.bicep creates it first.
  dependsOn: [monitoring]
  params: {
    location: location
    tags: tags
    insightsName: names.insights
    token: token
    alertEmail: opsAlertEmail
    alertWebhookUrl: opsAlertWebhookUrl
  }
}

// Website Contributor on each target site (its slots are child resources, so the assignment
// covers them); a resource group scope would reach every other app in it.
module targets 'app/target-access.bicep' = [
  for (siteId, i) in targetSiteIds: {
    name: 'target-access-${i}'
    scope: resourceGroup(split(siteId, '/')[2], split(siteId, '/')[4])
    params: {
      siteName: last(split(siteId, '/'))
      principalId: identity.outputs.principalId
      identityId: identityId
    }
  }
]

// Web Plan Contributor on each plan the runbook may scale out (Website Contributor on the site
// reads its plan but cannot change it).
module planTargets 'app/plan-access.bicep' = [
  for (planId, i) in targetPlanIds: {
    name: 'plan-access-${i}'
    scope: resourceGroup(split(planId, '/')[2], split(planId, '/')[4])
    params: {
      planName: last(split(planId, '/'))
      principalId: identity.outputs.principalId
      identityId: identityId
    }
  }
]

// The signal readers (README "Signals"): Monitoring Reader on each monitored resource, Log Analytics
// Reader on each logs resource, each on the resource itself (in its own subscription and group).
module monitoredAccess 'app/signals-access.bicep' = [
  for (id, i) in monitoredResourceIds: {
    name: 'signals-monitoring-${i}'
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    params: {
      resourceId: id
      role: 'Monitoring Reader'
      principalId: identity.outputs.principalId
      identityId: identityId
    }
  }
]

module logAccess 'app/signals-access.bicep' = [
  for (id, i) in logResourceIds: {
    name: 'signals-logs-${i}'
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    params: {
      resourceId: id
      role: 'Log Analytics Reader'
      principalId: identity.outputs.principalId
      identityId: identityId
    }
  }
]

output AZURE_LOCATION string = location
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output ALERTS_URL_WITHOUT_KEY string = 'https://${functionApp.outputs.hostName}/api/alerts'
output HEALTH_URL string = 'https://${functionApp.outputs.hostName}/api/health'
output MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output KEY_VAULT_NAME string = vault.outputs.name
output STORAGE_ACCOUNT_NAME string = storage.outputs.name
output EVIDENCE_ACCOUNT_NAME string = evidence.outputs.name
output TASK_HUB_NAME string = names.taskHub
output OPS_ACTION_GROUP_ID string = observability.outputs.actionGroupId
output OPS_WORKBOOK_ID string = observability.outputs.workbookId
