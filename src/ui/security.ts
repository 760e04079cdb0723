import type {SecurityStatus, ServiceStatus} from '../core/status/security.js'

const service = (name: string, status: ServiceStatus) => `${name} ${status.state}${status.detail ? ` (${status.detail})` : ''}`

/** The security lines under an env's stack table in `fintech status`. */
export function securityLines(security: SecurityStatus): string[] {
  const findings = security.findings
    ? `  Active findings (Security Hub, new or notified): ${security.findings.critical} critical, ${security.findings.high} high`
    : '  Active findings: not read (Security Hub is not on or could not be read)'
  return [
    'Security:',
    `  ${service('GuardDuty', security.guardDuty)}`,
    `  ${service('Security Hub', security.securityHub)}`,
    `  ${service('AWS Config', security.config)}`,
    findings,
  ]
}
