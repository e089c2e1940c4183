// Secrets the app reads through Key Vault references (the approval signing key, the policy if you
// keep it here) and the Teams delegated token, which the app rewrites when it rotates.
//
// Key Vault docs: soft delete is always on, and a deleted vault keeps its name for the retention
// period; with purge protection it cannot be purged before then. So after deleting the resource
// group, deploy again with recover=true (the vault and its secrets come back), or, without purge
// protection, purge it first (`az keyvault purge -n <name>`).
param name string
param location string
param tags { *: string }
param principalId string
@description('Resource id of the identity: role assignment names derive from it (known before deployment, unlike the principal id).')
param identityId string
param purgeProtection bool
param recover bool

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    createMode: recover ? 'recover' : 'default'
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // Purge protection cannot be turned off once on, and the API refuses `false` for a vault that
    // has it: leave the property out unless it is wanted.
    enablePurgeProtection: purgeProtection ? true : null
  }
}

// Key Vault Secrets Officer, on this vault: resolve the Key Vault references and write the Teams
// delegated token when it rotates (Key Vault Secrets User cannot write). A narrower scope (the
// token's secret alone) needs that secret to exist when the role is assigned, and creating it
// here would overwrite the signed-in token on every deployment.
var secretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource officer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identityId, secretsOfficer)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsOfficer)
    description: 'Key Vault Secrets Officer: read referenced secrets, rewrite the rotated Teams token'
  }
}

output uri string = vault.properties.vaultUri
output name string = vault.name
