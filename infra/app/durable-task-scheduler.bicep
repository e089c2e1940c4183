// The Durable Task Scheduler backend (durableBackend = DurableTaskScheduler): a scheduler and the
// app's task hub. The app reaches it with its identity (the only authentication it accepts).
param name string
param taskHubName string
param location string
param tags { *: string }
@allowed([
  'Consumption'
  'Dedicated'
])
param sku string
param principalId string
@description('Resource id of the identity: role assignment names derive from it (known before deployment, unlike the principal id).')
param identityId string

resource scheduler 'Microsoft.DurableTask/schedulers@2025-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: sku == 'Dedicated' ? { name: sku, capacity: 1 } : { name: sku }
    // An empty list denies every caller; access is still by Entra identity and role only.
    ipAllowlist: ['0.0.0.0/0']
  }
}

resource hub 'Microsoft.DurableTask/schedulers/taskHubs@2025-11-01' = {
  parent: scheduler
  name: taskHubName
}

// Durable Task Data Contributor on the task hub, not the scheduler: the app both starts and
// queries instances (client) and runs them (worker); Durable Task Worker would not let it start.
var durableTaskDataContributor = '0ad04412-c4d5-4796-b79c-f76d14c8d402'

resource contributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hub.id, identityId, durableTaskDataContributor)
  scope: hub
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', durableTaskDataContributor)
    description: 'Durable Task Data Contributor: start, query and run orchestrations in this task hub'
  }
}

output endpoint string = scheduler.properties.endpoint
