import type {TemplateRule} from '../finding.js'
import {cloudTrailLogValidation} from './cloudtrail.js'
import {dynamoDbEncrypted, ebsEncrypted, logGroupEncrypted, rdsStorageEncrypted, s3BucketEncrypted, snsTopicEncrypted} from './encryption.js'
import {imdsV2Required} from './imds.js'
import {configDeliveryEncrypted, securityMonitoringOn} from './monitoring.js'
import {dataTierPrivate, noOpenIngress} from './network.js'
import {deletionPolicyInProd, deletionProtectionInProd, multiAzInProd} from './prod.js'
import {s3PublicAccessBlocked, s3TlsOnly} from './s3.js'

/** The security rules of `fintech validate`, in id order. */
export const securityRules: TemplateRule[] = [
  rdsStorageEncrypted,
  dynamoDbEncrypted,
  s3BucketEncrypted,
  ebsEncrypted,
  logGroupEncrypted,
  snsTopicEncrypted,
  imdsV2Required,
  noOpenIngress,
  dataTierPrivate,
  deletionProtectionInProd,
  deletionPolicyInProd,
  s3PublicAccessBlocked,
  s3TlsOnly,
  multiAzInProd,
  cloudTrailLogValidation,
  securityMonitoringOn,
  configDeliveryEncrypted,
]
