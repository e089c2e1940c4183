// The evidence account: its own storage account so that version-level WORM applies to evidence
// only. Every blob version is immutable for `retentionDays` (the container's default time-based
// retention); versioning keeps the original when someone overwrites a blob.
//
// Storage docs: version-level immutability (immutableStorageWithVersioning) can only be turned on
// when the account is created, turns blob versioning on with it, and applies to every container
// of the account. Lifecycle rules cannot delete immutable versions.
//
// The retention policy starts unlocked. Locking it is irreversible (a locked policy accepts only a
// longer retention), so it is a manual step after you have tested restores:
//   az storage container immutability-policy show --account-name <acct> -c incident-evidence
//   az storage container immutability-policy lock --account-name <acct> -c incident-evidence --if-match <etag>
// and then set evidencePolicyLocked=true (azd env set EVIDENCE_POLICY_LOCKED true): the template
// no longer sends the policy, so a redeploy cannot be refused by the lock.
param name string
param location string
param tags { *: string }
param sku string
param principalId string
@description('Resource id of the identity: role assignment names derive from it (known before deployment, unlike the principal id).')
param identityId string
@minValue(365)
param retentionDays int
param policyLocked bool

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
    immutableStorageWithVersioning: { enabled: true }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' = {
  parent: account
  name: 'default'
  properties: {
    // Already on (the account's version-level immutability turned it on); stated so that no later
    // edit of this file turns it off.
    isVersioningEnabled: true
    deleteRetentionPolicy: { enabled: true, days: 30 }
    containerDeleteRetentionPolicy: { enabled: true, days: 30 }
  }
}

// The container of the evidence packs (src/config/evidence.ts DEFAULT_EVIDENCE_CONTAINER).
resource evidence 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobs
  name: 'incident-evidence'
}

resource policy 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2025-06-01' = if (!policyLocked) {
  parent: evidence
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: retentionDays
    allowProtectedAppendWrites: false
  }
}

// Writing blobs with their index tags, and finding a pack by tag (`npm run evidence -- verify`):
// tags/write and filter/action are data actions of Storage Blob Data Owner only among the
// built-in blob roles (Storage Blob Data Contributor has neither). Deleting is refused by WORM.
var blobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'

resource writer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, identityId, blobDataOwner)
  scope: account
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataOwner)
    description: 'Storage Blob Data Owner: write evidence blobs with index tags, find packs by tag'
  }
}

output name string = account.name
output container string = evidence.name
