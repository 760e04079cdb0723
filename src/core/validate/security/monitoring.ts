import type {TemplateRule} from '../finding.js'
import {checkEnvironments, child, ofType, requireSet, requireTrue} from './evaluated.js'

export const securityMonitoringOn: TemplateRule = {
  id: 'FT-SEC-016',
  severity: 'error',
  title: 'Threat detection and audit logging are on',
  rationale:
    'A GuardDuty detector created with Enable: false, or a trail with IsLogging: false, looks deployed and records nothing; and the SCP lets only the break-glass role turn either on afterwards.',
  check: (context) =>
    checkEnvironments(securityMonitoringOn, context, 'every', (evaluation) => [
      ...ofType(evaluation, 'AWS::GuardDuty::Detector').flatMap((detector) => requireTrue(detector, child(detector.properties, 'Enable'), 'Enable')),
      ...ofType(evaluation, 'AWS::CloudTrail::Trail').flatMap((trail) => requireTrue(trail, child(trail.properties, 'IsLogging'), 'IsLogging')),
    ]),
}

export const configDeliveryEncrypted: TemplateRule = {
  id: 'FT-SEC-017',
  severity: 'error',
  title: 'AWS Config delivers with a KMS key',
  rationale:
    'Config snapshots list every resource of the account with its settings; without S3KmsKeyArn they are written with the bucket default, not the logs key whose policy decides who reads audit data.',
  check: (context) =>
    checkEnvironments(configDeliveryEncrypted, context, 'every', (evaluation) =>
      ofType(evaluation, 'AWS::Config::DeliveryChannel').flatMap((channel) =>
        requireSet(channel, child(channel.properties, 'S3KmsKeyArn'), 'S3KmsKeyArn', 'the logs KMS key'),
      ),
    ),
}
