/**
 * Whether an env account's security services are on, and how many active critical and high
 * findings Security Hub holds (GuardDuty's and Config's reach it too). A service that is off,
 * or that the caller may not read, is reported as such: it never fails the status.
 */

export type ServiceState = 'on' | 'off' | 'unknown'

export interface ServiceStatus {
  state: ServiceState
  /** Why it is off or unknown, or where the answer came from. */
  detail?: string
}

export interface FindingCounts {
  critical: number
  high: number
}

export interface SecurityStatus {
  guardDuty: ServiceStatus
  securityHub: ServiceStatus
  config: ServiceStatus
  /** Active findings in a NEW or NOTIFIED workflow; absent when Security Hub is not on or could not be read. */
  findings?: FindingCounts
}

/** Security Hub's result of control Config.1 ("AWS Config should be enabled and use the service-linked role"). */
export interface ConfigControlResult {
  /** PASSED, FAILED, WARNING or NOT_AVAILABLE. */
  complianceStatus: string
  updatedAt?: string
}

export interface SecurityHubApi {
  /** False when the account is not subscribed to Security Hub in the region. */
  isEnabled(): Promise<boolean>
  /** Active CRITICAL and HIGH findings whose workflow is NEW or NOTIFIED. */
  countActiveFindings(): Promise<FindingCounts>
  /** The active Config.1 control finding; undefined while Security Hub has none. */
  configControl(): Promise<ConfigControlResult | undefined>
}

export interface GuardDutyApi {
  /** The detectors of the region (at most one) with their status, ENABLED or DISABLED. */
  detectors(): Promise<Array<{id: string; status: string}>>
}

const unknown = (error: unknown): ServiceStatus => ({state: 'unknown', detail: `cannot read: ${(error as Error).message}`})

async function guardDutyStatus(api: GuardDutyApi, region: string): Promise<ServiceStatus> {
  const detectors = await api.detectors()
  const enabled = detectors.find((detector) => detector.status === 'ENABLED')
  if (enabled) return {state: 'on', detail: `detector ${enabled.id}`}
  if (detectors.length === 0) return {state: 'off', detail: `no detector in ${region}`}
  return {state: 'off', detail: `detector ${detectors.map((detector) => detector.id).join(', ')} is suspended`}
}

/**
 * AWS Config is judged through Security Hub's control Config.1, which checks that the recorder
 * is on and uses the service-linked role; the answer is as old as Security Hub's last check.
 */
function configStatus(control: ConfigControlResult | undefined): ServiceStatus {
  if (!control) return {state: 'unknown', detail: 'Security Hub has no result of control Config.1 yet'}
  const when = control.updatedAt ? `, checked ${control.updatedAt}` : ''
  switch (control.complianceStatus) {
    case 'PASSED':
      return {state: 'on', detail: `Security Hub control Config.1 passed${when}`}
    case 'FAILED':
      return {state: 'off', detail: `Security Hub control Config.1 failed${when}`}
    default:
      return {state: 'unknown', detail: `Security Hub control Config.1 is ${control.complianceStatus}${when}`}
  }
}

export async function readSecurity(apis: {securityHub: SecurityHubApi; guardDuty: GuardDutyApi}, region: string): Promise<SecurityStatus> {
  const [guardDuty, hub] = await Promise.all([
    guardDutyStatus(apis.guardDuty, region).catch(unknown),
    readSecurityHub(apis.securityHub, region),
  ])
  return {guardDuty, ...hub}
}

async function readSecurityHub(api: SecurityHubApi, region: string): Promise<Omit<SecurityStatus, 'guardDuty'>> {
  let enabled: boolean
  try {
    enabled = await api.isEnabled()
  } catch (error) {
    const status = unknown(error)
    return {securityHub: status, config: {state: 'unknown', detail: 'read through Security Hub, which could not be read'}}
  }
  if (!enabled) {
    return {
      securityHub: {state: 'off', detail: `not enabled in ${region}`},
      config: {state: 'unknown', detail: 'read through Security Hub control Config.1, and Security Hub is off'},
    }
  }
  const [findings, config] = await Promise.all([
    api.countActiveFindings().then((counts) => ({counts}), (error: unknown) => ({error})),
    api.configControl().then(configStatus, unknown),
  ])
  if ('error' in findings) return {securityHub: {state: 'on', detail: `could not count findings: ${(findings.error as Error).message}`}, config}
  return {securityHub: {state: 'on'}, config, findings: findings.counts}
}
