import {Flags} from '@oclif/core'
import {FintechCommand} from '../../cli/base-command.js'
import {drStatusCommand, type DrStatus} from '../../cli/dr.js'

export default class DrStatusCommand extends FintechCommand {
  static summary = 'Disaster recovery readiness: Aurora global lag against the RPO, DynamoDB replicas, S3 replication backlog, backup copies, Route 53 health and which region serves.'

  static description =
    'Reads the env and its recovery region (environments.<env>.recovery): RDS DescribeGlobalClusters and the secondary\'s AuroraGlobalDBReplicationLag and AuroraGlobalDBRPOLag (highest over 5 minutes), DynamoDB DescribeTable replicas, S3 GetBucketReplication with OperationsPendingReplication and ReplicationLatency, AWS Backup ListCopyJobs into the recovery vault, Route 53 GetHealthCheck and GetHealthCheckStatus. Exits 0 when everything is in bounds, 1 when something is out of bounds (RPO lag over recovery.rpoSeconds, a replica not ACTIVE, an endpoint unhealthy, no backup copy in 24 h, traffic and writer in different regions), 3 when a source could not be read and nothing is out of bounds, 2 for an env without a recovery region. See docs/dr.md.'

  static examples = ['<%= config.bin %> dr status --env prod', '<%= config.bin %> dr status --env prod --json']

  static flags = {
    env: Flags.string({description: 'environment whose disaster recovery to read', required: true}),
  }

  async run(): Promise<DrStatus> {
    const {flags} = await this.parse(DrStatusCommand)
    return this.deliver(await drStatusCommand(this.readConfig(flags.config), flags))
  }
}
