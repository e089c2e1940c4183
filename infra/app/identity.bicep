// The app's user-assigned managed identity: every connection (storage, Key Vault, Application
// Insights, the Durable Task Scheduler, ARM for slot swaps) authenticates as it.
param name string
param location string
param tags { *: string }

resource id 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = id.id
output principalId string = id.properties.principalId
output clientId string = id.properties.clientId
