import type {TemplateRule} from '../finding.js'
import {checkEnvironments, child, ofType, requireTrue} from './evaluated.js'

export const cloudTrailLogValidation: TemplateRule = {
  id: 'FT-SEC-015',
  severity: 'error',
  title: 'CloudTrail log-file validation',
  rationale: 'The audit trail is evidence: digest files let an auditor prove no log file was altered or deleted after delivery.',
  check: (context) =>
    checkEnvironments(cloudTrailLogValidation, context, 'every', (evaluation) =>
      ofType(evaluation, 'AWS::CloudTrail::Trail').flatMap((trail) =>
        requireTrue(trail, child(trail.properties, 'EnableLogFileValidation'), 'EnableLogFileValidation'),
      ),
    ),
}
