/**
 * The alert Azure Monitor would send for the lab's service: a metric alert on the 5xx rate (2.7 %
 * over 5 minutes against a 1 % threshold, an RB-03 P1 trigger), in the common alert schema, with a
 * rule name the sample policy routes to admin-api@Lab. The README's quick start posts the same
 * document with curl.
 */
export function labAlert(o: { alertId: string; firedAt: string; rule?: string }): Record<string, unknown> {
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId: `/subscriptions/00000000-0000-4000-8000-00000000a1ab/providers/Microsoft.AlertsManagement/alerts/${o.alertId}`,
        alertRule: o.rule ?? 'lab-admin-api-http5xx',
        severity: 'Sev2',
        signalType: 'Metric',
        monitorCondition: 'Fired',
        monitoringService: 'Platform',
        alertTargetIDs: ['/subscriptions/00000000-0000-4000-8000-00000000a1ab/resourcegroups/rg-admin-lab/providers/microsoft.web/sites/admin-api-lab'],
        firedDateTime: o.firedAt,
        essentialsVersion: '1.0',
        alertContextVersion: '1.0',
      },
      alertContext: {
        conditionType: 'SingleResourceMultipleMetricCriteria',
        condition: {
          windowSize: 'PT5M',
          allOf: [{ metricName: 'Http5xxPercent', metricNamespace: 'Microsoft.Web/sites', operator: 'GreaterThan', threshold: '1', timeAggregation: 'Average', metricValue: 2.7 }],
        },
      },
    },
  };
}
