import type {TemplateRule} from '../finding.js'
import {checkEnvironments, child, isUnknown, ofType, shown, type EvaluatedResource, type Located, type Problem} from './evaluated.js'

export const imdsV2Required: TemplateRule = {
  id: 'FT-SEC-007',
  severity: 'error',
  title: 'IMDSv2 required on EC2',
  rationale: 'With IMDSv1 one server-side request forgery in Redis tooling or user data hands out the instance role credentials; session tokens (HttpTokens: required) close that path.',
  check: (context) =>
    checkEnvironments(imdsV2Required, context, 'every', (evaluation) => [
      ...ofType(evaluation, 'AWS::EC2::LaunchTemplate').flatMap((resource) =>
        requireTokens(resource, child(resource.properties, 'LaunchTemplateData', 'MetadataOptions'), 'LaunchTemplateData.MetadataOptions'),
      ),
      ...ofType(evaluation, 'AWS::AutoScaling::LaunchConfiguration').flatMap((resource) =>
        requireTokens(resource, child(resource.properties, 'MetadataOptions'), 'MetadataOptions'),
      ),
      ...ofType(evaluation, 'AWS::EC2::Instance').flatMap((resource) => {
        const options = child(resource.properties, 'MetadataOptions')
        // An instance launched from a launch template takes its metadata options from there
        // (checked as a resource of its own), unless it overrides them here.
        const fromLaunchTemplate = child(resource.properties, 'LaunchTemplate').value !== undefined
        if (options.value === undefined && fromLaunchTemplate) return []
        return requireTokens(resource, options, 'MetadataOptions')
      }),
    ]),
}

/** HttpTokens must be 'required', unless the metadata endpoint is switched off altogether. */
function requireTokens(resource: EvaluatedResource, options: Located, name: string): Problem[] {
  if (isUnknown(options.value) || child(options, 'HttpEndpoint').value === 'disabled') return []
  const tokens = child(options, 'HttpTokens')
  if (tokens.value === 'required' || isUnknown(tokens.value)) return []
  return [{resource: resource.id, path: tokens.path, message: `${resource.id}: ${name}.HttpTokens must be required (${shown(tokens.value)})`}]
}
