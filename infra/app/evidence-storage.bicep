// The evidence account: its own storage account so that version-level WORM applies to evidence
// only. Every blob version is immutable for `retentionDays` (time-based retention, unlocked until
// you lock it); versioning keeps the original when someone overwrites a blob. Lifecycle rules
// cannot delete immutable versions.
//
// Locking the policy is irreversible (it can then only be extended), so it is a separate, manual
// step after you have tested restores:
//   az storage container immutability-policy show   --account-name <acct> -c incident-evidence
//   az storage container immutability-policy lock   --account-name <acct> -c incident-evidence --if-match <etag>
param name string
param location string
param principalId string
@minValue(365)
param retentionDays int

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  kind: 'StorageV2'
  sku: { name: 'Standard_ZRS' }
  properties: {
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Version-level immutability must be enabled when the account is created.
    immutableStorageWithVersioning: { enabled: true }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: { enabled: true, days: 30 }
    containerDeleteRetentionPolicy: { enabled: true, days: 30 }
  }
}

resource evidence 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: 'incident-evidence'
  properties: {
    immutableStorageWithVersioning: { enabled: true }
  }
}

resource policy 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = {
  parent: evidence
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: retentionDays
    allowProtectedAppendWrites: false
  }
}

// Writing blobs and their index tags, and searching by tag for `npm run evidence -- verify`.
var blobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'

resource writer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, principalId, blobDataOwner)
  scope: account
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataOwner)
  }
}

output name string = account.name
