/** pbac 0.3 (MIT) ships no types: the part fintech uses. */
declare module 'pbac' {
  type ConditionFunction = (this: PBAC, requestValue: unknown, policyValue: unknown) => unknown

  class PBAC {
    constructor(policies: unknown, options?: {validateSchema?: boolean; validatePolicies?: boolean})
    /** True when an Allow statement matches and no Deny statement does. */
    evaluate(request: {action: string; resource: string; context?: Record<string, unknown>}): boolean
    conditions: Record<string, ConditionFunction>
  }

  export = PBAC
}
