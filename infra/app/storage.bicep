// The app's runtime storage account: the Functions host and Durable (blobs, queues, tables), the
// incident tables, the step ledger, the raw alert payloads and the deployment package. Shared keys
// are disabled: everything uses the managed identity. No versioning here: Durable rewrites blobs
// constantly and versions would only cost.
param name string
param location string
param tags { *: string }
param sku string
param principalId string
@description('Resource id of the identity: role assignment names derive from it (known before deployment, unlike the principal id).')
param identityId string
@minValue(30)
param alertPayloadRetentionDays int

resource account 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: sku }
  properties: {
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: { enabled: true, days: 7 }
  }
}

// Flex Consumption deploys the app's zip into this container (functionAppConfig.deployment).
resource deployment 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobs
  name: 'app-package'
}

// The raw alert payloads, as received (src/app/stores.ts ALERT_PAYLOADS_CONTAINER). The evidence
// pack copies an incident's alerts when it is sealed, so the originals need not live for ever.
resource alertPayloads 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobs
  name: 'incident-alert-payloads'
}

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2025-06-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-raw-alert-payloads'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['${alertPayloads.name}/']
            }
            actions: {
              baseBlob: { delete: { daysAfterCreationGreaterThan: alertPayloadRetentionDays } }
            }
          }
        }
      ]
    }
  }
}

// Identity-based AzureWebJobsStorage for the Functions host and the Durable Azure Storage provider
// (Functions docs, "Connecting to host storage with an identity": Storage Blob Data Owner, Queue
// Data Contributor, Table Data Contributor). Blob Data Owner also covers the deployment container.
var roles = [
  { id: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', name: 'Storage Blob Data Owner', why: 'Functions host (leases, keys, deployment package), Durable, alert payloads' }
  { id: '974c5e8b-45b9-4653-ba55-5f855dd0fb88', name: 'Storage Queue Data Contributor', why: 'Functions host and Durable work-item queues' }
  { id: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3', name: 'Storage Table Data Contributor', why: 'Durable history, incident tables, step ledger, LKG registry, deploy freeze' }
]

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in roles: {
    name: guid(account.id, identityId, role.id)
    scope: account
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.id)
      description: '${role.name}: ${role.why}'
    }
  }
]

output name string = account.name
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deployment.name}'
