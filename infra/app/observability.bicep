// Watching the automation itself (README, "Watching the automation"): an Azure Monitor workbook
// over the app's own telemetry (incidents over time, MTTx against the runbook's targets,
// timeboxes, rollbacks, the automation's failures) and alert rules on the automation's own
// failures, sent to an action group of people or another tool: never the app's own webhook,
// which cannot tell anyone about itself when it is the thing that is down.
//
// Every query reads the metric and attribute names the app emits (src/domain/telemetry.ts);
// test/infra/observability.test.ts holds the compiled queries to exactly those names.
param location string
param tags { *: string }
@description('Name of the Application Insights component (in this resource group) the app sends its telemetry to.')
param insightsName string
@description('Name token: the action group, alert rules and workbook derive their names from it.')
param token string
@description('Email address (a team list) the alerts go to; empty: none.')
param alertEmail string
@description('Another webhook for the alerts (an on-call tool); empty: none. Not the app\'s own /api/alerts.')
param alertWebhookUrl string

resource insights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: insightsName
}

var insightsId = insights.id

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-autopilot-${token}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'autopilot'
    enabled: true
    emailReceivers: empty(alertEmail) ? [] : [{ name: 'team', emailAddress: alertEmail, useCommonAlertSchema: true }]
    webhookReceivers: empty(alertWebhookUrl) ? [] : [{ name: 'on-call', serviceUri: alertWebhookUrl, useCommonAlertSchema: true }]
  }
}

// One log alert rule per failure of the automation. `query` counts the failures in the window;
// the rule fires when the count (`measure`) is over `threshold` (or under it, for `below`).
var rules = [
  {
    key: 'orchestration-failed'
    name: 'An incident orchestration failed'
    description: 'An orchestration episode ended its instance as Failed (an unhandled error in the runbook): that incident is no longer being run. README, "Watching the automation".'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'customMetrics | where name == "autopilot.orchestrations.failed" | summarize failed = sum(valueSum)'
    measure: 'failed'
    below: false
    threshold: 0
  }
  {
    key: 'teams-failing'
    name: 'Teams deliveries failing'
    description: 'Messages to Teams were refused by Graph (4xx) or not delivered before their deadline (throttling or an outage): people are not being told. README, "Watching the automation".'
    severity: 2
    frequency: 'PT5M'
    window: 'PT30M'
    query: 'customMetrics | where name == "autopilot.teams.deliveries" | where tostring(customDimensions["autopilot.outcome"]) in ("rejected", "deadline") | summarize failed = sum(valueSum)'
    measure: 'failed'
    below: false
    threshold: 0
  }
  {
    key: 'canary-red'
    name: 'The canary is red'
    description: 'The canary found a dependency the runbook needs failing (GET /api/canary names it: token expired, login refused, ARM 403, storage down...). README, "Watching the automation".'
    severity: 2
    frequency: 'PT15M'
    window: 'PT1H'
    query: 'customMetrics | where name == "autopilot.canary.runs" | where tostring(customDimensions["autopilot.status"]) == "red" | summarize red = sum(valueSum)'
    measure: 'red'
    below: false
    threshold: 0
  }
  {
    key: 'canary-silent'
    name: 'The canary has not run'
    description: 'No canary run in three hours: the function app is down, not running its timers, or not sending telemetry. README, "Watching the automation".'
    severity: 2
    frequency: 'PT1H'
    window: 'PT3H'
    query: 'customMetrics | where name == "autopilot.canary.runs" | summarize runs = count()'
    measure: 'runs'
    below: true
    threshold: 1
  }
  {
    key: 'intake-5xx'
    name: 'Alert intake answering 5xx'
    description: 'POST /api/alerts answered 5xx (the host\'s request log, and the app\'s own count): Azure Monitor retries a 503, but alerts may be lost or late. README, "Watching the automation".'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'union (requests | where name == "alerts" | where toint(resultCode) >= 500 | extend n = 1.0), (customMetrics | where name == "autopilot.alerts.received" | where toint(customDimensions["http.response.status_code"]) >= 500 | extend n = valueSum) | summarize failed = sum(n)'
    measure: 'failed'
    below: false
    threshold: 0
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = [
  for rule in rules: {
    name: 'autopilot-${rule.key}-${token}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: 'incident-autopilot: ${rule.name}'
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [insightsId]
      evaluationFrequency: rule.frequency
      windowSize: rule.window
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Total'
            metricMeasureColumn: rule.measure
            operator: rule.below ? 'LessThan' : 'GreaterThan'
            threshold: rule.threshold
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      autoMitigate: true
      actions: { actionGroups: [actionGroup.id] }
    }
  }
]

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(insightsId, 'incident-autopilot-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'incident-autopilot: incidents and the automation'
    category: 'workbook'
    sourceId: insightsId
    serializedData: replace(loadTextContent('observability-workbook.json'), '__APP_INSIGHTS_ID__', insightsId)
  }
}

output actionGroupId string = actionGroup.id
output workbookId string = workbook.id
